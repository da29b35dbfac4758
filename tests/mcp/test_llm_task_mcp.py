"""`llm` pipeline tasks with MCP tools, through `wave run` (the real CLI) against the recording
OpenAI-protocol server and the Python MCP tool server: a task whose `tools_allowed` names
`mcp:` entries is offered those tools and no others (none of the workspace's), its calls are
governed like an agent's (a tool that needs approval is refused where no one can be asked), an
`llm` task without them stays a plain prompt, and a model without tool calling fails the task
instead of silently dropping the tools the user chose."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.agents.conftest import SECRET
from tests.conftest import WriteFile
from tests.mcp.conftest import calls, tool_server_yaml
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn

PIPELINE = """
pipeline:
  id: lookup
  name: Look up
  tasks:
    - id: look
      name: Look
      type: llm
      inputs: [{name: goal}]
      tools_allowed: ["TOOLS"]
      prompt_template: "Echo {{goal}} with the tool."
    - id: plain
      name: Plain
      type: llm
      dependencies: [look]
      inputs: [{name: found, from_task: look, output_name: output}]
      prompt_template: "Summarise {{found}}"
"""


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "calls.jsonl"


def configure(
    write: WriteFile, llm: ProtocolServer, log: Path, root: Path, **specific: Any
) -> None:
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
              providerSpecific: {json.dumps({"maxRetries": 0, **specific})}
          mcpServers:
        {tool_server_yaml(log, indent=12)}
        workspace: {{base_dir: "{root.parent / "runs"}"}}
        """,
    )


def wave_run(root: Path, *arguments: str) -> tuple[int, dict[str, Any], str]:
    result = subprocess.run(
        [sys.executable, "-m", "wave_lsp", "run", "--root", str(root), "lookup", "--json",
         *arguments],
        capture_output=True, text=True, timeout=120, check=False, env=dict(os.environ),
    )  # fmt: skip
    assert result.stdout.startswith("{"), result.stderr
    return result.returncode, json.loads(result.stdout), result.stderr


def offered(llm: ProtocolServer, index: int) -> list[str]:
    return [t["function"]["name"] for t in llm.requests[index].body.get("tools", [])]


def test_an_llm_task_uses_the_mcp_tools_it_names(
    write: WriteFile, workspace: Path, llm: ProtocolServer, log: Path
) -> None:
    configure(write, llm, log, workspace)
    write(".wave/pipelines/lookup.yaml", PIPELINE.replace("TOOLS", "mcp:tools__echo"))
    llm.state.answers = [
        ToolTurn([("tools__echo", {"text": f"the key {SECRET}"})]),
        "The tool said: echo: the key [REDACTED].",
        "A summary.",
    ]
    code, status, stderr = wave_run(workspace, "--input", f"goal=the key {SECRET}")
    assert code == 0, stderr
    assert [t["state"] for t in status["tasks"]] == ["succeeded", "succeeded"]
    assert status["tasks"][0]["output"] == "The tool said: echo: the key [REDACTED]."
    # the task's tool and nothing else: not add, not the workspace's read_file / run_command
    assert offered(llm, 0) == ["tools__echo"] == offered(llm, 1)
    sent = json.dumps(llm.requests[0].body["messages"])
    assert "Echo the key" in sent and SECRET not in sent
    [call] = calls(log)
    assert call["tool"] == "echo" and SECRET not in call["arguments"]["text"]
    told = [m for m in llm.requests[1].body["messages"] if m["role"] == "tool"]
    assert told[0]["content"].startswith("echo: the key ") and SECRET not in told[0]["content"]
    # the task without `mcp:` entries is a plain prompt: no tools offered
    assert "tools" not in llm.requests[2].body
    assert "The tool said" in json.dumps(llm.requests[2].body["messages"])


def test_a_tool_that_needs_approval_is_refused_in_a_run(
    write: WriteFile, workspace: Path, llm: ProtocolServer, log: Path
) -> None:
    configure(write, llm, log, workspace)
    write(".wave/pipelines/lookup.yaml", PIPELINE.replace("TOOLS", "mcp:tools__add"))
    llm.state.answers = [ToolTurn([("tools__add", {"a": 1, "b": 2})]), "Could not add."]
    code, status, _ = wave_run(workspace, "--input", "goal=x")
    assert code == 1
    look = status["tasks"][0]
    assert look["state"] == "failed"
    assert "a tool call was refused" in look["error"] and "no one can be asked" in look["error"]
    assert calls(log) == []  # the server never ran it
    assert status["tasks"][1]["state"] == "skipped"


def test_a_model_without_tool_calling_fails_the_task(
    write: WriteFile, workspace: Path, llm: ProtocolServer, log: Path
) -> None:
    configure(write, llm, log, workspace, toolUse=False)
    write(".wave/pipelines/lookup.yaml", PIPELINE.replace("TOOLS", "mcp:tools"))
    code, status, _ = wave_run(workspace, "--input", "goal=x")
    assert code == 1
    error = status["tasks"][0]["error"]
    assert "names MCP tools (mcp:tools)" in error and "no tool calling" in error
    assert llm.requests == []  # no plain prompt was sent in its place
