"""Temporal from Wave's side: ``wave worker`` (runs the pipeline workflows and their tasks for a
task queue) and starting a run, following its status and waiting for its result — what
``wave run`` does when ``pipeline.engine`` is ``temporal``."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Callable
from typing import Any

from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.worker import Worker

from wave_lsp.config.system import TemporalSettings
from wave_lsp.pipelines.tasks import Event
from wave_lsp.pipelines.temporal.activities import RunRequest, finish, prepare, run_task
from wave_lsp.pipelines.temporal.slots import SlotsWorkflow, acquire, ended
from wave_lsp.pipelines.temporal.workflow import PipelineWorkflow

POLL_SECONDS = 0.3


class TemporalError(Exception):
    """Temporal cannot be reached, or refused the run: the message says which and how."""


async def connect(settings: TemporalSettings) -> Client:
    try:
        return await Client.connect(settings.address, namespace=settings.namespace)
    except Exception as error:  # the SDK raises RuntimeError for a frontend that is not there
        raise TemporalError(
            f"cannot reach Temporal at {settings.address} ({error}): start it "
            "(`temporal server start-dev`) or set pipeline.temporal.address"
        ) from error


async def work(settings: TemporalSettings, max_concurrent: int) -> None:
    """A worker until SIGTERM or SIGINT: at most ``max_concurrent`` tasks at once in this
    worker (runs at once across all workers: the queue's semaphore, ``pipeline.max_concurrent``)."""
    client = await connect(settings)
    worker = Worker(
        client, task_queue=settings.task_queue, workflows=[PipelineWorkflow, SlotsWorkflow],
        activities=[prepare, run_task, finish, acquire, ended],
        max_concurrent_activities=max_concurrent,
    )  # fmt: skip
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with worker:
        await stop.wait()


async def start_run(settings: TemporalSettings, request: RunRequest) -> WorkflowHandle[Any, Any]:
    """The run, queued for a worker (its id is the workflow's)."""
    client = await connect(settings)
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    return await client.start_workflow(
        PipelineWorkflow.run, request, id=run_id, task_queue=settings.task_queue
    )


async def follow(
    handle: WorkflowHandle[Any, Any],
    on_event: Callable[[dict[str, Any]], None],
    stopping: asyncio.Event | None = None,
) -> dict[str, Any]:
    """Show the run's events as the workflow records them (polling its ``status`` query), cancel
    it when ``stopping`` is set, and return its result (a cancelled run: its last status)."""
    seen = 0
    shown: dict[str, str] = {}
    result_task = asyncio.ensure_future(handle.result())
    cancel_sent = False
    while not result_task.done():
        await asyncio.wait([result_task], timeout=POLL_SECONDS)
        if stopping is not None and stopping.is_set() and not cancel_sent:
            await handle.cancel()  # reaches the running task at its next heartbeat
            cancel_sent = True
        try:
            status = await handle.query(PipelineWorkflow.status)
        except Exception:  # not started by a worker yet
            continue
        for event in status["events"][seen:]:
            on_event(event)
        seen = len(status["events"])
        await _running_lines(handle, shown, on_event)
    final = await handle.query(PipelineWorkflow.status)
    for event in final["events"][seen:]:
        on_event(event)
    try:
        result: dict[str, Any] = result_task.result()
    except WorkflowFailureError as error:
        if cancel_sent or final.get("state") == "cancelled":
            return {**final, "proposal": None}
        raise TemporalError(f"the run {handle.id} failed in Temporal: {error.cause}") from error
    return result


async def _running_lines(
    handle: WorkflowHandle[Any, Any],
    shown: dict[str, str],
    on_event: Callable[[dict[str, Any]], None],
) -> None:
    """The running tasks' last progress lines (their activities' heartbeat details, which the
    workflow does not see) as ``task_progress`` events, each new line once. Temporal keeps a
    heartbeat's details at most every ~80% of ``heartbeat_timeout``, so lines are sampled."""
    try:
        description = await handle.describe()
    except Exception:  # a passing fault: the next poll asks again
        return
    for pending in description.raw_description.pending_activities:
        if pending.activity_type.name != "wave.task" or not pending.heartbeat_details.payloads:
            continue
        try:
            (details,) = await description.data_converter.decode(pending.heartbeat_details.payloads)
        except Exception:  # not ours to read (another version's details)
            continue
        if not isinstance(details, dict):
            continue
        task, line = details.get("task"), details.get("line")
        if isinstance(task, str) and isinstance(line, str) and line and shown.get(task) != line:
            shown[task] = line
            on_event({"kind": "task_progress", "task": task, "state": None, "message": line,
                      "attempt": pending.attempt})  # fmt: skip


async def run_and_follow(
    settings: TemporalSettings,
    request: RunRequest,
    on_event: Callable[[Event], None],
    on_started: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """A front end's run (ACP's, MCP's): started, its events as the engine's :class:`Event`s,
    its result (``proposal``: the id of the proposal of its changes, or ``None``). Cancelling
    the caller cancels the workflow (and so its running task)."""
    handle = await start_run(settings, request)
    if on_started is not None:
        on_started(handle.id)

    def forward(event: dict[str, Any]) -> None:
        attempt, message = int(event.get("attempt") or 0), str(event.get("message") or "")
        on_event(Event(handle.id, event["kind"], event.get("task"), event.get("state"), attempt,
                       message))  # fmt: skip

    try:
        return await follow(handle, forward)
    except asyncio.CancelledError:
        await asyncio.shield(handle.cancel())
        raise


async def start_and_follow(
    settings: TemporalSettings,
    request: RunRequest,
    on_event: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    """``wave run``'s run: started, followed, cancelled by Ctrl-C or SIGTERM."""
    handle = await start_run(settings, request)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    return await follow(handle, on_event, stopping)
