"""The runners of a pipeline's task types for one working copy, each task as its persona (a
guard per persona, audited), and the run options the configuration sets — what every executor
of a run uses: the local one (:mod:`wave_lsp.pipelines.runtime`) and Temporal's activities."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from wave_lsp.agents.external import ExternalTools
from wave_lsp.config.files import WaveConfigFile
from wave_lsp.config.paths import WAVE_DIR
from wave_lsp.config.system import AgentChoice
from wave_lsp.config.workspace import WaveWorkspace
from wave_lsp.context.secrets import Redactor
from wave_lsp.personas.guard import AuditLog, PersonaGuard, guard_for
from wave_lsp.pipelines.agent_runner import AgentRunner
from wave_lsp.pipelines.claude_code import ClaudeCodeRunner
from wave_lsp.pipelines.models import Task, TaskType
from wave_lsp.pipelines.runners import LLMRunner, ShellRunner, ValidateRunner
from wave_lsp.pipelines.tasks import PermanentFailure
from wave_lsp.providers.registry import ProviderRegistry

Compensator = Callable[[Task], Callable[[], Awaitable[None]] | None]


def task_runners(
    workspace: WaveWorkspace,
    root: Path,
    persona: str | None,
    workdir: Path,
    *,
    session_id: str = "",
    model: str | None = None,
    external: ExternalTools | None = None,
) -> tuple[dict[str, Any], Compensator]:
    """Each task type's runner in ``workdir``, and the maker of a task's undo step (its
    ``compensate`` command, run as a shell task). ``persona``: the pipeline's, for the tasks
    that name none."""
    config = workspace.config
    audit = AuditLog(root / WAVE_DIR / "audit.log")
    guards: dict[str, PersonaGuard] = {}

    def task_guard(task: Task) -> PersonaGuard:
        name = task.persona or persona or None
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
    shell = runners["shell"]

    def compensator(task: Task) -> Callable[[], Awaitable[None]] | None:
        if not task.compensate:
            return None
        undo = task.model_copy(update={"type": TaskType.SHELL, "command": task.compensate})

        async def run_undo() -> None:
            await shell.run(undo, "", 1, lambda text: None)

        return run_undo

    return runners, compensator


def run_options(workspace: WaveWorkspace) -> dict[str, Any]:
    """What the configuration sets of a run: schemas, timeouts and retries per task type."""
    config = workspace.config
    return {
        "schemas": {name: loaded.value for name, loaded in workspace.schemas.items()},
        "default_timeout": config.pipeline.default_timeout,
        "type_timeouts": {"claude-code": config.claude.timeout},
        "type_retries": {"claude-code": config.claude.max_retries},
    }


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
