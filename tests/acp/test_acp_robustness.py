"""`wave acp` given bad input over raw stdio: a line that is not JSON, a request for a method
Wave does not have, a prompt for a session that does not exist, and a client that disappears
mid-turn. Each gets a JSON-RPC error (or a clean exit), stdout carries only protocol lines, and
nothing is half-written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.acp.conftest import APP
from tests.providers.protocol_server import ProtocolServer

WAVE = str(Path(sys.executable).with_name("wave"))


def start(project: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "XDG_STATE_HOME": str(project.parent / "state")}
    return subprocess.Popen([WAVE, "acp"], cwd=project, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def send(process: subprocess.Popen[bytes], message: dict[str, Any] | bytes) -> None:
    assert process.stdin is not None
    line = message if isinstance(message, bytes) else json.dumps(message).encode()
    process.stdin.write(line + b"\n")
    process.stdin.flush()


def answer(process: subprocess.Popen[bytes], request_id: int | None) -> dict[str, Any]:
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        assert line, "wave acp closed stdout"
        message: dict[str, Any] = json.loads(line)  # every line on stdout is JSON-RPC
        if "id" in message and message["id"] == request_id and "method" not in message:
            return message


def initialize(process: subprocess.Popen[bytes]) -> None:
    send(process, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                   "params": {"protocolVersion": 1, "clientCapabilities": {}}})  # fmt: skip
    assert answer(process, 1)["result"]["agentInfo"]["name"] == "wave"


def test_bad_messages_get_errors_and_the_agent_keeps_serving(project: Path) -> None:
    process = start(project)
    try:
        initialize(process)
        send(process, b"{this is not json")
        assert answer(process, None)["error"]["code"] == -32700  # answered, id null
        send(process, b"[1, 2")
        assert answer(process, None)["error"]["code"] == -32700
        send(process, {"jsonrpc": "2.0", "id": 2, "method": "session/teleport", "params": {}})
        assert answer(process, 2)["error"]["code"] == -32601
        send(process, {"jsonrpc": "2.0", "id": 3, "method": "session/prompt",
                       "params": {"sessionId": "nope", "prompt": []}})  # fmt: skip
        error = answer(process, 3)["error"]
        assert error["code"] == -32602 and "nope" in json.dumps(error)
        send(process, {"jsonrpc": "2.0", "id": 4, "method": "session/new",
                       "params": {"cwd": str(project / "missing"), "mcpServers": []}})  # fmt: skip
        assert "not a directory" in json.dumps(answer(process, 4)["error"])
        send(process, {"jsonrpc": "2.0", "id": 5, "method": "session/new",
                       "params": {"cwd": str(project), "mcpServers": []}})  # fmt: skip
        assert answer(process, 5)["result"]["sessionId"]
    finally:
        assert process.stdin is not None
        process.stdin.close()
        assert process.wait(20) == 0
    assert process.stderr is not None
    assert b"Traceback" not in process.stderr.read()


def test_a_client_that_disappears_mid_turn_leaves_nothing_half_written(
    project: Path, llm: ProtocolServer
) -> None:
    llm.state.answers = ["slow " * 400]
    llm.state.piece_delay = 0.05
    process = start(project)
    initialize(process)
    send(process, {"jsonrpc": "2.0", "id": 2, "method": "session/new",
                   "params": {"cwd": str(project), "mcpServers": []}})  # fmt: skip
    session = answer(process, 2)["result"]["sessionId"]
    send(process, {"jsonrpc": "2.0", "id": 3, "method": "session/prompt",
                   "params": {"sessionId": session, "prompt": [{"type": "text", "text": "go"}]}})  # fmt: skip
    assert process.stdout is not None
    while b"agent_message_chunk" not in process.stdout.readline():
        pass
    began = time.monotonic()
    assert process.stdin is not None
    process.stdin.close()  # the editor is gone
    code = process.wait(20)
    assert time.monotonic() - began < 10 and code == 0
    assert (project / "src" / "app.py").read_text() == APP
    assert not list(project.rglob("*.tmp*"))
