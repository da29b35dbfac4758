"""The ACP line checker, fuzzed: every line is either passed to the SDK as it came (JSON) or
answered with one parse error; nothing is lost, nothing raises, and the input ends the output."""

from __future__ import annotations

import asyncio
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from wave_lsp.acp.framing import pump

LINES = st.lists(
    st.one_of(
        st.binary(max_size=200).map(lambda b: b.replace(b"\n", b" ")),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=3).map(
            lambda d: json.dumps({"jsonrpc": "2.0", **d}).encode()
        ),
    ),
    max_size=20,
)


class Sink:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)


async def run(lines: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    source = asyncio.StreamReader(limit=1000)
    source.feed_data(b"".join(line + b"\n" for line in lines))
    source.feed_eof()
    checked = asyncio.StreamReader()
    sink = Sink()
    await asyncio.wait_for(pump(source, checked, sink), 5)  # type: ignore[arg-type]
    passed = (await checked.read()).splitlines()
    return passed, sink.written


@settings(max_examples=200, deadline=1000)
@given(LINES)
def test_every_line_is_passed_or_answered(lines: list[bytes]) -> None:
    passed, answered = asyncio.run(run(lines))
    meaningful = [line for line in lines if line.strip()]
    assert len(passed) + len(answered) == len(meaningful)
    for line in passed:
        json.loads(line)
    for reply in answered:
        assert json.loads(reply)["error"]["code"] == -32700


def test_an_overlong_line_is_refused_and_reading_goes_on() -> None:
    passed, answered = asyncio.run(run([b'{"a": "' + b"x" * 5000 + b'"}', b'{"ok": 1}']))
    assert passed == [b'{"ok": 1}'] and len(answered) == 1
