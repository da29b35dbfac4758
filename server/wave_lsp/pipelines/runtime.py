"""What a pipeline run needs around the engine, shared by ``wave run`` and the language server:
runners for each task type (with each task's persona), an ephemeral copy of the project for the
coding agent to work in, and the files it changed turned into one proposal against the real
workspace — never written behind the user's back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wave_lsp.agents.external import ExternalTools
from wave_lsp.config.workspace import WaveWorkspace
from wave_lsp.edits.changes import plan_changes
from wave_lsp.edits.patch import FilePatch
from wave_lsp.edits.proposals import Proposal, ProposalStore, make_proposal
from wave_lsp.edits.protected import WritePolicy
from wave_lsp.pipelines.engine import Event, PipelineRun, RunState
from wave_lsp.pipelines.models import OnFailure, Pipeline
from wave_lsp.pipelines.notify import Notifier, Relay
from wave_lsp.pipelines.task_runners import run_options, task_runners
from wave_lsp.workspaces.manager import WorkspaceError, WorkspaceManager
from wave_lsp.workspaces.models import Workspace
from wave_lsp.workspaces.snapshot import Snapshot

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class PreparedRun:
    run: PipelineRun
    workdir: Path
    relay: Relay
    notifier: Notifier
    workspace: Workspace
    manager: WorkspaceManager
    restored: list[str] | None = None
    """After a rollback: the workspace files put back as they were before the run."""

    async def execute(self) -> RunState:
        """The run, with its notifications before and after (never failing it). With
        ``on_failure: rollback`` the workspace is copied first and put back after a failed or
        cancelled run, once the tasks' own compensations have run."""
        await self.notifier.notify("on_start", self.run.status())
        snapshot: Snapshot | None = None
        if self.run.pipeline.execution.on_failure is OnFailure.ROLLBACK:
            snapshot = await asyncio.to_thread(Snapshot.take, self.workdir, self.manager.base_dir)

            async def restore() -> None:
                assert snapshot is not None
                self.restored = await asyncio.to_thread(snapshot.restore)

            self.run.add_compensation("workspace", restore)
        try:
            state = await self.run.run()
        finally:
            if snapshot is not None:
                await asyncio.to_thread(snapshot.discard)
        moment = "on_complete" if state is RunState.SUCCEEDED else "on_failure"
        await self.notifier.notify(moment, self.run.status())
        return state

    def status(self) -> dict[str, Any]:
        """The run's status, with the files a rollback put back (``None`` when none ran)."""
        return {**self.run.status(), "restored": self.restored}

    def cleanup(self) -> None:
        """Release the workspace: an ephemeral one goes after ``cleanup_delay``."""
        self.manager.release(self.workspace)


def prepare_run(
    workspace: WaveWorkspace,
    root: Path,
    pipeline: Pipeline,
    inputs: dict[str, Any],
    *,
    on_event: Callable[[Event], None],
    session_id: str = "",
    model: str | None = None,
    backoff: float = 1.0,
    external: ExternalTools | None = None,
) -> PreparedRun:
    """``external``: the session's MCP servers' tools, for ``agent`` and ``claude-code`` tasks
    and ``llm`` tasks that name them (the caller owns them and stops them)."""
    config = workspace.config
    manager = WorkspaceManager(Path(str(config.workspace.base_dir)), config.workspace.cleanup_delay)
    mounts = [m for task in pipeline.tasks for m in task.workspace_mounts]
    try:
        place = manager.create(
            root, pipeline.workspace, pipeline.id, pipeline.persona or "",
            [m for m in mounts if (root / m.source).exists()],
        )  # fmt: skip
    except WorkspaceError as error:
        raise ValueError(str(error)) from error
    workdir = Path(place.path)
    runners, compensator = task_runners(
        workspace, root, pipeline.persona, workdir, session_id=session_id, model=model,
        external=external,
    )  # fmt: skip
    relay = Relay(f"pipeline:{pipeline.id}")

    def publish(event: Event) -> None:
        relay.publish(event)
        on_event(event)

    run = PipelineRun(
        pipeline, inputs, runners, compensator=compensator, on_event=publish, backoff=backoff,
        **run_options(workspace),
    )  # fmt: skip
    return PreparedRun(run, workdir, relay, Notifier(pipeline), place, manager)


def changed_files(prepared: PreparedRun) -> dict[str, str]:
    """The files the run's tasks changed in its copy, with their new text, by relative path
    (none after a rollback)."""
    if prepared.restored is not None:
        return {}
    changed: set[str] = set()
    for record in prepared.run.records.values():
        changed.update(record.outputs.get("changed_files") or [])
    return {
        path: (prepared.workdir / path).read_text(encoding="utf-8")
        for path in sorted(changed)
        if (prepared.workdir / path).is_file()
    }


def changes_as_proposal(prepared: PreparedRun, root: Path, store: ProposalStore) -> Proposal | None:
    """The files the run's tasks changed in its copy, as one proposal against ``root`` (none
    after a rollback)."""
    try:
        return propose_files(
            root, changed_files(prepared), f"pipeline:{prepared.run.pipeline.id}:{prepared.run.id}",
            store,
        )  # fmt: skip
    except ValueError as error:
        logger.warning("run %s: its changes are not proposed: %s", prepared.run.id, error)
        return None


def propose_files(
    root: Path, changed: dict[str, str], origin: str, store: ProposalStore
) -> Proposal | None:
    """Files a run changed (relative path -> new text) as one pending proposal against
    ``root`` — what every executor returns (a ``ValueError`` says why they cannot be)."""
    if not changed:
        return None
    patches = [FilePatch(path, path, whole_text=text) for path, text in changed.items()]
    plan = plan_changes(
        root,
        patches,
        lambda p: p.read_text(encoding="utf-8") if p.is_file() else None,
        WritePolicy(defer_confirmation=True),  # .wave/ changes wait for a confirmation
    )
    if not plan.ok:
        raise ValueError("; ".join(str(error) for error in plan.errors()))
    proposal = make_proposal(plan, origin, lambda _: None)
    store.save(proposal)
    return proposal
