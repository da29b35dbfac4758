"""``claude-code`` tasks run by the real Claude Code CLI, headless: the prompt on stdin,
``--output-format stream-json`` read as it arrives, in the run's copy of the project.

Wave's permissions become Claude Code's permission rules: ``code:read`` → Read/Glob/Grep/LS;
``code:write`` (with ``texteditors`` among the tools, or no tool list) → Edit/Write/MultiEdit/
NotebookEdit; ``git`` → ``Bash(git:*)``, any other tool T → ``Bash(T:*)``; the persona's and the
configuration's ``tool_rules`` are added as they are (they are in Claude Code's shape). What is
not allowed goes to ``--disallowedTools``. The result event's ``permission_denials`` fail the
task, naming each denied call; its ``session_id`` is kept in the task's outputs.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from wave_lsp.agents.external import ExternalTools
from wave_lsp.context.secrets import Redactor
from wave_lsp.personas.guard import PersonaGuard
from wave_lsp.personas.models import Persona, ToolRules
from wave_lsp.pipelines.claude_mcp import McpArguments, mcp_arguments
from wave_lsp.pipelines.models import Task
from wave_lsp.pipelines.runners import PersonaRunner
from wave_lsp.pipelines.tasks import Note, PermanentFailure, Report, TaskFailure, TaskOutcome
from wave_lsp.processes import read_lines
from wave_lsp.providers.models import MCPServerConfiguration

READ_TOOLS = ["Read", "Glob", "Grep", "LS"]
EDIT_TOOLS = ["Edit", "Write", "MultiEdit", "NotebookEdit"]
NOT_PROGRAMS = frozenset({"texteditors"})
"""Wave tool names that are not programs (``texteditors``: the agent's own file editing)."""


def claude_permissions(
    persona: Persona, tools: Sequence[str], extra: Sequence[ToolRules] = ()
) -> tuple[list[str], list[str]]:
    """(allowed, disallowed) Claude Code tool rules for a persona and a task's tools."""
    permissions = set(persona.security_context.permissions)
    allowed: list[str] = []
    disallowed: list[str] = []
    if "code:read" in permissions or "code:*" in permissions:
        allowed += READ_TOOLS
    can_write = "code:write" in permissions or "code:*" in permissions
    if can_write and (not tools or "texteditors" in tools):
        allowed += EDIT_TOOLS
    else:
        disallowed += EDIT_TOOLS
    for tool in tools:
        if tool not in NOT_PROGRAMS and tool != "*":
            allowed.append(f"Bash({tool}:*)")
    for rules in extra:
        allowed += [r for r in rules.allow if r not in allowed]
        disallowed += [r for r in rules.deny if r not in disallowed]
    return allowed, disallowed


REFUSED_TOOL = ("No such tool available", "is disabled", "permission to use")
"""What Claude Code's tool result says when a call was refused (a disallowed tool is hidden
from the model, and a call of it answered with an error rather than a permission denial)."""


def describe_denial(denial: Any, workdir: Path | None = None) -> str:
    """A permission denial of the result event as ``Tool(target)`` (paths relative to the
    run's copy of the project)."""
    if not isinstance(denial, dict):
        return str(denial)
    name = str(denial.get("tool_name") or "a tool")
    given = denial.get("tool_input") or {}
    target = str(given.get("file_path") or given.get("command") or given.get("path") or "")
    for base in {str(workdir), str(workdir.resolve())} if workdir is not None else ():
        if target.startswith(base + "/"):
            target = target[len(base) + 1 :]
    return f"{name}({target})" if target else name


def _result_text(block: dict[str, Any]) -> str:
    content = block.get("content")
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


class ClaudeCodeRunner(PersonaRunner):
    def __init__(
        self,
        binary: str,
        workdir: Path,
        guard_for: Callable[[Task], PersonaGuard],
        redactor: Redactor,
        extra_rules: Sequence[ToolRules] = (),
        *,
        external: ExternalTools | None = None,
        mcp_servers: dict[str, MCPServerConfiguration] | None = None,
    ) -> None:
        super().__init__(guard_for, redactor)
        self.binary = binary
        self.workdir = workdir
        self.extra_rules = list(extra_rules)
        self.external = external
        self.mcp_servers = mcp_servers or {}

    def command(
        self, task: Task, guard: PersonaGuard, mcp: McpArguments | None = None
    ) -> list[str]:
        persona = guard.persona
        tools = task.tools_allowed if task.tools_allowed is not None else persona.tools_allowed
        programs = [tool for tool in tools if not tool.startswith("mcp:")]
        allowed, disallowed = claude_permissions(
            persona, programs, [persona.tool_rules, *self.extra_rules]
        )
        if mcp is not None:
            allowed += mcp.allowed
            disallowed += mcp.disallowed
        can_write = any(tool in allowed for tool in EDIT_TOOLS)
        command = [
            self.binary, "-p", "--output-format", "stream-json", "--verbose",
            "--permission-mode", "acceptEdits" if can_write else "default",
        ]  # fmt: skip
        command += mcp.arguments if mcp is not None else []
        if allowed:
            command += ["--allowedTools", ",".join(allowed)]
        if disallowed:
            command += ["--disallowedTools", ",".join(disallowed)]
        for mount in task.workspace_mounts:
            place = self.workdir / mount.destination.removeprefix("/workspace").strip("/")
            if place.is_dir() and place != self.workdir:
                command += ["--add-dir", str(place)]
        return command

    async def run(self, task: Task, prompt: str, attempt: int, report: Report) -> TaskOutcome:
        guard = self._guard(task)
        guard.require("code:read")
        report(Note(f"Claude Code ({self.binary})"))
        before = await asyncio.to_thread(snapshot, self.workdir)
        persona = guard.persona
        try:
            mcp = await mcp_arguments(
                self.external, self.mcp_servers, persona, task.tools_allowed,
                [persona.tool_rules, *self.extra_rules],
            )  # fmt: skip
        except ValueError as error:
            raise PermanentFailure(f"the task's MCP servers: {error}") from error
        try:
            return await self._run(task, guard, prompt=prompt, report=report, before=before,
                                   mcp=mcp)  # fmt: skip
        finally:
            mcp.remove()

    async def _run(
        self, task: Task, guard: PersonaGuard, *, prompt: str, report: Report,
        before: dict[str, tuple[int, int]], mcp: McpArguments,
    ) -> TaskOutcome:  # fmt: skip
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command(task, guard, mcp),
                cwd=self.workdir,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                preexec_fn=guard.preexec(),
            )
        except FileNotFoundError as error:
            raise PermanentFailure(
                f"the coding agent '{self.binary}' is not installed (claude.binary_path)"
            ) from error
        assert process.stdin is not None
        process.stdin.write(self._redacted(task, prompt).encode())
        await process.stdin.drain()
        process.stdin.close()
        final: dict[str, Any] = {}
        calls: dict[str, dict[str, Any]] = {}
        refused: list[str] = []

        def on_line(raw: str) -> None:
            line = raw.strip()
            if not line:
                return
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                report(line)
                return
            if not isinstance(message, dict):
                return
            kind = message.get("type")
            if kind == "assistant":
                for block in (message.get("message") or {}).get("content", []):
                    if block.get("type") == "text":
                        report(block.get("text", ""))
                    elif block.get("type") == "tool_use":
                        calls[str(block.get("id"))] = block
                        report(f"{block.get('name')} {json.dumps(block.get('input'))[:200]}")
            elif kind == "user":
                for block in (message.get("message") or {}).get("content", []):
                    if not isinstance(block, dict) or block.get("type") != "tool_result":
                        continue
                    text = _result_text(block)
                    if block.get("is_error") and any(sign in text for sign in REFUSED_TOOL):
                        call = calls.get(str(block.get("tool_use_id"))) or {}
                        denial = {"tool_name": call.get("name"), "tool_input": call.get("input")}
                        refused.append(describe_denial(denial, self.workdir))
            elif kind == "result":
                final.update(message)

        code = await read_lines(process, on_line)
        stderr = (await process.stderr.read()).decode(errors="replace") if process.stderr else ""
        result = final.get("result")
        denials = refused + [
            describe_denial(d, self.workdir) for d in final.get("permission_denials") or []
        ]
        if denials:
            raise PermanentFailure(
                "the coding agent was refused: " + "; ".join(denials)
                + " (the persona's permissions and tools_allowed decide what it may do)"
            )  # fmt: skip
        failed = bool(final.get("is_error")) or final.get("subtype") != "success"
        if code != 0 or result is None or failed:
            detail = (str(result or "") or stderr.strip() or f"exit code {code}")[-500:]
            raise TaskFailure(f"the coding agent failed: {detail}")
        changed = sorted(
            path
            for path, stamp in (await asyncio.to_thread(snapshot, self.workdir)).items()
            if before.get(path) != stamp
        )
        outputs = {"changed_files": changed, "agent": "claude-code"}
        if final.get("session_id"):
            outputs["session_id"] = str(final["session_id"])
        return TaskOutcome(str(result), outputs)


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Files under ``root`` with (size, mtime): what a task changed, found by comparing."""
    found = {}
    for path in root.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            stat = path.stat()
            found[path.relative_to(root).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return found
