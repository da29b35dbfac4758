"""The one construction of a governed agent: its tool box (policy from the persona's and the
configuration's rules, the persona guard, redaction, limits) and its loop, from what a front end
or a pipeline task has."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wave_lsp.agents.external import ExternalTools
from wave_lsp.agents.files import AgentFiles
from wave_lsp.agents.loop import Agent, AgentLimits, OnEvent
from wave_lsp.agents.policy import ApprovalPolicy, Verdict
from wave_lsp.agents.tools import Ask, RunCommand, ToolBox
from wave_lsp.config.system import AgentSettings, ContextSettings
from wave_lsp.context.models import Context, PersistenceType
from wave_lsp.context.secrets import Redactor
from wave_lsp.context.store import ContextStore, storage_dir
from wave_lsp.personas.guard import PersonaGuard
from wave_lsp.providers.base import Provider


def make_agent(
    provider: Provider,
    model: str,
    files: AgentFiles,
    guard: PersonaGuard,
    *,
    rules: Sequence[Any],
    settings: AgentSettings,
    redactor: Redactor | None = None,
    ask: Ask | None = None,
    tools_allowed: list[str] | None = None,
    on_event: OnEvent | None = None,
    task: str = "",
    confirm_edits: bool = False,
    run_command: RunCommand | None = None,
    external: ExternalTools | None = None,
    builtin: bool = True,
) -> Agent:
    """``confirm_edits``: every edit no rule allows is asked about with its change (a front end
    that writes approved edits at once); else edits are held for one proposal. ``builtin``:
    ``False`` gives the model only the external tools."""
    persona = guard.persona
    toolbox = ToolBox(
        files,
        guard,
        ApprovalPolicy(
            [persona.tool_rules, settings.tool_rules],
            edits=Verdict.ASK if confirm_edits else Verdict.ALLOW,
        ),
        redactor or Redactor(list(rules)),
        list(rules),
        ask=ask,
        tools_allowed=tools_allowed,
        command_timeout=settings.command_timeout.total_seconds(),
        max_result_chars=settings.max_result_chars,
        run_command=run_command,
        external=external,
        builtin=builtin,
    )
    limits = AgentLimits(
        settings.max_steps,
        min(settings.max_time.total_seconds(), guard.max_seconds() or float("inf")),
        settings.max_tokens,
        persona.ai_context.max_tokens,
    )
    return Agent(
        provider, model, toolbox,
        system_prompt=persona.ai_context.system_prompt,
        temperature=persona.ai_context.temperature,
        limits=limits, on_event=on_event, persona=persona.name, task=task,
    )  # fmt: skip


def keep_transcript(transcript: Context, settings: ContextSettings) -> None:
    """The run's transcript kept with the other contexts (``context.storage_dir``), compressed
    and expiring as the configuration says. Blocking: call it off the event loop."""
    if not settings.persistence_enabled:
        return
    transcript.persistence = PersistenceType.FILE
    transcript.compression = settings.compression
    transcript.expires_at = transcript.created_at + settings.session_ttl
    ContextStore(storage_dir(settings)).put(transcript)
