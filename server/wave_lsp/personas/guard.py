"""A persona's security context, enforced where an action happens: permissions, directory access
(after resolving ``..``, symlinks, ``file://`` URIs and percent-encoding; deny wins), allowed
tools, allowed hours, and the resource limits put on every subprocess the persona starts.

Every refusal is a :class:`~wave_lsp.errors.WaveError` of type security, and is written to the
audit log. With ``enforce_boundaries: false`` a refusal becomes a warning: logged and audited,
and the action goes ahead.

What the OS cannot express: ``max_cpu`` is a percentage, and ``setrlimit`` only caps CPU
*seconds*; Wave runs the subprocess at a lower priority (``nice`` 10) instead and caps its CPU
seconds by ``max_execution_time``. ``RLIMIT_NPROC`` counts all the user's processes and does not
bind root.
"""

from __future__ import annotations

import fnmatch
import getpass
import json
import logging
import os
import resource
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wave_lsp.agents.external import narrowed
from wave_lsp.config.paths import WAVE_DIR
from wave_lsp.errors import Error, ErrorContext, ErrorSeverity, ErrorType, WaveError
from wave_lsp.personas.models import (
    DirectoryAccessConstraint,
    Persona,
    ResourceLimitsConstraint,
    TimeConstraint,
)

if TYPE_CHECKING:
    from wave_lsp.config.workspace import WaveWorkspace

logger = logging.getLogger(__name__)


class Access(StrEnum):
    READ = "read"
    WRITE = "write"


class SecurityRefusal(WaveError):
    """An action the persona may not take."""


