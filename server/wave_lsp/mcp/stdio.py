"""A stdio transport for MCP servers with a bound on each message.

The SDK's own stdio client joins a long line by re-concatenating it for every 64 KiB read
(quadratic: a 10 MB answer takes 2.3 s, a 50 MB one minutes). This one reads bytes into one
buffer (linear) and stops holding a message past ``max_bytes``: the rest of that line is
skipped and the request it answers fails at once with an error that says its size. The server
runs in its own process group (killed with its children when the session ends); its stderr goes
to ``errlog`` (a file: its last lines are told when it crashes)."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import anyio
import mcp_types as types
import regex
from anyio.abc import Process
from mcp.client._transport import TransportStreams
from mcp.shared.message import SessionMessage

_ID = regex.compile(rb'"id"\s*:\s*(\d+|"[^"]{0,200}")')
GRACE_SECONDS = 2.0


@contextlib.asynccontextmanager
async def bounded_stdio(
    argv: list[str],
    env: dict[str, str],
    cwd: Path,
    errlog: IO[Any],
    max_bytes: int,
) -> AsyncIterator[TransportStreams]:
    process = await anyio.open_process(
        argv, env=env, cwd=cwd, stderr=errlog, start_new_session=True
    )
    read_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, write_reader = anyio.create_memory_object_stream[SessionMessage](0)

    async def deliver(line: bytes) -> None:
        if not line.strip():
            return
        try:
            message = types.jsonrpc_message_adapter.validate_json(line, by_name=False)
        except ValueError as error:
            await read_writer.send(error)
            return
        await read_writer.send(SessionMessage(message))

    async def oversized(head: bytes, size: int) -> None:
        found = _ID.search(head[:4096])
        if found is None:
            return
        raw = found.group(1).decode()
        error = types.JSONRPCError(
            jsonrpc="2.0",
            id=int(raw) if raw.isdigit() else raw.strip('"'),
            error=types.ErrorData(
                code=types.INTERNAL_ERROR,
                message=f"the server's answer is over the {max_bytes >> 20} MiB limit "
                f"({size / 2**20:.1f} MiB read before it was dropped): ask for less",
            ),
        )
        await read_writer.send(SessionMessage(error))

    async def reader() -> None:
        assert process.stdout is not None
        lines = Lines(max_bytes)
        async with read_writer:
            with contextlib.suppress(anyio.EndOfStream, anyio.ClosedResourceError,
                                     anyio.BrokenResourceError):  # fmt: skip
                async for chunk in process.stdout:
                    for line in lines.feed(chunk):
                        if isinstance(line, Oversized):
                            await oversized(line.head, line.size)
                        else:
                            await deliver(line)

    async def writer() -> None:
        assert process.stdin is not None
        with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            async with write_reader:
                async for message in write_reader:
                    data = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                    await process.stdin.send(data.encode() + b"\n")

    async with anyio.create_task_group() as group:
        group.start_soon(reader)
        group.start_soon(writer)
        try:
            yield read_stream, write_stream
        finally:
            with anyio.CancelScope(shield=True):
                await stop(process)
            group.cancel_scope.cancel()


@dataclass(frozen=True, slots=True)
class Oversized:
    """A line longer than the bound: its first bytes (to find its id) and its size."""

    head: bytes
    size: int


class Lines:
    """Newline-delimited messages out of chunks, in linear time: a line over ``max_bytes`` is
    not kept (only its head and size)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.buffer = bytearray()
        self.skipped = 0  # > 0: the bytes of an oversized line dropped so far
        self.head = b""

    def feed(self, chunk: bytes) -> list[bytes | Oversized]:
        found: list[bytes | Oversized] = []
        start = 0
        while start <= len(chunk):
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if self.skipped:
                self.skipped += len(piece)
            else:
                self.buffer += piece
                if len(self.buffer) > self.max_bytes:
                    self.head, self.skipped = bytes(self.buffer[:4096]), len(self.buffer)
                    self.buffer.clear()
            if end < 0:
                break
            if self.skipped:
                found.append(Oversized(self.head, self.skipped))
                self.skipped = 0
            else:
                found.append(bytes(self.buffer))
                self.buffer.clear()
            start = end + 1
        return found


async def stop(process: Process) -> None:
    """Close its stdin, give it a moment, then end its process group."""
    if process.stdin is not None:
        with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            await process.stdin.aclose()
    with anyio.move_on_after(GRACE_SECONDS):
        await process.wait()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if _ended(process):
            break
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        with anyio.move_on_after(GRACE_SECONDS):
            await process.wait()
    if process.stdout is not None:
        with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            await process.stdout.aclose()


def _ended(process: Process) -> bool:
    return process.returncode is not None
