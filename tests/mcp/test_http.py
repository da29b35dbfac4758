"""An MCP server over Streamable HTTP (the Python SDK tool server with `--http PORT`): configured
by `url`, its tools reach the built-in agent like a stdio server's."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.mcp.conftest import TOOL_SERVER
from tests.mcp.test_agent_mcp import Build, agent_with, hubs, log, offered, project, told  # noqa: F401
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn
from wave_lsp.providers.models import MCPServerConfiguration


@pytest.fixture
def http_server() -> Iterator[str]:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    process = subprocess.Popen([sys.executable, str(TOOL_SERVER), "--http", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    yield f"http://127.0.0.1:{port}/mcp"
    process.terminate()
    process.wait(10)


async def test_a_streamable_http_server_by_url(
    agent_with: Build,  # noqa: F811 (the fixture, imported)
    llm: ProtocolServer,
    http_server: str,
) -> None:
    port = int(http_server.rsplit(":", 1)[1].split("/", maxsplit=1)[0])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            await asyncio.sleep(0.1)
    llm.state.answers = [ToolTurn([("web__echo", {"text": "over http"})]), "ok"]
    result = await agent_with({"web": MCPServerConfiguration(url=http_server)}).run("echo")
    assert result.text == "ok"
    assert "web__echo" in offered(llm) and told(llm) == ["echo: over http"]
