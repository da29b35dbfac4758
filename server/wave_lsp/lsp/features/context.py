"""The session's persona and file context as commands: ``wave.persona.select {name}``,
``wave.context.add {uri|path}``, ``wave.context.remove {uri|path}``, ``wave.context.clear`` and
``wave.context.show {uri?}`` (the report of what the next request would carry: files, tokens,
budget, what was cut or left out and why, redactions)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pygls.workspace import TextDocument

from wave_lsp.lsp.convert import path_of
from wave_lsp.lsp.features.base import CommandError, Feature, importing_first

if TYPE_CHECKING:
    from wave_lsp.context.checkpoints import CheckpointStore
    from wave_lsp.context.models import Message
    from wave_lsp.lsp.features.proposals import Proposals

CONTEXT_MODULES = (
    "wave_lsp.context.builder",
    "wave_lsp.context.checkpoints",
    "wave_lsp.context.models",
    "wave_lsp.personas.guard",
)
"""What the commands need: imported on a worker thread by the first one, not at start."""

DEFAULT_WINDOW = 8192
"""The context window assumed by ``wave.context.show`` (the embedded model's)."""


def _target(arguments: tuple[Any, ...]) -> str:
    options = arguments[0] if arguments and isinstance(arguments[0], dict) else {}
    target = options.get("uri") or options.get("path") or (arguments[0] if arguments else None)
    if not isinstance(target, str) or not target:
        raise CommandError('give a file: {"uri": "file:///..."} or {"path": "src/app.py"}')
    return target


class SessionContext(Feature):
    name = "context"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.added = self.server.context_files
        """The files added to the context, shared with the AI actions (the server's)."""
        self.last_active: str | None = None
        self.history: list[Message] = []
        """The session's conversation (what AI actions said and heard), for checkpoints."""

    def commands(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        return importing_first(CONTEXT_MODULES, self._commands())

    def _commands(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        return {
            "wave.persona.select": self.select_persona,
            "wave.context.add": self.add,
            "wave.context.remove": self.remove,
            "wave.context.clear": self.clear,
            "wave.context.show": self.show,
            "wave.checkpoint.save": self.checkpoint_save,
            "wave.checkpoint.list": self.checkpoint_list,
            "wave.checkpoint.restore": self.checkpoint_restore,
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

    def _root(self) -> Path:
        folders = self.server.folder_paths()
        if not folders:
            raise CommandError("no workspace folder is open")
        return folders[0].resolve()

    async def _guard(self, root: Path) -> Any:
        loaded = await asyncio.to_thread(self.server.workspace_configs.get_blocking, root)
        try:
            return loaded, loaded.guard(self.server.persona_name(), self.server.session_id)
        except KeyError as error:
            raise CommandError(f"no persona named {error}") from error

    # -- commands ------------------------------------------------------------------------------

    async def select_persona(self, *arguments: Any) -> dict[str, Any]:
        options = arguments[0] if arguments and isinstance(arguments[0], dict) else {}
        name = options.get("name") or (arguments[0] if arguments else None)
        loaded = await asyncio.to_thread(self.server.workspace_configs.get_blocking, self._root())
        known = sorted(loaded.workspace.personas)
        if not isinstance(name, str) or name not in known:
            raise CommandError(f"no persona named {name!r}: choose one of {', '.join(known)}")
        self.server.selected_persona = name
        persona = loaded.workspace.personas[name].value
        return {
            "persona": name,
            "permissions": persona.security_context.permissions,
            "toolsAllowed": persona.tools_allowed,
        }

    async def add(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.errors import WaveError
        from wave_lsp.personas.guard import Access

        target = _target(arguments)
        root = self._root()
        _, guard = await self._guard(root)
        try:
            path = await asyncio.to_thread(guard.check_path, target, Access.READ)
        except WaveError as refusal:
            raise CommandError(refusal.error.message) from refusal
        from wave_lsp import fileread

        try:  # a FIFO would block the reader, a device never end: refused by name now
            await asyncio.to_thread(fileread.check_regular, path, None)
        except FileNotFoundError as error:
            raise CommandError(f"{target}: no such file") from error
        except fileread.FileRefused as error:
            raise CommandError(f"{target}: {error.reason}") from error
        self.added.add(path)
        return {"files": [p.relative_to(root).as_posix() for p in self.added]}

    async def remove(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.personas.guard import path_from

        root = self._root()
        path = path_from(_target(arguments), root).resolve()
        if not self.added.remove(path):
            raise CommandError(f"{_target(arguments)} is not in the context")
        return {"files": [p.relative_to(root).as_posix() for p in self.added]}

    async def clear(self, *arguments: Any) -> dict[str, Any]:
        self.added.clear()
        return {"files": []}

    # -- checkpoints ---------------------------------------------------------------------------

    def _checkpoints(self, root: Path) -> CheckpointStore:
        from wave_lsp.config.paths import workspace_state_dir
        from wave_lsp.context.checkpoints import CheckpointStore

        return CheckpointStore(workspace_state_dir(root) / "checkpoints")

    async def checkpoint_save(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.context.models import FileContext

        options = arguments[0] if arguments and isinstance(arguments[0], dict) else {}
        name = options.get("name")
        if not isinstance(name, str) or not name.strip():
            raise CommandError('give the checkpoint a name: {"name": "before refactor"}')
        root = self._root()
        loaded = await asyncio.to_thread(self.server.workspace_configs.get_blocking, root)
        providers = loaded.workspace.config.providers
        provider = providers.default_provider if providers else "local"
        model = (providers.default_model if providers else None) or self.server.settings.model
        files = [
            FileContext(path=p.relative_to(root).as_posix(), content="", size=p.stat().st_size,
                        last_modified=p.stat().st_mtime)
            for p in self.added if p.is_file()
        ]  # fmt: skip
        store = self._checkpoints(root)
        checkpoint = await asyncio.to_thread(
            store.save, name.strip(), list(self.history), files, provider, model
        )
        return {
            "id": checkpoint.id,
            "name": checkpoint.name,
            "messageCount": checkpoint.message_count,
        }

    async def checkpoint_list(self, *arguments: Any) -> list[dict[str, object]]:
        return await asyncio.to_thread(self._checkpoints(self._root()).list)

    async def checkpoint_restore(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.context.checkpoints import CheckpointError
        from wave_lsp.errors import WaveError

        options = arguments[0] if arguments and isinstance(arguments[0], dict) else {}
        checkpoint_id = options.get("id")
        if not isinstance(checkpoint_id, str):
            raise CommandError('give the checkpoint\'s id: {"id": "c-..."}')
        root = self._root()
        try:
            checkpoint = await asyncio.to_thread(self._checkpoints(root).load, checkpoint_id)
        except CheckpointError as error:
            raise CommandError(str(error)) from error
        _, guard = await self._guard(root)
        restored: list[Path] = []
        refused = []
        for file in checkpoint.context_files:
            try:
                restored.append(await asyncio.to_thread(guard.check_path, file.path))
            except (WaveError, ValueError) as error:
                refused.append({"path": file.path, "reason": str(error)})
        self.added.replace(restored)
        self.history = list(checkpoint.conversation_history)
        created = checkpoint.created_at
        since = created.timestamp() if isinstance(created, datetime) else float(created)
        proposals = self._proposals()
        applied = await asyncio.to_thread(proposals.applied_since, root, since) if proposals else []
        rolled_back = []
        if options.get("rollback") and proposals is not None:
            for proposal_id in reversed(applied):  # newest first
                await proposals.rollback({"id": proposal_id})
                rolled_back.append(proposal_id)
        return {
            "id": checkpoint.id,
            "messageCount": checkpoint.message_count,
            "files": [p.relative_to(root).as_posix() for p in self.added],
            "refused": refused,
            "appliedSince": applied,
            "rolledBack": rolled_back,
        }

    async def checkpoint_delete(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.context.checkpoints import CheckpointError

        options = arguments[0] if arguments and isinstance(arguments[0], dict) else {}
        checkpoint_id = options.get("id")
        if not isinstance(checkpoint_id, str):
            raise CommandError('give the checkpoint\'s id: {"id": "c-..."}')
        try:
            await asyncio.to_thread(self._checkpoints(self._root()).delete, checkpoint_id)
        except CheckpointError as error:
            raise CommandError(str(error)) from error
        return {"deleted": checkpoint_id}

    def _proposals(self) -> Proposals | None:
        from wave_lsp.lsp.features.proposals import Proposals

        return next((f for f in self.server.features if isinstance(f, Proposals)), None)

    async def show(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.context.builder import Budget, OpenDocument, build_context
        from wave_lsp.context.secrets import Redactor

        options = arguments[0] if arguments and isinstance(arguments[0], dict) else {}
        focus_uri = options.get("uri") or self.last_active
        root = self._root()
        loaded, guard = await self._guard(root)
        documents = []
        for uri, document in list(self.server.workspace.text_documents.items()):
            path = path_of(uri)
            if path is None:
                continue
            focused = uri == focus_uri
            selection = None
            if focused and isinstance(options.get("range"), dict):
                selection = (
                    int(options["range"]["start"]["line"]),
                    int(options["range"]["end"]["line"]),
                )
            documents.append(OpenDocument(path, document.source, focused, selection))
        persona = guard.persona
        window = int(options.get("contextWindow") or DEFAULT_WINDOW)
        budget = Budget.of(
            window,
            persona.ai_context.max_tokens
            if persona.ai_context.max_tokens < window
            else window // 4,
            max_size_bytes=int(loaded.workspace.config.context.max_size),
        )
        redactor = Redactor(list(loaded.workspace.rules.values()))
        built = await asyncio.to_thread(
            build_context, guard, documents, list(self.added), budget=budget, redactor=redactor
        )
        return {"persona": persona.name, **built.report.to_json()}
