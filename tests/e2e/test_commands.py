"""The console scripts: help texts, and `wave lsp` over TCP."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def script(name: str) -> str:
    found = shutil.which(name, path=str(BIN))
    if found is None:
        pytest.fail(f"console script {name} is not installed next to {sys.executable}")
    return found


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["wave", "--help"], "lsp"),
        (["wave", "lsp", "--help"], "--tcp HOST:PORT"),
        (["wave", "config", "check", "--help"], "path:line:col"),
        (["wave", "schema", "--help"], "--check"),
        (["wave", "ask", "--help"], "provider:model"),
        (["wave", "apply", "--help"], "--dry-run"),
        (["wave-lsp", "--help"], "--stdio"),
    ],
)
def test_help(command: list[str], expected: str) -> None:
    result = subprocess.run(
        [script(command[0]), *command[1:]], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


async def _read_message(reader: asyncio.StreamReader) -> dict[str, object]:
    headers = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in headers.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    return json.loads(await reader.readexactly(length))  # type: ignore[no-any-return]


async def test_wave_lsp_serves_over_tcp() -> None:
    port = _free_port()
    server = await asyncio.create_subprocess_exec(
        script("wave-lsp"),
        "--tcp",
        f"127.0.0.1:{port}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            pytest.fail("wave-lsp --tcp never listened")
        writer.write(
            _frame(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {"processId": None, "capabilities": {}},
                }
            )
        )
        await writer.drain()
        while True:
            message = await asyncio.wait_for(_read_message(reader), 20)
            if message.get("id") == 1:
                break
        result = message["result"]
        assert isinstance(result, dict)
        assert result["serverInfo"]["name"] == "wave-lsp"
        writer.close()
    finally:
        server.kill()
        await server.wait()
