"""Proposals: the seed's CodeChangeProposal per file, grouped as one reviewable change with an
id, an origin, a status and the document versions it was made against; kept on disk with the
backups taken before it was applied, so they survive a restart and can be rolled back.

The store knows nothing of the protocol: it plans (:func:`make_proposal`), re-plans against
texts that changed since (:func:`replan`), and turns a proposal into :class:`Operation` lists for
applying and for rolling back. Sending them to an editor is the LSP layer's job.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import Field

from wave_lsp.config.atomic import atomic_write_text
from wave_lsp.config.base import CamelModel
from wave_lsp.edits.apply import apply_hunks
from wave_lsp.edits.changes import ChangeSet, FileChange, PathError, check_protected, inside
from wave_lsp.edits.models import ChangeType, CodeChangeProposal, LineNumbers
from wave_lsp.edits.patch import parse_patch
from wave_lsp.edits.protected import WritePolicy
from wave_lsp.edits.textdiff import LineEdit, line_edits

RETENTION = 50
"""Proposals (and their backups) kept per workspace; older ones are pruned."""


class ProposalStatus(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    REJECTED = "rejected"
    ROLLED_BACK = "rolledBack"


class ProposedFile(CodeChangeProposal):
    """One file of a proposal: the seed's fields, plus a rename target and the version of the
    open document it was computed against (``None``: the file on disk)."""

    new_path: str | None = None
    document_version: int | None = None
    needs_confirmation: str | None = None
    """A protected path (``vcs``, ``governance``): applied only once the user confirms it by
    name (see :mod:`wave_lsp.edits.protected`)."""


class Proposal(CamelModel):
    id: str
    origin: str
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    status: ProposalStatus = ProposalStatus.PENDING
    files: list[ProposedFile]

    def unified_diff(self) -> str:
        return "".join(f.unified_diff for f in self.files)

    def summary(self) -> str:
        names = ", ".join(f.new_path or f.file_path for f in self.files)
        return f"{len(self.files)} file{'s' * (len(self.files) != 1)}: {names}"

    def protected_paths(self) -> list[str]:
        """The paths the user must confirm by name before the proposal is applied."""
        return [
            p
            for f in self.files
            if f.needs_confirmation
            for p in (f.file_path, f.new_path)
            if p is not None
        ]


# -- operations: what applying (or undoing) a proposal does to files ------------------------


@dataclass(frozen=True, slots=True)
class TextChange:
    path: str
    old_text: str
    edits: list[LineEdit]
    version: int | None = None


@dataclass(frozen=True, slots=True)
class CreateFile:
    path: str
    text: str


@dataclass(frozen=True, slots=True)
class DeleteFile:
    path: str


@dataclass(frozen=True, slots=True)
class RenameFile:
    old_path: str
    new_path: str


Operation = TextChange | CreateFile | DeleteFile | RenameFile


def _line_numbers(change: FileChange) -> LineNumbers | None:
    lines = [h.line for h in change.hunks if h.line is not None]
    if not lines:
        return None
    return LineNumbers(start=min(lines), end=max(lines))


def make_proposal(
    changes: ChangeSet, origin: str, versions: Callable[[str], int | None]
) -> Proposal:
    """A proposal of a plan whose every file applied (see :func:`plan_changes`)."""
    if not changes.ok:
        raise ValueError("a proposal needs a plan whose every file applies")
    files = [
        ProposedFile(
            file_path=change.path,
            new_path=change.new_path,
            change_type=change.change_type,
            old_content=change.old_text if change.change_type is not ChangeType.ADD else None,
            new_content=change.new_text if change.change_type is not ChangeType.DELETE else None,
            unified_diff=change.unified_diff(),
            line_numbers=_line_numbers(change),
            document_version=versions(change.path),
            needs_confirmation=change.protection.value if change.protection else None,
        )
        for change in changes.files
    ]
    return Proposal(id=f"p-{secrets.token_hex(4)}", origin=origin, files=files)


def replan(file: ProposedFile, current: str | None) -> tuple[str | None, str]:
    """``(new text, "")`` for ``file`` against the file's ``current`` text, re-locating its hunks
    when the text changed since the proposal was made; ``(None, reason)`` when it cannot."""
    path = file.file_path
    if file.change_type is ChangeType.ADD:
        if current:
            return None, f"{path} was created since the proposal was made"
        return file.new_content, ""
    if current is None:
        return None, f"{path} no longer exists"
    if current == file.old_content:
        return file.new_content, ""
    if file.change_type is ChangeType.DELETE:
        return None, f"{path} changed since the proposal was made: not deleting it"
    [patch] = parse_patch(file.unified_diff, path)
    result = apply_hunks(current, patch.hunks, path)
    if result.text is None:
        reasons = "\n".join(result.errors())
        return (
            None,
            f"{path} changed since the proposal was made, and it no longer applies:\n{reasons}",
        )
    return result.text, ""


def apply_operations(
    file: ProposedFile, current: str | None, new_text: str | None
) -> list[Operation]:
    path = file.file_path
    if file.change_type is ChangeType.ADD:
        return [CreateFile(path, new_text or "")]
    if file.change_type is ChangeType.DELETE:
        return [DeleteFile(path)]
    assert current is not None and new_text is not None
    operations: list[Operation] = []
    target = path
    if file.new_path:
        operations.append(RenameFile(path, file.new_path))
        target = file.new_path
    edits = line_edits(current, new_text)
    if edits:
        operations.append(
            TextChange(target, current, edits, None if file.new_path else file.document_version)
        )
    return operations


def rollback_operations(
    file: ProposedFile, current: str | None, backup: str | None
) -> list[Operation]:
    """What restores ``file`` as it was before the proposal was applied."""
    if file.change_type is ChangeType.ADD:
        return [DeleteFile(file.new_path or file.file_path)] if current is not None else []
    if file.change_type is ChangeType.DELETE:
        return [CreateFile(file.file_path, backup or "")]
    operations: list[Operation] = []
    if file.new_path:
        operations.append(RenameFile(file.new_path, file.file_path))
    if current is not None and backup is not None:
        edits = line_edits(current, backup)
        if edits:
            operations.append(TextChange(file.file_path, current, edits))
    return operations


class ProposalStore:
    """Proposals as JSON files and backups as plain files, under a workspace's state directory."""

    def __init__(self, root: Path, state_dir: Path, retention: int = RETENTION) -> None:
        self.root = root
        self.directory = state_dir / "proposals"
        self.backups = state_dir / "backups"
        self.retention = retention

    @classmethod
    def of(cls, root: Path) -> ProposalStore:
        """The store of the workspace at ``root`` (under its state directory)."""
        from wave_lsp.config.paths import workspace_state_dir

        return cls(root, workspace_state_dir(root))

    def save(self, proposal: Proposal) -> None:
        atomic_write_text(
            self.directory / f"{proposal.id}.json", proposal.model_dump_json(indent=2)
        )
        self._prune()

    def get(self, proposal_id: str) -> Proposal | None:
        if not proposal_id.replace("-", "").isalnum():
            return None
        path = self.directory / f"{proposal_id}.json"
        if not path.is_file():
            return None
        return Proposal.model_validate_json(path.read_text(encoding="utf-8"))

    def all(self) -> list[Proposal]:
        if not self.directory.is_dir():
            return []
        proposals = [
            Proposal.model_validate_json(p.read_text(encoding="utf-8"))
            for p in self.directory.glob("p-*.json")
        ]
        return sorted(proposals, key=lambda p: p.created_at)

    def back_up(self, proposal: Proposal, relative: str, text: str, kind: str = "before") -> str:
        """Keep ``text`` (a file's content before a change); returns the backup's path."""
        inside(self.root, relative)  # never a path out of the workspace, here either
        path = self.backups / proposal.id / kind / relative
        atomic_write_text(path, text)
        return str(path)

    def read_backup(self, file: ProposedFile) -> str | None:
        if not file.backup_path:
            return None
        path = Path(file.backup_path)
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def _prune(self) -> None:
        proposals = self.all()
        for old in proposals[: max(0, len(proposals) - self.retention)]:
            (self.directory / f"{old.id}.json").unlink(missing_ok=True)
            folder = self.backups / old.id
            if folder.is_dir():
                for item in sorted(folder.rglob("*"), reverse=True):
                    item.unlink() if item.is_file() else item.rmdir()
                folder.rmdir()


