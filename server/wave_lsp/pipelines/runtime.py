"""What a pipeline run needs around the engine, shared by ``wave run`` and the language server:
runners for each task type (with each task's persona), an ephemeral copy of the project for the
coding agent to work in, and the files it changed turned into one proposal against the real
workspace — never written behind the user's back."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wave_lsp.agents.external import ExternalTools
from wave_lsp.config.files import WaveConfigFile
from wave_lsp.config.paths import WAVE_DIR
from wave_lsp.config.system import AgentChoice
from wave_lsp.config.workspace import WaveWorkspace
from wave_lsp.context.secrets import Redactor
from wave_lsp.edits.changes import plan_changes
from wave_lsp.edits.patch import FilePatch
from wave_lsp.edits.proposals import Proposal, ProposalStore, make_proposal
from wave_lsp.edits.protected import WritePolicy
from wave_lsp.personas.guard import AuditLog, PersonaGuard, guard_for
from wave_lsp.pipelines.agent_runner import AgentRunner
from wave_lsp.pipelines.claude_code import ClaudeCodeRunner
from wave_lsp.pipelines.engine import Event, PipelineRun, RunState
from wave_lsp.pipelines.models import OnFailure, Pipeline, Task, TaskType
from wave_lsp.pipelines.notify import Notifier, Relay
from wave_lsp.pipelines.runners import LLMRunner, ShellRunner, ValidateRunner
from wave_lsp.pipelines.tasks import PermanentFailure
from wave_lsp.providers.registry import ProviderRegistry
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
    audit = AuditLog(root / WAVE_DIR / "audit.log")
    guards: dict[str, PersonaGuard] = {}

    def task_guard(task: Task) -> PersonaGuard:
        name = task.persona or pipeline.persona or None
        key = name or ""
        if key not in guards:
            guards[key] = guard_for(workspace, name, root, session_id=session_id, audit=audit)
        return guards[key]

    rules = list(workspace.rules.values())
    redactor = Redactor(rules)
    schemas = {name: loaded.value for name, loaded in workspace.schemas.items()}
    runners: dict[str, Any] = {
        "shell": ShellRunner(workdir, task_guard),
        "validate": ValidateRunner(workdir, rules),
    }
    registry = ProviderRegistry.from_config(config.providers)
    try:
        provider, model_name = registry.resolve(model)
    except Exception as error:  # no usable provider: tasks that need one fail, saying why
        runners["llm"] = runners["agent"] = Unavailable(f"no provider: {error}")
    else:
        agent = AgentRunner(
            provider, model_name, workdir, task_guard, redactor,
            rules=rules, settings=config.agent, schemas=schemas, contexts=config.context,
            external=external,
        )  # fmt: skip
        tooled = agent.external_only() if external is not None else None
        runners["agent"] = agent
        runners["llm"] = LLMRunner(
            provider, model_name, task_guard, redactor, schemas, with_tools=tooled
        )
    runners["claude-code"] = coding_agent(
        config, workdir, task_guard, redactor, runners["agent"], external=external
    )
    relay = Relay(f"pipeline:{pipeline.id}")

    def publish(event: Event) -> None:
        relay.publish(event)
        on_event(event)

    shell = runners["shell"]

    def compensator(task: Task) -> Callable[[], Awaitable[None]] | None:
        if not task.compensate:
            return None
        undo = task.model_copy(update={"type": TaskType.SHELL, "command": task.compensate})

        async def run_undo() -> None:
            await shell.run(undo, "", 1, lambda text: None)

        return run_undo

    run = PipelineRun(
        pipeline,
        inputs,
        runners,
        schemas=schemas,
        default_timeout=config.pipeline.default_timeout,
        type_timeouts={"claude-code": config.claude.timeout},
        type_retries={"claude-code": config.claude.max_retries},
        compensator=compensator,
        on_event=publish,
        backoff=backoff,
    )
    return PreparedRun(run, workdir, relay, Notifier(pipeline), place, manager)


class Unavailable:
    """The runner of a task type that cannot run here: each of its tasks fails, saying why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def run(self, task: Task, prompt: str, attempt: int, report: Any) -> Any:
        raise PermanentFailure(self.reason)


def coding_agent(
    config: WaveConfigFile,
    workdir: Path,
    task_guard: Callable[[Task], PersonaGuard],
    redactor: Redactor,
    builtin: Any,
    *,
    external: ExternalTools | None = None,
) -> Any:
    """What runs ``claude-code`` tasks (``claude.agent``): Claude Code, or the built-in agent —
    by default Claude Code when its binary is found, else the built-in agent, saying why."""
    binary = config.claude.binary_path
    found = shutil.which(str(Path(binary).expanduser()))
    choice = config.claude.agent
    if choice is AgentChoice.CLAUDE_CODE or (choice is AgentChoice.AUTO and found):
        servers = config.providers.mcp_servers if config.providers is not None else {}
        return ClaudeCodeRunner(
            found or binary, workdir, task_guard, redactor, [config.agent.tool_rules],
            external=external, mcp_servers={n: s for n, s in servers.items() if s.enabled},
        )  # fmt: skip
    if isinstance(builtin, AgentRunner):
        why = (
            "claude.agent is 'builtin'"
            if choice is AgentChoice.BUILTIN
            else f"Claude Code ('{binary}', claude.binary_path) is not installed"
        )
        return builtin.because(why)
    return builtin


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
    changed = changed_files(prepared)
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
        for error in plan.errors():
            logger.warning("run %s: its changes are not proposed: %s", prepared.run.id, error)
        return None
    proposal = make_proposal(
        plan, f"pipeline:{prepared.run.pipeline.id}:{prepared.run.id}", lambda _: None
    )
    store.save(proposal)
    return proposal
