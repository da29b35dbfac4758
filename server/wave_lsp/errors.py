"""The Wave seed's Error and ErrorContext: how every failure is described to the user."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from wave_lsp.config.base import WaveModel


class ErrorType(StrEnum):
    VALIDATION = "validation"
    SECURITY = "security"
    INFRASTRUCTURE = "infrastructure"
    INTEGRATION = "integration"
    PERFORMANCE = "performance"
    USER = "user"
    SYSTEM = "system"


class ErrorSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ErrorContext(WaveModel):
    component: str
    operation: str
    user_id: str | None = None
    session_id: str | None = None
    request_id: str | None = None
    persona: str | None = None
    pipeline: str | None = None
    task: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Error(WaveModel):
    """A failure as the user sees it: what happened, where, whether to retry, what to do."""

    code: str
    type: ErrorType
    severity: ErrorSeverity
    message: str
    description: str = ""
    context: ErrorContext
    timestamp: datetime = Field(default_factory=lambda: datetime.now(UTC))
    retryable: bool = False
    suggestions: list[str] = Field(default_factory=list)


class WaveError(Exception):
    """An exception that carries the seed's Error model (``Cause`` is the exception chain)."""

    def __init__(self, error: Error) -> None:
        super().__init__(error.message)
        self.error = error
