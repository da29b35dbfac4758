"""The MCP hubs of a front end: one per workspace root while its ``providers.mcpServers`` are
unchanged (a change starts a new hub on next use and stops the old one's servers); every
server stopped by :meth:`HubCache.aclose` when the front end ends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path

from wave_lsp.config.files import WaveConfigFile
from wave_lsp.mcp.hub import McpHub
from wave_lsp.providers.models import MCPServerConfiguration


def configured(config: WaveConfigFile) -> dict[str, MCPServerConfiguration]:
    """The workspace's MCP servers (``providers.mcpServers``), enabled ones only."""
    servers = config.providers.mcp_servers if config.providers is not None else {}
    return {name: server for name, server in servers.items() if server.enabled}


def _key(servers: Mapping[str, MCPServerConfiguration]) -> str:
    return json.dumps(
        {name: server.model_dump(mode="json") for name, server in servers.items()}, sort_keys=True
    )


class HubCache:
    def __init__(self) -> None:
        self._hubs: dict[Path, tuple[str, McpHub]] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def get(self, root: Path, servers: Mapping[str, MCPServerConfiguration]) -> McpHub | None:
        """The hub of ``root`` for these servers (``None`` when there are none). Call it on
        the event loop: a replaced hub is stopped in the background."""
        key = _key(servers)
        held = self._hubs.get(root)
        if held is not None and held[0] == key:
            return held[1]
        if held is not None:
            task = asyncio.get_running_loop().create_task(held[1].aclose())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
            del self._hubs[root]
        if not servers:
            return None
        hub = McpHub(servers, root)
        self._hubs[root] = (key, hub)
        return hub

    async def aclose(self) -> None:
        hubs = [hub for _, hub in self._hubs.values()]
        self._hubs.clear()
        await asyncio.gather(*(hub.aclose() for hub in hubs), *self._closing)
