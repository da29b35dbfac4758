"""Files a user names that must not be read whole, or at all: a FIFO (reading it waits for a
writer forever), a character device (it never ends), a sparse 2 GB file (it claims what it does
not hold). `wave ask --file` drops each with the reason, unread, and still answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import WriteFile
from tests.providers.protocol_server import ProtocolServer


@pytest.fixture
def server() -> Iterator[ProtocolServer]:
    running = ProtocolServer().start()
    yield running
    running.stop()


def test_fifo_device_and_sparse_file_are_dropped_unread(
    write: WriteFile, workspace: Path, server: ProtocolServer
) -> None:
    write(".wave/config.yaml", json.dumps({"providers": {"defaultProvider": "llm", "providers": {
        "llm": {"type": "openai", "baseUrl": f"{server.url}/v1", "model": "gpt-test"}}}}))  # fmt: skip
    fifo = workspace / "pipe.txt"
    os.mkfifo(fifo)
    sparse = workspace / "huge.bin"
    with sparse.open("wb") as handle:
        handle.truncate(2 * 1024**3)
    files = [fifo, sparse]
    if os.geteuid() == 0:  # a device node inside the workspace needs root to make
        device = workspace / "zero.txt"
        os.mknod(device, 0o666 | 0o020000, os.makedev(1, 5))
        files.append(device)
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "wave_lsp", "ask", "--root", str(workspace),
         *(a for f in files for a in ("--file", str(f))), "hello"],
        capture_output=True, text=True, timeout=60, check=False, env={**os.environ},
    )  # fmt: skip
    assert time.monotonic() - began < 30  # a hang guard
    assert result.returncode == 0, result.stderr
    assert "pipe.txt dropped: refused: a FIFO" in result.stderr
    assert "huge.bin dropped: larger than" in result.stderr
    if len(files) == 3:
        assert "zero.txt dropped: refused: a character device" in result.stderr
    [request] = server.requests
    assert "pipe.txt" not in json.dumps(request.body)
