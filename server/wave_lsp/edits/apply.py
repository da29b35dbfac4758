"""Applying hunks to a text by what they say, not by their line numbers.

Each hunk's old lines (context and removed) are located in the text, in this order: exactly at
the header's line → exactly anywhere → ignoring whitespace → a unique fuzzy match above a
similarity threshold. Two equally good places, or none, are never guessed: the hunk fails with a
message naming the lines not found and the nearest candidate, and the file is not changed at all
when any of its hunks fails. Context lines keep the file's own text (the model's whitespace drift
is not written back); added lines take the file's line ending.

A hunk whose new lines are already where it would put them is refused as already applied (GNU
patch's "reversed or previously applied"): applying an addition twice would duplicate it.

The fuzzy search is bounded: it compares only windows that an index of the text's lines puts
forward (windows holding the lines the hunk removes, else the windows sharing most lines with
it), at most :data:`MAX_CANDIDATES` of them, and polls ``cancel`` as it goes.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from wave_lsp.edits.patch import Hunk, is_elision_comment

FUZZY_THRESHOLD = 0.85
"""The least similarity of a fuzzy match (difflib ratio over the located lines)."""
AMBIGUITY_MARGIN = 0.02
"""A runner-up this close to the best fuzzy match makes the match ambiguous."""
MAX_CANDIDATES = 64
"""Windows compared character by character, at most, per hunk."""
MAX_CHARS_COMPARED = 12_000
"""Windows longer than this are compared line by line (character similarity is quadratic)."""

Cancel = Callable[[], bool]
"""Polled during a search: true once the caller gave up (an LSP ``$/cancelRequest``)."""


class Cancelled(Exception):
    """The search was cancelled: nothing was planned."""


class Method(StrEnum):
    EXACT = "exact"
    """At the line the header names."""
    ALREADY = "already-applied"
    """Its new lines are already there: refused, it would apply twice."""
    MOVED = "moved"
    """Exactly, elsewhere than the header says (or the header named no line)."""
    WHITESPACE = "whitespace"
    """Equal once whitespace is ignored."""
    FUZZY = "fuzzy"
    INSERTED = "inserted"
    """A hunk with no old lines, placed by its line number (or into an empty file)."""


@dataclass(frozen=True, slots=True)
class HunkResult:
    index: int
    """1-based, in the order of the diff."""
    header: str
    applied: bool
    method: Method | None = None
    line: int | None = None
    """1-based line of the old text where the hunk applied."""
    error: str = ""


@dataclass(slots=True)
class TextResult:
    text: str | None
    """The new text; ``None`` when a hunk failed (the file must not be changed)."""
    hunks: list[HunkResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.text is not None

    def errors(self) -> list[str]:
        return [h.error for h in self.hunks if not h.applied]


@dataclass(frozen=True, slots=True)
class Lines:
    """A text as lines without their endings, its line ending, and whether it ends with one."""

    lines: list[str]
    newline: str
    final_newline: bool

    @classmethod
    def of(cls, text: str) -> Lines:
        newline = "\r\n" if "\r\n" in text else "\n"
        if not text:
            return cls([], newline, True)
        body = text.replace("\r\n", "\n")
        final = body.endswith("\n")
        if final:
            body = body[:-1]
        return cls(body.split("\n"), newline, final)

    def text(self, lines: Sequence[str] | None = None, final_newline: bool | None = None) -> str:
        content = self.lines if lines is None else lines
        if not content:
            return ""
        end = self.final_newline if final_newline is None else final_newline
        return self.newline.join(content) + (self.newline if end else "")


def _squash(line: str) -> str:
    return "".join(line.split())


@dataclass(frozen=True, slots=True)
class _Match:
    start: int
    length: int
    method: Method


class HunkError(Exception):
    pass


class AlreadyApplied(HunkError):
    def __init__(self, line: int) -> None:
        super().__init__(
            f"already applied: its new lines are already at line {line + 1} (reversed or "
            "previously applied); nothing to do for it"
        )
        self.line = line


class _Taken:
    """Line ranges already claimed by earlier hunks (sorted, not overlapping)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def free(self, start: int, length: int) -> bool:
        index = bisect.bisect_right(self.starts, start)
        if index and self.ends[index - 1] > start:
            return False
        return (
            index == len(self.starts)
            or self.starts[index] >= start + length
            or (length == 0 and self.starts[index] == start)
        )

    def add(self, start: int, length: int) -> None:
        index = bisect.bisect_right(self.starts, start)
        self.starts.insert(index, start)
        self.ends.insert(index, start + length)


