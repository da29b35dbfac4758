"""What the values of some fields name, and where those things are: personas, tasks (of the same
pipeline), a task's outputs, schemas, providers and models, rules, tools. Candidates for
completion and the target of a definition or a hover, from the workspace as loaded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wave_lsp.authoring.place import PathPart, Place
from wave_lsp.authoring.task_index import TaskIndex

if TYPE_CHECKING:
    from wave_lsp.config.workspace import WaveWorkspace

FIELDS = {
    "persona": "persona", "personas": "persona", "default_persona": "persona",
    "dependencies": "task", "from_task": "task", "output_name": "output", "schema": "schema",
    "model": "model", "defaultProvider": "provider", "tools_allowed": "tool",
    "permissions": "permission",
}  # fmt: skip
PROGRAMS = ("python", "pytest", "git", "ruff", "mypy", "npm", "node", "make", "cargo", "go")


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    detail: str = ""
    documentation: str = ""
    path: str | None = None
    """The file it is defined in (``None``: this document, at ``line``)."""
    line: int = 0
    start: int = 0
    end: int = 0


def reference_kind(path: list[PathPart], kind: str) -> str | None:
    """What the value at ``path`` names (``None``: nothing)."""
    keys = [p for p in path if isinstance(p, str)]
    if not keys:
        return None
    last = keys[-1]
    if last == "id" and len(keys) == 2 and keys[0] == "rules":
        return "rule"
    if last == "model" and kind == "persona":
        return None
    return FIELDS.get(last)


class Referents:
    def __init__(self, workspace: WaveWorkspace | None, tasks: TaskIndex) -> None:
        self.workspace = workspace
        self.tasks = tasks

    def candidates(self, kind: str, place: Place) -> list[Target]:
        if kind == "task":
            current = _task_of(place.path)
            return [self._task(t.id) for t in self.tasks.tasks.values() if t.index != current]
        if kind == "permission":
            from wave_lsp.personas.models import CHECKED_PERMISSIONS

            return [Target(name, what) for name, what in CHECKED_PERMISSIONS.items()]
        if kind == "output":
            task = self.tasks.tasks.get(place.siblings.get("from_task", "").strip("'\""))
            names = task.outputs if task is not None else []
            return [Target(n, f"output of {task.id}" if task else "") for n in names or ["output"]]
        workspace = self.workspace
        if workspace is None:
            return []
        if kind == "persona":
            return [self.lookup("persona", name) or Target(name) for name in workspace.personas]
        if kind == "schema":
            return [Target(name, "JSON Schema", path=s.source) for name, s in
                    sorted(workspace.schemas.items())]  # fmt: skip
        if kind == "rule":
            return [Target(rule_id, compiled.rule.name or "", compiled.rule.description or "")
                    for rule_id, compiled in sorted(workspace.rules.items())]  # fmt: skip
        providers = workspace.config.providers
        if kind in ("provider", "model") and providers is not None:
            found = [Target(name, f"provider ({p.type.value})") for name, p in
                     providers.providers.items()]  # fmt: skip
            if kind == "model":
                found += [Target(f"{name}:{p.model}", f"{p.type.value} model") for name, p in
                          providers.providers.items() if p.model]  # fmt: skip
            return found
        if kind == "tool":
            servers = providers.mcp_servers if providers is not None else {}
            tools = {t for p in workspace.personas.values() for t in p.value.tools_allowed or ()}
            names = [*(f"mcp:{s}" for s in servers), *sorted(tools | set(PROGRAMS))]
            return [Target(n, "MCP server" if n.startswith("mcp:") else "program") for n in names]
        return []

    def lookup(self, kind: str, name: str) -> Target | None:
        if kind == "task":
            return self._task(name) if name in self.tasks.tasks else None
        workspace = self.workspace
        if workspace is None:
            return None
        if kind == "persona" and name in workspace.personas:
            loaded = workspace.personas[name]
            persona = loaded.value
            permissions = ", ".join(persona.security_context.permissions) or "none"
            where = "built-in persona" if loaded.builtin else "persona"
            line = loaded.document.key_span(loaded.loc).line if loaded.document else 0
            return Target(
                name, where,
                f"**{name}** ({where}): {persona.description or ''}\n\npermissions: {permissions}",
                path=loaded.source, line=line,
            )  # fmt: skip
        if kind == "schema" and name in workspace.schemas:
            return Target(name, "JSON Schema", path=workspace.schemas[name].source)
        if kind == "rule" and name in workspace.rules:
            rule = workspace.rules[name].rule
            return Target(name, rule.name or "", f"**{name}**: {rule.description or ''}")
        return None

    def _task(self, task_id: str) -> Target:
        task = self.tasks.tasks[task_id]
        outputs = ", ".join(task.outputs) or "output"
        detail = f"task {task.name or task.id}" + (f" ({task.type})" if task.type else "")
        return Target(
            task.id, detail, f"**{task.id}**: {task.name or ''} — {task.type or 'task'}; "
            f"outputs: {outputs}", line=task.span.line, start=task.span.start, end=task.span.end,
        )  # fmt: skip


def _task_of(path: list[PathPart]) -> int | None:
    if len(path) > 2 and path[:2] == ["pipeline", "tasks"] and isinstance(path[2], int):
        return path[2]
    return None


def same_file(target: Target, document: Path) -> bool:
    return target.path is None or Path(target.path) == document
