"""`wave run` of the seed's feature-development pipeline as written (three claude-code tasks),
against a stand-in coding agent speaking the CLI's stream-json format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import WriteFile

FAKE = Path(__file__).with_name("fake_claude.py")


@pytest.fixture
def project(write: WriteFile, workspace: Path, tmp_path: Path) -> Path:
    write(
        ".wave/config.yaml",
        f"""
        claude:
          binary_path: "{FAKE}"
        workspace:
          base_dir: "{tmp_path / "runs"}"
        """,
    )
    (workspace / "src").mkdir()
    (workspace / "src" / "app.py").write_text("print('app')\n")
    (workspace / "tests").mkdir()
    return workspace


def wave_run(root: Path, *arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wave_lsp", "run", "--root", str(root), *arguments],
        capture_output=True, text=True, timeout=120, check=False, env={**os.environ, **env},
    )  # fmt: skip


def test_the_seed_pipeline_runs_as_written(project: Path) -> None:
    result = wave_run(
        project, "feature-development", "--input", "requirements=a greeting", "--json"
    )
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["state"] == "succeeded"
    assert [t["state"] for t in status["tasks"]] == ["succeeded"] * 3
    assert "analyze-requirements: started" in result.stderr
    # the file the agent wrote is a proposal, not a change behind the user's back
    assert not (project / "src" / "greet.py").exists()
    proposal_id = status["proposal"]
    state = Path(os.environ["XDG_STATE_HOME"])
    [saved] = state.rglob(f"proposals/{proposal_id}.json")
    proposal = json.loads(saved.read_text())
    assert [f["filePath"] for f in proposal["files"]] == ["src/greet.py"]
    assert proposal["files"][0]["changeType"] == "add"


def test_a_failing_agent_fails_the_run_with_its_message(project: Path) -> None:
    result = wave_run(project, "feature-development", "--input", "requirements=x",
                      FAKE_CLAUDE_MODE="fail")  # fmt: skip
    assert result.returncode == 1
    assert "the coding agent failed: the agent crashed" in result.stdout
    # on_failure: continue in the seed pipeline — the dependants are skipped
    assert "| implement-feature | skipped |" in result.stdout


def test_bad_input_is_exit_2(project: Path) -> None:
    assert wave_run(project, "no-such-pipeline").returncode == 2
    missing = wave_run(project, "feature-development")
    assert missing.returncode == 2 and "needs the input(s): requirements" in missing.stderr


SHELL_PIPELINE = """
pipeline:
  id: checks
  name: Checks
  execution: {on_failure: continue}
  tasks:
    - id: hello
      type: shell
      command: ["python", "-c", "print('hello from the task')"]
    - id: fetch
      type: shell
      command: ["curl", "https://example.com"]
    - id: scan
      type: validate
"""


def test_shell_and_validate_tasks(project: Path, write: WriteFile) -> None:
    write(".wave/pipelines/checks.yaml", SHELL_PIPELINE)
    (project / "src" / "keys.py").write_text('AWS = "AKIAQYLPMN5HHHFPZAM2"\n')
    result = wave_run(project, "checks", "--json")
    assert result.returncode == 1
    tasks = {t["id"]: t for t in json.loads(result.stdout)["tasks"]}
    assert tasks["hello"]["state"] == "succeeded"
    assert tasks["fetch"]["state"] == "failed"
    assert "may not run 'curl'" in tasks["fetch"]["error"]
    assert tasks["scan"]["state"] == "failed"
    assert "hard-coded AWS access key" in tasks["scan"]["error"]
    audit = (project / ".wave" / "audit.log").read_text()
    assert "security.tool_denied" in audit


def test_rollback_runs_the_compensations_newest_first(
    project: Path, write: WriteFile, tmp_path: Path
) -> None:
    log = tmp_path / "undo.log"
    undo = "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + chr(10))"
    write(
        ".wave/pipelines/deploy.yaml",
        f"""
        pipeline:
          id: deploy
          name: Deploy
          execution: {{on_failure: rollback}}
          tasks:
            - id: first
              type: shell
              command: ["python", "-c", "print('step 1')"]
              compensate: ["python", "-c", "{undo}", "{log}", "undo first"]
            - id: second
              type: shell
              dependencies: [first]
              command: ["python", "-c", "print('step 2')"]
              compensate: ["python", "-c", "{undo}", "{log}", "undo second"]
            - id: broken
              type: shell
              dependencies: [second]
              command: ["python", "-c", "raise SystemExit(3)"]
        """,
    )
    result = wave_run(project, "deploy", "--json")
    assert result.returncode == 1
    assert log.read_text() == "undo second\nundo first\n"


@pytest.mark.parametrize("ending", ["fails", "is_cancelled"])
def test_rollback_restores_every_file_the_run_changed(
    project: Path, write: WriteFile, tmp_path: Path, ending: str
) -> None:
    edit = (
        "import pathlib, shutil; p = pathlib.Path('src/app.py'); p.write_text('broken' + chr(10));"
        " pathlib.Path('build/out').mkdir(parents=True); pathlib.Path('build/out/a.bin')"
        ".write_bytes(bytes(8)); pathlib.Path('tests').rmdir(); pathlib.Path('NOTES').unlink()"
    )
    last = (
        '["python", "-c", "raise SystemExit(3)"]'
        if ending == "fails"
        else '["python", "-c", "import time; time.sleep(60)"]\n              timeout: 1s'
    )
    write(
        ".wave/pipelines/release.yaml",
        f"""
        pipeline:
          id: release
          name: Release
          workspace: shared
          execution: {{on_failure: rollback}}
          tasks:
            - id: edit
              type: shell
              command: ["python", "-c", "{edit}"]
            - id: last
              type: shell
              dependencies: [edit]
              command: {last}
        """,
    )
    (project / "NOTES").write_text("release notes\n")
    shared = tmp_path / "runs" / "shared" / "release"

    def files() -> dict[str, bytes]:
        return {
            p.relative_to(shared).as_posix(): p.read_bytes()
            for p in shared.rglob("*")
            if p.is_file() and p.name != "workspace.json"
        }

    result = wave_run(project, "release", "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["proposal"] is None
    assert files() == {"src/app.py": b"print('app')\n", "NOTES": b"release notes\n"}
    assert (shared / "tests").is_dir() and not (shared / "build").exists()
    assert (project / "src" / "app.py").read_text() == "print('app')\n"  # never touched
