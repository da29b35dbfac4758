"""Where things are in a text, found at C speed where possible: line starts, the rules' keywords
(in one pass), the lines holding them searched at once, and where an indented or braced block
ends."""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
import re
from collections.abc import Iterator, Sequence

from wave_lsp.config.problems import Span
from wave_lsp.validation.keywords import KeywordSearch
from wave_lsp.validation.languages import INDENT_BLOCKS


class LineIndex:
    """Offsets of line starts, to turn a character offset into (line, column) in O(log n)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._has: dict[tuple[str, ...], bool] = {}
        self.keyword_search: KeywordSearch | None = None
        """All the keywords of the rules that will ask (set by the engine): found in one pass,
        when first asked about the whole text; else each is looked for when asked."""
        self._present: frozenset[str] | None = None
        self.cr = "\r" in text
        if self.cr:
            self.starts = [0]
            self.starts.extend(m.end() for m in re.finditer(r"\r\n|\n|\r", text))
        else:  # the common case, at C speed: LSP lines end at \n only (not at \x0c, \u2028, ...)
            lengths = map(operator.add, map(len, text.split("\n")), itertools.repeat(1))
            self.starts = list(itertools.accumulate(lengths, initial=0))[:-1]

    @functools.cached_property
    def lowered(self) -> str:
        """The text in lower case, for the rules' keyword pre-filter (computed once). It ends
        with a newline even when the text does not, so that "\n" in a keyword also matches at
        the end of the text, where `$` does."""
        lowered = self.text.lower()
        if len(lowered) != len(self.text):  # a few characters lower to two ('İ'): keep offsets
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in self.text)
        return lowered + "\n"

    def has_any(self, keywords: Sequence[str], region: tuple[int, int] | None = None) -> bool:
        """Whether one of ``keywords`` (lower case) is in the text, or in ``region`` of it."""
        lowered = self.lowered
        if region is None and self.keyword_search is not None:
            if self._present is None:
                self._present = self.keyword_search.found_in(self.lowered)
            return not self._present.isdisjoint(keywords)
        if region is None:
            key = tuple(keywords)
            found = self._has.get(key)
            if found is None:
                found = self._has[key] = any(k in lowered for k in keywords)
            return found
        start, end = region
        return any(lowered.find(k, start, end + len(k)) >= 0 for k in keywords)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line, offset - self.starts[line]

    def span(self, start: int, end: int) -> Span:
        starts = self.starts
        line = bisect.bisect_right(starts, start) - 1
        line_start = starts[line]
        if line + 1 == len(starts) or end < starts[line + 1]:  # on one line: no second search
            return Span(line, start - line_start, line, end - line_start)
        end_line, end_column = self.position(end)
        return Span(line, start - line_start, end_line, end_column)

    def lines_between(self, start: int, end: int) -> int:
        """How many lines the text from ``start`` to ``end`` touches."""
        if not self.cr:
            return self.text.count("\n", start, end) + 1
        return self.position(end)[0] - self.position(start)[0] + 1

    def line_text(self, line: int) -> str:
        start = self.starts[line]
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    @property
    def line_count(self) -> int:
        return len(self.starts)


def search_lines(
    patterns: Sequence[re.Pattern[str]], text: str, lines: list[tuple[int, int]]
) -> Iterator[tuple[re.Match[str], int]]:
    """Matches of patterns that stay on one line in ``lines`` (spans of ``text`` without their
    newline), each with the offset to add to its positions: the lines joined by newlines are
    searched at once (a search per line costs its setup, ~4 us, thousands of times in a file
    with a keyword on every tenth line), which finds what a search of each line finds."""
    if not lines:
        return
    if lines == [(0, len(text))]:
        joined, offsets = text, [0]
    else:
        joined = "\n".join([text[start:end] for start, end in lines])
        offsets = list(
            itertools.accumulate((end - start + 1 for start, end in lines[:-1]), initial=0)
        )
    for pattern in patterns:
        for match in pattern.finditer(joined):
            line = bisect.bisect_right(offsets, match.start()) - 1
            yield match, lines[line][0] - offsets[line]


@functools.cache
def _block_ender(indent: int) -> re.Pattern[str]:
    deeper = "{" + str(indent + 1) + "}"
    return re.compile(r"\n(?![ \t]" + deeper + r")(?=[ \t]*[^\s)\]}])")


_LEADING_BLANKS = re.compile(r"[ \t]*")


def block_end(text: str, start: int, header_end: int, language: str, index: LineIndex) -> int:
    """Where the block that the header from ``start`` to ``header_end`` opens ends: by
    indentation (Python, YAML) or at the brace matching the first '{' after the header."""
    if language in INDENT_BLOCKS:
        first, _ = index.position(start)
        line_start = index.starts[first]
        base = _LEADING_BLANKS.match(text, line_start).end() - line_start  # type: ignore[union-attr]
        # The block ends before the first later line that has content, is indented no deeper
        # than the header, and is not a closing bracket of a long header.
        ender = _block_ender(base)
        found = ender.search(
            text, index.starts[first + 1] - 1 if first + 1 < index.line_count else len(text)
        )
        end = found.start() if found else len(text)
        return header_end + len(text[header_end:end].rstrip())
    opening = text.find("{", header_end)
    if opening < 0:
        return header_end
    depth = 0
    position = opening
    quote: str | None = None
    while position < len(text):
        char = text[position]
        if quote is not None:
            if char == "\\":
                position += 1
            elif char == quote:
                quote = None
        elif char in "\"'`":
            quote = char
        elif text.startswith("//", position):
            newline = text.find("\n", position)
            position = len(text) if newline < 0 else newline
            continue
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return position + 1
        position += 1
    return len(text)
