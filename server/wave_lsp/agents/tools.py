"""What the built-in agent's tools do, each call governed at the point of use: the approval
policy first (deny, ask, allow), then the persona guard (read → ``code:read`` and its directory
rules, write → ``code:write``, commands → its ``tools_allowed`` and the task's narrower list),
and every result redacted and bounded before it goes back to the model."""

from __future__ import annotations

import asyncio
import json
import shlex
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import regex

from wave_lsp.agents.external import ExternalTool, ExternalTools
from wave_lsp.agents.files import AgentFiles
from wave_lsp.agents.policy import EDITING_TOOLS, ApprovalPolicy, Verdict
from wave_lsp.context.secrets import Redactor
from wave_lsp.edits.changes import PathError, inside, plan_changes
from wave_lsp.edits.extract import extract_patches
from wave_lsp.edits.models import ChangeType
from wave_lsp.edits.patch import PatchSyntaxError
from wave_lsp.errors import WaveError
from wave_lsp.personas.guard import Access, PersonaGuard
from wave_lsp.processes import kill, read_lines
from wave_lsp.providers.types import ToolCall, ToolSpec


@dataclass(frozen=True, slots=True)
class PendingCall:
    """A call waiting for the user's yes or no: what it is and what it would do."""

    tool: str
    target: str
    arguments: dict[str, Any]
    rule: str
    changes: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    """For an edit: each file it changes, (before, after): the edit is made, held, shown and
    undone when refused."""

    def shown(self, limit: int = 4000) -> str:
        """The call as the user is asked about it: the tool and its target (a path, a command
        line), or its arguments when it has no target (an MCP tool)."""
        detail = self.target
        if not detail and self.arguments:
            detail = json.dumps(self.arguments, ensure_ascii=False)
            detail = detail if len(detail) <= limit else detail[:limit] + " ..."
        return f"{self.tool} {detail}".strip()


Ask = Callable[[PendingCall], Awaitable[bool]]
RunCommand = Callable[[list[str], Path, float], Awaitable[str]]
"""Runs an approved, persona-checked command line (argv, working folder, time limit in
seconds) and returns what the model is told (exit code and output): a front end's own
terminal (ACP's ``terminal/*``) instead of the persona-limited subprocess."""


@dataclass(slots=True)
class ToolOutcome:
    text: str
    error: bool = False
    denied: str = ""
    """Why the call was refused (a policy rule, the persona, the user), if it was."""


