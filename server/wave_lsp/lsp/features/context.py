"""The session as commands (a thin layer over :mod:`wave_lsp.session`): ``wave.persona.select
{name}``, ``wave.context.add|remove {uri|path}``, ``wave.context.clear``, ``wave.context.show
{uri?, range?}`` (the next request's files, tokens, budget and history: what it will send),
``wave.conversation.show|clear`` and ``wave.checkpoint.save|list|restore|undo|delete``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pygls.workspace import TextDocument

from wave_lsp.lsp.convert import path_of
from wave_lsp.lsp.features.base import CommandError, Feature, importing_first

if TYPE_CHECKING:
    from wave_lsp.lsp.features.proposals import Proposals
    from wave_lsp.lsp.server import WaveLanguageServer
    from wave_lsp.lsp.workspaces import Loaded
    from wave_lsp.personas.guard import PersonaGuard
    from wave_lsp.session.core import Session

CONTEXT_MODULES = (
    "wave_lsp.actions.run",
    "wave_lsp.lsp.arguments",
    "wave_lsp.session.core",
    "wave_lsp.context.builder",
    "wave_lsp.context.checkpoints",
    "wave_lsp.context.models",
    "wave_lsp.personas.guard",
)
"""What the commands need: imported on a worker thread by the first one, not at start."""


class SessionContext(Feature):
    name = "context"

    def __init__(self, server: WaveLanguageServer, proposals: Proposals) -> None:
        super().__init__(server)
        self.proposals = proposals
        self.last_active: str | None = None

    def commands(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        return importing_first(CONTEXT_MODULES, self._commands())

    def _commands(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        return {
            "wave.persona.select": self.select_persona,
            "wave.context.add": self.add,
            "wave.context.remove": self.remove,
            "wave.context.clear": self.clear,
            "wave.context.show": self.show,
            "wave.conversation.show": self.conversation_show,
            "wave.conversation.clear": self.conversation_clear,
            "wave.checkpoint.save": self.checkpoint_save,
            "wave.checkpoint.list": self.checkpoint_list,
            "wave.checkpoint.restore": self.checkpoint_restore,
            "wave.checkpoint.undo": self.checkpoint_undo,
            "wave.checkpoint.delete": self.checkpoint_delete,
        }

    def did_open(self, document: TextDocument) -> None:
        self.last_active = document.uri

    def did_change(self, document: TextDocument) -> None:
        self.last_active = document.uri

    def did_close(self, uri: str) -> None:
        if self.last_active == uri:
            self.last_active = None

    # -- helpers -------------------------------------------------------------------------------

    async def _session(self, uri: str | None = None) -> tuple[Loaded, Session, Path]:
        path = path_of(uri) if uri else None
        try:
            root = self.server.root_of(path)
        except CommandError:  # a file outside every folder: the persona's check says so
            root = self.server.root_of()
        loaded, session = await self.server.session_for(root)
        return loaded, session, root

    def _guard(self, loaded: Loaded, session: Session) -> PersonaGuard:
        from wave_lsp.session.core import SessionError

        try:
            return session.guard(loaded.workspace, self.server.settings.persona)
        except SessionError as error:
            raise CommandError(str(error)) from error

    def _model(self, loaded: Loaded, session: Session) -> tuple[str, str | None]:
        """The provider's name and the model, as a checkpoint records them."""
        registry = loaded.providers
        try:
            return registry.split(session.model or self.server.settings.model)
        except Exception as error:
            raise CommandError(str(error)) from error

    def _files(self, session: Session, root: Path) -> list[str]:
        return [p.relative_to(root).as_posix() for p in session.files]

    # -- persona and files ---------------------------------------------------------------------

    async def select_persona(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.lsp.arguments import NameArguments, parse
        from wave_lsp.session.core import SessionError

        name = parse(NameArguments, arguments, "wave.persona.select").name
        loaded, session, _ = await self._session()
        try:
            session.select_persona(name, loaded.workspace)
        except SessionError as error:
            raise CommandError(str(error)) from error
        persona = loaded.workspace.personas[name].value
        return {
            "persona": name,
            "permissions": persona.security_context.permissions,
            "toolsAllowed": persona.tools_allowed,
        }

    async def add(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp import fileread
        from wave_lsp.errors import WaveError
        from wave_lsp.lsp.arguments import FileArguments, parse
        from wave_lsp.personas.guard import Access

        target = parse(FileArguments, arguments, "wave.context.add").target()
        loaded, session, root = await self._session(target if "://" in target else None)
        guard = self._guard(loaded, session)
        try:
            path = await asyncio.to_thread(guard.check_path, target, Access.READ)
        except WaveError as refusal:
            raise CommandError(refusal.error.message) from refusal
        try:  # a FIFO would block the reader, a device never end: refused by name now
            await asyncio.to_thread(fileread.check_regular, path, None)
        except FileNotFoundError as error:
            raise CommandError(f"{target}: no such file") from error
        except fileread.FileRefused as error:
            raise CommandError(f"{target}: {error.reason}") from error
        session.files.add(path)
        return {"files": self._files(session, root)}

    async def remove(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.lsp.arguments import FileArguments, parse
        from wave_lsp.personas.guard import path_from

        target = parse(FileArguments, arguments, "wave.context.remove").target()
        _, session, root = await self._session(target if "://" in target else None)
        if not session.files.remove(path_from(target, root).resolve()):
            raise CommandError(f"{target} is not in the context")
        return {"files": self._files(session, root)}

    async def clear(self, *arguments: Any) -> dict[str, Any]:
        _, session, _ = await self._session()
        session.files.clear()
        return {"files": []}

    # -- the conversation ----------------------------------------------------------------------

    async def conversation_show(self, *arguments: Any) -> dict[str, Any]:
        _, session, _ = await self._session()
        conversation = session.conversation
        return {
            "messages": [m.model_dump(mode="json", by_alias=True) for m in conversation.messages],
            "tokens": conversation.tokens(),
            "compacted": conversation.compaction(),
            "problem": conversation.problem,
        }

    async def conversation_clear(self, *arguments: Any) -> dict[str, Any]:
        _, session, _ = await self._session()
        cleared = len(session.conversation)
        await asyncio.to_thread(session.clear_conversation)
        return {"cleared": cleared}

    # -- checkpoints ---------------------------------------------------------------------------

    async def checkpoint_save(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.lsp.arguments import NameArguments, parse

        name = parse(NameArguments, arguments, "wave.checkpoint.save").name.strip()
        loaded, session, root = await self._session()
        provider, model = self._model(loaded, session)
        since = await asyncio.to_thread(session.last_checkpoint_time)
        applied = await asyncio.to_thread(self.proposals.applied_since, root, since)
        checkpoint = await asyncio.to_thread(
            session.save_checkpoint, name, provider, model, applied
        )
        return {
            "id": checkpoint.id,
            "name": checkpoint.name,
            "messageCount": checkpoint.message_count,
            "persona": checkpoint.persona,
        }

    async def checkpoint_list(self, *arguments: Any) -> list[dict[str, object]]:
        _, session, _ = await self._session()
        return await asyncio.to_thread(session.checkpoints.list)

    async def checkpoint_restore(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.lsp.arguments import CheckpointArguments, parse
        from wave_lsp.session.core import SessionError

        options = parse(CheckpointArguments, arguments, "wave.checkpoint.restore")
        loaded, session, root = await self._session()
        guard = self._guard(loaded, session)
        provider, model = self._model(loaded, session)
        try:
            restored = await asyncio.to_thread(
                session.restore_checkpoint, options.id, guard.check_path, provider, model
            )
        except SessionError as error:
            raise CommandError(str(error)) from error
        since = session.checkpoint_time(restored.checkpoint)
        applied = await asyncio.to_thread(self.proposals.applied_since, root, since)
        rolled_back = []
        if options.rollback:
            for proposal_id in reversed(applied):  # newest first
                await self.proposals.rollback({"id": proposal_id})
                rolled_back.append(proposal_id)
        return {
            "id": restored.checkpoint.id,
            "messageCount": restored.checkpoint.message_count,
            "files": self._files(session, root),
            "persona": session.persona,
            "refused": restored.refused,
            "appliedSince": applied,
            "rolledBack": rolled_back,
            "undo": restored.undo,
        }

    async def checkpoint_undo(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.session.core import SessionError

        loaded, session, root = await self._session()
        guard = self._guard(loaded, session)
        try:
            checkpoint = await asyncio.to_thread(session.undo_restore, guard.check_path)
        except SessionError as error:
            raise CommandError(str(error)) from error
        return {
            "id": checkpoint.id,
            "messageCount": checkpoint.message_count,
            "files": self._files(session, root),
        }

    async def checkpoint_delete(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.context.checkpoints import CheckpointError
        from wave_lsp.lsp.arguments import CheckpointArguments, parse

        checkpoint_id = parse(CheckpointArguments, arguments, "wave.checkpoint.delete").id
        _, session, _ = await self._session()
        try:
            await asyncio.to_thread(session.checkpoints.delete, checkpoint_id)
        except CheckpointError as error:
            raise CommandError(str(error)) from error
        return {"deleted": checkpoint_id}

    # -- the report of the next request --------------------------------------------------------

    async def show(self, *arguments: Any) -> dict[str, Any]:
        """What the next request sends: the same function builds both (see
        :func:`wave_lsp.actions.run.prepare`)."""
        from wave_lsp.actions.run import prepare
        from wave_lsp.context.builder import OpenDocument
        from wave_lsp.lsp.arguments import ShowArguments, parse

        options = parse(ShowArguments, arguments, "wave.context.show")
        focus_uri = options.uri or self.last_active
        loaded, session, _ = await self._session(focus_uri)
        guard = self._guard(loaded, session)
        provider, model = resolve_model(loaded, session, self.server.settings.model)
        documents = []
        for uri, document in list(self.server.workspace.text_documents.items()):
            path = path_of(uri)
            if path is None:
                continue
            focused = uri == focus_uri
            selection = None
            if focused and options.range is not None:
                selection = (options.range.start.line, options.range.end.line)
            documents.append(OpenDocument(path, document.source, focused, selection))
        prepared = await asyncio.to_thread(
            prepare,
            guard,
            provider,
            model,
            documents,
            list(loaded.workspace.rules.values()),
            session,
            max_size_bytes=int(loaded.workspace.config.context.max_size),
        )
        return {"persona": guard.persona.name, "model": model, **prepared.report()}


def resolve_model(
    loaded: Loaded, session: Session, configured: str | None, *, chosen: str | None = None
) -> tuple[Any, str]:
    """The provider and model of the session's next request (``chosen`` first: a feature's own
    model, as ``completion.model``): refused, with the first problem, when the configuration is
    broken (never answered by another model)."""
    from wave_lsp.errors import WaveError
    from wave_lsp.session.core import config_problem

    problem = config_problem(loaded.workspace)
    if problem is not None:
        raise CommandError(f"the configuration is broken, so no model is asked: {problem}")
    try:
        return loaded.providers.resolve(chosen or session.model or configured)
    except WaveError as error:
        message = error.error.message
        if error.error.suggestions:
            message += f" ({'; '.join(error.error.suggestions)})"
        raise CommandError(message) from error