class _Text:
    """The old text's lines, with indexes built on first need: where each line (and each
    whitespace-free line) occurs."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._squashed: list[str] | None = None
        self._where: dict[str, list[int]] | None = None
        self._where_squashed: dict[str, list[int]] | None = None

    @property
    def squashed(self) -> list[str]:
        if self._squashed is None:
            self._squashed = [_squash(line) for line in self.lines]
        return self._squashed

    def where(self, line: str, squashed: bool) -> list[int]:
        if squashed:
            if self._where_squashed is None:
                self._where_squashed = _index(self.squashed)
            return self._where_squashed.get(line, [])
        if self._where is None:
            self._where = _index(self.lines)
        return self._where.get(line, [])


def _index(lines: list[str]) -> dict[str, list[int]]:
    where: dict[str, list[int]] = {}
    for number, line in enumerate(lines):
        where.setdefault(line, []).append(number)
    return where


def apply_hunks(
    text: str, hunks: Sequence[Hunk], path: str = "the file", cancel: Cancel | None = None
) -> TextResult:
    """``text`` with every hunk applied, or no text and the reasons when any hunk fails."""
    source = Lines.of(text)
    lines = source.lines
    indexed = _Text(lines)
    taken = _Taken()
    placed: list[tuple[_Match, Hunk]] = []
    result = TextResult(None)
    failed = False
    floor = 0  # where the previous hunk ended: the next is looked for after it first
    offset = 0  # how far the previous hunk was from its line number (GNU patch's prediction)
    for number, hunk in enumerate(hunks, start=1):
        try:
            if not hunk.changes():
                result.hunks.append(HunkResult(number, hunk.header, True, Method.EXACT))
                continue
            elided = next(
                (t for tag, t in hunk.lines if tag == "+" and is_elision_comment(t)), None
            )
            if elided is not None:
                raise HunkError(
                    f"it adds the line {elided.strip()!r}, which stands for code left out: "
                    "applied, it would delete that code. Answer with the full text of the "
                    "lines instead (elisions are understood only as unchanged context)"
                )
            before = hunk.before()
            hint = hunk.old_start + offset if hunk.old_start is not None else None
            if hint is None and hunk.anchor is not None:
                hint = _after_anchor(hunk.anchor, indexed)
            if not before:
                match = _insertion(hunk, lines)
            else:
                match = _locate(before, hunk.after(), hunk.removed(), hint=hint,
                                text=indexed, taken=taken, cancel=cancel,
                                floor=floor)  # fmt: skip
        except AlreadyApplied as error:
            failed = True
            result.hunks.append(
                HunkResult(number, hunk.header, False, Method.ALREADY, error.line + 1,
                           f"hunk {number} ({hunk.header}) of {path}: {error}")
            )  # fmt: skip
            continue
        except HunkError as error:
            failed = True
            result.hunks.append(
                HunkResult(number, hunk.header, False, error=f"hunk {number} ({hunk.header}) "
                           f"of {path}: {error}")
            )  # fmt: skip
            continue
        taken.add(match.start, match.length)
        placed.append((match, hunk))
        if match.start >= floor:
            floor = match.start + match.length
            if hunk.old_start is not None and before:
                offset = match.start + 1 - hunk.old_start
        result.hunks.append(HunkResult(number, hunk.header, True, match.method, match.start + 1))
    if failed:
        return result
    placed.sort(key=lambda item: item[0].start)
    output: list[str] = []
    cursor = 0
    final_newline = source.final_newline
    for match, hunk in placed:
        output.extend(lines[cursor : match.start])
        position = match.start
        for tag, added in hunk.lines:
            if tag == " ":
                output.append(lines[position])  # the file's own text, not the model's copy
                position += 1
            elif tag == "-":
                position += 1
            else:
                output.append(added)
        cursor = match.start + match.length
        if cursor == len(lines) and (hunk.new_no_newline or hunk.old_no_newline):
            final_newline = not hunk.new_no_newline
    output.extend(lines[cursor:])
    if not lines and output:
        final_newline = not any(h.new_no_newline for _, h in placed)
    result.text = source.text(output, final_newline)
    return result


def _after_anchor(anchor: str, text: _Text) -> int | None:
    """The 1-based line after the anchor line's only occurrence (none when it is not unique)."""
    found = text.where(anchor, False) or text.where(_squash(anchor), True)
    return found[0] + 2 if len(found) == 1 else None


