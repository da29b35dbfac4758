"""The MCP servers an ACP session uses: the workspace's ``providers.mcpServers`` and those the
editor names in ``session/new`` / ``session/load`` (stdio, or HTTP by ``url``; SSE is not
supported by the SDK's client and is said so in the log), as one hub per session, stopped when
the connection ends."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from wave_lsp.config.files import WaveConfigFile
from wave_lsp.mcp.hub import McpHub
from wave_lsp.mcp.hubs import configured
from wave_lsp.providers.models import MCPServerConfiguration

log = logging.getLogger(__name__)


def from_editor(servers: list[Any]) -> dict[str, MCPServerConfiguration]:
    """ACP's server entries as Wave's configuration (an entry that does not fit is logged
    and left out, never guessed)."""
    out: dict[str, MCPServerConfiguration] = {}
    for server in servers:
        name = str(getattr(server, "name", "") or "")
        kind = getattr(server, "type", None)
        try:
            if kind == "sse":
                log.warning("MCP server '%s': SSE servers are not supported (use http)", name)
                continue
            if kind == "http":
                headers = {h.name: h.value for h in getattr(server, "headers", None) or []}
                config = MCPServerConfiguration(name=name, url=server.url, headers=headers)
            else:
                env = {v.name: v.value for v in getattr(server, "env", None) or []}
                config = MCPServerConfiguration(
                    name=name, command=server.command, args=list(server.args or []), env=env
                )
        except (ValidationError, AttributeError) as error:
            log.warning("MCP server '%s' from the editor left out: %s", name, error)
            continue
        out[name] = config
    return out


def session_hub(root: Path, config: WaveConfigFile, editor: list[Any]) -> McpHub | None:
    """The session's hub (the editor's servers over the workspace's of the same name)."""
    servers = configured(config) | from_editor(editor)
    return McpHub(servers, root) if servers else None
