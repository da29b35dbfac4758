"""Applying fixes to a text: the ones chosen, in order, never two that overlap."""

from __future__ import annotations

from collections.abc import Iterable

from wave_lsp.validation.engine import Finding, Fix, LineIndex
from wave_lsp.validation.models import Applicability


def non_overlapping(fixes: Iterable[Fix]) -> list[Fix]:
    """The fixes sorted by position, dropping any that overlaps one before it (a second run
    picks those up)."""
    chosen: list[Fix] = []
    last_end: tuple[int, int] = (-1, -1)
    for fix in sorted(
        fixes, key=lambda f: (f.span.line, f.span.column, f.span.end_line, f.span.end_column)
    ):
        start = (fix.span.line, fix.span.column)
        if start < last_end:
            continue
        chosen.append(fix)
        last_end = (fix.span.end_line, fix.span.end_column)
    return chosen


def safe_fixes(findings: Iterable[Finding]) -> list[Fix]:
    return non_overlapping(
        f.fix for f in findings if f.fix is not None and f.fix.applicability is Applicability.SAFE
    )


def apply_fixes(text: str, fixes: Iterable[Fix]) -> str:
    index = LineIndex(text)
    pieces: list[str] = []
    position = 0
    for fix in non_overlapping(fixes):
        start = index.starts[fix.span.line] + fix.span.column
        end = index.starts[fix.span.end_line] + fix.span.end_column
        pieces.append(text[position:start])
        pieces.append(fix.replacement)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