def _insertion(hunk: Hunk, lines: list[str]) -> _Match:
    if not lines:
        return _Match(0, 0, Method.INSERTED)
    if hunk.old_start is None:
        raise HunkError(
            "it only adds lines, with no context lines and no line number: cannot tell where. "
            "Include a few unchanged lines around the addition"
        )
    # "-N,0" means "after line N"
    at = hunk.old_start if hunk.old_count == 0 else hunk.old_start - 1
    return _Match(max(0, min(len(lines), at)), 0, Method.INSERTED)


def _find_all(
    needle: list[str], text: _Text, squashed: bool, taken: _Taken, floor: int = 0
) -> list[int]:
    """Where ``needle`` occurs, looked up by its rarest line (a text of repeated lines does not
    make every position a candidate). The search stops once its answer is known: two places
    after ``floor`` make the hunk ambiguous whatever else is found, and two before it are
    enough to say it is not unique (a thousand hunks of the same lines in a file of them once
    took 6 s)."""
    haystack = text.squashed if squashed else text.lines
    size = len(needle)
    pivot, positions = 0, text.where(needle[0], squashed)
    for index in range(1, min(size, 64)):
        if len(positions) <= 1:
            break
        found = text.where(needle[index], squashed)
        if len(found) < len(positions):
            pivot, positions = index, found
    places: list[int] = []
    before = after = 0
    index = 0
    while index < len(positions):
        start = positions[index] - pivot
        if start < floor and before >= 2:  # enough seen before the floor: skip to it
            index = bisect.bisect_left(positions, floor + pivot, index + 1)
            continue
        index += 1
        if start >= 0 and haystack[start : start + size] == needle and taken.free(start, size):
            places.append(start)
            if start >= floor:
                after += 1
                if after == 2:
                    break
            else:
                before += 1
    return places


def _is_at(needle: list[str], text: _Text, squashed: bool, taken: _Taken, at: int) -> bool:
    haystack = text.squashed if squashed else text.lines
    return at >= 0 and haystack[at : at + len(needle)] == needle and taken.free(at, len(needle))


def _locate(
    before: list[str],
    after: list[str],
    removed: list[int],
    *,
    hint: int | None,
    text: _Text,
    taken: _Taken,
    cancel: Cancel | None = None,
    floor: int = 0,
) -> _Match:
    """Where ``before`` is: at the hint, else the only place (or the only place after the
    previous hunk: hunks are placed in order, as GNU patch does), else fuzzily; never a guess
    among equals."""
    size = len(before)
    lines = text.lines
    at = hint - 1 if hint is not None else None
    additions_only = after != before and not removed  # only these can be found applied
    changes = after != before
    if at is not None and lines[at : at + size] == before and taken.free(at, size):
        # Exactly where the hunk says: applied, as GNU patch does. Its new lines may be there
        # too only when they repeat the lines around them (a file of identical lines), which
        # says nothing: the check below is for hunks found elsewhere.
        return _Match(at, size, Method.EXACT)
    for method, needle, squashed in (
        (Method.MOVED, before, False),
        (Method.WHITESPACE, [_squash(b) for b in before], True),
    ):
        if at is not None and _is_at(needle, text, squashed, taken, at):
            _not_applied(after, at, text, additions_only)
            return _Match(at, size, method)
        found = _find_all(needle, text, squashed, taken, floor)
        later = [f for f in found if f >= floor] if floor else found
        if len(found) > 1 and len(later) == 1:
            found = later  # the only place after the previous hunk
        if len(found) == 1:
            _not_applied(after, found[0], text, additions_only)
            return _Match(found[0], size, method)
        if len(found) > 1:
            places = ", ".join(str(f + 1) for f in found[:6])
            raise HunkError(
                f"its {size} old line(s) appear at lines {places}: ambiguous. "
                "Add context lines that occur only at the intended place"
            )
    if changes and after:  # the old lines are gone: are the new ones there instead?
        for needle, squashed in ((after, False), ([_squash(a) for a in after], True)):
            found = _find_all(needle, text, squashed, _Taken())
            if len(found) == 1:
                raise AlreadyApplied(found[0])
    from wave_lsp.edits.fuzzy import fuzzy  # (imported here: it builds on this module)

    return fuzzy(before, removed, text=text, taken=taken, cancel=cancel, floor=floor)


def _not_applied(after: list[str], start: int, text: _Text, additions_only: bool) -> None:
    """Refuse a hunk that only adds lines, found at ``start``, whose new lines are already
    there: its context is still found, and it would add them again."""
    if additions_only and text.lines[start : start + len(after)] == after:
        raise AlreadyApplied(start)
