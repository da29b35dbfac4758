"""Where a new version of a document differs from the one last checked, in whole lines, and the
stretch of lines a re-check must cover: what lets the engine re-run, after an edit, only the
rules' work near the edit (see ``Engine.check``'s ``previous``)."""

from __future__ import annotations

from dataclasses import dataclass

_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class LineChange:
    """Lines ``[first, old_end)`` of the old text became lines ``[first, new_end)`` of the new
    one; the lines before are the same, and the lines after are the same moved by ``delta``."""

    first: int
    old_end: int
    new_end: int

    @property
    def delta(self) -> int:
        return self.new_end - self.old_end


def common_prefix(old: str, new: str) -> int:
    """The length of the longest common prefix (compared a block at a time, at C speed)."""
    limit = min(len(old), len(new))
    position = 0
    while (
        position < limit and old[position : position + _CHUNK] == new[position : position + _CHUNK]
    ):
        position += _CHUNK
    if position >= limit:
        return limit
    low, high = position, min(position + _CHUNK, limit)  # the first difference is in here
    while low < high:
        middle = (low + high + 1) // 2
        if old[low:middle] == new[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def common_suffix(old: str, new: str, limit: int) -> int:
    """The length of the longest common suffix, at most ``limit``."""
    return common_prefix(old[::-1][:limit], new[::-1][:limit]) if limit > 0 else 0


def line_change(old: str, new: str, old_starts: list[int], new_starts: list[int]) -> LineChange:
    """The lines that differ between ``old`` and ``new`` (texts whose lines end with ``\\n``
    only; ``*_starts``: their line start offsets)."""
    prefix = common_prefix(old, new)
    suffix = common_suffix(old, new, min(len(old), len(new)) - prefix)
    first = _line_of(new_starts, prefix)
    old_end = _line_of(old_starts, len(old) - suffix) + 1
    new_end = _line_of(new_starts, len(new) - suffix) + 1
    return LineChange(first, max(old_end, first), max(new_end, first))


def _line_of(starts: list[int], offset: int) -> int:
    from bisect import bisect_right

    return bisect_right(starts, offset) - 1


def is_chunk_start(text: str, start: int) -> bool:
    """Whether the line at ``start`` begins a top-level statement of an indentation-structured
    language: no indentation, not blank, not a closing bracket. No block (found by indentation)
    runs across such a line."""
    return start < len(text) and text[start] not in " \t\r\n)]}"


def chunk_lines(text: str, starts: list[int], first: int, end: int) -> tuple[int, int]:
    """Lines ``[first, end)`` widened to whole top-level statements: back to the nearest chunk
    start before ``first`` (or the first line), forward to the next chunk start at or after
    ``end`` (or the end)."""
    begin = first - 1
    while begin > 0 and not is_chunk_start(text, starts[begin]):
        begin -= 1
    begin = max(begin, 0)
    stop = end
    while stop < len(starts) and not is_chunk_start(text, starts[stop]):
        stop += 1
    return begin, stop
