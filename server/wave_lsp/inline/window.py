"""What an inline completion request carries: a window of the document around the cursor (the
text before it and after it, cut at line boundaries within a budget), whether a block starts at
the cursor (multi-line suggestions only there), and snippets of other open documents most like
the code before the cursor (sliding windows scored by shared identifiers, as Copilot's
neighbouring tabs are)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import regex

IDENTIFIER = regex.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
OPENERS = (":", "{", "(", "[", "=>", "->", " do", " then", "begin")
SNIPPET_LINES = 20
SNIPPET_STEP = 10
TAIL_LINES = 30
"""The lines before the cursor that other documents are compared with."""


@dataclass(frozen=True, slots=True)
class Snippet:
    path: str
    text: str


@dataclass(frozen=True, slots=True)
class Window:
    path: str
    """The document's path relative to the workspace root."""
    language: str
    prefix: str
    suffix: str
    multiline: bool
    snippets: tuple[Snippet, ...] = ()


def cut(text: str, offset: int, before: int, after: int) -> tuple[str, str]:
    """The text before ``offset`` (at most ``before`` characters, starting at a line) and after
    it (at most ``after``, ending at a line end)."""
    start = max(0, offset - before)
    if start > 0:
        newline = text.find("\n", start, offset)
        start = newline + 1 if newline >= 0 else start
    end = min(len(text), offset + after)
    if end < len(text):
        newline = text.rfind("\n", offset, end)
        end = newline + 1 if newline >= 0 else end
    return text[start:offset], text[offset:end]


def block_start(prefix: str, suffix: str) -> bool:
    """Whether the cursor is where a block begins: nothing after it on its line, and its line
    (or the last non-blank one when the line is blank) ends with an opener."""
    rest_of_line = suffix.split("\n", 1)[0]
    if rest_of_line.strip():
        return False
    lines = prefix.split("\n")
    current = lines[-1]
    if current.strip():
        return current.rstrip().endswith(OPENERS)
    for line in reversed(lines[:-1]):
        if line.strip():
            return line.rstrip().endswith(OPENERS)
    return True  # an empty document: anything may follow


def identifiers(text: str) -> set[str]:
    return set(IDENTIFIER.findall(text))


def similar_snippets(
    prefix: str, others: Sequence[tuple[str, str]], budget: int, count: int
) -> tuple[Snippet, ...]:
    """At most ``count`` snippets (one per document, the best first) of ``others`` (path,
    text), together within ``budget`` characters."""
    if count <= 0 or budget <= 0 or not others:
        return ()
    wanted = identifiers("\n".join(prefix.split("\n")[-TAIL_LINES:]))
    if not wanted:
        return ()
    scored: list[tuple[float, str, str]] = []
    for path, text in others:
        lines = text.split("\n")
        best, best_text = 0.0, ""
        for start in range(0, max(1, len(lines) - SNIPPET_LINES + 1), SNIPPET_STEP):
            piece = "\n".join(lines[start : start + SNIPPET_LINES])
            found = identifiers(piece)
            if not found:
                continue
            score = len(found & wanted) / len(found | wanted)
            if score > best:
                best, best_text = score, piece
        if best > 0:
            scored.append((best, path, best_text))
    scored.sort(key=lambda item: -item[0])
    chosen: list[Snippet] = []
    for _, path, text in scored[:count]:
        room = budget - sum(len(s.text) for s in chosen)
        if room <= 0:
            break
        chosen.append(Snippet(path, text[:room]))
    return tuple(chosen)
