"""The real `wave lsp` over stdio, fed raw bytes as a careless or hostile client would: header
names in any case, lengths too long or too short, huge header lines, random bytes, requests
with wrong params. Every request id gets exactly one response, and the server still answers a
well-formed request afterwards. Hypothesis fuzzes the framing and the params."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wave_lsp.lsp.framing import Body, Framer

WAIT = 20.0  # a hang guard, not a measure


def frame(message: dict[str, Any] | bytes, header: str = "Content-Length") -> bytes:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return f"{header}: {len(body)}\r\n\r\n".encode() + body


class RawServer:
    """`wave lsp` as a subprocess; responses collected by id from its framed stdout."""

    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wave_lsp", "lsp"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={**os.environ, "HOME": str(root), "XDG_STATE_HOME": str(root / ".state")},
        )  # fmt: skip
        self.messages: queue.Queue[Any] = queue.Queue()
        self.responses: Counter[Any] = Counter()
        self.bodies: dict[Any, dict[str, Any]] = {}
        threading.Thread(target=self._read, daemon=True).start()
        self.next_id = 1000

    def _read(self) -> None:
        framer = Framer(max_message=1 << 30)
        assert self.process.stdout is not None
        while data := self.process.stdout.read1(1 << 16):  # type: ignore[attr-defined]
            for item in framer.feed(data):
                if isinstance(item, Body):
                    self.messages.put(item.message)

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def request(
        self, method: str, params: Any = None, *, omit_params: bool = False
    ) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if not omit_params:
            message["params"] = params
        return message

    def drain(self, until_id: Any, timeout: float = WAIT) -> None:
        """Collect messages until the response to ``until_id`` arrived."""
        deadline = time.monotonic() + timeout
        while until_id not in self.responses:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no response to {until_id} within {timeout} s")
            message = self.messages.get(timeout=left)
            if isinstance(message, dict) and "method" not in message and "id" in message:
                self.responses[message["id"]] += 1
                self.bodies[message["id"]] = message
            elif isinstance(message, dict) and "method" in message and "id" in message:
                # a request from the server (a registration, a configuration): answer it
                reply = {"jsonrpc": "2.0", "id": message["id"], "result": None}
                if message["method"] == "workspace/configuration":
                    reply["result"] = [None] * len(message["params"]["items"])
                self.send(frame(reply))

    def ping(self) -> None:
        """A well-formed request that must be answered (the server still serves)."""
        message = self.request("textDocument/hover", {
            "textDocument": {"uri": "file:///nowhere.py"}, "position": {"line": 0, "character": 0}
        })  # fmt: skip
        self.send(frame(message))
        self.drain(message["id"])

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RawServer]:
    root = tmp_path_factory.mktemp("raw")
    (root / "a.py").write_text("x = 1\n")
    raw = RawServer(root)
    init = raw.request(
        "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}
    )
    raw.send(frame(init, header="content-length"))  # header names are case-insensitive
    raw.drain(init["id"])
    raw.send(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    raw.send(frame({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": (root / "a.py").as_uri(), "languageId": "python",
                         "version": 1, "text": "x = 1\n"}}}))  # fmt: skip
    raw.uri = (root / "a.py").as_uri()  # type: ignore[attr-defined]
    yield raw
    raw.close()


def error_of(server: RawServer, message_id: Any) -> dict[str, Any] | None:
    body = server.bodies[message_id]
    return body.get("error")


def test_unparsable_json_is_a_parse_error_with_a_null_id(server: RawServer) -> None:
    before = server.responses[None]
    server.send(frame(b'{"jsonrpc": "2.0", "id": 5, "method": '))
    server.ping()
    assert server.responses[None] == before + 1
    assert server.bodies[None]["error"]["code"] == -32700


def test_invalid_requests_are_answered(server: RawServer) -> None:
    cases = [
        {"jsonrpc": "1.0", "id": "old", "method": "textDocument/hover", "params": {}},
        {"jsonrpc": "2.0", "id": "m", "method": 42},
        {"jsonrpc": "2.0", "id": "s", "method": "textDocument/hover", "params": "a string"},
    ]
    for case in cases:
        server.send(frame(case))
        server.drain(case["id"])
        assert error_of(server, case["id"])["code"] == -32600  # type: ignore[index]
    server.send(frame(b"[1, 2, 3]"))
    server.ping()


WRONG_PARAMS = [
    ("textDocument/hover", []),
    ("textDocument/hover", None),
    ("textDocument/hover", {"textDocument": {"uri": "file:///a.py"}}),
    ("textDocument/hover", {"textDocument": {"uri": "file:///a.py"},
                            "position": {"line": -1, "character": -5}}),
    ("textDocument/codeAction", {"textDocument": {"uri": "URI"},
                                 "range": {"start": {"line": 0, "character": 0},
                                           "end": {"line": 0, "character": 1}},
                                 "context": {"diagnostics": [{"bogus": True}]}}),
    ("textDocument/completion", "just a string"),
    ("workspace/executeCommand", {"command": 7}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "params"), WRONG_PARAMS)
def test_wrong_params_get_an_error_naming_the_field(
    server: RawServer, method: str, params: Any
) -> None:
    message = server.request(method, params, omit_params=params is None)
    server.send(frame(message))
    server.drain(message["id"])
    error = error_of(server, message["id"])
    assert error is not None and error["code"] in (-32602, -32600), server.bodies[message["id"]]
    if error["code"] == -32602:
        assert "@" in error["message"] or "Command name" in error["message"]  # names the field
    server.ping()


def test_huge_positions_are_answered(server: RawServer) -> None:
    uri = server.uri  # type: ignore[attr-defined]
    for method in ("textDocument/hover", "textDocument/completion", "textDocument/codeAction"):
        position = {"line": 2**31 - 1, "character": 2**31 - 1}
        params: dict[str, Any] = {"textDocument": {"uri": uri}, "position": position}
        if method == "textDocument/codeAction":
            params = {"textDocument": {"uri": uri}, "range": {"start": position, "end": position},
                      "context": {"diagnostics": []}}  # fmt: skip
        message = server.request(method, params)
        server.send(frame(message))
        server.drain(message["id"])
        assert server.responses[message["id"]] == 1


def test_lengths_too_long_or_too_short_resynchronise(server: RawServer) -> None:
    first = server.request("wave/unknown")
    body = json.dumps(first).encode()
    second = server.request("wave/unknown")
    server.send(f"Content-Length: {len(body) + 40}\r\n\r\n".encode() + body + frame(second))
    server.drain(second["id"])
    third, fourth = server.request("wave/unknown"), server.request("wave/unknown")
    body = json.dumps(third).encode()
    server.send(f"Content-Length: {len(body) - 9}\r\n\r\n".encode() + body + frame(fourth))
    server.drain(fourth["id"])
    assert server.responses[second["id"]] == server.responses[fourth["id"]] == 1


def test_a_huge_header_line_and_random_bytes_are_skipped(server: RawServer) -> None:
    server.send(b"X-Junk: " + b"a" * 2_000_000 + b"\r\n")
    server.ping()
    server.send(os.urandom(3_000_000))
    server.ping()
    server.send(b"Content-Length: 999999999999\r\n\r\n{}")
    server.ping()


def test_a_message_over_the_configured_limit_is_refused(tmp_path: Path) -> None:
    raw = RawServer(tmp_path)
    raw.process.kill()
    raw.process.wait()
    raw.process = subprocess.Popen(
        [sys.executable, "-m", "wave_lsp", "lsp", "--max-message-bytes", "1000"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    threading.Thread(target=raw._read, daemon=True).start()
    try:
        big = raw.request("wave/unknown", {"text": "x" * 5000})
        raw.send(frame(big))
        raw.ping()
        assert big["id"] not in raw.responses
    finally:
        raw.process.kill()
        raw.process.wait()
        assert raw.process.stderr is not None
        assert b"over the limit of 1000" in raw.process.stderr.read()


# -- fuzzing -----------------------------------------------------------------------------------

METHODS = [
    "textDocument/hover", "textDocument/completion", "textDocument/codeAction",
    "textDocument/diagnostic", "textDocument/inlineCompletion", "workspace/executeCommand",
    "codeAction/resolve", "wave/unknown", "textDocument/formatting",
]  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["textDocument", "uri", "position", "line", "character",
                                       "range", "context", "diagnostics", "command",
                                       "arguments", "start", "end"]), children, max_size=4),
    max_leaves=12,
)  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(calls=st.lists(st.tuples(st.sampled_from(METHODS), json_values), min_size=1, max_size=6))
def test_fuzzed_params_every_request_answered_once(server: RawServer, calls: list[Any]) -> None:
    ids = []
    for method, params in calls:
        message = server.request(method, params)
        ids.append(message["id"])
        server.send(frame(message))
    server.ping()
    for message_id in ids:
        server.drain(message_id)
        assert server.responses[message_id] == 1


mangle = st.sampled_from(["intact", "lower", "long", "short", "garbage", "huge-header", "noise"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=st.lists(st.tuples(mangle, st.binary(max_size=64)), min_size=1, max_size=8))
def test_fuzzed_framing_intact_requests_answered_once(
    server: RawServer, plan: list[tuple[str, bytes]]
) -> None:
    intact, sent = [], []
    data = b""
    for kind, noise in plan:
        message = server.request("wave/unknown", {"n": len(sent)})
        sent.append(message["id"])
        body = json.dumps(message).encode()
        if kind == "intact":
            intact.append(message["id"])
            data += frame(message)
        elif kind == "lower":
            intact.append(message["id"])
            data += frame(message, header="CONTENT-length")
        elif kind == "long":
            data += f"Content-Length: {len(body) + 1 + len(noise)}\r\n\r\n".encode() + body
        elif kind == "short":
            data += f"Content-Length: {max(1, len(body) - 1 - len(noise) % 10)}\r\n\r\n".encode()
            data += body
        elif kind == "garbage":
            data += noise.replace(b"\n", b"") + b"\r\n"
        elif kind == "huge-header":
            data += b"X: " + b"z" * 20_000 + b"\r\n"
        else:
            data += noise + b"\r\n"  # (bytes run into a following header line otherwise)
    server.send(data)
    server.ping()  # the server still answers; each intact request exactly once
    for message_id in intact:
        server.drain(message_id)
    for message_id in sent:
        assert server.responses[message_id] <= 1
    for message_id in intact:
        assert server.responses[message_id] == 1
