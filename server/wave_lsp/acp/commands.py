"""An ACP session's slash commands (``available_commands_update``): ``/checkpoint NAME`` keeps
the conversation as a checkpoint (a session ``session/load`` goes back to), and every pipeline
of the workspace as ``/<pipeline-id> TEXT``: run on the session's persona and model, its tasks
shown as a plan and as tool calls with their progress, the files it changed each asked about
with its diff (one request per file) and written only when allowed."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acp.schema import AvailableCommand, AvailableCommandInput, UnstructuredCommandInput

from acp import plan_entry, start_tool_call, text_block, tool_content, update_plan, update_tool_call
from wave_lsp.acp.turn import Turn, read_disk

if TYPE_CHECKING:
    from wave_lsp.agents.external import ExternalTools
    from wave_lsp.config.workspace import WaveWorkspace
    from wave_lsp.pipelines.tasks import Event
    from wave_lsp.session.core import Session

CHECKPOINT = "checkpoint"


@dataclass(frozen=True, slots=True)
class Invocation:
    name: str
    text: str


def parse(instruction: str) -> Invocation | None:
    """``/name rest`` (``None`` when the prompt is not a command)."""
    if not instruction.startswith("/"):
        return None
    name, _, rest = instruction[1:].partition(" ")
    name = name.strip()
    return Invocation(name, rest.strip()) if name else None


def available_commands(workspace: WaveWorkspace) -> list[AvailableCommand]:
    commands = [
        AvailableCommand(
            name=CHECKPOINT,
            description="Keep this conversation as a checkpoint (a session to load later)",
            input=AvailableCommandInput(root=UnstructuredCommandInput(hint="name")),
        )
    ]
    for pipeline_id, loaded in sorted(workspace.pipelines.items()):
        pipeline = loaded.value
        commands.append(
            AvailableCommand(
                name=pipeline_id,
                description=f"Run the pipeline {pipeline.name}: {pipeline.description or ''}",
                input=AvailableCommandInput(root=UnstructuredCommandInput(hint=_hint(pipeline))),
            )
        )
    return commands


def _hint(pipeline: Any) -> str:
    names = [i.name for t in pipeline.tasks for i in t.inputs
             if i.from_task is None and i.type.value == "text"]  # fmt: skip
    return " / ".join(dict.fromkeys(names)) or "instructions"


def inputs_for(pipeline: Any, text: str, files: list[Path]) -> dict[str, Any]:
    """The run's inputs from the command's text (every text input) and the session's context
    files (file and file-list inputs)."""
    inputs: dict[str, Any] = {}
    for task in pipeline.tasks:
        for spec in task.inputs:
            if spec.from_task is not None or spec.name in inputs:
                continue
            kind = spec.type.value
            if kind == "text" and text:
                inputs[spec.name] = text
            elif kind == "file_list" and files:
                inputs[spec.name] = "\n".join(str(p) for p in files)
            elif kind == "file" and files:
                inputs[spec.name] = str(files[0])
    return inputs


class PipelineView:
    """A run's events as ``session/update``s: the tasks as plan entries and as tool calls."""

    def __init__(self, turn: Turn, pipeline: Any, run_id: str) -> None:
        self.turn = turn
        self.run_id = run_id
        self.order = [t.id for t in pipeline.tasks]
        self.names = {t.id: t.name or t.id for t in pipeline.tasks}
        self.states = dict.fromkeys(self.order, "pending")
        self.started: set[str] = set()

    def _plan(self) -> None:
        self.turn.updates.put_nowait(
            update_plan(
                [
                    plan_entry(f"{self.names[t]} ({t})", status=self.states[t])  # type: ignore[arg-type]
                    for t in self.order
                ]
            )
        )

    def begin(self) -> None:
        self._plan()

    def on_event(self, event: Event) -> None:
        task = event.task
        if task is None or task not in self.states:
            return
        call_id = f"{self.run_id}-{task}"
        if event.kind == "task_started" and task not in self.started:
            self.started.add(task)
            self.states[task] = "in_progress"
            self._plan()
            self.turn.updates.put_nowait(
                start_tool_call(
                    call_id,
                    self.names[task],
                    kind="other",
                    status="in_progress",
                    raw_input={"pipeline": self.run_id, "task": task},
                )
            )
        elif event.kind in ("task_progress", "task_note", "task_retry") and event.message:
            self.turn.updates.put_nowait(
                update_tool_call(call_id, content=[tool_content(text_block(event.message[-2000:]))])
            )
        elif event.kind == "task_finished":
            succeeded = event.state == "succeeded"
            self.states[task] = "completed"
            self._plan()
            shown = event.message[-2000:] if event.message else event.state or ""
            self.turn.updates.put_nowait(
                update_tool_call(
                    call_id,
                    status="completed" if succeeded else "failed",
                    content=[tool_content(text_block(shown))],
                    raw_output={"state": event.state},
                )
            )


