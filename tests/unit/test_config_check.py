"""`wave config check`: each kind of bad input gives `path:line:col: message` and exit 1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import WriteFile
from wave_lsp.cli.main import main

LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")

PIPELINE = """
pipeline:
  id: "demo"
  name: "Demo"
  tasks:
    - id: "plan"
      type: "llm"
      prompt_template: "Plan {{goal}}"
      inputs:
        - name: goal
    - id: "build"
      type: "llm"
      prompt_template: "Build {{plan}}"
      dependencies: ["plan"]
      inputs:
        - name: plan
          from_task: plan
          output_name: output
"""


def run_check(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, list[re.Match[str]]]:
    monkeypatch.chdir(root)
    code = main(["config", "check"])
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line]
    matches = [LINE.match(line) for line in lines]
    assert all(matches), f"not path:line:col: message: {lines}"
    return code, [m for m in matches if m]


def only(matches: list[re.Match[str]]) -> re.Match[str]:
    assert len(matches) == 1, [m.group(0) for m in matches]
    return matches[0]


def test_valid_workspace_exits_0(workspace: Path, write: WriteFile, capsys, monkeypatch) -> None:
    write(".wave/pipelines/demo.yaml", PIPELINE)
    code, problems = run_check(workspace, capsys, monkeypatch)
    assert (code, problems) == (0, [])


def test_bad_yaml_syntax(workspace: Path, write: WriteFile, capsys, monkeypatch) -> None:
    write(".wave/pipelines/demo.yaml", PIPELINE.replace('  name: "Demo"', '  name: "Demo'))
    code, problems = run_check(workspace, capsys, monkeypatch)
    problem = only(problems)
    assert code == 1
    assert problem["path"] == ".wave/pipelines/demo.yaml"
    assert "invalid YAML" in problem["message"]


def test_tab_indentation_gets_a_hint(
    workspace: Path, write: WriteFile, capsys, monkeypatch
) -> None:
    write(".wave/personas/tabs.yaml", "persona:\n\tname: x\n")
    code, problems = run_check(workspace, capsys, monkeypatch)
    problem = only(problems)
    assert (code, problem["line"], problem["col"]) == (1, "2", "1")
    assert "tabs" in problem["message"]


def test_wrong_type(workspace: Path, write: WriteFile, capsys, monkeypatch) -> None:
    write(".wave/pipelines/demo.yaml", PIPELINE.replace('type: "llm"', "type: 42", 1))
    code, problems = run_check(workspace, capsys, monkeypatch)
    problem = only(problems)
    assert (code, problem["line"], problem["col"]) == (1, "6", "13")
    assert "pipeline.tasks[plan].type" in problem["message"]
    assert "'claude-code', 'llm', 'shell', 'validate' or 'agent'" in problem["message"]


def test_wrong_type_in_config(workspace: Path, write: WriteFile, capsys, monkeypatch) -> None:
    write(".wave/config.yaml", "server:\n  port: eighty\n")
    code, problems = run_check(workspace, capsys, monkeypatch)
    problem = only(problems)
    assert (code, problem["path"], problem["line"], problem["col"]) == (
        1,
        ".wave/config.yaml",
        "2",
        "9",
    )
    assert "server.port" in problem["message"]
    assert "integer" in problem["message"]


def test_unknown_key_suggests_the_right_one(
    workspace: Path, write: WriteFile, capsys, monkeypatch
) -> None:
    write(".wave/pipelines/demo.yaml", PIPELINE.replace("dependencies:", "dependancies:"))
    code, problems = run_check(workspace, capsys, monkeypatch)
    problem = only(problems)
    assert (code, problem["line"], problem["col"]) == (1, "13", "7")
    assert problem["message"] == (
        "unknown key 'dependancies' in pipeline.tasks[build] (did you mean 'dependencies'?)"
    )


def test_unknown_key_without_a_close_match_lists_the_keys(
    workspace: Path, write: WriteFile, capsys, monkeypatch
) -> None:
    write(".wave/config.yaml", "server:\n  colour: red\n")
    code, problems = run_check(workspace, capsys, monkeypatch)
    problem = only(problems)
    assert code == 1
    assert "allowed keys: host, port, daemon_mode, log_level" in problem["message"]


def test_dependency_on_unknown_task(workspace: Path, write: WriteFile, capsys, monkeypatch) -> None:
    write(
        ".wave/pipelines/demo.yaml",
        PIPELINE.replace('dependencies: ["plan"]', 'dependencies: ["plam"]'),
    )
    code, problems = run_check(workspace, capsys, monkeypatch)
    messages = [p["message"] for p in problems]
    assert code == 1
    assert "task 'build' depends on unknown task 'plam' (did you mean 'plan'?)" in messages
    unknown = next(p for p in problems if "unknown task 'plam'" in p["message"])
    assert (unknown["line"], unknown["col"]) == ("13", "22")


def test_dependency_cycle_is_named(workspace: Path, write: WriteFile, capsys, monkeypatch) -> None:
    text = PIPELINE.replace(
        '      prompt_template: "Plan {{goal}}"',
        '      prompt_template: "Plan {{goal}}"\n      dependencies: ["build"]',
    )
    write(".wave/pipelines/demo.yaml", text)
    code, problems = run_check(workspace, capsys, monkeypatch)
    cycle = next(p for p in problems if "cycle" in p["message"])
    assert code == 1
    assert cycle["message"].startswith("dependency cycle: plan -> build -> plan")
    assert (cycle["line"], cycle["col"]) == ("8", "7")


def test_from_task_that_names_no_task(
    workspace: Path, write: WriteFile, capsys, monkeypatch
) -> None:
    write(".wave/pipelines/demo.yaml", PIPELINE.replace("from_task: plan", "from_task: planning"))
    code, problems = run_check(workspace, capsys, monkeypatch)
    problem = only(problems)
    assert (code, problem["line"], problem["col"]) == (1, "16", "22")
    assert problem["message"].startswith(
        "input 'plan' of task 'build' comes from unknown task 'planning'"
    )


def test_output_the_task_does_not_produce(
    workspace: Path, write: WriteFile, capsys, monkeypatch
) -> None:
    write(".wave/pipelines/demo.yaml", PIPELINE.replace("output_name: output", "output_name: plan"))
    code, problems = run_check(workspace, capsys, monkeypatch)
    problem = only(problems)
    assert (code, problem["line"]) == (1, "17")
    assert "task 'plan' has no output 'plan'" in problem["message"]


def test_persona_that_does_not_exist(
    workspace: Path, write: WriteFile, capsys, monkeypatch
) -> None:
    write(
        ".wave/pipelines/demo.yaml",
        PIPELINE.replace(
            '      type: "llm"\n', '      type: "llm"\n      persona: "reveiwer"\n', 1
        ),
    )
    code, problems = run_check(workspace, capsys, monkeypatch)
    problem = only(problems)
    assert (code, problem["line"], problem["col"]) == (1, "7", "16")
    assert problem["message"] == (
        "persona 'reveiwer' of task 'plan' does not exist (did you mean 'reviewer'?)"
    )


def test_default_persona_that_does_not_exist(
    workspace: Path, write: WriteFile, capsys, monkeypatch
) -> None:
    write(".wave/config.yaml", "security:\n  personas:\n    default_persona: nobody\n")
    code, problems = run_check(workspace, capsys, monkeypatch)
    problem = only(problems)
    assert (code, problem["line"], problem["col"]) == (1, "3", "22")
    assert "default persona 'nobody' does not exist" in problem["message"]


def test_missing_required_key(workspace: Path, write: WriteFile, capsys, monkeypatch) -> None:
    write(".wave/pipelines/demo.yaml", PIPELINE.replace('  name: "Demo"\n', ""))
    code, problems = run_check(workspace, capsys, monkeypatch)
    problem = only(problems)
    assert (code, problem["line"], problem["col"]) == (1, "1", "1")
    assert problem["message"] == "missing required key 'name' in pipeline (add 'name: ...')"


def test_duplicate_key(workspace: Path, write: WriteFile, capsys, monkeypatch) -> None:
    write(
        ".wave/pipelines/demo.yaml",
        PIPELINE.replace('  name: "Demo"\n', '  name: "Demo"\n  name: "Again"\n'),
    )
    code, problems = run_check(workspace, capsys, monkeypatch)
    problem = only(problems)
    assert (code, problem["line"]) == (1, "4")
    assert "duplicate key 'name'" in problem["message"]


def test_unknown_output_schema(workspace: Path, write: WriteFile, capsys, monkeypatch) -> None:
    text = PIPELINE.replace(
        "        - name: goal\n",
        "        - name: goal\n      outputs:\n        - name: plan\n          type: json\n"
        "          schema: plan.json\n",
    )
    write(".wave/pipelines/demo.yaml", text)
    code, problems = run_check(workspace, capsys, monkeypatch)
    problem = only(problems)
    assert code == 1
    assert "output schema 'plan.json' of task 'plan' does not exist" in problem["message"]
    write(".wave/schemas/plan.json", '{"type": "object"}')
    code, problems = run_check(workspace, capsys, monkeypatch)
    assert (code, problems) == (0, [])


def test_invalid_json_schema_file(workspace: Path, write: WriteFile, capsys, monkeypatch) -> None:
    write(".wave/schemas/plan.json", '{"type": "object",\n "properties": 3}')
    code, problems = run_check(workspace, capsys, monkeypatch)
    assert code == 1
    assert "not a valid JSON Schema" in only(problems)["message"]
    write(".wave/schemas/plan.json", '{"type": "object",\n "properties": }')
    code, problems = run_check(workspace, capsys, monkeypatch)
    problem = only(problems)
    assert (problem["line"], problem["col"]) == ("2", "16")


def test_user_config_problems_name_the_user_file(
    workspace: Path, isolated_user_config: Path, capsys, monkeypatch
) -> None:
    isolated_user_config.parent.mkdir(parents=True)
    isolated_user_config.write_text("providers:\n  defaultProvider: local\n  providers: {}\n")
    code, problems = run_check(workspace, capsys, monkeypatch)
    problem = only(problems)
    assert code == 1
    assert problem["path"] == str(isolated_user_config)
    assert "providers.providers" in problem["message"]


def test_not_a_mapping(workspace: Path, write: WriteFile, capsys, monkeypatch) -> None:
    write(".wave/pipelines/demo.yaml", "- just\n- a list\n")
    code, problems = run_check(workspace, capsys, monkeypatch)
    assert code == 1
    assert "expected a mapping with a top-level 'pipeline:' key" in only(problems)["message"]


def test_exit_codes_as_a_real_command(workspace: Path, write: WriteFile) -> None:
    wave = [sys.executable, "-m", "wave_lsp"]
    env = dict(os.environ)
    ok = subprocess.run(
        [*wave, "config", "check", "--root", str(workspace)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    write(".wave/pipelines/demo.yaml", "pipeline: [")
    bad = subprocess.run(
        [*wave, "config", "check", "--root", str(workspace)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr + bad.stdout
    assert LINE.match(bad.stdout.splitlines()[0])
    missing = subprocess.run(
        [*wave, "config", "check", "--root", str(workspace / "nope")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert missing.returncode == 2
    assert "not a directory" in missing.stderr
