"""Patches planned against a workspace's files: per file, the old text (what the editor has, or
the disk), the new text, how each hunk applied, or why the file cannot change. Paths that escape
the workspace (``..``, absolute paths, symlinks out) and binary patches are refused.

:func:`write_changes` applies a plan to disk for the CLI: backups first, every file written
atomically, and every file restored if any write fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wave_lsp.config.atomic import atomic_write_bytes, atomic_write_text
from wave_lsp.edits.apply import HunkResult, Lines, apply_hunks
from wave_lsp.edits.models import ChangeType
from wave_lsp.edits.patch import FilePatch
from wave_lsp.edits.textdiff import unified_diff

ReadText = Callable[[Path], str | None]
"""The current text of a file (an open document's unsaved text, else the disk); ``None`` when
the file does not exist."""


@dataclass(slots=True)
class FileChange:
    path: str
    """Relative to the workspace root, with ``/``: the file as it is now (new files: its path)."""
    change_type: ChangeType
    old_text: str | None
    new_text: str | None
    new_path: str | None = None
    """Set when the file is renamed."""
    hunks: list[HunkResult] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def unified_diff(self) -> str:
        return unified_diff(
            self.old_text or "",
            self.new_text or "",
            "/dev/null" if self.change_type is ChangeType.ADD else f"a/{self.path}",
            "/dev/null"
            if self.change_type is ChangeType.DELETE
            else f"b/{self.new_path or self.path}",
        )


@dataclass(slots=True)
class ChangeSet:
    files: list[FileChange]

    @property
    def ok(self) -> bool:
        return all(change.ok for change in self.files)

    def errors(self) -> list[str]:
        return [change.error for change in self.files if change.error]

    def report(self) -> dict[str, Any]:
        """Per file, per hunk: how each applied, or why not (``wave apply --json`` and
        ``wave.proposal.fromDiff`` answer with this)."""
        return {
            "ok": self.ok,
            "files": [
                {
                    "path": change.path,
                    "newPath": change.new_path,
                    "changeType": change.change_type.value,
                    "ok": change.ok,
                    "error": change.error or None,
                    "hunks": [
                        {
                            "index": hunk.index,
                            "header": hunk.header,
                            "applied": hunk.applied,
                            "method": hunk.method.value if hunk.method else None,
                            "line": hunk.line,
                            "error": hunk.error or None,
                        }
                        for hunk in change.hunks
                    ],
                }
                for change in self.files
            ],
        }


class PathError(ValueError):
    pass


def inside(root: Path, relative: str) -> Path:
    """``root / relative`` resolved (``..`` and symlinks), refused unless inside ``root``."""
    if not relative or relative.startswith(("/", "\\")) or Path(relative).is_absolute():
        raise PathError(f"{relative!r}: paths must be relative to the workspace")
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base):
        raise PathError(f"{relative!r} is outside the workspace")
    return target


def plan_changes(root: Path, patches: Sequence[FilePatch], read: ReadText) -> ChangeSet:
    planned: dict[str, str | None] = {}  # texts after earlier patches of the same answer
    changes: list[FileChange] = []

    def current(relative: str) -> str | None:
        if relative in planned:
            return planned[relative]
        return read(inside(root, relative))

    for patch in patches:
        change = _plan_one(root, patch, current)
        if change.ok:
            if change.change_type is ChangeType.DELETE or change.new_path:
                planned[change.path] = None
            if change.change_type is not ChangeType.DELETE:
                planned[change.new_path or change.path] = change.new_text
        changes.append(change)
    return ChangeSet(changes)


def _plan_one(root: Path, patch: FilePatch, current: Callable[[str], str | None]) -> FileChange:
    path = (patch.old_path or patch.new_path or "").replace("\\", "/")
    kind = (
        ChangeType.ADD
        if patch.is_new
        else ChangeType.DELETE
        if patch.is_delete
        else ChangeType.MODIFY
    )
    change = FileChange(path, kind, None, None)
    try:
        inside(root, path)
        if patch.is_rename and patch.new_path:
            change.new_path = patch.new_path.replace("\\", "/")
            inside(root, change.new_path)
    except PathError as error:
        change.error = f"{error}: refused"
        return change
    if patch.binary:
        change.error = f"{path}: binary patches are not supported; apply them with git"
        return change
    existing = current(path)
    if patch.whole_text is not None:
        change.change_type = ChangeType.MODIFY if existing is not None else ChangeType.ADD
        change.old_text = existing
        change.new_text = _with_file_newlines(patch.whole_text, existing)
        return change
    if kind is ChangeType.ADD:
        if existing:
            change.error = f"{path}: the diff creates it, but it already exists"
            return change
        existing = ""
    elif existing is None:
        change.error = f"{path}: no such file"
        return change
    if change.new_path and current(change.new_path) is not None:
        change.error = f"{path}: cannot rename to {change.new_path}: it already exists"
        return change
    change.old_text = None if kind is ChangeType.ADD else existing
    result = apply_hunks(existing, patch.hunks, path)
    change.hunks = result.hunks
    if result.text is None:
        change.error = "\n".join(result.errors())
        return change
    if kind is ChangeType.DELETE:
        if result.text.strip():
            change.error = f"{path}: the diff deletes it, but its hunks leave text behind"
        return change
    change.new_text = result.text
    return change


def _with_file_newlines(text: str, existing: str | None) -> str:
    """A whole-file answer with the existing file's line ending and a final newline."""
    lines = Lines.of(text)
    style = Lines.of(existing) if existing else lines
    return Lines(lines.lines, style.newline, True).text()


def write_changes(root: Path, changes: ChangeSet, backup_dir: Path) -> list[Path]:
    """Write a plan whose every file is ok: back up what exists, write each file atomically,
    and on any failure restore everything written so far. Returns the backups made."""
    if not changes.ok:
        raise ValueError("refusing to write a plan with failed files")
    backup_dir.mkdir(parents=True, exist_ok=True)
    backups: list[tuple[Path, Path | None]] = []  # (target, backup or None: did not exist)
    made: list[Path] = []
    kept: Path | None
    for change in changes.files:
        for relative in filter(None, (change.path, change.new_path)):
            target = inside(root, relative)
            if any(target == t for t, _ in backups):
                continue
            kept = None
            if target.exists():
                kept = backup_dir / relative
                atomic_write_bytes(kept, target.read_bytes())
                made.append(kept)
            backups.append((target, kept))
    try:
        for change in changes.files:
            source = inside(root, change.path)
            if change.change_type is ChangeType.DELETE:
                source.unlink()
                continue
            destination = inside(root, change.new_path) if change.new_path else source
            assert change.new_text is not None
            atomic_write_text(destination, change.new_text)
            if change.new_path and source.exists():
                source.unlink()
    except BaseException:
        for target, saved in backups:
            if saved is None:
                target.unlink(missing_ok=True)
            else:
                atomic_write_bytes(target, saved.read_bytes())
        raise
    return made