async def run_pipeline(
    session: Session, workspace: WaveWorkspace, turn: Turn, invocation: Invocation,
    model: str | None, *, external: ExternalTools | None = None,
) -> str:  # fmt: skip
    """The stop reason of a pipeline run from a slash command."""
    from wave_lsp.agents.tools import PendingCall
    from wave_lsp.errors import WaveError
    from wave_lsp.personas.guard import Access

    pipeline = workspace.pipelines[invocation.name].value
    call_id = f"pipeline-{time.time_ns() % 10**9}"
    guard = session.guard(workspace)
    try:
        guard.require("pipeline:execute")
    except WaveError as refusal:
        turn.refuse(call_id, f"run {invocation.name}", refusal.error.message)
        return "end_turn"
    inputs = inputs_for(pipeline, invocation.text, list(session.files))
    if workspace.config.pipeline.engine.value == "temporal":
        ran = await _on_temporal(session, workspace, turn, invocation, inputs=inputs, model=model)
    else:
        ran = await _locally(
            session, workspace, turn, invocation, inputs=inputs, model=model, external=external
        )
    if ran is None:
        return "end_turn"
    run_id, state_text, changes, proposal_id = ran
    await turn.flush()
    turn.say(f"Run {run_id} of {pipeline.name}: {state_text}. ")
    if not changes:
        turn.say("It changed no file.")
        return "end_turn"
    apply_id = f"{run_id}-apply"
    turn.start_call(apply_id, f"Apply the changes of {run_id}", "edit", list(changes))
    written: list[str] = []
    refusals: dict[str, str] = {}
    for relative, after in changes.items():
        try:  # the session's persona writes them: a reviewer's run proposes nothing
            target = await asyncio.to_thread(guard.check_path, relative, Access.WRITE)
        except WaveError as refusal:
            refusals[relative] = refusal.error.message
            continue
        before = await asyncio.to_thread(read_disk, target)
        call = PendingCall("pipeline", relative, {"path": relative}, "edits",
                           {relative: (before, after)})  # fmt: skip
        if await turn.ask(call):
            written.append(relative)
    refused = [r for r in changes if r not in written]
    if proposal_id is not None:
        await _settle_proposal(session.root, proposal_id, written, not refused)
    summary = f"written: {', '.join(written) or 'none'}; refused: {', '.join(refused) or 'none'}"
    reasons = "; ".join(refusals.values()) or None
    turn.finish_call(apply_id, bool(written) or not refused, summary, refused=reasons)
    turn.say(f"Written: {', '.join(written) or 'none'}.")
    if reasons:
        turn.say(f" Refused: {reasons}.")
    return "end_turn"


Ran = tuple[str, str, dict[str, str], str | None]
"""A run's id, its final state, the files it changed (relative path -> new text), and the
proposal they already are (a Temporal worker's), if any."""


async def _locally(
    session: Session, workspace: WaveWorkspace, turn: Turn, invocation: Invocation, *,
    inputs: dict[str, Any], model: str | None, external: ExternalTools | None,
) -> Ran | None:  # fmt: skip
    from wave_lsp.pipelines.runtime import changed_files, prepare_run

    pipeline = workspace.pipelines[invocation.name].value
    loop = asyncio.get_running_loop()
    view: PipelineView | None = None

    def on_event(event: Event) -> None:
        if view is not None:
            loop.call_soon_threadsafe(view.on_event, event)

    try:
        prepared = await asyncio.to_thread(
            prepare_run, workspace, session.root, pipeline, inputs,
            on_event=on_event, session_id=session.session_id, model=model, external=external,
        )  # fmt: skip
    except ValueError as error:
        turn.say(f"The pipeline {invocation.name} cannot run: {error}")
        return None
    view = PipelineView(turn, pipeline, prepared.run.id)
    view.begin()
    try:
        try:
            state = await prepared.execute()
        except asyncio.CancelledError:
            prepared.run.cancel()
            raise
        changes = await asyncio.to_thread(changed_files, prepared)
    finally:
        await asyncio.shield(asyncio.to_thread(prepared.cleanup))
    return prepared.run.id, state.value, changes, None


async def _on_temporal(
    session: Session, workspace: WaveWorkspace, turn: Turn, invocation: Invocation, *,
    inputs: dict[str, Any], model: str | None,
) -> Ran | None:  # fmt: skip
    """The run as a Temporal workflow (``pipeline.engine: temporal``; a ``wave worker`` runs
    its tasks, with the workspace's MCP servers): the same updates, its changes from the
    proposal the worker made (written here only as the user approves each file; the proposal is
    marked applied or rejected after)."""
    from wave_lsp.edits.proposals import ProposalStore
    from wave_lsp.pipelines.temporal.activities import RunRequest
    from wave_lsp.pipelines.temporal.service import TemporalError, run_and_follow

    pipeline = workspace.pipelines[invocation.name].value
    views: list[PipelineView] = []

    def on_started(run_id: str) -> None:
        views.append(PipelineView(turn, pipeline, run_id))
        views[0].begin()

    def on_event(event: Event) -> None:
        if views:
            views[0].on_event(event)

    request = RunRequest(str(session.root), invocation.name, inputs, model)
    try:
        result = await run_and_follow(
            workspace.config.pipeline.temporal, request, on_event, on_started
        )
    except TemporalError as error:
        turn.say(f"The pipeline {invocation.name} cannot run: {error}")
        return None
    run_id = views[0].run_id if views else str(result.get("runId", ""))
    changes: dict[str, str] = {}
    if result.get("proposal"):
        store = ProposalStore.of(session.root)
        proposal = await asyncio.to_thread(store.get, result["proposal"])
        for file in proposal.files if proposal is not None else []:
            if file.new_content is not None:
                changes[file.new_path or file.file_path] = file.new_content
    return run_id, str(result.get("state", "unknown")), changes, result.get("proposal")


async def _settle_proposal(root: Path, proposal_id: str, written: list[str], whole: bool) -> None:
    """The worker's proposal once the user decided here: applied when every file was
    written, rejected when none was (a partial choice leaves it pending, with all its files)."""
    from wave_lsp.edits.proposals import ProposalStatus, ProposalStore

    def settle() -> None:
        store = ProposalStore.of(root)
        proposal = store.get(proposal_id)
        if proposal is None or (written and not whole):
            return
        proposal.status = ProposalStatus.APPLIED if written else ProposalStatus.REJECTED
        store.save(proposal)

    await asyncio.to_thread(settle)
