"""The framer alone, fuzzed: intact messages between any garbage come out once each, in order;
nothing a client sends makes it buffer without bound or loop."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from wave_lsp.lsp.framing import Body, Framer, Skipped, Unparsable


def frame(message: object, header: str = "Content-Length") -> bytes:
    body = json.dumps(message).encode()
    return f"{header}: {len(body)}\r\n\r\n".encode() + body


garbage = st.binary(max_size=200).filter(lambda b: not re.search(rb"(?i)content-length", b))
headers = st.sampled_from(["Content-Length", "content-length", "CONTENT-LENGTH"])


@settings(max_examples=400, deadline=None)
@given(
    items=st.lists(st.tuples(garbage, headers, st.integers(0, 10**6)), min_size=1, max_size=8),
    chunk=st.integers(1, 97),
)
def test_intact_messages_survive_any_garbage_between_them(
    items: list[tuple[bytes, str, int]], chunk: int
) -> None:
    data = b"".join(
        noise + b"\r\n" + frame({"id": n, "v": value}, header)
        for n, (noise, header, value) in enumerate(items)
    )
    framer = Framer(max_header=64)
    out = []
    for start in range(0, len(data), chunk):  # in pieces, as a pipe delivers them
        out += framer.feed(data[start : start + chunk])
        assert len(framer._buffer) <= 64 + 200 + 100  # bounded: never the whole stream
    ids = [f.message["id"] for f in out if isinstance(f, Body)]
    assert ids == list(range(len(items)))


@settings(max_examples=200, deadline=None)
@given(length_error=st.integers(-30, 30).filter(bool), after=st.booleans())
def test_a_wrong_length_loses_only_its_own_message(length_error: int, after: bool) -> None:
    body = json.dumps({"id": 1, "text": "x" * 40}).encode()
    wrong = f"Content-Length: {len(body) + length_error}\r\n\r\n".encode() + body
    good = frame({"id": 2})
    out = Framer().feed(wrong + good + (frame({"id": 3}) if after else b""))
    ids = [f.message["id"] for f in out if isinstance(f, Body)]
    assert ids == ([2, 3] if after else [2])
    assert any(isinstance(f, Unparsable) for f in out)


def test_limits_are_refusals_not_buffers() -> None:
    framer = Framer(max_header=100, max_message=1000)
    out = framer.feed(b"X-" + b"a" * 10_000)
    assert len(framer._buffer) < 100
    out += framer.feed(b"\r\n" + frame({"id": 1}))
    assert [f.message["id"] for f in out if isinstance(f, Body)] == [1]
    assert any(isinstance(f, Skipped) and "header line over 100" in f.reason for f in out)
    big = frame({"text": "y" * 5000}) + frame({"id": 2})
    out = framer.feed(big)
    assert [f.message["id"] for f in out if isinstance(f, Body)] == [2]
    assert any(isinstance(f, Skipped) and "over the limit of 1000" in f.reason for f in out)
