"""``agent`` tasks (and ``claude-code`` tasks when Claude Code is not the agent that runs them):
the built-in agent on the configured provider, in the run's copy of the project, as the task's
persona. Its writes go to the copy (so its commands see them) and come back as
``changed_files``; a call the persona or a rule refused fails the task, naming it.

``llm`` tasks whose ``tools_allowed`` names MCP tools run here too, with those tools only
(:meth:`AgentRunner.external_only`)."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from wave_lsp.agents.build import keep_transcript, make_agent
from wave_lsp.agents.external import MCP_PREFIX, ExternalTools
from wave_lsp.agents.files import AgentFiles
from wave_lsp.agents.loop import Agent, AgentResult
from wave_lsp.config.system import AgentSettings, ContextSettings
from wave_lsp.context.secrets import Redactor
from wave_lsp.fileread import FileRefused, read_text
from wave_lsp.personas.guard import PersonaGuard
from wave_lsp.pipelines.models import Task
from wave_lsp.pipelines.runners import PersonaRunner
from wave_lsp.pipelines.tasks import (
    Note,
    PermanentFailure,
    Report,
    TaskFailure,
    TaskOutcome,
    output_schema,
)
from wave_lsp.providers.base import Provider
from wave_lsp.providers.types import ChatMessage, CompletionRequest

STOPS = {
    "max_turn_requests": "it reached agent.max_steps",
    "max_time": "it reached agent.max_time",
    "max_tokens": "it reached its token limit (agent.max_tokens, or the answer's max_tokens)",
    "refusal": "the model refused",
}


def read_or_none(path: Path) -> str | None:
    try:
        return read_text(path)
    except FileNotFoundError:
        return None
    except FileRefused as error:
        raise ValueError(str(error)) from error


class AgentRunner(PersonaRunner):
    def __init__(
        self,
        provider: Provider,
        model: str,
        workdir: Path,
        guard_for: Callable[[Task], PersonaGuard],
        redactor: Redactor,
        *,
        rules: Sequence[Any],
        settings: AgentSettings,
        schemas: dict[str, dict[str, Any]],
        contexts: ContextSettings | None = None,
        why: str = "",
        external: ExternalTools | None = None,
        builtin: bool = True,
    ) -> None:
        super().__init__(guard_for, redactor)
        self.provider = provider
        self.model = model
        self.workdir = workdir
        self.rules = list(rules)
        self.settings = settings
        self.schemas = schemas
        self.contexts = contexts
        """Where transcripts are kept (``None``: not kept)."""
        self.why = why
        """Why the built-in agent runs a ``claude-code`` task (said in the progress)."""
        self.external = external
        self.builtin = builtin
        """``False``: the model gets only the MCP tools (an ``llm`` task's)."""

    def external_only(self) -> AgentRunner:
        """This runner giving the model only the MCP tools a task names, not the workspace's."""
        runner = copy.copy(self)
        runner.builtin = False
        return runner

    def because(self, why: str) -> AgentRunner:
        """This runner, saying in its progress why it runs (a ``claude-code`` task)."""
        runner = copy.copy(self)
        runner.why = why
        return runner

    async def run(self, task: Task, prompt: str, attempt: int, report: Report) -> TaskOutcome:
        guard = self._guard(task).rooted(self.workdir)
        persona = guard.persona
        agent = make_agent(
            self.provider, self.model,
            AgentFiles(self.workdir, read_or_none, write_through=True),
            guard, rules=self.rules, settings=self.settings, redactor=self.redactor,
            ask=None,  # a pipeline has no one to ask: `ask` calls are refused, saying so
            tools_allowed=task.tools_allowed,
            on_event=lambda event: report(event.line() or ""),
            task=task.id, external=self.external, builtin=self.builtin,
        )  # fmt: skip
        name = f"{self.provider.name}:{self.model}"
        schema = output_schema(task, self.schemas)
        if not self.builtin:
            return await self._with_mcp_tools(agent, task, prompt, schema, report)
        mode = "tool calls" if agent.uses_tools else "one-shot (the model has no tool calling)"
        report(Note(f"built-in agent on {name}, {mode}{f': {self.why}' if self.why else ''}"))
        if schema is not None and not agent.uses_tools:  # nothing to do but answer
            system = persona.ai_context.system_prompt.strip()
            agent.messages = [ChatMessage("system", system)] if system else []
            agent.messages.append(ChatMessage("user", self._redacted(task, prompt)))
            text = await self._structured(agent, schema, persona.ai_context.max_tokens, ask=False)
            return TaskOutcome(text, {"changed_files": [], "agent": "builtin", "steps": 1})
        result = await self._finished(agent, task, prompt, "the agent was refused")
        text = result.text
        if schema is not None:
            text = await self._structured(agent, schema, persona.ai_context.max_tokens)
        outputs: dict[str, Any] = {
            "changed_files": sorted(result.changed),
            "agent": "builtin",
            "steps": result.steps,
            "transcript": result.transcript.id,
        }
        return TaskOutcome(text, outputs)

    async def _finished(self, agent: Agent, task: Task, prompt: str, refused: str) -> AgentResult:
        """The agent's run on the task's prompt, its transcript kept; a refused call or a stop
        before the end fails the task, saying which."""
        result = await agent.run(self._redacted(task, prompt))
        if self.contexts is not None:
            await asyncio.to_thread(keep_transcript, result.transcript, self.contexts)
        if result.denials:
            raise PermanentFailure(f"{refused}: " + "; ".join(result.denials))
        if result.stop_reason != "end_turn":
            raise TaskFailure(
                f"the agent stopped: {STOPS.get(result.stop_reason, result.stop_reason)}"
            )
        return result

    async def _with_mcp_tools(
        self, agent: Agent, task: Task, prompt: str, schema: dict[str, Any] | None, report: Report
    ) -> TaskOutcome:
        """An ``llm`` task's prompt with the MCP tools its ``tools_allowed`` names: they are
        what the user chose, so a model without tool calling or none of them offered fails the
        task (never a plain prompt instead)."""
        name = f"{self.provider.name}:{self.model}"
        named = ", ".join(e for e in task.tools_allowed or () if e.startswith(MCP_PREFIX))
        if not agent.uses_tools:
            raise PermanentFailure(
                f"the task names MCP tools ({named}) but {name} has no tool calling "
                "(providerSpecific.toolUse); choose a model that has, or remove them"
            )
        offered = sorted(spec.name for spec in await agent.toolbox.specs())
        if not offered:
            raise PermanentFailure(
                f"none of the MCP tools the task names ({named}) is offered: a server did not "
                "start, or its includeTools/excludeTools or the persona leave them out "
                "(see `wave mcp list`)"
            )
        report(Note(f"{name} with MCP tools: {', '.join(offered)}"))
        result = await self._finished(agent, task, prompt, "a tool call was refused")
        text = result.text
        if any(o.type.value == "json" for o in task.outputs):
            text = await self._structured(agent, schema, agent.limits.answer_tokens)
        outputs = {"steps": result.steps, "transcript": result.transcript.id}
        return TaskOutcome(text, outputs)

    async def _structured(
        self, agent: Agent, schema: dict[str, Any] | None, max_tokens: int, *, ask: bool = True
    ) -> str:
        """The task's output as JSON (following ``schema`` when there is one), asked for through
        the provider's structured-output parameter (after the agent's work, with ``ask``)."""
        messages = list(agent.messages)
        if ask:
            follows = f", following this JSON Schema:\n{json.dumps(schema)}" if schema else "."
            messages.append(
                ChatMessage(
                    "user",
                    f"Now give the task's output as one JSON object, and nothing else{follows}",
                )
            )
        request = CompletionRequest(
            messages=tuple(messages),
            model=self.model,
            max_tokens=max_tokens,
            temperature=agent.temperature,
            json_mode=True,
            response_schema=schema,
        )
        completion = await self.provider.complete(request)
        return completion.text
