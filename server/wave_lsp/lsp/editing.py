"""Edits as an editor takes them: operations turned into one ``WorkspaceEdit`` in the client's
dialect (document changes, resource operations, annotations, its position encoding), and carried
out — open documents (and resource operations the client supports) by ``workspace/applyEdit``,
the rest written to disk once the editor accepted."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from wave_lsp.lsp.convert import operations_to_edit, uri_of
from wave_lsp.lsp.features.base import CommandError

if TYPE_CHECKING:
    from wave_lsp.edits.proposals import Operation
    from wave_lsp.edits.protected import WritePolicy
    from wave_lsp.lsp.server import WaveLanguageServer


class EditorWrites:
    def __init__(self, server: WaveLanguageServer) -> None:
        self.server = server

    def open(self, root: Path, relative: str) -> tuple[str, int | None, str] | None:
        """``(uri, version, text)`` of an open document, or ``None``."""
        from wave_lsp.edits.changes import inside

        uri = uri_of(inside(root, relative))
        document = self.server.workspace.text_documents.get(uri)
        if document is None:
            return None
        return uri, document.version, document.source

    def edit_for_client(self, root: Path, operations: list[Operation], label: str) -> Any:
        """Every operation as one WorkspaceEdit for the client to apply itself (the
        ``codeAction/resolve`` path): text changes of open and closed files alike, new files as
        a creation where the client supports it, else as text into a new document."""
        from wave_lsp.edits.proposals import TextChange

        capabilities = self.server.client_capabilities.workspace
        edit_caps = capabilities.workspace_edit if capabilities else None
        document_changes = bool(edit_caps and edit_caps.document_changes)
        annotate = bool(edit_caps and edit_caps.change_annotation_support and document_changes)
        versioned: list[Operation] = []
        for operation in operations:
            if isinstance(operation, TextChange):
                opened = self.open(root, operation.path)
                version = opened[1] if opened is not None else None
                versioned.append(
                    TextChange(operation.path, operation.old_text, operation.edits, version)
                )
            else:
                versioned.append(operation)
        return operations_to_edit(
            root,
            versioned,
            document_changes=document_changes,
            annotation=label if annotate else None,
            codec=self.server.workspace.position_codec,
        )

    async def carry_out(
        self,
        root: Path,
        operations: list[Operation],
        label: str,
        policy: WritePolicy | None = None,
    ) -> None:
        """Operations on open documents (and resource operations the client supports) go to the
        editor in one ``workspace/applyEdit``; the rest are written to disk once it accepted."""
        from wave_lsp.edits.changes import PathError
        from wave_lsp.edits.proposals import (
            RenameFile,
            TextChange,
            check_operations,
            write_operations,
        )
        from wave_lsp.edits.protected import WritePolicy

        try:  # the editor's edits too: no protected path without its confirmation
            await asyncio.to_thread(check_operations, root, operations, policy or WritePolicy())
        except PathError as error:
            raise CommandError(f"{label}: refused: {error}") from error

        capabilities = self.server.client_capabilities.workspace
        edit_caps = capabilities.workspace_edit if capabilities else None
        document_changes = bool(edit_caps and edit_caps.document_changes)
        resource_kinds = (
            {str(k.value) for k in (edit_caps.resource_operations or [])}
            if edit_caps and document_changes
            else set()
        )
        annotate = bool(edit_caps and edit_caps.change_annotation_support and document_changes)
        editor: list[Operation] = []
        direct: list[Operation] = []
        renamed_in_editor: set[str] = set()
        for operation in operations:
            if isinstance(operation, TextChange):
                opened = self.open(root, operation.path)
                if opened is not None or operation.path in renamed_in_editor:
                    version = opened[1] if opened is not None else None
                    editor.append(
                        TextChange(operation.path, operation.old_text, operation.edits, version)
                    )
                else:
                    direct.append(operation)
            else:
                kind = {"CreateFile": "create", "DeleteFile": "delete", "RenameFile": "rename"}[
                    type(operation).__name__
                ]
                if kind in resource_kinds and kind != "create":
                    editor.append(operation)
                    if isinstance(operation, RenameFile):
                        renamed_in_editor.add(operation.new_path)
                else:
                    direct.append(operation)
        if editor:
            edit = operations_to_edit(
                root,
                editor,
                document_changes=document_changes,
                annotation=label if annotate else None,
                codec=self.server.workspace.position_codec,
            )
            result = await self.server.workspace_apply_edit_async(
                types.ApplyWorkspaceEditParams(edit=edit, label=label)
            )
            if not result.applied:
                reason = result.failure_reason or "the editor declined the edit"
                raise CommandError(f"{label}: not applied: {reason}")
        if direct:
            try:
                await asyncio.to_thread(write_operations, root, direct, policy)
            except (OSError, ValueError) as error:
                raise CommandError(f"{label}: not written: {error}") from error
