"""Patches planned against a workspace's files: per file, the old text (what the editor has, or
the disk), the new text, how each hunk applied, or why the file cannot change. Paths that escape
the workspace (``..``, absolute paths, symlinks out, NUL bytes), protected paths (version control,
``.wave/``: see :mod:`wave_lsp.edits.protected`) and binary patches are refused.

:func:`write_changes` applies a plan to disk for the CLI: a journal and backups first, every
file written atomically, and every file restored if any write fails or the process is killed
(the next start rolls the journal back, :mod:`wave_lsp.edits.journal`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wave_lsp.config.atomic import atomic_write_bytes, atomic_write_text
from wave_lsp.edits.apply import Cancel, HunkResult, Lines, apply_hunks
from wave_lsp.edits.journal import Entry, Journal
from wave_lsp.edits.models import ChangeType
from wave_lsp.edits.patch import FilePatch
from wave_lsp.edits.protected import Protection, WritePolicy, refusal
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
    protection: Protection | None = None
    """Set when the file may be written only once the user confirms it by name."""

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
                    "needsConfirmation": change.protection.value if change.protection else None,
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
    if "\0" in relative or any(ord(c) < 32 for c in relative):
        raise PathError(f"{relative!r}: a path with a NUL or control character")
    base = root.resolve()
    try:
        target = (base / relative).resolve()
    except (OSError, RuntimeError) as error:  # a symlink loop, a name too long
        raise PathError(f"{relative!r}: {error}") from error
    if not target.is_relative_to(base):
        raise PathError(f"{relative!r} is outside the workspace")
    return target


def check_protected(root: Path, relatives: Sequence[str], policy: WritePolicy) -> Protection | None:
    """Raise :class:`PathError` when a path (as written or as resolved) may not be written under
    ``policy``; returns the protection still to confirm (with a deferring policy)."""
    base = root.resolve()
    paths = [p for r in relatives for p in (r, inside(root, r).relative_to(base).as_posix())]
    message, protection = refusal(paths, policy)
    if message:
        raise PathError(message)
    return protection


def plan_changes(
    root: Path,
    patches: Sequence[FilePatch],
    read: ReadText,
    policy: WritePolicy | None = None,
    cancel: Cancel | None = None,
) -> ChangeSet:
    """Every patch planned against the current texts; protected paths are refused unless
    ``policy`` allows them (by default nothing protected is). ``cancel`` is polled by the hunk
    search, which raises :class:`~wave_lsp.edits.apply.Cancelled` once it returns true."""
    policy = policy or WritePolicy()
    planned: dict[str, str | None] = {}  # texts after earlier patches of the same answer
    changes: list[FileChange] = []

    def current(relative: str) -> str | None:
        if relative in planned:
            return planned[relative]
        return read(inside(root, relative))

    for patch in patches:
        change = _plan_one(root, patch, current, policy, cancel)
        if change.ok:
            if change.change_type is ChangeType.DELETE or change.new_path:
                planned[change.path] = None
            if change.change_type is not ChangeType.DELETE:
                planned[change.new_path or change.path] = change.new_text
        changes.append(change)
    return ChangeSet(changes)


def _plan_one(
    root: Path,
    patch: FilePatch,
    current: Callable[[str], str | None],
    policy: WritePolicy,
    cancel: Cancel | None,
) -> FileChange:
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
        change.protection = check_protected(root, [p for p in (path, change.new_path) if p], policy)
    except PathError as error:
        change.error = str(error) if "refused" in str(error) else f"{error}: refused"
        return change
    if patch.binary:
        change.error = f"{path}: binary patches are not supported; apply them with git"
        return change
    try:
        existing = current(path)
        if change.new_path and current(change.new_path) is not None:
            change.error = f"{path}: cannot rename to {change.new_path}: it already exists"
            return change
    except OSError as error:  # FileRefused: a FIFO, a device, too large, unreadable
        change.error = f"{error}: refused"
        return change
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
    change.old_text = None if kind is ChangeType.ADD else existing
    if kind is ChangeType.DELETE and not patch.hunks:  # apply_patch's "*** Delete File:"
        return change
    result = apply_hunks(existing, patch.hunks, path, cancel=cancel)
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


def state_directory(root: Path, relative: str) -> Path:
    """A directory Wave writes its own state to under ``root`` (backups, journals), resolved and
    refused unless it stays inside ``root``: ``.wave`` or ``.wave/backups`` as a symlink out of
    the project would put the project's files somewhere else."""
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base):
        raise PathError(
            f"{relative} resolves to {target}, outside the workspace (a symlink?): Wave "
            "writes its backups and journals only inside the workspace; remove the link"
        )
    return target


def write_changes(
    root: Path, changes: ChangeSet, backup_dir: Path, policy: WritePolicy | None = None
) -> list[Path]:
    """Write a plan whose every file is ok: journal and back up what exists, write each file
    atomically, and on any failure restore everything written so far (a kill is rolled back by
    :func:`wave_lsp.edits.journal.recover` at the next start). Returns the backups made."""
    from wave_lsp import fileread
    from wave_lsp.edits.journal import JOURNAL_DIRECTORY

    if not changes.ok:
        raise ValueError("refusing to write a plan with failed files")
    policy = policy or WritePolicy()
    base = root.resolve()
    backup_dir = state_directory(root, backup_dir.resolve().relative_to(base).as_posix())
    journal_dir = state_directory(root, JOURNAL_DIRECTORY.as_posix())
    entries: list[Entry] = []
    for change in changes.files:
        relatives = [p for p in (change.path, change.new_path) if p]
        if check_protected(root, relatives, policy) is not None:
            raise PathError(f"{change.path}: needs a confirmation by name")
        for relative in relatives:
            target = inside(root, relative)
            if any(target == e.path for e in entries):
                continue
            exists = target.exists()
            entries.append(Entry(target, backup_dir / relative if exists else None))
    journal = Journal(journal_dir, entries, backup_dir)
    journal.begin()
    made: list[Path] = []
    try:
        for entry in entries:
            if entry.backup is not None:
                atomic_write_bytes(entry.backup, fileread.read_bytes(entry.path, None))
                made.append(entry.backup)
    except BaseException:  # nothing was changed yet
        journal.done()
        raise
    journal.writing()
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
        for entry in entries:
            if entry.backup is None:
                entry.path.unlink(missing_ok=True)
            else:
                atomic_write_bytes(entry.path, entry.backup.read_bytes())
        journal.done()
        raise
    journal.done()
    return made
