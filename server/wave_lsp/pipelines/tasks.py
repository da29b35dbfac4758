"""What the pipeline engine and its task runners share: task and run states, a task's outcome
and record, the runner interface, failures (a permanent one is not retried), and events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from wave_lsp.pipelines.models import Task


class TaskState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class RunState(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(slots=True)
class TaskOutcome:
    text: str
    outputs: dict[str, Any] = field(default_factory=dict)
    """Declared outputs the runner produced itself (files changed, exit code, ...)."""
    compensate: Callable[[], Awaitable[None]] | None = None
    """Undoes the task's effects (for ``on_failure: rollback``)."""


Report = Callable[[str], None]


class Note(str):
    """A progress text a user should see even when not following the stream (which agent runs a
    task, and why): reported as a ``task_note`` event, printed by ``wave run``."""

    __slots__ = ()


class TaskRunner(Protocol):
    async def run(self, task: Task, prompt: str, attempt: int, report: Report) -> TaskOutcome: ...


def find_schema(schemas: Mapping[str, dict[str, Any]], name: str) -> dict[str, Any] | None:
    """A schema by the name an output gives it (``plan.json`` or ``plan``)."""
    return schemas.get(name) or schemas.get(name.removesuffix(".json"))


def output_schema(task: Task, schemas: Mapping[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The schema of the task's first JSON output that names one (sent as the provider's
    structured-output parameter; the output is validated against it after, as always)."""
    for output in task.outputs:
        if output.type.value == "json" and output.schema_:
            found = find_schema(schemas, output.schema_)
            if found is not None:
                return found
    return None


class TaskFailure(Exception):
    pass


class PermanentFailure(TaskFailure):
    """A failure no retry can mend (a program that is not installed): the task fails at once."""


OUTPUT_SHOWN = 600
"""Characters of a task's output in a status (the whole is in the run's report file)."""


def shown(text: str, limit: int = OUTPUT_SHOWN) -> str:
    """``text`` cut to a readable length, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters in the report)"


@dataclass(slots=True)
class TaskRecord:
    id: str
    state: TaskState = TaskState.PENDING
    attempts: int = 0
    started: float | None = None
    finished: float | None = None
    error: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    text: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    """What happened, for subscribers (the seed's relay messages carry these)."""

    run_id: str
    kind: str
    """run_started, task_started, task_progress, task_note, task_retry, task_finished,
    run_finished."""
    task: str | None = None
    state: str | None = None
    attempt: int = 0
    message: str = ""
    correlation_id: str = ""