class AuditLog:
    """JSON lines, one per refusal or warning (``.wave/audit.log``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, entry: Mapping[str, object]) -> None:
        line = json.dumps({"time": datetime.now(UTC).isoformat(), **entry}, default=str)
        project = self.path.parent.parent  # <root>/.wave/audit.log
        if not self.path.parent.resolve().is_relative_to(project.resolve()):
            logger.error(  # .wave linked out of the project: nothing is written out there
                "not writing the audit log: %s resolves outside the workspace %s (a symlink?): %s",
                self.path.parent,
                project,
                line,
            )
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        except OSError as error:  # auditing must not take the server down
            logger.error("cannot write the audit log %s: %s", self.path, error)

    def entries(self) -> list[dict[str, object]]:
        if not self.path.is_file():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def path_from(target: str | Path, root: Path) -> Path:
    """A path from what a user or a client gives: a ``file://`` URI (percent-decoded), an
    absolute path, or a path relative to ``root``."""
    if isinstance(target, str) and target.startswith("file:"):
        parsed = urlparse(target)
        if parsed.netloc not in ("", "localhost"):
            raise ValueError(f"{target!r}: a file URI on another host")
        target = unquote(parsed.path)
    path = Path(target).expanduser()
    return path if path.is_absolute() else root / path


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    code: str = ""
    message: str = ""
    suggestion: str = ""


class PersonaGuard:
    def __init__(
        self,
        persona: Persona,
        root: Path,
        *,
        enforce: bool = True,
        session_id: str = "",
        audit: AuditLog | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.persona = persona
        self.root = root.resolve()
        self.enforce = enforce
        self.session_id = session_id
        self.audit = audit
        self.clock = clock
        constraints = persona.security_context.constraints
        self.directories = [c for c in constraints if isinstance(c, DirectoryAccessConstraint)]
        self.limits = next(
            (c for c in constraints if isinstance(c, ResourceLimitsConstraint)), None
        )
        self.time = next((c for c in constraints if isinstance(c, TimeConstraint)), None)

    def rooted(self, root: Path) -> PersonaGuard:
        """The same persona, guarding another copy of the workspace (a pipeline run's): its
        directory rules apply relative to ``root``."""
        return PersonaGuard(
            self.persona, root, enforce=self.enforce, session_id=self.session_id,
            audit=self.audit, clock=self.clock,
        )  # fmt: skip

    # -- outcomes ------------------------------------------------------------------------------

    def _refuse(self, action: str, target: str, decision: Decision) -> None:
        entry = {
            "persona": self.persona.name,
            "session": self.session_id,
            "action": action,
            "target": target,
            "code": decision.code,
            "message": decision.message,
            "decision": "refused" if self.enforce else "warned",
        }
        if self.audit is not None:
            self.audit.record(entry)
        if not self.enforce:
            logger.warning("%s (enforce_boundaries is off: allowed)", decision.message)
            return
        raise SecurityRefusal(
            Error(
                code=decision.code,
                type=ErrorType.SECURITY,
                severity=ErrorSeverity.HIGH,
                message=decision.message,
                context=ErrorContext(
                    component="personas",
                    operation=action,
                    persona=self.persona.name,
                    session_id=self.session_id or None,
                    metadata={"target": target},
                ),
                suggestions=[decision.suggestion] if decision.suggestion else [],
            )
        )

    # -- permissions ---------------------------------------------------------------------------

    def has(self, permission: str) -> bool:
        area, _, action = permission.partition(":")
        for granted in self.persona.security_context.permissions:
            granted_area, _, granted_action = granted.partition(":")
            if granted_area in (area, "*") and granted_action in (action, "*"):
                return True
        return False

    def require(self, permission: str, action: str = "") -> None:
        if not self.has(permission):
            self._refuse(
                action or permission,
                permission,
                Decision(
                    False,
                    "security.permission_denied",
                    f"persona '{self.persona.name}' lacks the permission '{permission}'",
                    f"select a persona with '{permission}' (wave.persona.select), or grant it in "
                    f".wave/personas/{self.persona.name}.yaml",
                ),
            )

    # -- paths ---------------------------------------------------------------------------------

    def _expand(self, pattern: str) -> str:
        user = os.environ.get("USER") or getpass.getuser()
        return pattern.replace("${USER}", user).replace("${SESSION_ID}", self.session_id)

    def _relative_patterns(self, patterns: list[str]) -> list[str]:
        """Patterns as paths relative to the root (absolute ones outside it are dropped: nothing
        outside the root is reachable anyway)."""
        out = []
        for raw in patterns:
            pattern = self._expand(raw).strip()
            if pattern.startswith("~") or pattern.startswith("/"):
                absolute = Path(pattern).expanduser()
                try:
                    pattern = absolute.resolve().relative_to(self.root).as_posix()
                except ValueError:
                    continue
            pattern = pattern.removeprefix("./").rstrip("/") or "."
            out.append(pattern)
        return out

    @staticmethod
    def _matches(relative: str, pattern: str, *, fold_case: bool) -> bool:
        if fold_case:
            relative, pattern = relative.lower(), pattern.lower()
        if pattern == ".":
            return True
        if relative == pattern or relative.startswith(pattern + "/"):
            return True
        parts = PurePosixPath(relative).parts
        return any(
            fnmatch.fnmatchcase("/".join(parts[:n]), pattern) for n in range(1, len(parts) + 1)
        )

    def decide_path(self, target: str | Path) -> tuple[Decision, Path | None]:
        try:
            path = path_from(target, self.root).resolve()
        except (ValueError, OSError, RuntimeError) as error:
            return Decision(False, "security.path_invalid", f"{target}: {error}"), None
        if not path.is_relative_to(self.root):
            return (
                Decision(
                    False,
                    "security.path_outside_workspace",
                    f"{target} is outside the workspace {self.root}",
                    "only files inside the workspace folder can be used",
                ),
                None,
            )
        relative = path.relative_to(self.root).as_posix()
        for constraint in self.directories:
            for pattern in self._relative_patterns(constraint.denied_paths):
                if self._matches(relative, pattern, fold_case=True):  # deny wins, in any case
                    return (
                        Decision(
                            False,
                            "security.path_denied",
                            f"persona '{self.persona.name}' may not use {relative}: "
                            f"denied by '{pattern}'",
                            "choose another file, or another persona",
                        ),
                        path,
                    )
            allowed = self._relative_patterns(constraint.allowed_paths)
            if allowed and not any(self._matches(relative, p, fold_case=False) for p in allowed):
                return (
                    Decision(
                        False,
                        "security.path_not_allowed",
                        f"persona '{self.persona.name}' may not use {relative}: not under "
                        f"its allowed paths ({', '.join(allowed)})",
                        "choose a file under the allowed paths, or another persona",
                    ),
                    path,
                )
        return Decision(True), path

    def check_path(self, target: str | Path, access: Access = Access.READ) -> Path:
        """The resolved path, when the persona may ``access`` it (else a refusal)."""
        self.require("code:read" if access is Access.READ else "code:write", f"{access} file")
        decision, path = self.decide_path(target)
        if not decision.allowed:
            self._refuse(f"{access} file", str(target), decision)
        if path is None:  # refused but not enforced, and unresolvable: there is nothing to use
            raise ValueError(f"{target}: not a usable path")
        return path

    # -- tools, time, limits -------------------------------------------------------------------

    def check_tool(self, program: str) -> None:
        name = Path(program).name
        allowed = self.persona.tools_allowed
        if allowed and name not in allowed and "*" not in allowed:
            self._refuse(
                "run tool",
                program,
                Decision(
                    False,
                    "security.tool_denied",
                    f"persona '{self.persona.name}' may not run '{name}'",
                    f"allowed tools: {', '.join(allowed)}",
                ),
            )

    def check_mcp(self, server: str, tool: str) -> None:
        """An MCP server's tool, if the persona's ``tools_allowed`` lets it through (a list
        with ``mcp:`` entries names the servers and tools it may use), within its hours."""
        self.check_time()
        if not narrowed(self.persona.tools_allowed, server, tool):
            self._refuse(
                "use MCP tool",
                f"{server}__{tool}",
                Decision(
                    False,
                    "security.tool_denied",
                    f"persona '{self.persona.name}' may not use the MCP tool '{server}__{tool}'",
                    f"add 'mcp:{server}' or 'mcp:{server}__{tool}' to its tools_allowed",
                ),
            )

    def check_time(self) -> None:
        if self.time is None or self.time.allowed_hours is None:
            return
        zone_name = self.time.time_zone or "UTC"
        try:
            zone = ZoneInfo(zone_name)
        except ZoneInfoNotFoundError:
            zone = ZoneInfo("UTC")
        now = self.clock().astimezone(zone)
        start, end = self.time.allowed_hours
        if not start <= now.hour < end:
            self._refuse(
                "act",
                now.isoformat(),
                Decision(
                    False,
                    "security.outside_allowed_hours",
                    f"persona '{self.persona.name}' may act only from {start:02d}:00 to "
                    f"{end:02d}:00 {zone_name}; it is {now:%H:%M} there",
                    "try again within the allowed hours, or use another persona",
                ),
            )

    def max_seconds(self) -> float | None:
        if self.time is None or self.time.max_execution_time is None:
            return None
        return self.time.max_execution_time.total_seconds()

    def preexec(self) -> Callable[[], None]:
        """A ``preexec_fn`` for subprocesses: memory, CPU seconds and process count limits, and a
        lower priority standing in for ``max_cpu``."""
        memory = int(self.limits.max_memory) if self.limits and self.limits.max_memory else None
        processes = self.limits.max_processes if self.limits else None
        lower = bool(self.limits and self.limits.max_cpu is not None)
        seconds = self.max_seconds()

        def apply_limits() -> None:
            if memory is not None:
                resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            if seconds is not None:
                cpu = max(1, int(seconds))
                resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            if processes is not None:
                resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
            if lower:
                os.nice(10)

        return apply_limits


class UnknownPersona(ValueError):
    """A persona name that no persona file defines."""


def guard_for(
    workspace: WaveWorkspace,
    name: str | None,
    root: Path,
    *,
    session_id: str = "",
    audit: AuditLog | None = None,
) -> PersonaGuard:
    """The one way a guard is made (every front end, the pipelines' tasks): the persona named
    ``name`` (``None``: the configured default), enforcing as the configuration says, auditing
    to ``.wave/audit.log``. :class:`UnknownPersona` names the personas there are."""
    settings = workspace.config.security.personas
    chosen = name or settings.default_persona
    loaded = workspace.personas.get(chosen)
    if loaded is None:
        known = ", ".join(sorted(workspace.personas))
        raise UnknownPersona(f"no persona named {chosen!r}: choose one of {known}")
    return PersonaGuard(
        loaded.value,
        root,
        enforce=settings.enforce_boundaries,
        session_id=session_id,
        audit=audit or AuditLog(root / WAVE_DIR / "audit.log"),
    )