def check_operations(root: Path, operations: list[Operation], policy: WritePolicy) -> None:
    """Raise :class:`PathError` unless ``policy`` allows every path the operations touch."""
    for operation in operations:
        paths = (
            [operation.old_path, operation.new_path]
            if isinstance(operation, RenameFile)
            else [operation.path]
        )
        if check_protected(root, paths, policy) is not None:
            raise PathError(f"{', '.join(paths)}: needs a confirmation by name")


def write_operations(
    root: Path, operations: list[Operation], policy: WritePolicy | None = None
) -> None:
    """Carry out operations on disk (for files the editor cannot change itself): atomic writes,
    journaled. Protected paths are checked again here, at the point of use."""
    from wave_lsp.edits.journal import journaled

    check_operations(root, operations, policy or WritePolicy())
    targets = [
        inside(root, path)
        for operation in operations
        for path in (
            (operation.old_path, operation.new_path)
            if isinstance(operation, RenameFile)
            else (operation.path,)
        )
    ]
    with journaled(root, targets):  # all or none, a kill included
        _write(root, operations)


def _write(root: Path, operations: list[Operation]) -> None:
    for operation in operations:
        if isinstance(operation, CreateFile):
            atomic_write_text(inside(root, operation.path), operation.text)
        elif isinstance(operation, DeleteFile):
            inside(root, operation.path).unlink(missing_ok=True)
        elif isinstance(operation, RenameFile):
            target = inside(root, operation.new_path)
            target.parent.mkdir(parents=True, exist_ok=True)
            inside(root, operation.old_path).rename(target)
        else:
            from wave_lsp.edits.textdiff import apply_line_edits

            atomic_write_text(
                inside(root, operation.path), apply_line_edits(operation.old_text, operation.edits)
            )
