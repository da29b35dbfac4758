"""Open documents whose incremental edits cost what the edit touches, not the whole document.

pygls applies each incremental change by rewriting the whole text line by line (~1 ms per edit
at 10k lines here) and splits the text again every time its lines are read. This document keeps
the lines in a list: an edit splices the lines it touches and the text is joined only when read.
The behaviour (positions, encodings, line splitting) is pygls' own, checked against it by a
property test (tests/unit/test_documents.py).

A checked document that is not being edited keeps its text compressed (LZ4, as the diagnostics
store does): a thousand idle open documents cost a fraction of their text, and the next read
unpacks it once (~20 us for 1,000 lines).
"""

from __future__ import annotations

import itertools
import types as pytypes
from collections.abc import Sequence
from typing import Any

import lz4.block  # type: ignore[import-untyped]
from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

LINE_BREAKS = ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
"""What str.splitlines (and so pygls) ends a line at."""
PACK_MIN = 4096
"""Texts shorter than this (characters) are kept as they are when idle."""


class LineArrayDocument(TextDocument):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lines: list[str] | None = None
        self._text: str | None = None
        self._packed: bytes | None = None
        """The text, compressed, while the document is idle (see ``release_lines``)."""
        self._starts: list[int] | None = None
        """Where each line starts (an offset), computed on the first position asked after an
        edit: pygls sums the lengths of every line before the position at each call."""
        super().__init__(*args, **kwargs)
        self._text = self._source

    @property
    def source(self) -> str:
        if self._text is None:
            if self._lines is not None:
                self._text = "".join(self._lines)
            elif self._packed is not None:
                self._text = lz4.block.decompress(self._packed).decode("utf-8", "surrogatepass")
            else:
                self._text = TextDocument.source.fget(self)  # type: ignore[attr-defined]
        return self._text or ""

    @property
    def lines(self) -> Sequence[str]:
        if self._lines is None:
            self._lines = self.source.splitlines(True)
        return self._lines

    def release_lines(self) -> None:
        """Drop the line list and keep the text compressed: a thousand idle open documents then
        cost a fraction of their text. The next read unpacks it, the next edit splits it
        again, once."""
        if self._lines is not None:
            if self._text is None:
                self._text = "".join(self._lines)
            self._lines = None
        text = self._text
        if text is not None and len(text) >= PACK_MIN:
            if self._packed is None:  # (else it holds this text: edits drop it)
                self._packed = lz4.block.compress(text.encode("utf-8", "surrogatepass"))
            self._text = None
            self._source = None  # pygls' own reference to the text

    def offset_at_position(self, client_position: types.Position) -> int:
        """The offset of ``client_position`` in the text, as pygls computes it, from line starts
        kept until the next edit (pygls' own is linear in the lines before the position)."""
        lines = self.lines
        assert isinstance(lines, list)
        line, column = self._from_client(lines, client_position)
        if self._starts is None:
            self._starts = [0, *itertools.accumulate(map(len, lines))]
        return self._starts[min(line, len(lines))] + column

    def _apply_full_change(self, change: types.TextDocumentContentChangeEvent) -> None:
        self._starts = None
        super()._apply_full_change(change)
        self._text = self._source
        self._lines = None
        self._packed = None

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        self._starts = None
        lines = self.lines
        assert isinstance(lines, list)
        start_line, start_column = self._from_client(lines, change.range.start)
        end_line, end_column = self._from_client(lines, change.range.end)
        if start_line >= len(lines):  # an edit at the very end of the document
            self._text = self.source + change.text
            self._source = self._text
            self._lines = None
            self._packed = None
            return
        last = min(end_line, len(lines) - 1)
        tail = lines[last][end_column:] if end_line <= last else ""
        merged = lines[start_line][:start_column] + change.text + tail
        begin, end = start_line, last + 1
        # Re-split together with a neighbour whose line break the edit may join or complete:
        # "\r" before an inserted "\n", or a line whose break the edit removed.
        if begin > 0 and lines[begin - 1].endswith("\r"):
            merged = lines[begin - 1] + merged
            begin -= 1
        while end < len(lines) and (
            not merged.endswith(LINE_BREAKS)
            or (merged.endswith("\r") and lines[end].startswith("\n"))
        ):
            merged += lines[end]
            end += 1
        lines[begin:end] = merged.splitlines(True)
        self._text = None
        self._packed = None
        self._source = None  # pygls' own copy is not kept up to date: `source` is ours

    def _from_client(self, lines: list[str], position: types.Position) -> tuple[int, int]:
        """``position`` (client code units) as (line, code point column), as pygls' codec
        converts it, quirks included; on an ASCII line (every encoding counts the same) without
        its character-by-character loop, the most part of an edit's cost otherwise."""
        line_number = position.line
        if not lines or line_number >= len(lines) or not lines[line_number].isascii():
            converted = self._position_codec.position_from_client_units(lines, position)
            return converted.line, converted.character
        line = lines[line_number]
        length = len(line) - 1 if line.endswith("\r\n") else len(line)  # pygls counts \r\n as one
        if length == 0:
            return line_number, 0
        character = position.character
        return line_number, length - 1 if character > length else character


def use_line_array_documents(workspace: Workspace) -> None:
    """Make ``workspace`` create LineArrayDocuments for documents opened from now on."""

    def create(
        self: Workspace,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return LineArrayDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self.position_codec,
        )

    workspace._create_text_document = pytypes.MethodType(create, workspace)  # type: ignore[method-assign]
