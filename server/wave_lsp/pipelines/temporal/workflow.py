"""A pipeline run as a Temporal workflow: the same engine as a local run
(:class:`~wave_lsp.pipelines.engine.PipelineRun` decides order, parallelism, retries with
feedback, ``on_failure`` and compensations), with each task's attempt an activity on a worker,
and the workflow's time, random and id handed to the engine so that a replay decides the same.
``status`` is a query (what ``wave run`` and the editors show); the result is the run's status
with its proposal."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from wave_lsp.pipelines.engine import PipelineRun
    from wave_lsp.pipelines.models import Pipeline, Task
    from wave_lsp.pipelines.tasks import Event, PermanentFailure, TaskFailure, TaskOutcome
    from wave_lsp.pipelines.temporal.activities import (
        FinishCall,
        Prepared,
        RunRequest,
        TaskCall,
        TaskResult,
    )
    from wave_lsp.pipelines.temporal.slots import (
        GRANTED,
        AcquireCall,
        Acquired,
        semaphore_id,
    )

WORKER_LOSSES = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_attempts=5,
    non_retryable_error_types=["TaskFailure", "PermanentFailure"],
)
"""Temporal retries an attempt only when its worker was lost; the task's own failures are the
engine's to retry (with the error fed back)."""
EVENTS_KEPT = 500


class ActivityRunner:
    """A task type's runner that runs each attempt as the ``wave.task`` activity."""

    def __init__(self, request: RunRequest, workdir: str, run_id: str, heartbeat: float,
                 persona: str | None) -> None:  # fmt: skip
        self.request, self.workdir, self.run_id = request, workdir, run_id
        self.heartbeat, self.persona = heartbeat, persona

    def call(self, task: Task, prompt: str = "", attempt: int = 1, *, compensate: bool = False
             ) -> TaskCall:  # fmt: skip
        """The activity's input: the task as this run's pipeline has it."""
        definition = task.model_copy(update={"persona": task.persona or self.persona})
        return TaskCall(self.request, self.workdir, self.run_id, task.id, prompt, attempt,
                        compensate, definition.model_dump(mode="json", by_alias=True))  # fmt: skip

    async def run(self, task: Task, prompt: str, attempt: int, report: Any) -> TaskOutcome:
        call = self.call(task, prompt, attempt)
        result = await _task_activity(call, task, self.heartbeat)
        return TaskOutcome(result.text, result.outputs)


async def _task_activity(call: TaskCall, task: Task, heartbeat: float) -> TaskResult:
    """``heartbeat``: seconds a worker may be silent before it is taken as lost
    (``pipeline.temporal.heartbeat_timeout``)."""
    timeout = task.timeout or timedelta(hours=1)
    try:
        result: TaskResult = await workflow.execute_activity(
            "wave.task", call, result_type=TaskResult,
            start_to_close_timeout=timeout + timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=heartbeat), retry_policy=WORKER_LOSSES,
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )  # fmt: skip
        return result
    except ActivityError as error:
        cause = error.cause
        if isinstance(cause, CancelledError):  # the run was cancelled: so is the task
            raise asyncio.CancelledError from None
        if isinstance(cause, ApplicationError) and cause.type == "PermanentFailure":
            raise PermanentFailure(cause.message) from None
        why = cause.message if isinstance(cause, ApplicationError) else str(error)
        raise TaskFailure(why) from None


@workflow.defn(name="wave.pipeline", sandboxed=False)
class PipelineWorkflow:
    def __init__(self) -> None:
        self.engine: PipelineRun | None = None
        self.events: list[dict[str, Any]] = []
        self.granted = False
        self.queued = False

    @workflow.run
    async def run(self, request: RunRequest) -> dict[str, Any]:
        """The run once the task queue's semaphore grants it a slot (``max_concurrent``); the
        slot is given back however the run ends."""
        info = workflow.info()
        semaphore = workflow.get_external_workflow_handle(semaphore_id(info.task_queue))
        try:
            await self._slot(request, info.task_queue)
            return await self._run(request)
        finally:
            try:
                await semaphore.signal("release", info.workflow_id)
            except Exception:  # the semaphore is gone (terminated): no slot to give back
                workflow.logger.warning("run slot not given back: %s is not running", semaphore.id)

    async def _slot(self, request: RunRequest, task_queue: str) -> None:
        run_id = workflow.info().workflow_id
        asked = await workflow.execute_local_activity(  # not behind the worker's tasks
            "wave.slots.acquire", AcquireCall(request.root, task_queue, run_id),
            result_type=Acquired, start_to_close_timeout=timedelta(minutes=1),
        )  # fmt: skip
        if asked.granted:
            self.granted = True
            return
        self.queued = True
        self._note("run_queued", f"waiting for a run slot: {asked.ahead} runs ahead "
                   f"(pipeline.max_concurrent: {asked.limit})")  # fmt: skip
        await workflow.wait_condition(lambda: self.granted)

    @workflow.signal(name=GRANTED)
    def grant(self) -> None:
        self.granted = True

    async def _run(self, request: RunRequest) -> dict[str, Any]:
        prepared = await workflow.execute_activity(
            "wave.prepare", request, result_type=Prepared,
            start_to_close_timeout=timedelta(minutes=5),
        )  # fmt: skip
        pipeline = Pipeline.model_validate(prepared.pipeline)
        run_id = workflow.info().workflow_id
        options = prepared.options
        heartbeat = options["heartbeat_timeout"]
        runner = ActivityRunner(request, prepared.workdir, run_id, heartbeat, pipeline.persona)

        def compensator(task: Task) -> Any:
            if not task.compensate:
                return None

            async def undo() -> None:
                await _task_activity(runner.call(task, compensate=True), task, heartbeat)

            return undo

        self.engine = PipelineRun(
            pipeline, request.inputs, {t.type.value: runner for t in pipeline.tasks},
            schemas=options["schemas"],
            default_timeout=timedelta(seconds=options["default_timeout"]),
            type_timeouts={k: timedelta(seconds=v) for k, v in options["type_timeouts"].items()},
            type_retries=options["type_retries"], compensator=compensator,
            on_event=self._record, run_id=run_id,
            clock=lambda: workflow.now().timestamp(), jitter=workflow.random().uniform,
        )  # fmt: skip
        state = await self.engine.run()
        changed = sorted({path for record in self.engine.records.values()
                          for path in record.outputs.get("changed_files") or []})  # fmt: skip
        proposal = None
        if changed and state.value == "succeeded":
            proposal = await workflow.execute_activity(
                "wave.finish", FinishCall(request, prepared.workdir, run_id, changed),
                start_to_close_timeout=timedelta(minutes=5),
            )  # fmt: skip
        return {**self.engine.status(), "proposal": proposal, "workdir": prepared.workdir}

    def _record(self, event: Event) -> None:
        self._note(event.kind, str(event.message or ""), event.task, event.state, event.attempt)

    def _note(self, kind: str, message: str, task: str | None = None, state: str | None = None,
              attempt: int = 0) -> None:  # fmt: skip
        self.events.append(
            {"kind": kind, "task": task, "state": state, "message": message, "attempt": attempt}
        )
        del self.events[:-EVENTS_KEPT]

    @workflow.query(name="status")
    def status(self) -> dict[str, Any]:
        waiting = "queued" if self.queued and not self.granted else "pending"
        base = self.engine.status() if self.engine is not None else {"state": waiting}
        return {**base, "events": self.events}
