"""A ``claude-code`` task's MCP servers: the session's servers given to Claude Code through
``--mcp-config`` (a file written for the run, private, removed after it), filtered as for the
built-in agent. Only servers with a tool the persona and the task let through are named; each
such tool is allowed when its server marks it read-only or a rule allows it, and disallowed
otherwise (a pipeline has no one to ask); tools left out by the narrowing are disallowed."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wave_lsp.agents.external import ExternalTools, narrowed
from wave_lsp.agents.policy import ApprovalPolicy, Verdict
from wave_lsp.personas.models import Persona, ToolRules
from wave_lsp.providers.models import MCPServerConfiguration


@dataclass(slots=True)
class McpArguments:
    arguments: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)
    disallowed: list[str] = field(default_factory=list)
    folder: Path | None = None
    """Where the config file is (removed after the run)."""

    def remove(self) -> None:
        if self.folder is not None:
            for item in self.folder.iterdir():
                item.unlink(missing_ok=True)
            self.folder.rmdir()
            self.folder = None


def server_entry(config: MCPServerConfiguration) -> dict[str, object]:
    """The server as Claude Code's ``mcpServers`` entry (``env:`` values resolved)."""
    if config.url is not None:
        entry: dict[str, object] = {"type": "http", "url": config.url}
        if config.headers:
            entry["headers"] = config.resolved(config.headers)
        return entry
    return {"type": "stdio", "command": config.command, "args": config.args,
            "env": config.resolved(config.env)}  # fmt: skip


async def mcp_arguments(
    external: ExternalTools | None,
    servers: Mapping[str, MCPServerConfiguration],
    persona: Persona,
    task_tools: Sequence[str] | None,
    rule_sets: Sequence[ToolRules],
) -> McpArguments:
    out = McpArguments()
    if external is None or not servers:
        return out
    policy = ApprovalPolicy(rule_sets)
    used: set[str] = set()
    for tool in await external.tools():
        claude_name = f"mcp__{tool.server}__{tool.tool}"
        if not (narrowed(persona.tools_allowed, tool.server, tool.tool)
                and narrowed(task_tools, tool.server, tool.tool)):  # fmt: skip
            out.disallowed.append(claude_name)
            continue
        used.add(tool.server)
        verdict = policy.decide(tool.name, "", read_only=tool.read_only).verdict
        (out.allowed if verdict is Verdict.ALLOW else out.disallowed).append(claude_name)
    for name, config in servers.items():
        for excluded in config.exclude_tools or ():
            if not any(c in excluded for c in "*?[") and name in used:
                out.disallowed.append(f"mcp__{name}__{excluded}")
    if not used:
        return out
    entries = {name: server_entry(servers[name]) for name in sorted(used)}
    out.folder = Path(tempfile.mkdtemp(prefix="wave-mcp-"))
    path = out.folder / "mcp.json"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump({"mcpServers": entries}, file, indent=2)
    out.arguments = ["--mcp-config", str(path), "--strict-mcp-config"]
    return out
