"""The Wave seed's pipeline engine: a DAG of tasks run in dependency order (``graphlib``), as
parallel as ``execution`` allows, each with its timeout and retries; JSON outputs parsed and
validated against their schema (an invalid output is a failed attempt, retried with the error fed
back); ``on_failure`` stop / continue / rollback; cancel. Task types plug in as
:class:`TaskRunner`s; events go to a callback (the relay, progress, a terminal display).

Upstream outputs pasted into a downstream prompt are fenced: model output is data, not
instructions.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from graphlib import CycleError, TopologicalSorter
from typing import Any

from wave_lsp.pipelines.models import (
    IMPLICIT_OUTPUTS,
    InputType,
    OnFailure,
    OutputType,
    Pipeline,
    Task,
)
from wave_lsp.pipelines.tasks import (
    Event,
    Note,
    PermanentFailure,
    Report,
    RunState,
    TaskFailure,
    TaskOutcome,
    TaskRecord,
    TaskRunner,
    TaskState,
    find_schema,
    shown,
)
from wave_lsp.providers.answers import json_in, schema_error

__all__ = [
    "Event",
    "PermanentFailure",
    "PipelineRun",
    "Report",
    "RunState",
    "TaskFailure",
    "TaskOutcome",
    "TaskRecord",
    "TaskRunner",
    "TaskState",
    "shown",
]

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")
FENCE = "````"


def placeholders(template: str) -> set[str]:
    return set(PLACEHOLDER.findall(template))


def unknown_placeholders(task: Task) -> list[str]:
    """Placeholders of the task's prompt that name none of its inputs (a load-time error)."""
    known = {i.name for i in task.inputs}
    return sorted(placeholders(task.prompt_template or "") - known)


