"""MCP tools through the real language server over stdio (three recorded clients): the workspace's
`providers.mcpServers` start on the agent's first run, `wave.agent.run` offers their tools, a
read-only one runs unasked and its result reaches the model, another is asked about (its
arguments shown), a pipeline's agent task uses them too, and shutdown stops every server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.conftest import WriteFile
from tests.e2e.conftest import RecordingClient
from tests.e2e.test_protected_proposals import answer_questions
from tests.e2e.test_session_lsp import command
from tests.mcp.conftest import calls, gone, tool_server_yaml
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "calls.jsonl"


@pytest.fixture
def project(write: WriteFile, workspace: Path, llm: ProtocolServer, log: Path) -> Path:
    write(
        ".wave/config.yaml",
        f"""
        providers:
          defaultProvider: llm
          providers:
            llm:
              type: openai
              baseUrl: "{llm.url}/v1"
              model: gpt-test
              providerSpecific: {{maxRetries: 0}}
          mcpServers:
        {tool_server_yaml(log, indent=12)}
        workspace: {{base_dir: "{workspace.parent / "runs"}"}}
        """,
    )
    write(
        ".wave/pipelines/echo.yaml",
        """
        pipeline:
          id: echo
          name: Echo
          persona: developer
          tasks:
            - id: ask
              name: Ask
              type: agent
              prompt_template: "Use the echo tool."
        """,
    )
    (workspace / "app.py").write_text("print('app')\n")
    return workspace


def tool_messages(llm: ProtocolServer, index: int = -1) -> list[str]:
    return [m["content"] for m in llm.requests[index].body["messages"] if m["role"] == "tool"]


@pytest.mark.parametrize("reply", ["Allow", "Deny"])
async def test_the_agent_uses_the_workspaces_mcp_tools(
    client: RecordingClient, project: Path, llm: ProtocolServer, log: Path, reply: str
) -> None:
    asked = answer_questions(client, reply)
    llm.state.answers = [
        ToolTurn([("tools__echo", {"text": "from the editor"})]),
        ToolTurn([("tools__add", {"a": 20, "b": 22})]),
        "Done.",
    ]
    answer = await command(client, "wave.agent.run", {"instruction": "use the tools"})
    assert answer["text"] == "Done."
    offered = [t["function"]["name"] for t in llm.requests[0].body["tools"]]
    assert {"read_file", "tools__echo", "tools__add"} <= set(offered)
    assert tool_messages(llm)[0] == "echo: from the editor"
    can_ask = client.client_name != "emacs"  # type: ignore[attr-defined]  # no showMessageRequest
    if can_ask:
        assert asked == ['Wave agent asks to run tools__add {"a": 20, "b": 22}. Allow it?']
    added = [c for c in calls(log) if c["tool"] == "add"]
    if can_ask and reply == "Allow":
        assert tool_messages(llm)[1] == "42" and len(added) == 1
    else:
        assert tool_messages(llm)[1].startswith("refused:") and added == []
    pid = calls(log)[0]["pid"]
    await client.shutdown_async(None)  # stops the servers the session started
    client.shut_down = True  # type: ignore[attr-defined]
    assert await gone(pid), "the MCP server outlived the language server's shutdown"
    client.exit(None)


async def test_a_pipeline_agent_task_uses_them(
    client: RecordingClient, project: Path, llm: ProtocolServer, log: Path
) -> None:
    llm.state.answers = [ToolTurn([("tools__echo", {"text": "from a pipeline"})]), "echoed"]
    started = await command(client, "wave.pipeline.run", {"pipeline": "echo"})
    run_id = started["runId"]
    for _ in range(200):
        status = await command(client, "wave.pipeline.status", {"runId": run_id})
        if status["state"] not in ("pending", "running"):
            break
        await asyncio.sleep(0.05)
    assert status["state"] == "succeeded", status
    assert [c["arguments"] for c in calls(log)] == [{"text": "from a pipeline"}]
    assert tool_messages(llm)[0] == "echo: from a pipeline"
