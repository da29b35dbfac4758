"""Temporal activities: what a ``wave worker`` does for a pipeline workflow, with the same
runners as a local run (:mod:`wave_lsp.pipelines.task_runners`). ``wave.prepare`` makes the
run's working copy and reads the pipeline as it is now (the workflow replays from this answer,
never from the files); ``wave.task`` runs one attempt of one task there, heartbeating its
progress (a cancelled run reaches it at its next heartbeat); ``wave.finish`` turns the files the
run changed into a proposal. A task's failure is a non-retryable error that names whether a
retry could mend it: the engine in the workflow retries it with the error fed back, as locally;
a worker lost mid-task is Temporal's to retry (the heartbeat times out)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

HEARTBEAT_SECONDS = 1.0
MAX_LINE = 2000
"""Characters of a task's last progress line carried by its heartbeat."""
"""How often a running task says it is alive (the SDK sends at most one per 0.8 x the timeout)."""


@dataclass
class RunRequest:
    root: str
    pipeline: str
    inputs: dict[str, Any] = field(default_factory=dict)
    model: str | None = None


@dataclass
class Prepared:
    workdir: str
    pipeline: dict[str, Any]
    """The pipeline as loaded when the run started (JSON)."""
    options: dict[str, Any]
    """``run_options`` with durations in seconds."""


@dataclass
class TaskCall:
    request: RunRequest
    workdir: str
    run_id: str
    task: str
    prompt: str = ""
    attempt: int = 1
    compensate: bool = False
    """Run the task's undo step (``compensate``) instead of the task."""
    definition: dict[str, Any] | None = None
    """The task as the run's pipeline had it when the run started (its persona filled in from
    the pipeline's), so every worker runs the same task however the file changes meanwhile."""


@dataclass
class TaskResult:
    text: str
    outputs: dict[str, Any]


@dataclass
class FinishCall:
    request: RunRequest
    workdir: str
    run_id: str
    changed: list[str]


def _workspace(root: str) -> Any:
    from wave_lsp.pipelines.temporal.loaded import workspace_of

    return workspace_of(root)


@activity.defn(name="wave.prepare")
async def prepare(request: RunRequest) -> Prepared:
    from wave_lsp.pipelines.task_runners import run_options
    from wave_lsp.workspaces.manager import WorkspaceError, WorkspaceManager

    workspace = await asyncio.to_thread(_workspace, request.root)
    loaded = workspace.pipelines.get(request.pipeline)
    if loaded is None:
        raise ApplicationError(f"no pipeline '{request.pipeline}'", non_retryable=True)
    pipeline = loaded.value
    config = workspace.config
    manager = WorkspaceManager(Path(str(config.workspace.base_dir)), config.workspace.cleanup_delay)
    mounts = [m for task in pipeline.tasks for m in task.workspace_mounts]
    root = Path(request.root)
    try:
        place = await asyncio.to_thread(
            manager.create, root, pipeline.workspace, pipeline.id, pipeline.persona or "",
            [m for m in mounts if (root / m.source).exists()],
        )  # fmt: skip
    except WorkspaceError as error:
        raise ApplicationError(str(error), non_retryable=True) from error
    options = run_options(workspace)
    seconds = {
        "schemas": options["schemas"],
        "default_timeout": options["default_timeout"].total_seconds(),
        "type_timeouts": {k: v.total_seconds() for k, v in options["type_timeouts"].items()},
        "type_retries": options["type_retries"],
        "heartbeat_timeout": config.pipeline.temporal.heartbeat_timeout.total_seconds(),
    }
    return Prepared(str(place.path), pipeline.model_dump(mode="json", by_alias=True), seconds)


_contexts: dict[str, tuple[dict[str, Any], Any]] = {}
_loading: dict[str, asyncio.Lock] = {}
CONTEXTS_KEPT = 16


async def _run_context(call: TaskCall) -> tuple[dict[str, Any], Any]:
    """The runners and compensator of a run, made once per run in this worker (not at every
    task: loading the workspace costs tens of milliseconds) from the workspace's configuration
    as this worker first read it for the run."""
    from wave_lsp.pipelines.task_runners import task_runners

    async with _loading.setdefault(call.run_id, asyncio.Lock()):
        found = _contexts.get(call.run_id)
        if found is None:
            workspace = await asyncio.to_thread(_workspace, call.request.root)
            runners, compensator = task_runners(
                workspace, Path(call.request.root), None, Path(call.workdir),
                session_id=call.run_id, model=call.request.model,
            )  # fmt: skip
            found = _contexts[call.run_id] = (runners, compensator)
            while len(_contexts) > CONTEXTS_KEPT:
                oldest = next(iter(_contexts))
                _contexts.pop(oldest)
                _loading.pop(oldest, None)
    return found


async def _task_of(call: TaskCall) -> Any:
    """The task to run: the run's own copy; a call without one (started before it was carried)
    reads the pipeline file."""
    from wave_lsp.pipelines.models import Task

    if call.definition is not None:
        return Task.model_validate(call.definition)
    workspace = await asyncio.to_thread(_workspace, call.request.root)
    pipeline = workspace.pipelines[call.request.pipeline].value
    task = next(t for t in pipeline.tasks if t.id == call.task)
    return task.model_copy(update={"persona": task.persona or pipeline.persona})


@activity.defn(name="wave.task")
async def run_task(call: TaskCall) -> TaskResult:
    from wave_lsp.pipelines.tasks import Note, PermanentFailure, TaskFailure

    lines: list[str] = []

    def report(text: str) -> None:
        if isinstance(text, Note) or text.strip():
            lines[:] = [str(text).strip()[-MAX_LINE:]]

    async def beat() -> None:  # its details: the task's last line, which follow() shows
        while True:
            activity.heartbeat({"task": call.task, "line": lines[-1] if lines else ""})
            await asyncio.sleep(HEARTBEAT_SECONDS)

    beating = asyncio.create_task(beat())  # first: loading the run's workspace takes a while
    try:
        runners, compensator = await _run_context(call)
        task = await _task_of(call)
        if call.compensate:
            undo = compensator(task)
            if undo is not None:
                await undo()
            return TaskResult("", {})
        outcome = await runners[task.type.value].run(task, call.prompt, call.attempt, report)
        return TaskResult(outcome.text, dict(outcome.outputs))
    except PermanentFailure as failure:
        raise ApplicationError(str(failure), type="PermanentFailure", non_retryable=True) from None
    except TaskFailure as failure:
        raise ApplicationError(str(failure), type="TaskFailure", non_retryable=True) from None
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating


@activity.defn(name="wave.finish")
async def finish(call: FinishCall) -> str | None:
    """The files the run changed in its copy, as one proposal against the root (its id)."""
    from wave_lsp.edits.proposals import ProposalStore
    from wave_lsp.pipelines.runtime import propose_files

    root, workdir = Path(call.request.root), Path(call.workdir)

    def build() -> str | None:
        changed = {p: (workdir / p).read_text(encoding="utf-8") for p in sorted(set(call.changed))
                   if (workdir / p).is_file()}  # fmt: skip
        origin = f"pipeline:{call.request.pipeline}:{call.run_id}"
        store = ProposalStore.of(root)
        try:
            proposal = propose_files(root, changed, origin, store)
        except ValueError as error:
            raise ApplicationError(str(error), non_retryable=True) from error
        return proposal.id if proposal is not None else None

    return await asyncio.to_thread(build)
