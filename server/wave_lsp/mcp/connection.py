"""One configured MCP server, as a session uses it: started on first use (stdio or Streamable
HTTP), its tools listed once, calls with a time limit, a crash reported and the server started
again once, stopped with the session.

The SDK's client is an async context manager that must be left in the task that entered it:
each connection has an owner task that holds it open until stopped, and calls are made on it
from the callers' tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import mcp_types as types
from mcp.shared.exceptions import MCPError

from mcp import Client
from wave_lsp.providers.models import MCPServerConfiguration

log = logging.getLogger(__name__)

START_SECONDS = 30.0
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
"""The largest answer read from a server; a longer one fails its call, saying so."""


class State(StrEnum):
    STOPPED = "stopped"
    RUNNING = "running"
    FAILED = "failed"
    """Crashed twice (or could not start): its calls fail at once, saying why."""


class ServerUnavailable(Exception):
    """The server cannot be used: the message says why (and what it printed)."""


def resolved_env(config: MCPServerConfiguration, values: dict[str, str]) -> dict[str, str]:
    try:
        return config.resolved(values)
    except ValueError as error:
        raise ServerUnavailable(f"the MCP server '{config.name}': {error}") from None


@dataclass(slots=True)
class Connection:
    config: MCPServerConfiguration
    root: Path
    state: State = State.STOPPED
    error: str = ""
    starts: int = 0
    tools: list[types.Tool] = field(default_factory=list)
    client: Client | None = None
    _owner: asyncio.Task[None] | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _errlog: IO[Any] | None = None
    _ready: asyncio.Future[Client] | None = None

    @property
    def name(self) -> str:
        return self.config.name

    async def ensure(self) -> Client:
        """The running client, starting the server if it is not running (once more after a
        crash)."""
        async with self._lock:
            if self.client is not None and self.state is State.RUNNING:
                return self.client
            if self.state is State.FAILED:
                raise ServerUnavailable(self.error)
            try:
                return await self._start()
            except ServerUnavailable as error:
                self.state, self.error = State.FAILED, str(error)
                log.warning("MCP server '%s': %s", self.name, error)
                raise

    def _server(self) -> Any:
        config = self.config
        if config.url is not None:
            return config.url, None
        from mcp.client.stdio import get_default_environment

        from wave_lsp.mcp.stdio import bounded_stdio

        assert config.command is not None
        errlog = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        env = get_default_environment() | resolved_env(config, config.env)
        argv = [config.command, *config.args]
        return bounded_stdio(argv, env, self.root, errlog, MAX_MESSAGE_BYTES), errlog

    async def _start(self) -> Client:
        self.starts += 1
        transport, self._errlog = self._server()
        if self.config.url is not None and self.config.headers:
            headers = resolved_env(self.config, self.config.headers)
            transport = _http_with_headers(self.config.url, headers)
        ready: asyncio.Future[Client] = asyncio.get_running_loop().create_future()
        ready.add_done_callback(lambda f: f.cancelled() or f.exception())  # always retrieved
        self._ready = ready
        self._stop = asyncio.Event()
        self._owner = asyncio.create_task(self._own(transport, ready), name=f"mcp:{self.name}")
        try:
            async with asyncio.timeout(START_SECONDS):
                client = await asyncio.shield(ready)
                listing = await _all_tools(client)
        except TimeoutError:
            printed = self.printed()
            await self.stop()
            raise ServerUnavailable(
                f"the MCP server '{self.name}' did not answer within {START_SECONDS:g} s{printed}"
            ) from None
        except FileNotFoundError as error:
            await self.stop()
            raise ServerUnavailable(
                f"the MCP server '{self.name}' could not start: the command "
                f"'{self.config.command}' is not found (install it, or correct the command)"
            ) from error
        except Exception as error:
            printed = self.printed()
            await self.stop()
            raise ServerUnavailable(
                f"the MCP server '{self.name}' could not start: {describe(error)}{printed}"
            ) from error
        self.client, self.tools, self.state = client, listing, State.RUNNING
        return client

    async def _own(self, transport: Any, ready: asyncio.Future[Client]) -> None:
        try:
            async with Client(transport, read_timeout_seconds=float(self.config.timeout)) as c:
                ready.set_result(c)
                await self._stop.wait()
        except BaseException as error:
            if not ready.done():
                ready.set_exception(
                    error if isinstance(error, Exception) else RuntimeError(repr(error))
                )
            elif not isinstance(error, asyncio.CancelledError):
                log.info("MCP server '%s' ended: %s", self.name, describe(error))
        finally:
            self.client = None

    async def crashed(self, error: BaseException) -> str:
        """After a call found the connection gone: the report, and the server started again
        if it has not been yet."""
        printed = self.printed()
        await self.stop()
        if self.starts >= 2:
            self.state = State.FAILED
            self.error = (
                f"the MCP server '{self.name}' stopped again ({describe(error)}) and is not "
                f"started a third time{printed}"
            )
            log.warning("%s", self.error)
            return self.error
        log.warning("MCP server '%s' stopped (%s): starting it again", self.name, describe(error))
        try:
            await self.ensure()
        except ServerUnavailable as again:
            return (
                f"the MCP server '{self.name}' stopped{printed}; starting it again failed: {again}"
            )
        return (
            f"the MCP server '{self.name}' stopped during the call ({describe(error)}){printed}; "
            "it was started again: call the tool again if it is still needed"
        )

    def printed(self) -> str:
        """The last lines the server wrote on stderr, for a report."""
        if self._errlog is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self._errlog.flush()
            self._errlog.seek(0)
            tail = self._errlog.read()[-600:].strip()
            if tail:
                return f"; it printed: {tail}"
        return ""

    async def stop(self) -> None:
        owner, self._owner = self._owner, None
        starting = self._ready is not None and not self._ready.done()
        if owner is not None and starting:
            owner.cancel()  # still in its handshake: nothing to close politely
            with contextlib.suppress(BaseException):
                await owner
        elif owner is not None and not owner.done():
            self._stop.set()
            try:
                await asyncio.wait_for(asyncio.shield(owner), 10)
            except (TimeoutError, Exception):
                owner.cancel()
                with contextlib.suppress(BaseException):
                    await owner
        self.client = None
        if self.state is State.RUNNING:
            self.state = State.STOPPED
        if self._errlog is not None:
            with contextlib.suppress(OSError):
                self._errlog.close()
            self._errlog = None


async def _all_tools(client: Client) -> list[types.Tool]:
    tools: list[types.Tool] = []
    cursor: str | None = None
    for _ in range(100):  # a server whose pages never end cannot hang the start
        page = await client.list_tools(cursor=cursor)
        tools += page.tools
        cursor = page.next_cursor
        if cursor is None:
            break
    return tools


def _http_with_headers(url: str, headers: dict[str, str]) -> Any:
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    return streamable_http_client(url, http_client=create_mcp_http_client(headers=headers))


def describe(error: BaseException) -> str:
    if isinstance(error, MCPError):
        return error.message
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(describe(e) for e in error.exceptions)
    return str(error) or type(error).__name__


def connection_lost(error: BaseException) -> bool:
    if isinstance(error, MCPError):
        return error.code == types.CONNECTION_CLOSED
    import anyio

    return isinstance(error, anyio.ClosedResourceError | anyio.BrokenResourceError | EOFError)
