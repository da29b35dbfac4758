"""The Wave seed's validation system: ValidationRule, ValidationResult, ValidationReport and
ValidationSummary."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field, create_model

from wave_lsp.config.base import WaveModel
from wave_lsp.config.field_docs import DOCS_FROM


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


class Applicability(StrEnum):
    """Ruff's model: only safe fixes are applied by "fix all"."""

    SAFE = "safe"
    UNSAFE = "unsafe"


class PathFilter(WaveModel):
    include: list[str] = Field(default_factory=list)
    """Gitignore-style globs; when given, only matching paths are checked."""
    exclude: list[str] = Field(default_factory=list)
    """Gitignore-style globs of paths never checked."""


class RuleExample(WaveModel):
    """An example with its own parameters (e.g. a small max_lines to keep it short)."""

    text: str
    parameters: dict[str, Any] = Field(default_factory=dict)


class RuleExamples(WaveModel):
    match: list[str | RuleExample] = Field(default_factory=list)
    """Texts the rule must find something in (each is checked when the rule loads)."""
    no_match: list[str | RuleExample] = Field(default_factory=list)
    """Texts the rule must find nothing in."""


RULE_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"


class ValidationRule(WaveModel):
    """The seed's ValidationRule, plus what a rule engine needs: where it applies (languages,
    paths, scope), what it matches, the message and fix it produces, and its own examples."""

    id: str = Field(pattern=RULE_ID_PATTERN)
    name: str
    type: ValidationType
    severity: ValidationSeverity = ValidationSeverity.WARNING
    description: str = ""
    category: str = ""
    condition: str = ""
    """A CEL expression over `file`, `match`, `persona` and `parameters`; the finding is kept
    only when it is true. Empty: always."""
    parameters: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    scope: RuleScope = RuleScope.GLOBAL
    personas: list[str] = Field(default_factory=list)
    """With scope 'persona': the personas whose activity the rule applies to."""
    languages: list[str] = Field(default_factory=list)
    """Languages the rule applies to (python, javascript, typescript, go, yaml, ...); all
    when empty."""
    paths: PathFilter = Field(default_factory=PathFilter)
    pattern_regex: str | None = Field(default=None, alias="pattern-regex")
    """A regular expression (multi-line mode: ^ and $ match at each line); named groups are
    captures for the message, the fix and the condition. `{{parameters.NAME}}` is replaced by
    the parameter's value before compiling."""
    pattern_either: list[str] = Field(default_factory=list, alias="pattern-either")
    """Several regular expressions; a match of any is a match."""
    pattern_not_regex: list[str] = Field(default_factory=list, alias="pattern-not-regex")
    """A match is dropped when one of these also matches its line."""
    pattern_block: str | None = Field(default=None, alias="pattern-block")
    """A regular expression for the header of a block (a function, a loop); the match covers
    the whole block, by indentation or braces, and `match.lines` is its length."""
    keywords: list[str] = Field(default_factory=list)
    """Words (case-insensitive) of which a file must contain one for the rule to run at all: a
    fast pre-filter, as gitleaks does. Every match of the rule must contain one of them."""
    detector: str | None = None
    """A detect-secrets plugin, e.g. 'AWSKeyDetector', whose patterns find the matches."""
    message: str = ""
    """The finding's message; `{{capture}}`, `{{parameters.NAME}}`, `{{match.lines}}` and
    `{{file.path}}` are replaced. The rule's name when empty."""
    fix: str | None = None
    """Replacement text for the match (or its `fix` capture group), with the same placeholders
    and `\\g<capture>` references."""
    applicability: Applicability = Applicability.UNSAFE
    url: str | None = None
    """Where the rule is documented (an LSP codeDescription)."""
    examples: RuleExamples = Field(default_factory=RuleExamples)


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


def _optional_fields(model: type[WaveModel], keep: set[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in keep:
            fields[name] = (info.annotation, info)
        else:
            annotation: Any = info.annotation
            fields[name] = (
                annotation | None,
                Field(default=None, alias=info.alias, description=info.description),
            )
    return fields


RuleSpec: type[WaveModel] = create_model(
    "RuleSpec",
    __base__=WaveModel,
    __doc__="A rule as written in a file: a new rule (name and type required once merged), or "
    "an override of a built-in rule of the same id (e.g. severity, enabled, parameters).",
    **_optional_fields(ValidationRule, {"id"}),
)
setattr(RuleSpec, DOCS_FROM, ValidationRule)  # its fields are ValidationRule's, documented there


class RulesFile(WaveModel):
    """A file of ``.wave/rules/``: a ``rules:`` list."""

    rules: list[RuleSpec] = Field(default_factory=list)
