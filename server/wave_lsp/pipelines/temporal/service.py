"""Temporal from Wave's side: ``wave worker`` (runs the pipeline workflows and their tasks for a
task queue) and starting a run, following its status and waiting for its result — what
``wave run`` does when ``pipeline.engine`` is ``temporal``."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Callable
from typing import Any

from temporalio.client import Client, WorkflowFailureError
from temporalio.worker import Worker

from wave_lsp.config.system import TemporalSettings
from wave_lsp.pipelines.temporal.activities import RunRequest, finish, prepare, run_task
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
    """A worker until SIGTERM or SIGINT: at most ``max_concurrent`` tasks at once."""
    client = await connect(settings)
    worker = Worker(
        client, task_queue=settings.task_queue, workflows=[PipelineWorkflow],
        activities=[prepare, run_task, finish], max_concurrent_activities=max_concurrent,
    )  # fmt: skip
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with worker:
        await stop.wait()


async def start_and_follow(
    settings: TemporalSettings,
    request: RunRequest,
    on_event: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    """Start the run, show its events as the workflow records them, return its result."""
    client = await connect(settings)
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    handle = await client.start_workflow(
        PipelineWorkflow.run, request, id=run_id, task_queue=settings.task_queue
    )
    seen = 0
    result_task = asyncio.ensure_future(handle.result())
    stopping = asyncio.Event()  # Ctrl-C or SIGTERM: the run is cancelled, not left running
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    cancel_sent = False
    while not result_task.done():
        await asyncio.wait([result_task], timeout=POLL_SECONDS)
        if stopping.is_set() and not cancel_sent:
            await handle.cancel()  # reaches the running task at its next heartbeat
            cancel_sent = True
        try:
            status = await handle.query(PipelineWorkflow.status)
        except Exception:  # not started by a worker yet
            continue
        for event in status["events"][seen:]:
            on_event(event)
        seen = len(status["events"])
    final = await handle.query(PipelineWorkflow.status)
    for event in final["events"][seen:]:
        on_event(event)
    try:
        result: dict[str, Any] = result_task.result()
    except WorkflowFailureError as error:
        if cancel_sent:
            return {**final, "proposal": None}
        raise TemporalError(f"the run {run_id} failed in Temporal: {error.cause}") from error
    return result
