"""Pipeline results as a user reads them: wave.pipeline.status, the run report and `wave run
--json` carry each task's output (cut in the status, whole in the report); a file list input is
filled with the document and the session's context files; a missing program fails at once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import WriteFile
from tests.e2e.conftest import RecordingClient, uri
from tests.e2e.test_pipelines_lsp import command, wait_until_done
from tests.providers.protocol_server import ProtocolServer

LONG = "The summary says a lot. " * 100


@pytest.fixture
def project(write: WriteFile, workspace: Path, llm: ProtocolServer) -> Path:
    write(
        ".wave/config.yaml",
        f"""
        workspace:
          base_dir: "{workspace.parent / "runs"}"
        claude:
          binary_path: "{workspace.parent / "no-such-claude"}"
          agent: claude-code
          max_retries: 3
        providers:
          defaultProvider: llm
          providers:
            llm: {{type: openai, baseUrl: "{llm.url}/v1", model: gpt-test}}
        """,
    )
    write(
        ".wave/pipelines/summarise.yaml",
        """
        pipeline:
          id: summarise
          name: Summarise
          tasks:
            - id: summarise
              type: llm
              inputs: [{name: files, type: file_list}]
              prompt_template: "Summarise these files: {{files}}"
        """,
    )
    write(
        ".wave/pipelines/agent.yaml",
        """
        pipeline:
          id: agent
          name: Agent
          tasks:
            - id: code
              type: claude-code
              inputs: [{name: text}]
              prompt_template: "Do {{text}}"
        """,
    )
    (workspace / "app.py").write_text("print(1)\n")
    (workspace / "notes.md").write_text("notes\n")
    return workspace


async def test_status_and_report_carry_the_outputs_and_the_context_files(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    await command(client, "wave.context.add", {"path": "notes.md"})
    llm.state.answers = [LONG]
    started = await command(
        client, "wave.pipeline.run", {"pipeline": "summarise", "uri": uri(project / "app.py")}
    )
    status = await wait_until_done(client, started["runId"])
    assert status["state"] == "succeeded", status
    prompt = llm.requests[0].body["messages"][-1]["content"]
    assert str(project / "app.py") in prompt and str(project / "notes.md") in prompt
    [task] = status["tasks"]
    assert task["output"].startswith(LONG[:600]) and len(task["output"]) < 700
    assert f"{len(LONG) - 600} more characters in the report" in task["output"]
    report = Path(status["report"].removeprefix("file://")).read_text()
    assert LONG.strip() in report  # the whole output


async def test_a_missing_program_fails_at_once(client: RecordingClient, project: Path) -> None:
    started = await command(
        client, "wave.pipeline.run", {"pipeline": "agent", "inputs": {"text": "it"}}
    )
    status = await wait_until_done(client, started["runId"])
    [task] = status["tasks"]
    assert status["state"] == "failed" and task["state"] == "failed"
    assert task["attempts"] == 1  # not retried as if it were a flaky call
    assert "is not installed" in task["error"]


def test_wave_run_json_carries_the_outputs(project: Path, llm: ProtocolServer) -> None:
    llm.state.answers = [LONG]
    done = subprocess.run(
        [sys.executable, "-m", "wave_lsp", "run", "summarise", "--root", str(project),
         "--input", "files=app.py", "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    [task] = status["tasks"]
    assert task["output"].startswith(LONG[:600]) and "more characters" in task["output"]
    assert LONG.strip() in Path(status["report"]).read_text()
