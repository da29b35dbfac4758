"""``pipeline.max_concurrent`` across every worker of a task queue: a semaphore workflow.

Each task queue has one ``wave.slots`` workflow (id ``wave-slots-<queue>``). A pipeline run asks
it for a slot before it makes its working copy (the ``wave.slots.acquire`` local activity, so
it never waits behind the worker's running tasks: an update-with-start, so two runs never start
two semaphores). The answer is a slot at once or the
run's place in the queue; a queued run waits for its ``wave.granted`` signal. A run gives its
slot back however it ends (succeeded, failed, cancelled). The semaphore grants in the order it
was asked, at most ``limit`` at once (the workspace's ``pipeline.max_concurrent`` as the latest
asker read it), and every ``check_seconds`` while runs wait it looks for holders that ended
without giving their slot back (a terminated run) and takes the slot back. Its history is kept
short by continuing as new every ``per_history`` asks and releases."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import activity, workflow

CHECK = timedelta(seconds=30)
"""How often the semaphore looks for holders that ended without giving their slot back."""
SIGNALS_PER_HISTORY = 500
GRANTED = "wave.granted"


def semaphore_id(task_queue: str) -> str:
    return f"wave-slots-{task_queue}"


@dataclass
class SlotAsk:
    run_id: str
    limit: int


@dataclass
class SlotState:
    limit: int = 1
    holders: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    check_seconds: float = CHECK.total_seconds()
    per_history: int = SIGNALS_PER_HISTORY
    """Asks and releases before the semaphore continues as new (a short history)."""
    generation: int = 0
    """How many times it continued as new."""


@dataclass
class AcquireCall:
    root: str
    task_queue: str
    run_id: str


@dataclass
class Acquired:
    limit: int
    """The workspace's ``pipeline.max_concurrent``, as this run read it."""
    granted: bool
    """The slot is the run's now; else the ``wave.granted`` signal comes when one is free."""
    ahead: int = 0
    """Runs before it in the queue."""


@activity.defn(name="wave.slots.acquire")
async def acquire(call: AcquireCall) -> Acquired:
    """Ask the queue's semaphore for a slot (update-with-start: the semaphore is started when
    it is not running, and a retried ask is the same ask: its update id is the run's id)."""

    from temporalio.client import WithStartWorkflowOperation
    from temporalio.common import WorkflowIDConflictPolicy

    from wave_lsp.pipelines.temporal.loaded import workspace_of

    workspace = await asyncio.to_thread(workspace_of, call.root)
    limit = workspace.config.pipeline.max_concurrent
    start = WithStartWorkflowOperation(
        SlotsWorkflow.run, SlotState(limit=limit), id=semaphore_id(call.task_queue),
        task_queue=call.task_queue, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )  # fmt: skip
    ahead: int = await activity.client().execute_update_with_start_workflow(
        SlotsWorkflow.ask, SlotAsk(call.run_id, limit), start_workflow_operation=start,
        id=f"acquire-{call.run_id}",
    )  # fmt: skip
    return Acquired(limit, ahead < 0, max(ahead, 0))


@activity.defn(name="wave.slots.ended")
async def ended(run_ids: list[str]) -> list[str]:
    """Those of ``run_ids`` whose workflow is no longer running (or is not there)."""
    from temporalio.client import WorkflowExecutionStatus

    client = activity.client()
    gone = []
    for run_id in run_ids:
        try:
            description = await client.get_workflow_handle(run_id).describe()
        except Exception:  # not found: it cannot hold a slot
            gone.append(run_id)
            continue
        if description.status != WorkflowExecutionStatus.RUNNING:
            gone.append(run_id)
    return gone


@workflow.defn(name="wave.slots", sandboxed=False)
class SlotsWorkflow:
    @workflow.init
    def __init__(self, state: SlotState) -> None:
        self.state = state  # asks and releases that come before run() already find it
        self.signals = 0

    @workflow.run
    async def run(self, state: SlotState) -> None:
        while True:
            checked = await self._wait()
            if not checked and self.state.waiting and self.state.holders:
                gone = await workflow.execute_local_activity(
                    ended, list(self.state.holders), start_to_close_timeout=timedelta(minutes=1)
                )
                for run_id in gone:
                    self._release(run_id)
            await self._grant()
            if self.signals >= self.state.per_history and workflow.all_handlers_finished():
                self.state.generation += 1
                workflow.continue_as_new(self.state)

    async def _wait(self) -> bool:
        """Until a slot can be granted or the history is long (True), or ``check_seconds``
        passed (False)."""
        try:
            await workflow.wait_condition(
                lambda: self._grantable() or self.signals >= self.state.per_history,
                timeout=self.state.check_seconds,
            )
        except TimeoutError:
            return False
        return True

    def _grantable(self) -> bool:
        return bool(self.state.waiting) and len(self.state.holders) < self.state.limit

    async def _grant(self) -> None:
        granted = []
        while self._grantable():
            run_id = self.state.waiting.pop(0)
            self.state.holders.append(run_id)
            granted.append(run_id)
        await asyncio.gather(*(self._tell(run_id) for run_id in granted))

    async def _tell(self, run_id: str) -> None:
        try:
            await workflow.get_external_workflow_handle(run_id).signal(GRANTED)
        except Exception:  # the run is gone (not found, closed): its slot is free again
            self._release(run_id)

    @workflow.update(name="acquire")
    def ask(self, ask: SlotAsk) -> int:
        """-1: granted at once; else how many runs are before it in the queue."""
        self.signals += 1
        self.state.limit = ask.limit
        if ask.run_id in self.state.holders:
            return -1
        if ask.run_id not in self.state.waiting:
            self.state.waiting.append(ask.run_id)
        if self.state.waiting[0] == ask.run_id and len(self.state.holders) < self.state.limit:
            self.state.holders.append(self.state.waiting.pop(0))
            return -1
        return self.state.waiting.index(ask.run_id)

    @workflow.signal(name="release")
    def give_back(self, run_id: str) -> None:
        self.signals += 1
        self._release(run_id)

    def _release(self, run_id: str) -> None:
        self.state.holders = [h for h in self.state.holders if h != run_id]
        self.state.waiting = [w for w in self.state.waiting if w != run_id]

    @workflow.query(name="slots")
    def slots(self) -> SlotState:
        return self.state