class PipelineRun:
    def __init__(
        self,
        pipeline: Pipeline,
        inputs: Mapping[str, Any],
        runners: Mapping[str, TaskRunner],
        *,
        schemas: Mapping[str, dict[str, Any]] | None = None,
        default_timeout: timedelta | None = None,
        type_timeouts: Mapping[str, timedelta] | None = None,
        type_retries: Mapping[str, int] | None = None,
        compensator: Callable[[Task], Callable[[], Awaitable[None]] | None] | None = None,
        on_event: Callable[[Event], None] = lambda event: None,
        backoff: float = 1.0,
        run_id: str | None = None,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        """``run_id``, ``clock``, ``jitter``: handed in where the run must replay the same (a
        Temporal workflow's id, time and random)."""
        self.id = run_id or f"run-{uuid.uuid4().hex[:8]}"
        self.clock = clock
        self.jitter = jitter
        self.pipeline = pipeline
        self.inputs = dict(inputs)
        self.runners = runners
        self.schemas = schemas or {}
        self.default_timeout = default_timeout
        self.type_timeouts = dict(type_timeouts or {})
        """Timeouts per task type (``claude.timeout`` for claude-code), under a task's own."""
        self.compensator = compensator
        """Makes the undo step of a task that declares ``compensate``."""
        self.type_retries = dict(type_retries or {})
        """Retries per task type (``claude.max_retries``) for tasks that do not set retry_count."""
        self.on_event = on_event
        self.backoff = backoff
        self.tasks = {t.id: t for t in pipeline.tasks}
        self.records = {t.id: TaskRecord(t.id) for t in pipeline.tasks}
        self.state = RunState.RUNNING
        self.started = clock()
        self.finished: float | None = None
        self._compensations: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        self._running: dict[str, asyncio.Task[None]] = {}
        self._cancelled = False
        self._check()

    # -- checks at creation --------------------------------------------------------------------

    def _check(self) -> None:
        graph = {t.id: set(t.dependencies) for t in self.pipeline.tasks}
        try:
            tuple(TopologicalSorter(graph).static_order())
        except CycleError as error:
            cycle = " -> ".join(error.args[1])
            raise ValueError(f"pipeline '{self.pipeline.id}' has a cycle: {cycle}") from error
        for task in self.pipeline.tasks:
            if task.type.value not in self.runners:
                raise ValueError(f"task '{task.id}': no runner for type '{task.type.value}'")
            unknown = unknown_placeholders(task)
            if unknown:
                names = ", ".join("{{" + name + "}}" for name in unknown)
                raise ValueError(
                    f"task '{task.id}': the prompt uses {names} but the task has no such input"
                )
        needed = {
            i.name
            for t in self.pipeline.tasks
            for i in t.inputs
            if i.from_task is None and i.required
        }
        missing = sorted(needed - set(self.inputs))
        if missing:
            raise ValueError(
                f"pipeline '{self.pipeline.id}' needs the input(s): {', '.join(missing)}"
            )

    # -- events --------------------------------------------------------------------------------

    def _emit(self, kind: str, task: str | None = None, **fields: Any) -> None:
        self.on_event(Event(self.id, kind, task, correlation_id=self.id, **fields))

    # -- running -------------------------------------------------------------------------------

    def cancel(self) -> None:
        self._cancelled = True
        for running in self._running.values():
            running.cancel()

    async def run(self) -> RunState:
        self._emit("run_started")
        execution = self.pipeline.execution
        limit = execution.max_parallel_tasks if execution.parallel else 1
        slots = asyncio.Semaphore(limit)
        sorter: TopologicalSorter[str] = TopologicalSorter(
            {t.id: set(t.dependencies) for t in self.pipeline.tasks}
        )
        sorter.prepare()
        done: asyncio.Queue[str] = asyncio.Queue()
        failed = False
        try:
            while sorter.is_active() and not self._cancelled:
                for task_id in sorter.get_ready():
                    record = self.records[task_id]
                    blocked = [
                        d
                        for d in self.tasks[task_id].dependencies
                        if self.records[d].state is not TaskState.SUCCEEDED
                    ]
                    if blocked or (failed and execution.on_failure is not OnFailure.CONTINUE):
                        record.state = TaskState.SKIPPED
                        record.error = (
                            f"{', '.join(blocked)} did not succeed" if blocked
                            else "the run stopped"
                        )  # fmt: skip
                        self._emit("task_finished", task_id, state=record.state.value,
                                   message=record.error)  # fmt: skip
                        done.put_nowait(task_id)
                        continue
                    self._running[task_id] = asyncio.create_task(
                        self._run_task(self.tasks[task_id], slots, done)
                    )
                finished = await done.get()
                self._running.pop(finished, None)
                sorter.done(finished)
                if self.records[finished].state is TaskState.FAILED:
                    failed = True
                    if execution.on_failure is not OnFailure.CONTINUE:
                        for running in list(self._running.values()):
                            running.cancel()
        except asyncio.CancelledError:
            self._cancelled = True
            for running in list(self._running.values()):
                running.cancel()
            raise
        finally:
            if self._running:
                await asyncio.gather(*self._running.values(), return_exceptions=True)
            for record in self.records.values():
                if record.state in (TaskState.PENDING, TaskState.RUNNING):
                    record.state = TaskState.CANCELLED
            if self._cancelled:
                self.state = RunState.CANCELLED
            elif failed:
                self.state = RunState.FAILED
            else:
                self.state = RunState.SUCCEEDED
            if (self._cancelled or failed) and execution.on_failure is OnFailure.ROLLBACK:
                await self._rollback()
            self.finished = self.clock()
            self._emit("run_finished", state=self.state.value)
        return self.state

    def add_compensation(self, name: str, undo: Callable[[], Awaitable[None]]) -> None:
        """An undo step for ``on_failure: rollback``; those added before the run runs last."""
        self._compensations.append((name, undo))

    async def _rollback(self) -> None:
        for task_id, compensate in reversed(self._compensations):
            try:
                await compensate()
                self._emit("task_compensated", task_id)
            except Exception as error:  # one failed undo must not stop the others
                self._emit("task_compensated", task_id, message=f"failed: {error}")

    def _prompt(self, task: Task) -> tuple[str, dict[str, Any]]:
        values: dict[str, Any] = {}
        rendered: dict[str, str] = {}
        for spec in task.inputs:
            if spec.from_task is not None:
                upstream = self.records[spec.from_task].outputs
                name = spec.output_name or spec.name
                if name not in upstream:
                    if spec.required:
                        raise TaskFailure(f"input '{spec.name}': {spec.from_task} gave no '{name}'")
                    continue
                value = upstream[name]
                text = value if isinstance(value, str) else json.dumps(value, indent=2)
                rendered[spec.name] = f"\n{FENCE}\n{text}\n{FENCE}\n"  # data, not instructions
            elif spec.name in self.inputs:
                value = self.inputs[spec.name]
                rendered[spec.name] = value if isinstance(value, str) else json.dumps(value)
            else:
                if spec.required:
                    raise TaskFailure(f"input '{spec.name}' is required")
                continue
            if spec.type is InputType.JSON and isinstance(value, str):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as error:
                    raise TaskFailure(f"input '{spec.name}' is not JSON: {error}") from error
            values[spec.name] = value
        template = task.prompt_template or ""
        prompt = PLACEHOLDER.sub(lambda m: rendered.get(m.group(1), ""), template)
        return prompt, values

    async def _run_task(
        self, task: Task, slots: asyncio.Semaphore, done: asyncio.Queue[str]
    ) -> None:
        record = self.records[task.id]
        try:
            async with slots:
                record.state = TaskState.RUNNING
                record.started = self.clock()
                self._emit("task_started", task.id, state="running")
                await self._attempts(task, record)
        except asyncio.CancelledError:
            record.state = TaskState.CANCELLED
            record.error = "cancelled"
        except TaskFailure as error:
            record.state = TaskState.FAILED
            record.error = str(error)
        finally:
            record.finished = self.clock()
            self._emit("task_finished", task.id, state=record.state.value, message=record.error,
                       attempt=record.attempts)  # fmt: skip
            done.put_nowait(task.id)

    async def _attempts(self, task: Task, record: TaskRecord) -> None:
        prompt, _ = self._prompt(task)
        timeout = task.timeout or self.type_timeouts.get(task.type.value) or self.default_timeout
        runner = self.runners[task.type.value]
        feedback = ""
        retries = task.retry_count
        if "retry_count" not in task.model_fields_set:
            retries = min(5, self.type_retries.get(task.type.value, retries))
        for attempt in range(1, retries + 2):
            record.attempts = attempt

            def report(text: str, attempt: int = attempt) -> None:
                kind = "task_note" if isinstance(text, Note) else "task_progress"
                self._emit(kind, task.id, attempt=attempt, message=text)

            try:
                full = prompt + (f"\n\n{feedback}" if feedback else "")
                async with asyncio.timeout(timeout.total_seconds() if timeout else None):
                    outcome = await runner.run(task, full, attempt, report)
                record.outputs = self._outputs(task, outcome)
                record.text = outcome.text
                record.state = TaskState.SUCCEEDED
                compensate = outcome.compensate
                if compensate is None and task.compensate and self.compensator is not None:
                    compensate = self.compensator(task)
                if compensate is not None:
                    self._compensations.append((task.id, compensate))
                return
            except TimeoutError:
                error = f"no result within {timeout}"
            except PermanentFailure as failure:
                record.error = str(failure)
                raise
            except TaskFailure as failure:
                error = str(failure)
            except asyncio.CancelledError:
                raise
            except (
                Exception
            ) as failure:  # a runner's error is the task's failure, never the run's crash
                error = f"{type(failure).__name__}: {failure}"
            record.error = error
            if attempt > retries:
                raise TaskFailure(error)
            feedback = (
                f"Your previous answer could not be used: {error}\nAnswer again, correcting this."
            )
            self._emit("task_retry", task.id, attempt=attempt, message=error)
            await asyncio.sleep(self.jitter(0, self.backoff * 2 ** (attempt - 1)))

    def _outputs(self, task: Task, outcome: TaskOutcome) -> dict[str, Any]:
        outputs: dict[str, Any] = {"output": outcome.text, **outcome.outputs}
        for spec in task.outputs:
            if spec.name in outcome.outputs:
                continue
            if spec.type is OutputType.JSON:
                value = _json_in(outcome.text)
                if spec.schema_:
                    schema = find_schema(self.schemas, spec.schema_)
                    if schema is None:
                        raise TaskFailure(f"output '{spec.name}': no schema '{spec.schema_}'")
                    _validate(spec.name, value, schema)
                outputs[spec.name] = value
            else:
                outputs[spec.name] = outcome.text
        for implicit in IMPLICIT_OUTPUTS.get(task.type, frozenset()):
            outputs.setdefault(implicit, [] if implicit == "changed_files" else outcome.text)
        return outputs

    def status(self) -> dict[str, Any]:
        return {
            "runId": self.id,
            "pipeline": self.pipeline.id,
            "state": self.state.value,
            "tasks": [
                {
                    "id": r.id,
                    "state": r.state.value,
                    "attempts": r.attempts,
                    "error": r.error or None,
                    "output": shown(r.text) if r.text else None,
                    "seconds": round((r.finished or self.clock()) - r.started, 3)
                    if r.started
                    else None,
                }
                for r in self.records.values()
            ],
        }


def _json_in(text: str) -> Any:
    try:
        return json_in(text)
    except ValueError as error:
        raise TaskFailure(f"the output is not JSON: {error}") from error


def _validate(name: str, value: Any, schema: dict[str, Any]) -> None:
    problem = schema_error(value, schema, "the output")
    if problem:
        raise TaskFailure(f"output '{name}' does not match its schema: {problem}")
