"""Proposals as a service: plan a model's answer into a proposal, prepare it (the persona may
write every file, each file re-planned against its text now, each backed up), apply it to disk,
reject it, roll it back. A proposal becomes applied only when the write succeeded (or, in an
editor, when the editor confirmed its edit: the LSP front end records that).

Blocking: front ends on an event loop call these on a worker thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from wave_lsp.edits.changes import ChangeSet, PathError, inside
from wave_lsp.edits.proposals import (
    Operation,
    Proposal,
    ProposalStatus,
    ProposalStore,
    apply_operations,
    make_proposal,
    replan,
    rollback_operations,
    write_operations,
)
from wave_lsp.edits.protected import WritePolicy
from wave_lsp.errors import WaveError
from wave_lsp.personas.guard import Access, PersonaGuard

CurrentText = Callable[[str], str | None]
"""The text of a workspace file as the user has it now (``None``: no such file)."""


class ProposalError(Exception):
    """A proposal cannot be applied, rejected or rolled back: the message says why."""


def disk_text(root: Path) -> CurrentText:
    def read(relative: str) -> str | None:
        try:
            return inside(root, relative).read_bytes().decode("utf-8", errors="surrogateescape")
        except (FileNotFoundError, IsADirectoryError):
            return None

    return read


class Proposals:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = ProposalStore.of(root)

    def propose(self, changes: ChangeSet, origin: str) -> Proposal:
        proposal = make_proposal(changes, origin, lambda relative: None)
        self.store.save(proposal)
        return proposal

    def find(self, proposal_id: str | None) -> Proposal:
        """A proposal by id; with none, the newest pending one."""
        if proposal_id:
            proposal = self.store.get(proposal_id)
            if proposal is None:
                raise ProposalError(f"no proposal '{proposal_id}'")
            return proposal
        pending = [p for p in self.store.all() if p.status is ProposalStatus.PENDING]
        if not pending:
            raise ProposalError("no proposal is pending")
        return pending[-1]

    def prepare(
        self, proposal: Proposal, guard: PersonaGuard, current: CurrentText
    ) -> list[Operation]:
        """The operations that apply ``proposal`` to the files as they are now, after the
        persona's checks (refusals audited) and a backup of every file."""
        if proposal.status is not ProposalStatus.PENDING:
            raise ProposalError(f"proposal {proposal.id} is {proposal.status.value}, not pending")
        try:
            guard.check_time()
            for file in proposal.files:
                for path in (file.file_path, file.new_path):
                    if path:
                        guard.check_path(path, Access.WRITE)
        except WaveError as refusal:
            suggestions = "; ".join(refusal.error.suggestions)
            detail = f" ({suggestions})" if suggestions else ""
            raise ProposalError(f"{refusal.error.message}{detail}") from refusal
        operations: list[Operation] = []
        for file in proposal.files:
            text = current(file.file_path)
            new_text, reason = replan(file, text)
            if reason or (new_text is None and file.change_type.value != "delete"):
                raise ProposalError(f"proposal {proposal.id} not applied: {reason}")
            if text is not None:
                file.backup_path = self.store.back_up(proposal, file.file_path, text)
            operations += apply_operations(file, text, new_text)
        return operations

    def applied(self, proposal: Proposal) -> None:
        """Record that ``proposal``'s edit is on disk (or in the editor, which said so)."""
        proposal.status = ProposalStatus.APPLIED
        self.store.save(proposal)

    def apply_to_disk(
        self, proposal: Proposal, guard: PersonaGuard, policy: WritePolicy | None = None
    ) -> None:
        operations = self.prepare(proposal, guard, disk_text(self.root))
        try:
            write_operations(self.root, operations, policy)
        except (OSError, ValueError, PathError) as error:
            raise ProposalError(f"proposal {proposal.id} not written: {error}") from error
        self.applied(proposal)

    def reject(self, proposal: Proposal) -> None:
        if proposal.status is not ProposalStatus.PENDING:
            raise ProposalError(f"proposal {proposal.id} is {proposal.status.value}, not pending")
        proposal.status = ProposalStatus.REJECTED
        self.store.save(proposal)

    def roll_back_on_disk(self, proposal: Proposal) -> None:
        if proposal.status is not ProposalStatus.APPLIED:
            raise ProposalError(f"proposal {proposal.id} is {proposal.status.value}, not applied")
        current = disk_text(self.root)
        operations: list[Operation] = []
        for file in reversed(proposal.files):
            path = file.new_path or file.file_path
            text = current(path)
            if text is not None:  # nothing is lost: what is there now is kept too
                self.store.back_up(proposal, path, text, "rollback")
            backup = self.store.read_backup(file)
            if file.change_type.value != "add" and backup is None:
                raise ProposalError(f"proposal {proposal.id}: the backup of {path} is missing")
            operations += rollback_operations(file, text, backup)
        policy = WritePolicy(vcs_allowed=True, confirmed=frozenset(proposal.protected_paths()))
        write_operations(self.root, operations, policy)
        proposal.status = ProposalStatus.ROLLED_BACK
        self.store.save(proposal)
