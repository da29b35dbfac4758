"""Engine overhead per task: 1,000 tasks on an instant task runner, run by the pipeline engine,
against calling the same runner 1,000 times in a plain loop in the same run (target: <= 1 ms of
engine overhead per task). Two shapes: a chain (each task depends on the previous) and a wide
pipeline (independent tasks, max_parallel_tasks 3).

    .venv/bin/python bench/pipeline_bench.py [--tasks N] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from wave_lsp.pipelines.engine import PipelineRun, Report, TaskOutcome
from wave_lsp.pipelines.models import Pipeline, Task


class Instant:
    async def run(self, task: Task, prompt: str, attempt: int, report: Report) -> TaskOutcome:
        report("ok")
        return TaskOutcome("ok")


def pipeline(tasks: int, chain: bool) -> Pipeline:
    return Pipeline.model_validate(
        {
            "id": "bench",
            "name": "bench",
            "tasks": [
                {
                    "id": f"t{n}",
                    "type": "llm",
                    "prompt_template": f"task {n}",
                    "dependencies": [f"t{n - 1}"] if chain and n else [],
                }
                for n in range(tasks)
            ],
            "execution": {"parallel": True, "max_parallel_tasks": 3},
        }
    )


async def baseline(tasks: list[Task]) -> float:
    runner = Instant()
    started = time.perf_counter()
    for task in tasks:
        await runner.run(task, task.prompt_template or "", 1, lambda text: None)
    return time.perf_counter() - started


async def engine(p: Pipeline) -> float:
    events = 0

    def count(_: object) -> None:
        nonlocal events
        events += 1

    run = PipelineRun(p, {}, {"llm": Instant()}, on_event=count)
    started = time.perf_counter()
    await run.run()
    elapsed = time.perf_counter() - started
    assert run.state.value == "succeeded" and events > len(p.tasks)
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    for chain in (True, False):
        p = pipeline(arguments.tasks, chain)
        base = statistics.median([await baseline(p.tasks) for _ in range(arguments.runs)])
        ours = statistics.median([await engine(p) for _ in range(arguments.runs)])
        per_task = (ours - base) / arguments.tasks * 1000
        shape = "chain" if chain else "wide (3 parallel)"
        print(
            f"{arguments.tasks} tasks, {shape:18}: engine {ours * 1000:7.1f} ms, plain loop "
            f"{base * 1000:6.2f} ms -> overhead {per_task:.3f} ms/task (target <= 1 ms)"
        )


if __name__ == "__main__":
    asyncio.run(main())
