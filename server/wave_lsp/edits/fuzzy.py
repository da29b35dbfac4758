"""The last way a hunk is placed: a unique fuzzy match of its old lines above
:data:`~wave_lsp.edits.apply.FUZZY_THRESHOLD`, among the windows an index of the text's lines
puts forward (at most :data:`~wave_lsp.edits.apply.MAX_CANDIDATES`), loose in context, never in
what it removes; two matches about as good are ambiguous, never a choice."""

from __future__ import annotations

import difflib
from collections import Counter

from wave_lsp.edits.apply import (
    AMBIGUITY_MARGIN,
    FUZZY_THRESHOLD,
    MAX_CANDIDATES,
    MAX_CHARS_COMPARED,
    Cancel,
    Cancelled,
    HunkError,
    Method,
    _Match,
    _squash,
    _Taken,
    _Text,
)


def candidates(
    before: list[str], removed: list[int], text: _Text, taken: _Taken
) -> tuple[list[int], list[int]]:
    """Windows worth comparing: ``(with the removed lines in place, most alike)``. From the
    index of the text's (whitespace-free) lines: a window is put forward by each of its lines
    that is one of the hunk's, at that line's offset."""
    size = len(before)
    squashed = text.squashed
    limit = len(text.lines) - size
    votes: Counter[int] = Counter()
    for offset, line in enumerate(before):
        key = _squash(line)
        if not key:
            continue
        positions = text.where(key, True)
        if len(positions) > 4 * MAX_CANDIDATES:  # a line found everywhere says nothing
            continue
        for position in positions:
            start = position - offset
            if 0 <= start <= limit:
                votes[start] += 1
    ranked = [start for start, _ in votes.most_common() if taken.free(start, size)]
    alike = ranked[:MAX_CANDIDATES]
    if not removed:
        return alike, alike
    wanted = [_squash(before[i]) for i in removed]
    first = removed[0]
    exact = [
        start
        for p in text.where(wanted[0], True)
        if 0 <= (start := p - first) <= limit
        and taken.free(start, size)
        and all(squashed[start + i] == w for i, w in zip(removed, wanted, strict=True))
    ]
    if len(exact) > MAX_CANDIDATES:
        raise HunkError(
            f"the lines it removes occur at {len(exact)} places, too many to compare (at most "
            f"{MAX_CANDIDATES}): it cannot be placed safely. Copy its context lines exactly, or "
            "add a few that occur only at the intended place"
        )
    return exact, alike


def fuzzy(
    before: list[str],
    removed: list[int],
    *,
    text: _Text,
    taken: _Taken,
    cancel: Cancel | None = None,
    floor: int = 0,
) -> _Match:
    """A window of the text like the hunk's old lines, whose lines to remove are the ones the
    hunk names (whitespace aside): context may be approximate, what is deleted may not. Two
    equally good windows are told apart by order, as exact matches are: the only one after the
    previous hunk is taken."""
    lines = text.lines
    size = len(before)
    wanted = "\n".join(before)
    by_lines = len(wanted) > MAX_CHARS_COMPARED
    matcher: difflib.SequenceMatcher[str] = difflib.SequenceMatcher(autojunk=False)
    line_matcher: difflib.SequenceMatcher[str] = difflib.SequenceMatcher(autojunk=False)
    if by_lines:
        line_matcher.set_seq2([_squash(b) for b in before])
    else:
        matcher.set_seq2(wanted)
    exact, alike = candidates(before, removed, text, taken)
    ratios: dict[int, float] = {}

    def ratio(start: int) -> float:
        if start not in ratios:
            if cancel is not None and cancel():
                raise Cancelled
            if by_lines:
                line_matcher.set_seq1(text.squashed[start : start + size])
                ratios[start] = line_matcher.ratio()
            else:
                matcher.set_seq1("\n".join(lines[start : start + size]))
                quick = matcher.real_quick_ratio() >= FUZZY_THRESHOLD - 0.3
                ratios[start] = matcher.ratio() if quick and matcher.quick_ratio() >= (
                    FUZZY_THRESHOLD - 0.3) else 0.0  # fmt: skip
        return ratios[start]

    scores = sorted(((ratio(start), start) for start in exact), reverse=True)
    scores = [s for s in scores if s[0] >= FUZZY_THRESHOLD]
    tie: tuple[tuple[float, int], tuple[float, int]] | None = None
    for group in (scores, [s for s in scores if s[1] >= floor] if floor else []):
        if not group:
            continue
        best = group[0]
        rivals = [s for s in group[1:] if abs(s[1] - best[1]) >= size]
        if not rivals or rivals[0][0] < best[0] - AMBIGUITY_MARGIN:
            return _Match(best[1], size, Method.FUZZY)
        tie = tie or (best, rivals[0])
    if tie is not None:
        (best_ratio, best_at), (rival_ratio, rival_at) = tie
        raise HunkError(
            f"its old lines resemble lines {best_at + 1} and {rival_at + 1} equally "
            f"({best_ratio:.0%}, {rival_ratio:.0%}): ambiguous. Copy the lines exactly"
        )
    nearest = max(((ratio(start), start) for start in alike[:8]), default=None)
    present = set(lines)
    missing = [b for b in before if b not in present][:3] or before[:3]
    shown = "\n".join(f"    {line!r}" for line in missing)
    message = f"these old lines were not found:\n{shown}"
    if nearest is not None and nearest[0] > 0:
        at = nearest[1]
        near = "\n".join(f"    {line!r}" for line in lines[at : at + min(size, 3)])
        message += f"\n  nearest candidate, line {at + 1} ({nearest[0]:.0%} alike):\n{near}"
    raise HunkError(message + "\n  Copy the old lines exactly as they are in the file")
