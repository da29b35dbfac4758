"""Differences between two texts: a unified diff (with ``\\ No newline at end of file`` where it
applies, which ``difflib`` leaves out) and the minimal line-level edits that turn one text into the
other (what an LSP ``TextEdit`` list carries: never the whole file, never character noise)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from wave_lsp.edits.apply import Lines

NO_NEWLINE = "\\ No newline at end of file\n"


def _diff_lines(text: str) -> list[str]:
    lines = Lines.of(text)
    out = [line + "\n" for line in lines.lines]
    if out and not lines.final_newline:
        out[-1] = out[-1][:-1]
    return out


def unified_diff(old: str, new: str, old_name: str, new_name: str, context: int = 3) -> str:
    parts: list[str] = []
    for line in difflib.unified_diff(
        _diff_lines(old), _diff_lines(new), old_name, new_name, n=context
    ):
        if line.endswith("\n"):
            parts.append(line)
        else:  # the last line of a text without a final newline
            parts.append(line + "\n" + NO_NEWLINE)
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class LineEdit:
    """Replace lines ``[start, end)`` of the old text (0-based) with ``text`` (whole lines, each
    with its line ending, except at the end of a text without a final newline)."""

    start: int
    end: int
    text: str


def line_edits(old: str, new: str) -> list[LineEdit]:
    """The fewest line replacements that turn ``old`` into ``new``, in order, not overlapping.

    Lines are compared with their endings, so a change of the final newline is an edit of the
    last line; offsets of a text with no final newline stay within its last line."""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    return [
        LineEdit(i1, i2, "".join(new_lines[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def apply_line_edits(old: str, edits: list[LineEdit]) -> str:
    """``old`` with ``edits`` applied (for tests and for files written directly)."""
    lines = old.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        lines[edit.start : edit.end] = [edit.text] if edit.text else []
    return "".join(lines)
