"""`wave acp` with MCP servers: the workspace's `providers.mcpServers` and the ones the editor
names in `session/new` (here the npm reference filesystem server) are the agent's tools; a tool
not marked read-only is asked about through `session/request_permission` with its arguments;
the servers a session started are stopped when the connection ends."""

from __future__ import annotations

from pathlib import Path

from acp.schema import McpServerStdio

from acp import text_block
from tests.acp.conftest import APP, RecordingClient, wave_acp
from tests.conftest import WriteFile
from tests.mcp.conftest import calls, filesystem_server, gone, tool_server_yaml  # noqa: F401
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn


async def test_the_editors_and_the_workspaces_mcp_servers(
    project: Path, write: WriteFile, llm: ProtocolServer, tmp_path: Path,
    filesystem_server: Path,  # noqa: F811
) -> None:  # fmt: skip
    log = tmp_path / "calls.jsonl"
    write(".wave/config.yaml", f"""
        providers:
          defaultProvider: llm
          providers:
            llm: {{type: openai, baseUrl: "{llm.url}/v1", model: gpt-test,
                   providerSpecific: {{maxRetries: 0}}}}
          mcpServers:
        {tool_server_yaml(log, indent=4)}
        """)  # fmt: skip
    app = project / "src" / "app.py"
    llm.state.answers = [
        ToolTurn([("fs__read_text_file", {"path": str(app)})]),
        ToolTurn([("tools__add", {"a": 1, "b": 2})]),
        "done",
    ]
    client = RecordingClient(answers=["allow_once"])
    fs = McpServerStdio(name="fs", command=str(filesystem_server), args=[str(project)], env=[])
    async with wave_acp(client, project) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[fs])
        response = await conn.prompt(session_id=session.session_id,
                                     prompt=[text_block("read app.py, then add 1 and 2")])  # fmt: skip
        offered = {t["function"]["name"] for t in llm.requests[0].body["tools"]}
    assert response.stop_reason == "end_turn" and client.text().endswith("done")
    assert {"fs__read_text_file", "tools__add", "read_file"} <= offered
    told = [m["content"] for m in llm.requests[-1].body["messages"] if m["role"] == "tool"]
    assert told == [APP, "3"]
    (asked,) = client.permissions  # the read-only filesystem read was not asked about
    shown = " ".join(getattr(c.content, "text", "") for c in asked.content)
    assert 'tools__add {"a": 1, "b": 2}' in shown
    (pid,) = {c["pid"] for c in calls(log)}
    assert await gone(pid), "the MCP server outlived wave acp"
