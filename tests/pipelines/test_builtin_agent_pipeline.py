"""The seed's feature-development pipeline, verbatim, with no Claude Code installed: `wave run`
runs its claude-code tasks with the built-in agent on the configured provider — OpenAI, Ollama,
Gemini and Anthropic, each a loopback server speaking its protocol and scripting tool calls. The
file the agent writes arrives in the proposal, the workspace is untouched, the review task's
prompt names the changed file, and the schema'd outputs were asked for as structured output."""

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

PROVIDERS = {
    "openai": "{type: openai, baseUrl: '{url}/v1', model: gpt-test, apiKey: sk-test}",
    "ollama": "{type: ollama, baseUrl: '{url}', model: 'llama3:8b'}",
    "gemini": "{type: gemini, baseUrl: '{url}', model: gemini-test, apiKey: key-test}",
    "anthropic": "{type: anthropic, baseUrl: '{url}', model: claude-sonnet-4-5, apiKey: sk-ant}",
}
GREET = 'def greet(name):\n    return f"Hello, {name}!"\n'


@pytest.fixture
def project(write: WriteFile, workspace: Path, tmp_path: Path) -> Path:
    (workspace / "src").mkdir()
    (workspace / "src" / "app.py").write_text("print('app')\n")
    (workspace / "tests").mkdir()
    return workspace


def configure(write: WriteFile, root: Path, kind: str, url: str) -> None:
    provider = PROVIDERS[kind].replace("{url}", url)
    write(
        ".wave/config.yaml",
        f"""
        claude:
          binary_path: "{root.parent / "no-claude-here"}"
        workspace:
          base_dir: "{root.parent / "runs"}"
        providers:
          defaultProvider: {kind}
          providers:
            {kind}: {provider}
        """,
    )


def wave_run(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wave_lsp", "run", "--root", str(root), *arguments],
        capture_output=True, text=True, timeout=120, check=False, env=dict(os.environ),
    )  # fmt: skip


def prompt_of(kind: str, body: dict[str, Any]) -> str:
    """The text of the first user message of a request, in the protocol's shape."""
    if kind == "gemini":
        return str(body["contents"][0]["parts"][0]["text"])
    messages = [m for m in body["messages"] if m["role"] == "user"]
    content = messages[0]["content"]
    return content if isinstance(content, str) else json.dumps(content)


def structured(kind: str, body: dict[str, Any]) -> Any:
    if kind == "openai":
        return (body.get("response_format") or {}).get("json_schema", {}).get("schema")
    if kind == "ollama":
        return body.get("format") if isinstance(body.get("format"), dict) else None
    if kind == "gemini":
        return body["generationConfig"].get("responseSchema")
    return (body.get("output_config") or {}).get("format", {}).get("schema")


@pytest.mark.parametrize("kind", list(PROVIDERS))
def test_the_seed_pipeline_runs_with_the_builtin_agent(
    kind: str, project: Path, write: WriteFile, llm: ProtocolServer
) -> None:
    configure(write, project, kind, llm.url)
    llm.state.answers = [
        # analyze-requirements (analyst): looks, then answers; the plan as structured output
        ToolTurn([("list_files", {"path": "src"})]),
        "I have looked at src/.",
        json.dumps(PLAN),
        # implement-feature (developer): writes the file
        ToolTurn([("read_file", {"path": "src/app.py"})]),
        ToolTurn([("write_file", {"path": "src/greet.py", "content": GREET})]),
        "Implemented greet() in src/greet.py.",
        # review-code (reviewer)
        "Reviewed.",
        json.dumps(REVIEW),
    ]
    result = wave_run(project, "feature-development", "--input", "requirements=a greeting",
                      "--json")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    status = json.loads(result.stdout)
    assert [t["state"] for t in status["tasks"]] == ["succeeded"] * 3
    assert "is not installed" in result.stderr and "built-in agent" in result.stderr
    # the real workspace is untouched; the file is in the run's proposal
    assert not (project / "src" / "greet.py").exists()
    state = Path(os.environ["XDG_STATE_HOME"])
    [saved] = state.rglob(f"proposals/{status['proposal']}.json")
    proposal = json.loads(saved.read_text())
    assert [(f["filePath"], f["newContent"]) for f in proposal["files"]] == [
        ("src/greet.py", GREET)
    ]
    bodies = [r.body for r in llm.requests]
    assert len(bodies) == 8
    # the tools went to the model, the tool results came back to it
    assert "src/app.py" in json.dumps(bodies[1])
    assert "print('app')" in json.dumps(bodies[4])
    # the schema'd outputs were asked for through the provider's structured-output parameter
    assert structured(kind, bodies[2])["required"][0] == "summary"
    assert "findings" in json.dumps(structured(kind, bodies[7]))
    # the review task's prompt names the changed file
    assert "src/greet.py" in prompt_of(kind, bodies[6])
    assert "Review the following code changes" in prompt_of(kind, bodies[6])


def test_a_persona_without_code_write_fails_the_task_naming_the_denied_call(
    project: Path, write: WriteFile, llm: ProtocolServer
) -> None:
    configure(write, project, "openai", llm.url)
    write(
        ".wave/pipelines/write.yaml",
        """
        pipeline:
          id: write
          name: Write as the analyst
          tasks:
            - id: write
              type: agent
              persona: analyst
              prompt_template: "Create notes.md"
        """,
    )
    llm.state.answers = [
        ToolTurn([("write_file", {"path": "notes.md", "content": "x"})]),
        "I could not write it.",
    ]
    result = wave_run(project, "write")
    assert result.returncode == 1
    assert "the agent was refused: write_file(notes.md)" in result.stdout
    assert "code:write" in result.stdout
    assert len(llm.requests) == 2  # permanent: not retried


def test_a_model_without_tool_calling_works_in_one_shot_mode(
    project: Path, write: WriteFile, llm: ProtocolServer
) -> None:
    """providerSpecific.toolUse: false (a local server without tool calling): the task's files
    go with the prompt, the answer's SEARCH/REPLACE edit goes through the governed write, and
    the transcript is kept as a seed Context."""
    configure(write, project, "openai", llm.url)
    config = (project / ".wave" / "config.yaml").read_text()
    config = config.replace(
        "apiKey: sk-test}", "apiKey: sk-test, providerSpecific: {toolUse: false}}"
    )
    (project / ".wave" / "config.yaml").write_text(config)
    write(
        ".wave/pipelines/fix.yaml",
        """
        pipeline:
          id: fix
          name: Fix
          tasks:
            - id: fix
              type: agent
              prompt_template: "In src/app.py, print 'hello' instead"
              outputs: [{name: changed_files, type: file_list}]
        """,
    )
    llm.state.answers = [
        "src/app.py\n```python\n<<<<<<< SEARCH\nprint('app')\n=======\nprint('hello')\n"
        ">>>>>>> REPLACE\n```\n"
    ]
    result = wave_run(project, "fix", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "one-shot" in result.stderr
    [request] = llm.requests
    assert "tools" not in request.body
    assert "print('app')" in request.body["messages"][-1]["content"]  # the named file went
    status = json.loads(result.stdout)
    state = Path(os.environ["XDG_STATE_HOME"])
    [saved] = state.rglob(f"proposals/{status['proposal']}.json")
    assert json.loads(saved.read_text())["files"][0]["newContent"] == "print('hello')\n"
    assert (project / "src" / "app.py").read_text() == "print('app')\n"
    transcripts = list(state.rglob("contexts/agent-*"))
    assert len(transcripts) == 1
