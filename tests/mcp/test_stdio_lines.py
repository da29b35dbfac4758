"""The MCP stdio transport's line reader, fuzzed: whatever the messages and however the pipe cuts
them into chunks, each line comes out once and whole, a line over the bound comes out as its
size only (never held), and reading stays linear (a bounded time for megabytes of input)."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from wave_lsp.mcp.stdio import Lines, Oversized

LIMIT = 64


def cut(data: bytes, sizes: list[int]) -> list[bytes]:
    chunks, start = [], 0
    for size in sizes:
        chunks.append(data[start : start + size])
        start += size
    chunks.append(data[start:])
    return chunks


@settings(max_examples=400, deadline=2000)
@given(
    lines=st.lists(
        st.binary(max_size=4 * LIMIT).map(lambda b: b.replace(b"\n", b"x")), max_size=12
    ),
    sizes=st.lists(st.integers(0, 50), max_size=30),
    trailing=st.binary(max_size=10).map(lambda b: b.replace(b"\n", b"")),
)
def test_every_line_once_and_whole(lines: list[bytes], sizes: list[int], trailing: bytes) -> None:
    reader = Lines(LIMIT)
    out: list[bytes | Oversized] = []
    for chunk in cut(b"".join(line + b"\n" for line in lines) + trailing, sizes):
        out.extend(reader.feed(chunk))
    assert len(out) == len(lines)
    for line, got in zip(lines, out, strict=True):
        if len(line) <= LIMIT:
            assert got == line
        else:  # its size, and the head read before it crossed the bound (where its id is)
            assert isinstance(got, Oversized) and got.size == len(line)
            assert len(got.head) > LIMIT and line.startswith(got.head)
    assert len(reader.buffer) <= LIMIT  # an unfinished line is held only while it is small


def test_reading_is_linear() -> None:
    reader = Lines(16 << 20)
    line = b"x" * (8 << 20) + b"\n"
    chunks = [line[i : i + 65536] for i in range(0, len(line), 65536)]
    started = time.perf_counter()
    [whole] = [piece for chunk in chunks for piece in reader.feed(chunk)]
    # 128 chunks of one 8 MiB line; the quadratic joining this replaces took seconds for it
    assert whole == line[:-1] and time.perf_counter() - started < 2.0
