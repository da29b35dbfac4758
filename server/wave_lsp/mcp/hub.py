"""A session's MCP servers as the agents' external tools (:class:`ExternalTools`): each
server started on first use, its tools after ``includeTools`` / ``excludeTools`` named
``server__tool``, calls bounded in time and size, crashes reported and restarted once, every
server stopped by :meth:`McpHub.aclose`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from wave_lsp.agents.external import SEPARATOR, ExternalResult, ExternalTool
from wave_lsp.providers.models import MCPServerConfiguration

log = logging.getLogger(__name__)

MAX_CHARS = 200_000
"""A result longer than this is cut here (the agent cuts further to its own limit)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def safe(name: str) -> str:
    return _UNSAFE.sub("_", name)


def visible(config: MCPServerConfiguration, tool: str) -> bool:
    """Whether ``includeTools`` / ``excludeTools`` (names or globs) let a tool through."""
    if config.include_tools is not None:
        return any(fnmatchcase(tool, pattern) for pattern in config.include_tools)
    if config.exclude_tools is not None:
        return not any(fnmatchcase(tool, pattern) for pattern in config.exclude_tools)
    return True


@dataclass(slots=True)
class ToolStatus:
    name: str
    description: str
    read_only: bool
    visible: bool


@dataclass(slots=True)
class ServerStatus:
    name: str
    transport: str
    state: str
    error: str = ""
    tools: list[ToolStatus] = field(default_factory=list)


class McpHub:
    def __init__(
        self,
        servers: Mapping[str, MCPServerConfiguration],
        root: Path,
        *,
        max_chars: int = MAX_CHARS,
    ) -> None:
        from wave_lsp.mcp.connection import Connection

        self.root = root
        self.max_chars = max_chars
        self.configs = {name: server for name, server in servers.items() if server.enabled}
        self.connections = {name: Connection(cfg, root) for name, cfg in self.configs.items()}
        self._by_name: dict[str, tuple[str, str]] = {}

    async def _started(self) -> None:
        from wave_lsp.mcp.connection import ServerUnavailable

        waiting = [c for c in self.connections.values() if c.client is None]

        async def start(connection: Any) -> None:
            with contextlib.suppress(ServerUnavailable):  # its state says why (FAILED)
                await connection.ensure()

        await asyncio.gather(*(start(c) for c in waiting))

    async def tools(self) -> list[ExternalTool]:
        await self._started()
        found: list[ExternalTool] = []
        for server, connection in self.connections.items():
            for tool in connection.tools:
                if not visible(connection.config, tool.name):
                    continue
                name = f"{safe(server)}{SEPARATOR}{safe(tool.name)}"[:64]
                self._by_name[name] = (server, tool.name)
                annotations = tool.annotations
                found.append(
                    ExternalTool(
                        name, server, tool.name, tool.description or "",
                        dict(tool.input_schema) or {"type": "object"},
                        read_only=bool(annotations and annotations.read_only_hint),
                    )
                )  # fmt: skip
        return found

    async def call(self, name: str, arguments: dict[str, Any]) -> ExternalResult:
        from mcp.shared.exceptions import MCPError

        from wave_lsp.mcp.connection import ServerUnavailable, connection_lost, describe

        if name not in self._by_name:
            return ExternalResult(f"there is no MCP tool '{name}'", error=True)
        server, tool = self._by_name[name]
        connection = self.connections[server]
        if not visible(connection.config, tool):
            return ExternalResult(f"the MCP tool '{name}' is excluded", error=True)
        limit = float(connection.config.timeout)
        try:
            client = await connection.ensure()
            async with asyncio.timeout(limit + 5):
                result = await client.call_tool(tool, arguments, read_timeout_seconds=limit)
        except ServerUnavailable as error:
            return ExternalResult(str(error), error=True)
        except TimeoutError:
            return ExternalResult(f"{name} did not answer within {limit:g} s", error=True)
        except Exception as error:
            if connection_lost(error):
                return ExternalResult(await connection.crashed(error), error=True)
            if isinstance(error, MCPError) and error.code == -32001:  # REQUEST_TIMEOUT
                return ExternalResult(
                    f"{name} did not answer within {limit:g} s (the server's timeout)", error=True
                )
            return ExternalResult(
                f"the MCP server '{server}' could not run {tool}: {describe(error)}", error=True
            )
        return ExternalResult(self._cut(rendered(result)), error=bool(result.is_error))

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        return f"{text[: self.max_chars]}\n[cut: {len(text) - self.max_chars} more characters]"

    async def status(self) -> list[ServerStatus]:
        """Every configured server started (if it can be) with its tools, for ``wave mcp
        list``."""
        await self._started()
        statuses = []
        for name, connection in self.connections.items():
            config = connection.config
            transport = f"http {config.url}" if config.url else f"stdio {config.command}"
            tools = [
                ToolStatus(
                    tool.name, tool.description or "",
                    bool(tool.annotations and tool.annotations.read_only_hint),
                    visible(config, tool.name),
                )
                for tool in connection.tools
            ]  # fmt: skip
            statuses.append(
                ServerStatus(name, transport, connection.state.value, connection.error, tools)
            )
        return statuses

    async def aclose(self) -> None:
        await asyncio.gather(*(c.stop() for c in self.connections.values()))


def rendered(result: Any) -> str:
    """A tool result as the model reads it: its texts, other content named, structured
    content as JSON when there is no text."""
    import mcp_types as types

    parts: list[str] = []
    for item in result.content:
        if isinstance(item, types.TextContent):
            parts.append(item.text)
        elif isinstance(item, types.ImageContent | types.AudioContent):
            parts.append(f"[{item.type}: {item.mime_type}, {len(item.data) * 3 // 4} bytes]")
        elif isinstance(item, types.EmbeddedResource):
            resource = item.resource
            text = getattr(resource, "text", None)
            parts.append(text if text is not None else f"[resource {resource.uri}]")
        elif isinstance(item, types.ResourceLink):
            parts.append(f"[resource link {item.uri}]")
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return "\n".join(parts) or "(no content)"
