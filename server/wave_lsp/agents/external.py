"""Tools from outside the agent (MCP servers' tools): what the agent needs to know of them,
without knowing the protocol. A front end hands an :class:`ExternalTools` to the agents it
makes; ``wave_lsp.mcp.hub`` is the implementation that talks MCP.

Tool names are ``server__tool``. A persona's or a task's ``tools_allowed`` narrows them when it
names any ``mcp:`` entry: ``mcp:server`` (all of a server's tools), ``mcp:server__tool``,
``mcp:*``; a list without ``mcp:`` entries leaves them all (it names programs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

SEPARATOR = "__"
MCP_PREFIX = "mcp:"


@dataclass(frozen=True, slots=True)
class ExternalTool:
    name: str
    """``server__tool``, as the model calls it."""
    server: str
    tool: str
    """The tool's own name on its server."""
    description: str
    parameters: dict[str, Any]
    read_only: bool = False
    """Marked read-only by its server's annotations: allowed without asking."""


@dataclass(frozen=True, slots=True)
class ExternalResult:
    text: str
    error: bool = False


class ExternalTools(Protocol):
    """The tools a session's MCP servers offer (servers started on first use)."""

    async def tools(self) -> list[ExternalTool]:
        """Every server's tools after its include/exclude lists; a server that cannot start
        is left out (and reported by the implementation)."""
        ...

    async def call(self, name: str, arguments: dict[str, Any]) -> ExternalResult:
        """Run ``server__tool``: its result as text, or an error saying what went wrong (a
        timeout, a crash, a refusal by the server)."""
        ...


def split_name(name: str) -> tuple[str, str]:
    server, _, tool = name.partition(SEPARATOR)
    return server, tool


def narrowed(allowed: Sequence[str] | None, server: str, tool: str) -> bool:
    """Whether a ``tools_allowed`` list lets ``server__tool`` through."""
    entries = [entry[len(MCP_PREFIX) :] for entry in allowed or () if entry.startswith(MCP_PREFIX)]
    if not entries:
        return True
    return any(entry in ("*", server, f"{server}{SEPARATOR}{tool}") for entry in entries)


def named_servers(allowed: Sequence[str] | None) -> list[str]:
    """The servers a ``tools_allowed`` list names (``mcp:server`` or ``mcp:server__tool``)."""
    names = []
    for entry in allowed or ():
        if entry.startswith(MCP_PREFIX) and entry != f"{MCP_PREFIX}*":
            names.append(split_name(entry[len(MCP_PREFIX) :])[0])
    return names
