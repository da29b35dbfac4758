"""``wave serve``: the daemon. It listens on TCP (localhost by default), and every connection
must first say who it is — one line, ``WAVE-AUTH 1 <protocol> <user> <token> [<persona>]`` —
before any other byte is read (the persona, one of the user's, is what ``wave mcp serve`` and
``wave chat`` act as; else the user's first). A good token gets ``WAVE-OK <user> <personas>``
and its own Wave server (``wave lsp``, ``wave acp``, ``wave mcp serve`` or ``wave chat`` over
stdio, limited to the user's personas), with the bytes carried both ways until either side
ends; anything else gets ``WAVE-DENIED <reason>`` and the connection is closed. Failed attempts
are audited (``.wave/audit.log``) and rate-limited per client address. The daemon knows no
protocol beyond that line."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from wave_lsp.daemon.pipes import carried, pump
from wave_lsp.daemon.users import UsersFile, verify
from wave_lsp.personas.guard import AuditLog

logger = logging.getLogger(__name__)

PREAMBLE_BYTES = 1024
PREAMBLE_SECONDS = 10.0
FAILURES_ALLOWED = 5
FAILURE_WINDOW = 60.0
PROTOCOLS = ("lsp", "acp", "mcp", "chat")
"""What a connection may speak: the language server, the ACP agent, Wave's MCP server, the
terminal chat (``wave chat --connect``: lines in, its output and messages out)."""
PREAMBLE_FORM = f"`WAVE-AUTH 1 <{'|'.join(PROTOCOLS)}> <user> <token> [<persona>]`"

Spawn = Callable[[list[str]], Awaitable[asyncio.subprocess.Process]]


@dataclass
class Limiter:
    """Failed attempts per client address within a sliding window."""

    allowed: int = FAILURES_ALLOWED
    window: float = FAILURE_WINDOW
    failures: dict[str, deque[float]] = field(default_factory=dict)

    def blocked_for(self, address: str, now: float) -> float:
        """Seconds the address must still wait (0: it may try)."""
        seen = self.failures.get(address)
        while seen and now - seen[0] > self.window:
            seen.popleft()
        if seen is None or len(seen) < self.allowed:
            return 0.0
        return self.window - (now - seen[0])

    def failed(self, address: str, now: float) -> None:
        self.failures.setdefault(address, deque()).append(now)


class Gateway:
    def __init__(self, root: Path, users: UsersFile, *, wave: list[str] | None = None) -> None:
        self.root = root
        self.users = users
        self.wave = wave or [sys.executable, "-m", "wave_lsp"]
        self.audit = AuditLog(root / ".wave" / "audit.log")
        self.limiter = Limiter()
        self.sessions: set[asyncio.Task[None]] = set()

    async def serve(self, host: str, port: int, ready: Callable[[int], None]) -> None:
        server = await asyncio.start_server(self._connection, host, port, limit=PREAMBLE_BYTES)
        sockets = server.sockets or ()
        ready(sockets[0].getsockname()[1] if sockets else port)
        async with server:
            await server.serve_forever()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) else str(peer)
        try:
            granted = await self._authenticate(reader, writer, address)
            if granted is not None:
                await self._carry(reader, writer, *granted)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _authenticate(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: str
    ) -> tuple[str, str, list[str]] | None:
        """(user, protocol, personas) of a good preamble — the persona it names first — else
        the refusal is sent."""
        wait = self.limiter.blocked_for(address, time.monotonic())
        if wait:
            reason = f"too many failed attempts from {address}: try again in {wait:.0f} s"
            return await self._deny(writer, address, "", reason, failed=False)
        try:
            line = await asyncio.wait_for(reader.readline(), PREAMBLE_SECONDS)
        except (TimeoutError, ValueError):  # silent, or a line past the limit
            return await self._deny(writer, address, "", "no WAVE-AUTH line: the daemon needs "
                                    f"{PREAMBLE_FORM} first")  # fmt: skip
        parts = line.decode("utf-8", "replace").split()
        if len(parts) not in (5, 6) or parts[:2] != ["WAVE-AUTH", "1"]:
            return await self._deny(writer, address, "", f"the first line must be {PREAMBLE_FORM} "
                                    "(connect with `wave lsp --connect HOST:PORT`)")  # fmt: skip
        _, _, protocol, name, token, *chosen = parts
        user = self.users.users.get(name)
        good = user is not None and await asyncio.to_thread(verify, token, user.token_hash)
        if user is None or not good:
            return await self._deny(writer, address, name, "unknown user or wrong token")
        if protocol not in PROTOCOLS:
            return await self._deny(writer, address, name, f"unknown protocol {protocol!r}: "
                                    f"one of {', '.join(PROTOCOLS)}", failed=False)  # fmt: skip
        personas = list(user.personas)
        if chosen and chosen[0] not in personas:
            return await self._deny(writer, address, name, f"persona {chosen[0]!r} is not yours "
                                    f"here: you may use {', '.join(personas)} (the daemon's "
                                    "users file)", failed=False)  # fmt: skip
        if chosen:
            personas.remove(chosen[0])
            personas.insert(0, chosen[0])
        self.audit.record({"action": "daemon connect", "user": name, "address": address,
                           "protocol": protocol, "persona": personas[0],
                           "decision": "allowed"})  # fmt: skip
        writer.write(f"WAVE-OK {name} {','.join(personas)}\n".encode())
        await writer.drain()
        return name, protocol, personas

    async def _deny(
        self, writer: asyncio.StreamWriter, address: str, user: str, reason: str,
        *, failed: bool = True,
    ) -> tuple[str, str, list[str]] | None:  # fmt: skip
        """The refusal, sent and audited (``None``: what :meth:`_authenticate` gives then)."""
        if failed:
            self.limiter.failed(address, time.monotonic())
        self.audit.record({"action": "daemon connect", "user": user, "address": address,
                           "code": "security.auth_failed", "message": reason,
                           "decision": "refused"})  # fmt: skip
        logger.warning("refused a connection from %s: %s", address, reason)
        writer.write(f"WAVE-DENIED {reason}\n".encode())
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        return None

    async def _carry(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
        user: str, protocol: str, personas: list[str],
    ) -> None:  # fmt: skip
        """The user's own Wave server, its stdio joined to the connection."""
        if protocol in ("lsp", "acp"):
            transport = ["--stdio"] if protocol == "lsp" else []
            argv = [*self.wave, protocol, *transport, "--personas", ",".join(personas)]
        elif protocol == "chat":
            argv = [*self.wave, "chat", "--root", str(self.root), "--persona", personas[0],
                    "--personas", ",".join(personas)]  # fmt: skip
        else:  # Wave's MCP server acts as one persona: the one asked for, else the user's first
            argv = [*self.wave, "mcp", "serve", "--root", str(self.root), "--persona", personas[0]]
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=self.root, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, limit=2**20,
            stderr=asyncio.subprocess.STDOUT if protocol == "chat" else None,  # the user's to see
        )  # fmt: skip
        assert process.stdin is not None and process.stdout is not None
        stdin, stdout = process.stdin, process.stdout

        inbound = asyncio.create_task(pump(reader, stdin, end=True))
        outbound = asyncio.create_task(pump(stdout, writer, end=False))
        tasks = [inbound, outbound]
        try:
            await carried(inbound, outbound)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 5)  # after `exit`, or the client gone
        finally:
            for task in tasks:
                task.cancel()
            if process.returncode is None:
                process.kill()
                await process.wait()
            logger.info("%s's %s session ended", user, protocol)
