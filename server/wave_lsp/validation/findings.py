"""What the validation engine works on and returns: a document snapshot, findings with their
fixes, rule failures, and what a rule's findings depend on."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from wave_lsp.config.problems import Span
from wave_lsp.validation.languages import language_of
from wave_lsp.validation.models import Applicability


class Locality(enum.Enum):
    """What a rule's findings depend on, which decides what an edit makes it re-check."""

    LINE = "line"
    """Only the line each is on: patterns that stay on one line, nothing about the file."""
    STATEMENT = "statement"
    """Only the top-level statement each is in: blocks found by indentation (Python, YAML)."""
    TEXT = "text"
    """The whole text: whole-file rules, patterns that span lines, conditions or messages
    about the file or a finding's line number."""


class RuleError(ValueError):
    """A rule that cannot be compiled; ``key`` names the field at fault."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An immutable document: what the engine checks."""

    path: str
    text: str
    language: str
    version: int | None = None

    @classmethod
    def of(
        cls, path: str, text: str, language_id: str | None = None, version: int | None = None
    ) -> Snapshot:
        return cls(path, text, language_of(path, language_id), version)


@dataclass(slots=True)
class Fix:
    span: Span
    replacement: str
    applicability: Applicability
    title: str


@dataclass(slots=True)
class Finding:
    """What a rule found: where, what, and how to fix it. Not to be changed once made (not
    frozen: thousands are made per check, and a frozen dataclass is four times slower to make).
    """

    rule_id: str
    rule_name: str
    severity: str
    type: str
    message: str
    span: Span
    path: str
    fix: Fix | None = None
    url: str | None = None
    captures: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RuleFailure:
    """A rule that raised on a document (a bad condition, say): reported, never fatal."""

    rule_id: str
    path: str
    message: str
