"""LineArrayDocument behaves exactly as pygls' TextDocument under any sequence of edits, in
every position encoding."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import PositionCodec

from wave_lsp.lsp import documents
from wave_lsp.lsp.documents import LineArrayDocument

ALPHABET = st.sampled_from(list("ab \n\r\t🚀é\u2028x"))


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, str, list[tuple[int, int, int, int, str]]]:
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "utf-32"]))
    text = draw(st.text(ALPHABET, max_size=40))
    changes = []
    for _ in range(draw(st.integers(1, 6))):
        a = (draw(st.integers(0, 6)), draw(st.integers(0, 8)))
        b = (draw(st.integers(0, 6)), draw(st.integers(0, 8)))
        start, end = min(a, b), max(a, b)
        changes.append((*start, *end, draw(st.text(ALPHABET, max_size=6))))
    return encoding, text, changes


@settings(max_examples=400, deadline=None)
@given(edits())
def test_same_text_as_pygls_after_any_edits(
    case: tuple[str, str, list[tuple[int, int, int, int, str]]],
) -> None:
    encoding, text, changes = case
    ours = LineArrayDocument(
        "file:///a.txt", text, version=1, position_codec=PositionCodec(encoding)
    )
    theirs = TextDocument("file:///a.txt", text, version=1, position_codec=PositionCodec(encoding))
    for start_line, start_char, end_line, end_char, new_text in changes:
        change = types.TextDocumentContentChangePartial(
            range=types.Range(
                start=types.Position(line=start_line, character=start_char),
                end=types.Position(line=end_line, character=end_char),
            ),
            text=new_text,
        )
        ours.apply_change(change)
        theirs.apply_change(change)
        assert ours.source == theirs.source
        assert list(ours.lines) == list(theirs.lines)
        for line in range(8):  # positions as pygls reads them (cached line starts)
            for character in (0, 1, 3, 9):
                position = types.Position(line=line, character=character)
                assert ours.offset_at_position(position) == theirs.offset_at_position(position)


def test_full_changes_reset_the_lines() -> None:
    document = LineArrayDocument("file:///a.txt", "a\nb\n", version=1)
    assert list(document.lines) == ["a\n", "b\n"]
    document.apply_change(types.TextDocumentContentChangeWholeDocument(text="c\n"))
    assert list(document.lines) == ["c\n"]
    assert document.source == "c\n"


def test_released_lines_come_back_from_the_text() -> None:
    document = LineArrayDocument("file:///a.txt", "a\nb\n", version=1)
    document.apply_change(
        types.TextDocumentContentChangePartial(
            range=types.Range(
                start=types.Position(line=1, character=0), end=types.Position(line=1, character=0)
            ),
            text="x",
        )
    )
    document.release_lines()
    assert document.source == "a\nxb\n"
    assert list(document.lines) == ["a\n", "xb\n"]


@settings(max_examples=300, deadline=None)
@given(edits(), st.lists(st.booleans(), min_size=6, max_size=6))
def test_an_idle_document_packed_between_edits_is_the_same(
    case: tuple[str, str, list[tuple[int, int, int, int, str]]], idle: list[bool]
) -> None:
    """Released (its text compressed) between any edits, it still reads and edits as pygls'
    own document does; lone surrogates survive the packing."""
    encoding, text, changes = case
    text += "\udcff"
    saved, documents.PACK_MIN = documents.PACK_MIN, 0
    try:
        ours = LineArrayDocument(
            "file:///a.txt", text, version=1, position_codec=PositionCodec(encoding)
        )
        theirs = TextDocument(
            "file:///a.txt", text, version=1, position_codec=PositionCodec(encoding)
        )
        for (start_line, start_char, end_line, end_char, new_text), release in zip(
            changes, idle, strict=False
        ):
            if release:
                ours.release_lines()
                assert ours._text is None and ours._packed is not None
            change = types.TextDocumentContentChangePartial(
                range=types.Range(
                    start=types.Position(line=start_line, character=start_char),
                    end=types.Position(line=end_line, character=end_char),
                ),
                text=new_text,
            )
            ours.apply_change(change)
            theirs.apply_change(change)
            assert ours.source == theirs.source
            ours.release_lines()
            assert list(ours.lines) == list(theirs.lines)
    finally:
        documents.PACK_MIN = saved
