"""The Wave seed's validation system: ValidationRule, ValidationResult, ValidationReport and
ValidationSummary."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field

from wave_lsp.config.base import WaveModel


class ValidationType(StrEnum):
    SECURITY = "security"
    PERFORMANCE = "performance"
    COMPLIANCE = "compliance"
    QUALITY = "quality"
    RESOURCE = "resource"


class ValidationSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


class RuleScope(StrEnum):
    GLOBAL = "global"
    PERSONA = "persona"
    PIPELINE = "pipeline"
    TASK = "task"


class ValidationRule(WaveModel):
    """The seed's ValidationRule."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str
    type: ValidationType
    severity: ValidationSeverity = ValidationSeverity.WARNING
    description: str = ""
    category: str = ""
    condition: str = ""
    """An expression over the finding (evaluated by the validation engine)."""
    parameters: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    scope: RuleScope = RuleScope.GLOBAL


class ValidationResult(WaveModel):
    rule_id: str
    passed: bool
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
    severity: ValidationSeverity
    timestamp: datetime
    context: dict[str, Any] = Field(default_factory=dict)


class ValidationStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    ERROR = "error"


class ValidationSummary(WaveModel):
    total: int = 0
    passed: int = 0
    failed: int = 0
    warnings: int = 0
    errors: int = 0
    critical: int = 0


class ValidationReport(WaveModel):
    id: str
    target: str
    """What was validated."""
    type: ValidationType
    status: ValidationStatus
    results: list[ValidationResult] = Field(default_factory=list)
    summary: ValidationSummary = Field(default_factory=ValidationSummary)
    timestamp: datetime
    duration: timedelta


class RulesFile(WaveModel):
    """A file of ``.wave/rules/``: a ``rules:`` list."""

    rules: list[ValidationRule] = Field(default_factory=list)
