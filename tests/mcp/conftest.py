"""MCP servers for the tests: the Python one in tool_server.py (on the `mcp` SDK) and the npm
reference filesystem server (installed by scripts/setup-agents.sh)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from wave_lsp.providers.models import MCPServerConfiguration

TOOL_SERVER = Path(__file__).with_name("tool_server.py")
REPO = Path(__file__).resolve().parents[2]
FILESYSTEM_SERVER = REPO / ".tools" / "agents" / "node_modules" / ".bin" / "mcp-server-filesystem"


def tool_server(log: Path | None = None, mode: str = "", **fields: Any) -> MCPServerConfiguration:
    env = {"WAVE_TEST_MCP_MODE": mode} if mode else {}
    if log is not None:
        env["WAVE_TEST_MCP_LOG"] = str(log)
    return MCPServerConfiguration.model_validate(
        {"command": sys.executable, "args": [str(TOOL_SERVER)], "env": env, **fields}
    )


def tool_server_yaml(log: Path, name: str = "tools", indent: int = 4, **fields: Any) -> str:
    """The tool server as a ``providers.mcpServers`` entry of a config.yaml."""
    body = {"command": sys.executable, "args": [str(TOOL_SERVER)],
            "env": {"WAVE_TEST_MCP_LOG": str(log)}, **fields}  # fmt: skip
    return " " * indent + f"{name}: {json.dumps(body)}"


def calls(log: Path) -> list[dict[str, Any]]:
    """What the tool server received, in order."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


async def gone(pid: int, within: float = 5.0) -> bool:
    """Whether the process ``pid`` ends within ``within`` seconds."""
    import asyncio
    import os

    for _ in range(int(within * 10)):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.fixture
def filesystem_server() -> Path:
    if not FILESYSTEM_SERVER.exists():
        pytest.skip("the npm MCP filesystem server is not installed (scripts/setup-agents.sh)")
    return FILESYSTEM_SERVER
