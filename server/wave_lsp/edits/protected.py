"""Paths an edit may not touch without more than the edit itself: version-control directories and
Wave's own configuration.

A model's answer is untrusted input. A diff that writes ``.git/config`` (``core.fsmonitor``) or
``.git/hooks/pre-commit`` runs a command at the next ``git status``; one that writes
``.wave/personas/…`` or ``.wave/rules/…`` changes the governance that checks the model. So:

- under a version-control directory (``.git``, ``.hg``, ``.svn``, ``.jj``, ``.bzr``, ``_darcs``,
  ``.pijul``, at any depth, in any letter case): refused unless the persona has the permission
  ``vcs:write``, and then only with a confirmation naming the path;
- under ``.wave/`` (at the workspace's top): only with a confirmation naming the path.

The rule is checked on the path as written and as resolved (a symlink into ``.git`` is ``.git``),
when an edit is planned and again when it is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePosixPath

from wave_lsp.config.paths import WAVE_DIR

RULE = "protected-paths"
"""The rule's name, in every refusal."""
VCS_PERMISSION = "vcs:write"
VCS_DIRECTORIES = frozenset({".git", ".hg", ".svn", ".jj", ".bzr", "_darcs", ".pijul"})
GOVERNANCE_DIRECTORY = WAVE_DIR


class Protection(StrEnum):
    VCS = "vcs"
    GOVERNANCE = "governance"


def protection_of(relative: str) -> Protection | None:
    """Which protection covers ``relative`` (a path inside the workspace, ``/``-separated)."""
    parts = [p.lower() for p in PurePosixPath(relative.replace("\\", "/")).parts]
    if any(part in VCS_DIRECTORIES for part in parts):
        return Protection.VCS
    if parts and parts[0] == GOVERNANCE_DIRECTORY:
        return Protection.GOVERNANCE
    return None


@dataclass(frozen=True, slots=True)
class WritePolicy:
    """What the writer of an edit allows beyond ordinary files."""

    vcs_allowed: bool = False
    """The persona has ``vcs:write``."""
    confirmed: frozenset[str] = field(default_factory=frozenset)
    """Paths (relative, ``/``) the user confirmed by name."""
    defer_confirmation: bool = False
    """Planning only: a path that needs just a confirmation is let through and marked (the
    confirmation is asked for when the edit is applied)."""

    def confirming(self, paths: Iterable[str]) -> WritePolicy:
        return WritePolicy(
            self.vcs_allowed, self.confirmed | {_norm(p) for p in paths}, self.defer_confirmation
        )


def _norm(path: str) -> str:
    return PurePosixPath(path.replace("\\", "/")).as_posix().removeprefix("./")


def refusal(paths: Iterable[str], policy: WritePolicy) -> tuple[str, Protection | None]:
    """``("", None)`` when every path (as written and as resolved) may be written under
    ``policy``; ``("", protection)`` when only a deferred confirmation is missing; else the
    refusal's message and the protection that refused."""
    pending: Protection | None = None
    for raw in dict.fromkeys(paths):
        relative = _norm(raw)
        kind = protection_of(relative)
        if kind is None:
            continue
        if kind is Protection.VCS and not policy.vcs_allowed:
            return (
                f"{relative}: refused by the rule '{RULE}': it is inside a version-control "
                "directory, where an edit can run commands (hooks, core.fsmonitor). Only a "
                f"persona with the permission '{VCS_PERMISSION}' may, and then with a "
                "confirmation naming the file",
                kind,
            )
        if relative in policy.confirmed:
            continue
        if policy.defer_confirmation:
            pending = pending or kind
            continue
        what = (
            "inside a version-control directory"
            if kind is Protection.VCS
            else "Wave's own configuration (.wave/): an edit there changes the governance itself"
        )
        return (
            f"{relative}: refused by the rule '{RULE}': it is {what}. Confirm it by name to "
            f"write it (wave apply --confirm {relative}; in the editor, accept the "
            "confirmation that names it)",
            kind,
        )
    return "", pending
