"""The DAG engine with a scripted task runner: ordering, parallel limits, retries after invalid
JSON and schema violations, timeouts, each on_failure mode, cancel, templates."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from wave_lsp.pipelines.engine import (
    PipelineRun,
    Report,
    RunState,
    TaskFailure,
    TaskOutcome,
    TaskState,
)
from wave_lsp.pipelines.models import Pipeline, Task

Script = Callable[[Task, str, int], Any]


class ScriptedRunner:
    """Answers per task id (a value, a list per attempt, or a callable); records concurrency."""

    def __init__(self, answers: dict[str, Any], delay: float = 0.0) -> None:
        self.answers = answers
        self.delay = delay
        self.calls: list[tuple[str, int, str]] = []
        self.running = 0
        self.peak = 0
        self.compensated: list[str] = []

    async def run(self, task: Task, prompt: str, attempt: int, report: Report) -> TaskOutcome:
        self.calls.append((task.id, attempt, prompt))
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await asyncio.sleep(self.delay)
            answer = self.answers.get(task.id, "ok")
            if isinstance(answer, list):
                answer = answer[min(attempt, len(answer)) - 1]
            if callable(answer):
                answer = await answer(task, prompt, attempt)
            if isinstance(answer, Exception):
                raise answer
            report(str(answer)[:20])

            async def undo(task_id: str = task.id) -> None:
                self.compensated.append(task_id)

            return TaskOutcome(answer if isinstance(answer, str) else json.dumps(answer),
                               compensate=undo)  # fmt: skip
        finally:
            self.running -= 1


def pipeline(tasks: list[dict[str, Any]], **execution: Any) -> Pipeline:
    return Pipeline.model_validate(
        {
            "id": "p",
            "name": "P",
            "tasks": tasks,
            "execution": {"max_parallel_tasks": 3, **execution},
        }
    )


def llm(task_id: str, deps: list[str] | None = None, **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "type": "llm", "dependencies": deps or [], "prompt_template": task_id,
            **fields}  # fmt: skip


async def run(p: Pipeline, runner: ScriptedRunner, **kwargs: Any) -> PipelineRun:
    engine = PipelineRun(p, kwargs.pop("inputs", {}), {"llm": runner}, backoff=0.001, **kwargs)
    await engine.run()
    return engine


async def test_dependencies_are_honoured_and_outputs_flow() -> None:
    p = pipeline([
        llm("a", inputs=[{"name": "goal"}], prompt_template="Plan {{goal}}"),
        llm("b", ["a"], inputs=[{"name": "plan", "from_task": "a", "output_name": "output"}],
            prompt_template="Do {{plan}}"),
        llm("c", ["a"]),
        llm("d", ["b", "c"]),
    ])  # fmt: skip
    runner = ScriptedRunner({"a": "THE PLAN"})
    engine = await run(p, runner, inputs={"goal": "X"})
    assert engine.state is RunState.SUCCEEDED
    order = [c[0] for c in runner.calls]
    assert order[0] == "a" and order[-1] == "d" and set(order[1:3]) == {"b", "c"}
    assert runner.calls[0][2] == "Plan X"
    assert "````\nTHE PLAN\n````" in runner.calls[order.index("b")][2]  # fenced: data


@pytest.mark.parametrize(("parallel", "limit", "peak"), [(True, 2, 2), (True, 5, 5), (False, 5, 1)])
async def test_parallelism_is_exact(parallel: bool, limit: int, peak: int) -> None:
    p = pipeline([llm(f"t{n}") for n in range(8)], parallel=parallel, max_parallel_tasks=limit)
    runner = ScriptedRunner({}, delay=0.05)
    await run(p, runner)
    assert runner.peak == peak


async def test_invalid_json_is_retried_with_the_error_fed_back() -> None:
    schema = {"type": "object", "required": ["steps"], "properties": {"steps": {"type": "array"}}}
    p = pipeline(
        [
            llm(
                "plan",
                retry_count=2,
                outputs=[{"name": "plan", "type": "json", "schema": "plan.json"}],
            )
        ]
    )
    runner = ScriptedRunner({"plan": ["not json", {"steps": "no"}, {"steps": [1, 2]}]})
    engine = await run(p, runner, schemas={"plan": schema})
    assert engine.state is RunState.SUCCEEDED
    assert engine.records["plan"].attempts == 3
    assert engine.records["plan"].outputs["plan"] == {"steps": [1, 2]}
    assert "not JSON" in runner.calls[1][2]
    assert "steps: 'no' is not of type 'array'" in runner.calls[2][2]


async def test_retries_run_out_into_a_failure() -> None:
    p = pipeline([llm("a", retry_count=1, outputs=[{"name": "j", "type": "json"}])])
    engine = await run(p, ScriptedRunner({"a": "never json"}))
    assert engine.state is RunState.FAILED
    assert engine.records["a"].attempts == 2 and "not JSON" in engine.records["a"].error


async def test_a_timeout_fails_the_attempt() -> None:
    async def slow(task: Task, prompt: str, attempt: int) -> str:
        await asyncio.sleep(10)
        return "late"

    p = pipeline([llm("a", timeout="1s")])
    engine = await run(p, ScriptedRunner({"a": slow}))
    assert (
        engine.state is RunState.FAILED and "no result within 0:00:01" in engine.records["a"].error
    )


async def test_default_timeout_applies_where_a_task_has_none() -> None:
    async def slow(task: Task, prompt: str, attempt: int) -> str:
        await asyncio.sleep(10)
        return "late"

    engine = await run(pipeline([llm("a")]), ScriptedRunner({"a": slow}),
                       default_timeout=timedelta(milliseconds=200))  # fmt: skip
    assert engine.records["a"].state is TaskState.FAILED


async def test_on_failure_stop_cancels_and_skips() -> None:
    p = pipeline([llm("bad"), llm("slow"), llm("after", ["slow"])], on_failure="stop")

    async def slow(task: Task, prompt: str, attempt: int) -> str:
        await asyncio.sleep(5)
        return "x"

    engine = await run(p, ScriptedRunner({"bad": TaskFailure("boom"), "slow": slow}))
    states = {k: r.state for k, r in engine.records.items()}
    assert engine.state is RunState.FAILED
    assert states == {"bad": TaskState.FAILED, "slow": TaskState.CANCELLED,
                      "after": TaskState.SKIPPED}  # fmt: skip


async def test_on_failure_continue_skips_only_dependants() -> None:
    p = pipeline([llm("bad"), llm("child", ["bad"]), llm("other"), llm("later", ["other"])],
                 on_failure="continue")  # fmt: skip
    engine = await run(p, ScriptedRunner({"bad": TaskFailure("boom")}))
    states = {k: r.state for k, r in engine.records.items()}
    assert states == {"bad": TaskState.FAILED, "child": TaskState.SKIPPED,
                      "other": TaskState.SUCCEEDED, "later": TaskState.SUCCEEDED}  # fmt: skip


async def test_on_failure_rollback_undoes_newest_first() -> None:
    p = pipeline([llm("one"), llm("two", ["one"]), llm("bad", ["two"])], on_failure="rollback")
    runner = ScriptedRunner({"bad": TaskFailure("boom")})
    engine = await run(p, runner)
    assert engine.state is RunState.FAILED
    assert runner.compensated == ["two", "one"]


async def test_cancel_stops_running_tasks_and_the_rest() -> None:
    started = asyncio.Event()

    async def slow(task: Task, prompt: str, attempt: int) -> str:
        started.set()
        await asyncio.sleep(30)
        return "x"

    p = pipeline([llm("a"), llm("b", ["a"])])
    runner = ScriptedRunner({"a": slow})
    engine = PipelineRun(p, {}, {"llm": runner})
    running = asyncio.create_task(engine.run())
    await started.wait()
    engine.cancel()
    assert await asyncio.wait_for(running, 5) is RunState.CANCELLED
    assert engine.records["a"].state is TaskState.CANCELLED
    assert engine.records["b"].state is TaskState.CANCELLED
    assert runner.running == 0


def test_templates_and_graphs_are_checked_when_a_run_is_made() -> None:
    with pytest.raises(ValueError, match=r"uses \{\{missing\}\} but the task has no such input"):
        PipelineRun(
            pipeline([llm("a", prompt_template="{{missing}}")]), {}, {"llm": ScriptedRunner({})}
        )
    with pytest.raises(ValueError, match="needs the input"):
        PipelineRun(pipeline([llm("a", inputs=[{"name": "x"}], prompt_template="{{x}}")]), {},
                    {"llm": ScriptedRunner({})})  # fmt: skip


async def test_a_type_timeout_sits_between_the_task_and_the_default() -> None:
    async def slow(task: Task, prompt: str, attempt: int) -> str:
        await asyncio.sleep(10)
        return "late"

    engine = await run(
        pipeline([llm("a")]),
        ScriptedRunner({"a": slow}),
        default_timeout=timedelta(hours=1),
        type_timeouts={"llm": timedelta(milliseconds=200)},
    )
    assert engine.records["a"].state is TaskState.FAILED
    assert "no result within 0:00:00.200000" in engine.records["a"].error


async def test_a_type_retry_count_applies_where_the_task_sets_none() -> None:
    p = pipeline([llm("unset"), llm("zero", retry_count=0)], on_failure="continue")
    runner = ScriptedRunner({"unset": TaskFailure("boom"), "zero": TaskFailure("boom")})
    engine = await run(p, runner, type_retries={"llm": 2})
    assert engine.records["unset"].attempts == 3  # the type's retries
    assert engine.records["zero"].attempts == 1  # a task's own 0 is kept
