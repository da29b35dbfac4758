"""Code-change proposals as LSP commands: ``wave.proposal.fromDiff``, ``.list``, ``.show``,
``.apply``, ``.reject``, ``.rollback``.

A proposal is planned against the text the editor has (open documents' unsaved text, else the
disk). Applying it backs up every file first, then sends one ``workspace/applyEdit`` for the open
documents (versioned, annotated "needs confirmation" where the client supports it) and writes the
files that are not open atomically, after the editor accepted. A document that changed since the
proposal was made is re-planned on its current text, or the apply is refused with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from wave_lsp.lsp.convert import path_of, uri_of
from wave_lsp.lsp.editing import EditorWrites
from wave_lsp.lsp.features.base import CommandError, Feature, importing_first

if TYPE_CHECKING:
    from wave_lsp.edits.changes import ChangeSet
    from wave_lsp.edits.proposals import (
        Operation,
        Proposal,
        ProposalStore,
    )
    from wave_lsp.edits.protected import WritePolicy
    from wave_lsp.personas.guard import PersonaGuard
    from wave_lsp.session.proposals import Proposals as ProposalService

EDIT_MODULES = (
    "wave_lsp.edits.changes",
    "wave_lsp.edits.extract",
    "wave_lsp.edits.proposals",
    "wave_lsp.session.proposals",
)
"""What the commands need: imported on a worker thread by the first one, not at start."""

logger = logging.getLogger(__name__)

PREFIX = "wave.proposal."


class Proposals(Feature):
    name = "proposals"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._services: dict[Path, ProposalService] = {}
        self.editor = EditorWrites(self.server)
        self._lock = asyncio.Lock()

    def commands(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        return importing_first(
            EDIT_MODULES,
            {
                PREFIX + "fromDiff": self.from_diff,
                PREFIX + "list": self.list_proposals,
                PREFIX + "show": self.show,
                PREFIX + "apply": self.apply,
                PREFIX + "applied": self.applied,
                PREFIX + "reject": self.reject,
                PREFIX + "rollback": self.rollback,
            },
        )

    # -- helpers -------------------------------------------------------------------------------

    def _root(self, uri: str | None = None) -> Path:
        return self.server.root_of(path_of(uri) if uri is not None else None)

    def _folders(self) -> list[Path]:
        """The workspace folders, each once."""
        return list(dict.fromkeys(path.resolve() for path in self.server.folder_paths()))

    def service(self, root: Path) -> ProposalService:
        """The session core's proposals of ``root`` (one store per root)."""
        from wave_lsp.session.proposals import Proposals as ProposalService

        if root not in self._services:
            self._services[root] = ProposalService(root)
        return self._services[root]

    def store(self, root: Path) -> ProposalStore:
        return self.service(root).store

    def _open(self, root: Path, relative: str) -> tuple[str, int | None, str] | None:
        return self.editor.open(root, relative)

    def _current(self, root: Path, relative: str) -> str | None:
        from wave_lsp.edits.changes import inside

        return self._text_at(inside(root, relative))

    def _text_at(self, path: Path) -> str | None:
        """The editor's text of a file, else the disk's (``None``: no such file). Blocking:
        called from a worker thread."""
        document = self.server.workspace.text_documents.get(uri_of(path))
        if document is not None:
            return str(document.source)
        try:
            return path.read_bytes().decode("utf-8", errors="surrogateescape")
        except (FileNotFoundError, IsADirectoryError):
            return None

    async def _guard(self, root: Path) -> PersonaGuard:
        from wave_lsp.session.core import SessionError

        loaded, session = await self.server.session_for(root)
        try:
            return session.guard(loaded.workspace, self.server.settings.persona)
        except SessionError as error:
            raise CommandError(str(error)) from error

    async def _check_writes(self, root: Path, paths: list[str]) -> None:
        """The active persona may write every file the proposal touches (refusals audited)."""
        from wave_lsp.errors import WaveError
        from wave_lsp.personas.guard import Access

        guard = await self._guard(root)
        try:
            guard.check_time()
        except WaveError as refusal:
            raise CommandError(refusal.error.message) from refusal
        for path in paths:
            try:
                await asyncio.to_thread(guard.check_path, path, Access.WRITE)
            except WaveError as refusal:
                suggestions = "; ".join(refusal.error.suggestions)
                raise CommandError(f"{refusal.error.message} ({suggestions})") from refusal

    def _find(self, arguments: tuple[Any, ...]) -> tuple[Proposal, ProposalStore]:
        options = arguments[0] if arguments and isinstance(arguments[0], dict) else {}
        proposal_id = options.get("id") or (arguments[0] if arguments else None)
        if not isinstance(proposal_id, str):
            raise CommandError('give the proposal\'s id: {"id": "p-..."}')
        for folder in self._folders():
            store = self.store(folder)
            proposal = store.get(proposal_id)
            if proposal is not None:
                return proposal, store
        raise CommandError(f"no proposal '{proposal_id}'")

    def applied_since(self, root: Path, since: float) -> list[str]:
        """Ids of the proposals applied after ``since`` (seconds since the epoch), oldest first
        (blocking: reads the store)."""
        from wave_lsp.edits.proposals import ProposalStatus

        return [
            p.id
            for p in self.store(root.resolve()).all()
            if p.status is ProposalStatus.APPLIED and p.created_at.timestamp() >= since
        ]

    # -- commands ------------------------------------------------------------------------------

    async def from_diff(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.edits.changes import PathError, plan_changes
        from wave_lsp.edits.extract import extract_patches
        from wave_lsp.edits.patch import PatchSyntaxError
        from wave_lsp.edits.proposals import make_proposal

        options = arguments[0] if arguments and isinstance(arguments[0], dict) else {}
        text = options.get("diff")
        if not isinstance(text, str) or not text.strip():
            raise CommandError(
                'give the diff or the model\'s answer: {"diff": "...", "uri"?: "..."}'
            )
        uri = options.get("uri")
        root = self._root(uri if isinstance(uri, str) else None)
        default_path = None
        if isinstance(uri, str) and (path := path_of(uri)) is not None:
            default_path = path.resolve().relative_to(root.resolve()).as_posix()
        try:
            patches = extract_patches(text, default_path)
        except PatchSyntaxError as error:
            raise CommandError(str(error)) from error

        from wave_lsp.edits.protected import VCS_PERMISSION, WritePolicy

        guard = await self._guard(root)
        policy = WritePolicy(vcs_allowed=guard.has(VCS_PERMISSION), defer_confirmation=True)

        cancelled = threading.Event()

        def plan() -> ChangeSet:
            return plan_changes(root, patches, self._text_at, policy, cancel=cancelled.is_set)

        try:
            changes = await asyncio.to_thread(plan)
        except PathError as error:
            raise CommandError(f"{error}: refused") from error
        except asyncio.CancelledError:  # $/cancelRequest: the search on the worker stops too
            cancelled.set()
            raise
        report = changes.report()
        if not changes.ok:
            report["error"] = "\n".join(changes.errors())
            return report
        await self._check_writes(
            root, [p for c in changes.files for p in (c.path, c.new_path) if p is not None]
        )

        def version(relative: str) -> int | None:
            opened = self._open(root, relative)
            return opened[1] if opened else None

        proposal = make_proposal(
            changes, origin=options.get("origin") or "wave.proposal.fromDiff", versions=version
        )
        await asyncio.to_thread(self.store(root).save, proposal)
        report |= {
            "id": proposal.id,
            "summary": proposal.summary(),
            "diff": proposal.unified_diff(),
            "needsConfirmation": proposal.protected_paths(),
        }
        return report

    async def list_proposals(self, *arguments: Any) -> list[dict[str, Any]]:
        def collect() -> list[dict[str, Any]]:
            return [
                {
                    "id": proposal.id,
                    "status": proposal.status.value,
                    "createdAt": proposal.created_at.isoformat(),
                    "origin": proposal.origin,
                    "summary": proposal.summary(),
                }
                for folder in self._folders()
                for proposal in self.store(folder).all()
            ]

        return await asyncio.to_thread(collect)

    async def show(self, *arguments: Any) -> dict[str, Any]:
        proposal, store = await asyncio.to_thread(self._find, arguments)
        diff = proposal.unified_diff()
        shown = False
        if self.server.client_supports("window.show_document.support"):
            preview = store.directory / f"{proposal.id}.diff"
            await asyncio.to_thread(preview.write_text, diff, "utf-8")
            result = await self.server.window_show_document_async(
                types.ShowDocumentParams(uri=uri_of(preview), take_focus=True)
            )
            shown = bool(result and result.success)
        return {"id": proposal.id, "status": proposal.status.value, "diff": diff, "shown": shown}

    async def reject(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.edits.proposals import ProposalStatus

        proposal, store = await asyncio.to_thread(self._find, arguments)
        if proposal.status is not ProposalStatus.PENDING:
            raise CommandError(f"proposal {proposal.id} is {proposal.status.value}, not pending")
        proposal.status = ProposalStatus.REJECTED
        await asyncio.to_thread(store.save, proposal)
        return {"id": proposal.id, "status": proposal.status.value}

    async def applied(self, *arguments: Any) -> dict[str, Any]:
        """``wave.proposal.applied {id}``: the editor applied the edit of a resolved code action
        (the action's command, which editors run after its edit): only now is it applied."""
        from wave_lsp.edits.proposals import ProposalStatus

        async with self._lock:
            proposal, store = await asyncio.to_thread(self._find, arguments)
            if proposal.status is ProposalStatus.PENDING:
                proposal.status = ProposalStatus.APPLIED
                await asyncio.to_thread(store.save, proposal)
            elif proposal.status is not ProposalStatus.APPLIED:
                raise CommandError(f"proposal {proposal.id} is {proposal.status.value}")
            return {"id": proposal.id, "status": proposal.status.value}

    async def _confirmed(
        self, proposal: Proposal, arguments: tuple[Any, ...], root: Path
    ) -> WritePolicy:
        from wave_lsp.edits.protected import VCS_PERMISSION
        from wave_lsp.lsp.features.confirmation import confirm_protected

        guard = await self._guard(root)
        return await confirm_protected(
            self.server, proposal, arguments, vcs_allowed=guard.has(VCS_PERMISSION)
        )

    async def apply(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.edits.proposals import ProposalStatus

        async with self._lock:
            proposal, store = await asyncio.to_thread(self._find, arguments)
            root = store.root
            policy = await self._confirmed(proposal, arguments, root)
            before = {
                f.file_path: await asyncio.to_thread(self._current, root, f.file_path)
                for f in proposal.files
            }
            operations = await self.prepare(proposal, store)
            replanned = [
                f.file_path
                for f in proposal.files
                if before[f.file_path] is not None and before[f.file_path] != f.old_content
            ]
            await self._carry_out(
                root, operations, f"Wave: apply {proposal.id} ({proposal.summary()})", policy
            )
            proposal.status = ProposalStatus.APPLIED
            await asyncio.to_thread(store.save, proposal)
            return {"id": proposal.id, "status": proposal.status.value, "replanned": replanned}

    async def rollback(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.edits.proposals import ProposalStatus, rollback_operations

        async with self._lock:
            proposal, store = await asyncio.to_thread(self._find, arguments)
            if proposal.status is not ProposalStatus.APPLIED:
                raise CommandError(
                    f"proposal {proposal.id} is {proposal.status.value}, not applied"
                )
            root = store.root
            operations: list[Operation] = []
            for file in reversed(proposal.files):
                path = file.new_path or file.file_path
                current = await asyncio.to_thread(self._current, root, path)
                if current is not None:  # nothing is lost: what is there now is kept too
                    await asyncio.to_thread(store.back_up, proposal, path, current, "rollback")
                backup = await asyncio.to_thread(store.read_backup, file)
                if file.change_type.value != "add" and backup is None:
                    raise CommandError(
                        f"proposal {proposal.id}: the backup of {file.file_path} is missing"
                    )
                operations += rollback_operations(file, current, backup)
            from wave_lsp.edits.protected import WritePolicy

            # putting back what the user had: the paths they confirmed when it was applied
            policy = WritePolicy(vcs_allowed=True, confirmed=frozenset(proposal.protected_paths()))
            await self._carry_out(root, operations, f"Wave: roll back {proposal.id}", policy)
            proposal.status = ProposalStatus.ROLLED_BACK
            await asyncio.to_thread(store.save, proposal)
            return {"id": proposal.id, "status": proposal.status.value}

    async def prepare(self, proposal: Proposal, store: ProposalStore) -> list[Operation]:
        """The operations that apply ``proposal`` to the files as they are now (re-planned when
        they changed), after checking the persona and backing every file up (the session's
        proposal service; the editor's unsaved text is the text now)."""
        from wave_lsp.session.proposals import ProposalError

        root = store.root
        guard = await self._guard(root)
        try:
            return await asyncio.to_thread(
                self.service(root).prepare,
                proposal,
                guard,
                lambda relative: self._current(root, relative),
            )
        except ProposalError as error:
            raise CommandError(str(error)) from error

    def edit_for_client(self, root: Path, operations: list[Operation], label: str) -> Any:
        return self.editor.edit_for_client(root, operations, label)

    async def _carry_out(
        self,
        root: Path,
        operations: list[Operation],
        label: str,
        policy: WritePolicy | None = None,
    ) -> None:
        await self.editor.carry_out(root, operations, label, policy)
