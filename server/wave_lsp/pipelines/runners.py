"""Task runners: ``llm`` (a prompt through the provider layer, as the task's persona), ``shell``
and ``validate``. The coding agents are in :mod:`wave_lsp.pipelines.agent_runner` (the built-in
one) and :mod:`wave_lsp.pipelines.claude_code`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wave_lsp.agents.external import MCP_PREFIX
from wave_lsp.context.secrets import Redactor
from wave_lsp.personas.guard import PersonaGuard
from wave_lsp.pipelines.engine import PermanentFailure, Report, TaskFailure, TaskOutcome
from wave_lsp.pipelines.models import Task
from wave_lsp.pipelines.tasks import TaskRunner, output_schema
from wave_lsp.processes import read_lines
from wave_lsp.providers.answers import stream_text
from wave_lsp.providers.base import Provider
from wave_lsp.providers.types import ChatMessage, CompletionRequest


class PersonaRunner:
    """What the model-facing runners share: each task's persona guard (hours checked at every
    attempt) and the redactor every text goes through before it leaves."""

    def __init__(self, guard_for: Callable[[Task], PersonaGuard], redactor: Redactor) -> None:
        self.guard_for = guard_for
        self.redactor = redactor

    def _guard(self, task: Task) -> PersonaGuard:
        guard = self.guard_for(task)
        guard.check_time()
        return guard

    def _redacted(self, task: Task, prompt: str) -> str:
        return self.redactor.redact(prompt, f"task:{task.id}")


class LLMRunner(PersonaRunner):
    """A prompt through the provider layer, with the task's persona's system prompt, and every
    text redacted before it leaves. A task whose ``tools_allowed`` names MCP tools (``mcp:``
    entries) is run by ``with_tools``: the prompt with those tools and no others."""

    def __init__(
        self,
        provider: Provider,
        model: str,
        guard_for: Callable[[Task], PersonaGuard],
        redactor: Redactor,
        schemas: dict[str, dict[str, Any]] | None = None,
        *,
        with_tools: TaskRunner | None = None,
    ) -> None:
        super().__init__(guard_for, redactor)
        self.provider = provider
        self.model = model
        self.schemas = schemas or {}
        self.with_tools = with_tools
        """``None``: the front end has no MCP servers for its runs."""

    async def run(self, task: Task, prompt: str, attempt: int, report: Report) -> TaskOutcome:
        if any(entry.startswith(MCP_PREFIX) for entry in task.tools_allowed or ()):
            if self.with_tools is None:
                raise PermanentFailure(
                    "the task names MCP tools (tools_allowed) but this run has no MCP servers"
                )
            return await self.with_tools.run(task, prompt, attempt, report)
        persona = self._guard(task).persona
        messages = []
        if persona.ai_context.system_prompt.strip():
            messages.append(ChatMessage("system", persona.ai_context.system_prompt.strip()))
        messages.append(ChatMessage("user", self._redacted(task, prompt)))
        json_out = any(o.type.value == "json" for o in task.outputs)
        request = CompletionRequest(
            messages=tuple(messages),
            model=self.model,
            max_tokens=persona.ai_context.max_tokens,
            temperature=persona.ai_context.temperature,
            json_mode=json_out,
            response_schema=output_schema(task, self.schemas),
        )
        return TaskOutcome(await stream_text(self.provider, request, report))


class ShellRunner:
    """A command of the persona's allowed tools, in the run's copy of the project, with the
    persona's resource limits; ``{{input}}`` placeholders in its arguments are filled."""

    def __init__(self, workdir: Path, guard_for: Callable[[Task], PersonaGuard]) -> None:
        self.workdir = workdir
        self.guard_for = guard_for

    async def run(self, task: Task, prompt: str, attempt: int, report: Report) -> TaskOutcome:
        guard = self.guard_for(task)
        guard.check_time()
        assert task.command
        program = task.command[0]
        allowed = task.tools_allowed if task.tools_allowed is not None else None
        if allowed is not None and Path(program).name not in allowed:
            guard.check_tool(program)  # audits and refuses (the task narrows the persona's list)
            raise TaskFailure(f"'{program}' is not among the task's tools_allowed")
        guard.check_tool(program)
        try:
            process = await asyncio.create_subprocess_exec(
                *task.command,
                cwd=self.workdir,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                preexec_fn=guard.preexec(),
            )
        except FileNotFoundError as error:
            raise PermanentFailure(f"'{program}' is not installed") from error
        lines: list[str] = []

        def on_line(line: str) -> None:
            lines.append(line)
            report(line.rstrip())

        code = await read_lines(process, on_line)
        output = "".join(lines)
        if code != 0:
            raise TaskFailure(f"'{program}' exited with {code}: {output.strip()[-300:]}")
        return TaskOutcome(output, {"exit_code": code})


class ValidateRunner:
    """The validation engine over the run's copy of the project (or over the task's prompt, the
    text of an upstream output); findings become the task's ``report`` output, and a finding at
    or above ``error`` fails the task."""

    def __init__(self, workdir: Path, rules: list[Any]) -> None:
        self.workdir = workdir
        self.rules = rules

    async def run(self, task: Task, prompt: str, attempt: int, report: Report) -> TaskOutcome:
        from wave_lsp.validation.engine import Engine, Snapshot
        from wave_lsp.validation.runner import check_files

        engine = Engine(self.rules)
        if prompt.strip():
            result = await asyncio.to_thread(engine.check, Snapshot.of("output.txt", prompt))
            findings = result.findings
        else:
            run = await asyncio.to_thread(check_files, self.workdir, engine, [])
            findings = run.findings
        items = [
            {"file": f.path, "line": f.span.line + 1, "severity": f.severity,
             "rule": f.rule_id, "message": f.message}
            for f in findings
        ]  # fmt: skip
        for item in items:
            report(f"{item['file']}:{item['line']}: {item['severity']} {item['message']}")
        text = json.dumps({"findings": items})
        serious = [i for i in items if i["severity"] in ("error", "critical")]
        if serious:
            raise TaskFailure(
                f"{len(serious)} finding(s) at error or above: {serious[0]['message']}"
            )
        return TaskOutcome(text, {"report": {"findings": items}})