@dataclass(slots=True)
class ToolBox:
    files: AgentFiles
    guard: PersonaGuard
    policy: ApprovalPolicy
    redactor: Redactor
    rules: Sequence[Any] = ()
    """The compiled validation rules (``check``)."""
    ask: Ask | None = None
    tools_allowed: list[str] | None = None
    """The task's own narrower list of programs (``None``: the persona's)."""
    command_timeout: float = 120.0
    max_result_chars: int = 20_000
    denials: list[str] = field(default_factory=list)
    run_command: RunCommand | None = None
    """``None``: a subprocess with the persona's limits."""
    external: ExternalTools | None = None
    """MCP servers' tools (``server__tool``), offered after the persona's and the task's
    narrowing."""
    offered: dict[str, ExternalTool] = field(default_factory=dict)
    builtin: bool = True
    """``False``: only the external tools (an ``llm`` pipeline task that names MCP tools: a
    prompt with tools, not an agent in the workspace)."""

    async def specs(self) -> tuple[ToolSpec, ...]:
        """The tools the model is given: the built-in ones and the external ones it may use
        (servers started on first use)."""
        from wave_lsp.agents.mcp_calls import offered, spec
        from wave_lsp.agents.specs import TOOLS

        own = TOOLS if self.builtin else ()
        if self.external is None:
            return own
        self.offered = await offered(self.external, self, self.tools_allowed)
        return (*own, *(spec(tool) for tool in self.offered.values()))

    @property
    def root(self) -> Path:
        return self.files.root

    async def call(self, call: ToolCall) -> ToolOutcome:
        """The call's result for the model, refusals included (also kept in ``denials``)."""
        if call.name in self.offered:
            from wave_lsp.agents.mcp_calls import call_external

            try:
                return await call_external(self, self.offered[call.name], call.parsed())
            except ValueError as error:
                return ToolOutcome(f"error: {error}", error=True)
        if not self.builtin or (call.name != "run_command" and call.name not in _HANDLERS):
            return ToolOutcome(f"error: there is no tool '{call.name}'", error=True)
        try:
            arguments = call.parsed()
            target = _target(call.name, arguments)
        except ValueError as error:
            return ToolOutcome(f"error: {error}", error=True)
        described = f"{call.name}({target})" if target else call.name
        decision = self.policy.decide(call.name, target)
        if decision.verdict is Verdict.DENY:
            return self.denied(described, f"denied by the rule {decision.rule}")
        pending = PendingCall(call.name, target, arguments, decision.rule)
        if decision.verdict is Verdict.ASK:
            why = f"the rule {decision.rule}" if decision.rule else f"{call.name} needs approval"
            if self.ask is None:
                return self.denied(described, f"{why} and no one can be asked here")
            if call.name in EDITING_TOOLS:
                return await self._staged(pending, described)
            if not await self.ask(pending):
                return self.denied(described, "refused by the user")
        return await self._outcome(call.name, arguments, described)

    async def _outcome(self, tool: str, arguments: dict[str, Any], described: str) -> ToolOutcome:
        try:
            text = await self._run(tool, arguments)
        except WaveError as refusal:  # the persona guard (SecurityRefusal)
            return self.denied(described, refusal.error.message)
        except (ValueError, OSError, PathError, PatchSyntaxError, KeyError) as error:
            return ToolOutcome(f"error: {error}", error=True)
        return ToolOutcome(self.bounded(self.redactor.redact(text, f"tool:{tool}")))

    async def _staged(self, pending: PendingCall, described: str) -> ToolOutcome:
        """An edit to ask about: made (and checked by the persona) first, so the question
        shows the change itself; undone when the answer is no."""
        assert self.ask is not None
        before = self.files.snapshot()
        outcome = await self._outcome(pending.tool, pending.arguments, described)
        changes = self.files.since(before)
        if outcome.error or not changes:
            return outcome
        pending = replace(pending, changes=changes)
        if not await self.ask(pending):
            self.files.restore(before)
            return self.denied(described, "refused by the user")
        return outcome

    def denied(self, described: str, why: str) -> ToolOutcome:
        self.denials.append(f"{described}: {why}")
        return ToolOutcome(f"refused: {why}", error=True, denied=why)

    def bounded(self, text: str) -> str:
        cap = self.max_result_chars
        if len(text) <= cap:
            return text
        return f"{text[:cap]}\n[cut: {len(text) - cap} more characters; ask for less]"

    async def _run(self, tool: str, arguments: dict[str, Any]) -> str:
        if tool == "run_command":
            return await self._command(str(arguments["command"]))
        return await asyncio.to_thread(_HANDLERS[tool], self, arguments)

    # -- files (in worker threads) -------------------------------------------------------------

    def _path(self, relative: str, access: Access) -> Path:
        path = self.guard.check_path(self.root / relative, access)
        inside(self.root, path.relative_to(self.root).as_posix())  # no symlink out, no NUL
        return path

    def read_file(self, arguments: dict[str, Any]) -> str:
        path = self._path(str(arguments["path"]), Access.READ)
        text = self.files.read(path)
        if text is None:
            raise ValueError(f"{arguments['path']} does not exist")
        lines = text.splitlines()
        first = max(1, int(arguments.get("offset") or 1))
        count = int(arguments.get("limit") or len(lines))
        shown = lines[first - 1 : first - 1 + count]
        return "\n".join(f"{first + i:>5}\t{line}" for i, line in enumerate(shown)) or "(empty)"

    def _walk(self, start: Path) -> list[str]:
        found: list[str] = []
        for path in sorted(start.rglob("*")) if start.is_dir() else [start]:
            if ".git" in path.parts or not path.is_file():
                continue
            if self.guard.decide_path(path)[0].allowed:
                found.append(path.relative_to(self.root).as_posix())
        found += [r for r in self.files.created() if r not in found]
        return found

    def list_files(self, arguments: dict[str, Any]) -> str:
        self.guard.require("code:read", "list files")
        start = self._path(str(arguments.get("path") or "."), Access.READ)
        pattern = arguments.get("pattern")
        names = [n for n in self._walk(start) if not pattern or fnmatchcase(n, str(pattern))]
        shown = names[:500]
        more = f"\n[{len(names) - 500} more]" if len(names) > 500 else ""
        return "\n".join(shown) + more if shown else "(no files)"

    def search_text(self, arguments: dict[str, Any]) -> str:
        self.guard.require("code:read", "search files")
        try:
            pattern = regex.compile(str(arguments["pattern"]))
        except regex.error as error:
            raise ValueError(f"not a regular expression: {error}") from error
        start = self._path(str(arguments.get("path") or "."), Access.READ)
        wanted = arguments.get("glob")
        hits: list[str] = []
        for relative in self._walk(start):
            if wanted and not fnmatchcase(relative, str(wanted)):
                continue
            text = self.files.read(self.root / relative) or ""
            for number, line in enumerate(text.splitlines(), 1):
                try:
                    found = pattern.search(line, timeout=0.5)
                except TimeoutError as error:
                    raise ValueError("the pattern took too long: simplify it") from error
                if found:
                    hits.append(f"{relative}:{number}: {line.strip()[:200]}")
                    if len(hits) >= 200:
                        return "\n".join(hits) + "\n[more matches left out]"
        return "\n".join(hits) or "(no matches)"

    def write_file(self, arguments: dict[str, Any]) -> str:
        path = self._path(str(arguments["path"]), Access.WRITE)
        existed = self.files.read(path) is not None
        self.files.write(path, str(arguments["content"]))
        return f"{'replaced' if existed else 'created'} {self.files.relative(path)}"

    def edit_file(self, arguments: dict[str, Any]) -> str:
        relative = str(arguments["path"])
        path = self._path(relative, Access.WRITE)
        if "old_text" in arguments:
            return self._replace(
                path, str(arguments["old_text"]), str(arguments.get("new_text", ""))
            )
        if not arguments.get("edit"):
            raise ValueError("give old_text and new_text, or edit")
        own = self.files.relative(path)
        patches = extract_patches(str(arguments["edit"]), own)
        named = {p.path for p in patches} | {p.new_path for p in patches if p.new_path}
        others = sorted(named - {own})
        if others:
            raise ValueError(
                f"this edit also changes {', '.join(others)}: edit_file changes one file; "
                "call it once per file"
            )
        plan = plan_changes(self.root, patches, self.files.read)
        if not plan.ok:
            raise ValueError("; ".join(plan.errors()))
        for change in plan.files:
            new_text = None if change.change_type is ChangeType.DELETE else change.new_text
            self.files.write(path, new_text)
        return f"edited {own}"

    def _replace(self, path: Path, old: str, new: str) -> str:
        text = self.files.read(path)
        if text is None:
            raise ValueError(f"{self.files.relative(path)} does not exist: use write_file")
        count = text.count(old) if old else 0
        if count != 1:
            where = "is not in the file" if count == 0 else f"occurs {count} times"
            raise ValueError(
                f"old_text {where}: copy it exactly from read_file's text, with enough "
                "lines around it to match one place only"
            )
        self.files.write(path, text.replace(old, new, 1))
        return f"edited {self.files.relative(path)}"

    def check(self, arguments: dict[str, Any]) -> str:
        from wave_lsp.validation.engine import Engine
        from wave_lsp.validation.findings import Snapshot

        engine = Engine(list(self.rules))
        lines: list[str] = []
        for relative in arguments.get("paths") or []:
            path = self._path(str(relative), Access.READ)
            text = self.files.read(path)
            if text is None:
                lines.append(f"{relative}: does not exist")
                continue
            for f in engine.check(Snapshot.of(self.files.relative(path), text)).findings:
                lines.append(f"{f.path}:{f.span.line + 1}: {f.severity} {f.rule_id}: {f.message}")
        return "\n".join(lines) or "no findings"

    # -- commands ------------------------------------------------------------------------------

    async def _command(self, command: str) -> str:
        try:
            argv = shlex.split(command)
        except ValueError as error:
            raise ValueError(f"cannot split the command: {error}") from error
        if not argv:
            raise ValueError("the command is empty")
        program = Path(argv[0]).name
        self.guard.check_time()
        self.guard.check_tool(argv[0])
        if self.tools_allowed is not None and program not in self.tools_allowed:
            raise ValueError(f"'{program}' is not among the task's tools_allowed")
        limit = min(self.command_timeout, self.guard.max_seconds() or self.command_timeout)
        if self.run_command is not None:
            return await self.run_command(argv, self.root, limit)
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                cwd=self.root,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                preexec_fn=self.guard.preexec(),
            )
        except FileNotFoundError as error:
            raise ValueError(f"'{program}' is not installed") from error
        lines: list[str] = []
        try:
            code = await asyncio.wait_for(read_lines(process, lines.append), limit)
        except TimeoutError:
            await kill(process)
            return f"stopped after {limit:g} s (the time limit)\n{''.join(lines)}"
        return f"exit code {code}\n{''.join(lines)}"


def _target(tool: str, arguments: dict[str, Any]) -> str:
    """What a call acts on, as rules match it: a path, a command line, a list of paths."""
    if tool == "run_command":
        if not isinstance(arguments.get("command"), str):
            raise ValueError("run_command needs a command (a string)")
        return " ".join(str(arguments["command"]).split())
    if tool == "check":
        return " ".join(str(p) for p in arguments.get("paths") or [])
    if tool in ("read_file", "write_file", "edit_file") and not isinstance(
        arguments.get("path"), str
    ):
        raise ValueError(f"{tool} needs a path (a string)")
    return str(arguments.get("path") or arguments.get("pattern") or "")


_HANDLERS: dict[str, Callable[[ToolBox, dict[str, Any]], str]] = {
    "read_file": ToolBox.read_file,
    "list_files": ToolBox.list_files,
    "search_text": ToolBox.search_text,
    "edit_file": ToolBox.edit_file,
    "write_file": ToolBox.write_file,
    "check": ToolBox.check,
}
