"""The real Claude Code CLI (npm @anthropic-ai/claude-code) and MCP, both ways, against a loopback
Anthropic Messages server that scripts its tool calls:

- Claude Code as the client of `wave mcp serve` (`--mcp-config` naming it): a scripted call of
  `mcp__wave__check` returns the findings to the model; `mcp__wave__propose_edit` makes a
  proposal and leaves the file unchanged.
- A `claude-code` pipeline task given the session's MCP servers through `--mcp-config`, filtered
  as for the built-in agent: the read-only tool is offered and reaches the server, the others
  are not offered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import WriteFile
from tests.mcp.conftest import calls, tool_server_yaml
from tests.mcp.test_server import APP, DIFF
from tests.pipelines.test_claude_code_cli import CLAUDE, with_tools
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn

pytestmark = pytest.mark.skipif(
    not CLAUDE.exists(), reason="Claude Code is not installed: run scripts/setup-agents.sh"
)
WAVE = str(Path(sys.executable).with_name("wave"))


@pytest.fixture
def anthropic() -> Any:
    server = ProtocolServer().start()
    server.state.claude_code = True
    yield server
    server.stop()


def claude_env(root: Path, server: ProtocolServer) -> dict[str, str]:
    home = root.parent / "home"
    home.mkdir(exist_ok=True)
    return {
        **os.environ,
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": server.url,
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "MCP_TIMEOUT": "60000",
        "ENABLE_TOOL_SEARCH": "false",  # MCP tools offered as tools, not found by a search
    }


def tool_results(body: dict[str, Any]) -> list[str]:
    found = []
    for message in body["messages"]:
        for block in message["content"] if isinstance(message["content"], list) else []:
            if block.get("type") == "tool_result":
                content = block.get("content")
                if isinstance(content, list):
                    content = " ".join(str(part.get("text", "")) for part in content)
                found.append(str(content))
    return found


def test_claude_code_calls_wave_mcp_serve(workspace: Path, anthropic: ProtocolServer) -> None:
    (workspace / "app.py").write_text(APP)
    config = workspace.parent / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"wave": {
        "type": "stdio", "command": WAVE, "args": ["mcp", "serve", "--root", str(workspace)],
        "env": {"XDG_STATE_HOME": os.environ["XDG_STATE_HOME"]},
    }}}))  # fmt: skip
    anthropic.state.answers = [
        ToolTurn([("mcp__wave__check", {"paths": ["app.py"]})]),
        ToolTurn([("mcp__wave__propose_edit", {"diff": DIFF, "description": "no eval"})]),
        "Proposed replacing eval.",
    ]
    done = subprocess.run(
        [str(CLAUDE), "-p", "--output-format", "json", "--mcp-config", str(config),
         "--strict-mcp-config", "--allowedTools", "mcp__wave__check,mcp__wave__propose_edit"],
        input="check app.py and fix what you find", capture_output=True, text=True,
        timeout=180, check=False, cwd=workspace, env=claude_env(workspace, anthropic),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["result"] == "Proposed replacing eval."
    bodies = with_tools(anthropic)
    names = {t["name"] for t in bodies[0]["tools"]}
    assert {"mcp__wave__check", "mcp__wave__propose_edit", "mcp__wave__pipelines"} <= names
    checked = tool_results(bodies[1])[-1]
    assert "security.eval" in checked and '"line":5' in checked.replace(" ", "")
    proposed = tool_results(bodies[2])[-1]
    assert '"status":"pending"' in proposed.replace(" ", "") and "+    return int(text)" in proposed
    assert (workspace / "app.py").read_text() == APP  # proposed, not written
    saved = list(Path(os.environ["XDG_STATE_HOME"]).rglob("proposals/p-*.json"))
    assert len(saved) == 1 and json.loads(saved[0].read_text())["status"] == "pending"


def test_a_claude_code_task_gets_the_sessions_mcp_servers(
    write: WriteFile, workspace: Path, anthropic: ProtocolServer, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    write(
        ".wave/config.yaml",
        f"""
        claude:
          binary_path: "{CLAUDE}"
        workspace:
          base_dir: "{workspace.parent / "runs"}"
        providers:
          defaultProvider: none
          providers:
            none: {{type: openai, baseUrl: "http://127.0.0.1:9/v1"}}
          mcpServers:
        {tool_server_yaml(log, indent=12, excludeTools=["crash"])}
        """,
    )
    write(
        ".wave/pipelines/ask-tools.yaml",
        """
        pipeline:
          id: ask-tools
          name: Ask the tools
          persona: developer
          tasks:
            - id: ask
              name: Ask
              type: claude-code
              prompt_template: "Use the echo tool."
        """,
    )
    anthropic.state.answers = [ToolTurn([("mcp__tools__echo", {"text": "from claude"})]), "ok"]
    done = subprocess.run(
        [sys.executable, "-m", "wave_lsp", "run", "--root", str(workspace), "ask-tools", "--json"],
        capture_output=True, text=True, timeout=180, check=False,
        env=claude_env(workspace, anthropic),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    bodies = with_tools(anthropic)
    names = {t["name"] for t in bodies[0]["tools"]}
    assert {"mcp__tools__echo", "mcp__tools__big"} <= names  # read-only: allowed
    assert "mcp__tools__add" not in names  # not read-only, no one to ask: disallowed
    assert "mcp__tools__crash" not in names  # excluded
    assert "echo: from claude" in tool_results(bodies[1])[-1]
    echoed = [c for c in calls(log) if c["tool"] == "echo"]
    assert [c["arguments"] for c in echoed] == [{"text": "from claude"}]
    assert not list(Path("/tmp").glob("wave-mcp-*/mcp.json"))  # the run's config is removed
