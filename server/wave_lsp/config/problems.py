"""A problem found in a user file, with the place it was found and how to fix it.

Problems are the common currency of every check on configuration: the CLI prints them as
``path:line:col: message``; the language server turns them into diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ProblemSeverity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Span:
    """A range in a text file: 0-based lines, 0-based columns counted in code points."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, line: int, column: int) -> Span:
        return cls(line, column, line, column)


FILE_START = Span(0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file. ``code`` names the kind of problem (``unknown-key``,
    ``yaml-syntax``, ``dependency-cycle``, ...); ``fix`` says what to do about it."""

    path: str
    span: Span
    message: str
    code: str
    severity: ProblemSeverity = ProblemSeverity.ERROR
    fix: str | None = None

    @property
    def line(self) -> int:
        """1-based line, as editors and compilers print it."""
        return self.span.line + 1

    @property
    def column(self) -> int:
        """1-based column, in code points."""
        return self.span.column + 1

    def format(self) -> str:
        text = f"{self.path}:{self.line}:{self.column}: {self.message}"
        if self.fix:
            text += f" ({self.fix})"
        return text

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.span.line, self.span.column, self.message)


@dataclass(frozen=True, slots=True)
class DataProblem:
    """A problem known by its place in the data (a path of keys and indices), not yet by its
    position in a file: what cross-reference checks produce before the loader places them."""

    loc: tuple[str | int, ...]
    message: str
    code: str
    fix: str | None = None
    on_key: bool = False
    """Point at the key that holds ``loc`` rather than at its value."""
    severity: ProblemSeverity = ProblemSeverity.ERROR
