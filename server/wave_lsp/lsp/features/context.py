"""The session's persona and file context as commands: ``wave.persona.select {name}``,
``wave.context.add {uri|path}``, ``wave.context.remove {uri|path}``, ``wave.context.clear`` and
``wave.context.show {uri?}`` (the report of what the next request would carry: files, tokens,
budget, what was cut or left out and why, redactions)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pygls.workspace import TextDocument

from wave_lsp.context.builder import Budget, OpenDocument, build_context
from wave_lsp.context.secrets import Redactor
from wave_lsp.errors import WaveError
from wave_lsp.lsp.convert import path_of
from wave_lsp.lsp.features.base import Feature
from wave_lsp.personas.guard import Access, path_from

DEFAULT_WINDOW = 8192
"""The context window assumed by ``wave.context.show`` (the embedded model's)."""


class CommandError(Exception):
    pass


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
        self.added: dict[Path, None] = {}
        self.last_active: str | None = None

    def commands(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        return {
            "wave.persona.select": self.select_persona,
            "wave.context.add": self.add,
            "wave.context.remove": self.remove,
            "wave.context.clear": self.clear,
            "wave.context.show": self.show,
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
        target = _target(arguments)
        root = self._root()
        _, guard = await self._guard(root)
        try:
            path = await asyncio.to_thread(guard.check_path, target, Access.READ)
        except WaveError as refusal:
            raise CommandError(refusal.error.message) from refusal
        if not path.is_file():
            raise CommandError(f"{target}: no such file")
        self.added[path] = None
        return {"files": [p.relative_to(root).as_posix() for p in self.added]}

    async def remove(self, *arguments: Any) -> dict[str, Any]:
        root = self._root()
        path = path_from(_target(arguments), root).resolve()
        if path not in self.added:
            raise CommandError(f"{_target(arguments)} is not in the context")
        del self.added[path]
        return {"files": [p.relative_to(root).as_posix() for p in self.added]}

    async def clear(self, *arguments: Any) -> dict[str, Any]:
        self.added.clear()
        return {"files": []}

    async def show(self, *arguments: Any) -> dict[str, Any]:
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
