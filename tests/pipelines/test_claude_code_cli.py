"""The seed's feature-development pipeline, verbatim, run by the real Claude Code CLI (npm
@anthropic-ai/claude-code, installed by scripts/setup-agents.sh) against a loopback Anthropic
Messages server that scripts its tool calls: the persona's permissions reach Claude Code as its
own rules, the file it writes arrives in the proposal (the workspace is untouched), the review
task's prompt names it, and a refused write fails the task naming the call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import WriteFile
from tests.pipelines.fake_claude import PLAN, REVIEW
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn

CLAUDE = Path(__file__).parents[2] / ".tools" / "agents" / "node_modules" / ".bin" / "claude"
pytestmark = pytest.mark.skipif(
    not CLAUDE.exists(), reason="Claude Code is not installed: run scripts/setup-agents.sh"
)
GREET = 'def greet(name):\n    return f"Hello, {name}!"\n'


@pytest.fixture
def anthropic() -> Any:
    server = ProtocolServer().start()
    server.state.claude_code = True  # its side questions (no tools) are answered off the script
    yield server
    server.stop()


@pytest.fixture
def project(write: WriteFile, workspace: Path) -> Path:
    write(
        ".wave/config.yaml",
        f"""
        claude:
          binary_path: "{CLAUDE}"
        workspace:
          base_dir: "{workspace.parent / "runs"}"
        """,
    )
    (workspace / "src").mkdir()
    (workspace / "src" / "app.py").write_text("print('app')\n")
    (workspace / "tests").mkdir()
    return workspace


def wave_run(
    root: Path, server: ProtocolServer, *arguments: str
) -> subprocess.CompletedProcess[str]:
    home = root.parent / "home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": server.url,
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "wave_lsp", "run", "--root", str(root), *arguments],
        capture_output=True, text=True, timeout=180, check=False, env=env,
    )  # fmt: skip


def with_tools(server: ProtocolServer) -> list[dict[str, Any]]:
    return [r.body for r in server.requests if r.path == "/v1/messages" and r.body.get("tools")]


def user_text(body: dict[str, Any]) -> str:
    return json.dumps([m["content"] for m in body["messages"] if m["role"] == "user"])


def test_the_seed_pipeline_runs_with_the_real_claude_code(
    project: Path, anthropic: ProtocolServer
) -> None:
    anthropic.state.answers = [
        json.dumps(PLAN),
        ToolTurn([("Write", {"file_path": "src/greet.py", "content": GREET})]),
        "Implemented greet() in src/greet.py.",
        json.dumps(REVIEW),
    ]
    result = wave_run(project, anthropic, "feature-development", "--input",
                      "requirements=a greeting", "--json")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    status = json.loads(result.stdout)
    assert [t["state"] for t in status["tasks"]] == ["succeeded"] * 3
    assert "Claude Code (" in result.stderr
    assert not (project / "src" / "greet.py").exists()
    state = Path(os.environ["XDG_STATE_HOME"])
    [saved] = state.rglob(f"proposals/{status['proposal']}.json")
    proposal = json.loads(saved.read_text())
    assert [(f["filePath"], f["newContent"]) for f in proposal["files"]] == [
        ("src/greet.py", GREET)
    ]
    bodies = with_tools(anthropic)
    assert len(bodies) == 4
    tools = [{t["name"] for t in body["tools"]} for body in bodies]
    # the analyst may read, not write; the developer may write
    assert "Read" in tools[0] and "Write" not in tools[0] and "Edit" not in tools[0]
    assert {"Read", "Write", "Edit"} <= tools[1]
    assert "Analyze the following requirements" in user_text(bodies[0])
    assert "src/greet.py" in user_text(bodies[3]) and "Review the following" in user_text(bodies[3])


def test_a_refused_write_fails_the_task_naming_the_call(
    project: Path, write: WriteFile, anthropic: ProtocolServer
) -> None:
    write(
        ".wave/pipelines/notes.yaml",
        """
        pipeline:
          id: notes
          name: Notes as the analyst
          tasks:
            - id: notes
              type: claude-code
              persona: analyst
              prompt_template: "Write notes.md"
        """,
    )
    anthropic.state.answers = [
        ToolTurn([("Write", {"file_path": "notes.md", "content": "x"})]),
        "I could not write it.",
    ]
    result = wave_run(project, anthropic, "notes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the coding agent was refused: Write(notes.md)" in result.stdout
    assert not (project / "notes.md").exists()
