"""``textDocument/inlineCompletion`` (LSP 3.18): ghost text from the document's unsaved text, a
thin layer over :mod:`wave_lsp.inline.engine` (cache, one call in flight per document, debounce,
the persona's rules and redaction). A request that cannot be answered (completions off for the
language, a broken configuration, a provider fault) answers nothing and says why once in the
log: a popup per keystroke would be worse than no suggestion."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.workspace import TextDocument

from wave_lsp.lsp.convert import path_of
from wave_lsp.lsp.features.base import CommandError, Feature, import_off_loop

if TYPE_CHECKING:
    from wave_lsp.inline.engine import InlineCompleter, Source
    from wave_lsp.lsp.server import WaveLanguageServer

logger = logging.getLogger(__name__)

MODULES = ("wave_lsp.inline.engine", "wave_lsp.context.secrets", "wave_lsp.session.core")
RECENT = 8
"""Other open documents considered for snippets: the most recently edited."""


class InlineCompletion(Feature):
    name = "inline-completion"

    def __init__(self, server: WaveLanguageServer) -> None:
        super().__init__(server)
        self.completer: InlineCompleter | None = None
        self._sources: dict[Path, tuple[Any, tuple[Any, ...], Source]] = {}
        self._places: dict[str, tuple[Path, str] | None] = {}
        """Each document's root and path in it (resolved once: resolving touches the disk)."""
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._said: set[str] = set()
        self._latest: dict[str, int] = {}
        """Each document's newest request: an older one still getting ready is stale."""
        self._count = 0

    def commands(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        return {"wave.inline.stats": self.stats}

    async def stats(self, *arguments: Any) -> dict[str, Any]:
        """``wave.inline.stats``: requests, cache hits, model calls, and Wave's own time per
        answer (p50/p95 ms, from the request's handler to its answer, less the model's call)."""
        from wave_lsp.lsp.arguments import NoArguments, parse

        parse(NoArguments, arguments, "wave.inline.stats")
        await import_off_loop(*MODULES)
        from wave_lsp.inline.engine import Counts, describe

        return describe(self.completer.counts if self.completer is not None else Counts())

    def did_open(self, document: TextDocument) -> None:
        self._touch(document.uri)

    def did_change(self, document: TextDocument) -> None:
        self._touch(document.uri)

    def did_close(self, uri: str) -> None:
        self._recent.pop(uri, None)
        self._latest.pop(uri, None)
        self._places.pop(uri, None)
        if self.completer is not None:
            self.completer.forget(uri)

    def settings_changed(self) -> None:
        self._sources.clear()

    async def shutdown(self) -> None:
        if self.completer is not None:
            await self.completer.aclose()

    def _touch(self, uri: str) -> None:
        self._recent[uri] = None
        self._recent.move_to_end(uri, last=False)

    async def complete(
        self, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        from wave_lsp.inline.engine import Cursor, wanted

        began = time.perf_counter()
        uri = params.text_document.uri
        self._count += 1
        number = self._latest[uri] = self._count  # before any await: in the order they came
        document = self.server.workspace.text_documents.get(uri)
        if document is None:
            return None
        if self.completer is None:
            await import_off_loop(*MODULES)
            from wave_lsp.inline.engine import InlineCompleter

            self.completer = InlineCompleter()
        place = await self._place(uri)
        if place is None:
            return None
        root, relative = place
        source = await self._source(root)
        if source is None or not wanted(source.settings, document.language_id or ""):
            return None
        others = await self._others(uri, root)
        if self._latest.get(uri) != number:
            return None  # a later request for this document came while this one got ready
        cursor = Cursor(
            key=uri,
            path=relative,
            language=document.language_id or "",
            text=document.source,
            offset=document.offset_at_position(params.position),
            others=others,
        )
        invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
        try:
            text = await self.completer.suggest(cursor, source, invoked=invoked, began=began)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a provider fault: said once, no suggestion
            self._say(f"inline completion: {getattr(error, 'error', None) or error}")
            return None
        if not text:
            return None
        at = types.Range(params.position, params.position)
        return types.InlineCompletionList(items=[types.InlineCompletionItem(text, range=at)])

    async def _place(self, uri: str) -> tuple[Path, str] | None:
        if uri not in self._places:
            path = path_of(uri)
            place = None
            if path is not None:
                try:
                    root = self.server.root_of(path)
                except CommandError:
                    root = None
                if root is not None:
                    resolved = await asyncio.to_thread(path.resolve)
                    if resolved.is_relative_to(root):
                        place = (root, resolved.relative_to(root).as_posix())
            self._places[uri] = place
        return self._places[uri]

    async def _others(self, uri: str, root: Path) -> list[tuple[str, str]]:
        others = []
        documents = self.server.workspace.text_documents
        for other in list(self._recent)[: RECENT + 1]:
            place = await self._place(other)
            document = documents.get(other)
            if other == uri or document is None or place is None or place[0] != root:
                continue
            others.append((place[1], document.source))
        return others

    async def _source(self, root: Path) -> Source | None:
        loaded = self.server.workspace_configs.cached(root)
        settings = self.server.settings
        key = (self.server.persona_of(root), settings.model, settings.persona)
        entry = self._sources.get(root)
        if entry is not None and loaded is not None and entry[0] is loaded and entry[1] == key:
            return entry[2]
        try:
            loaded, source = await self._make_source(root)
        except CommandError as error:
            self._say(f"inline completion: {error}")
            return None
        self._sources[root] = (loaded, key, source)
        return source

    async def _make_source(self, root: Path) -> tuple[Any, Source]:
        from wave_lsp.context.secrets import Redactor
        from wave_lsp.inline.engine import Source
        from wave_lsp.lsp.features.context import resolve_model
        from wave_lsp.session.core import SessionError

        loaded, session = await self.server.session_for(root)
        settings = loaded.workspace.config.completion
        provider, model = resolve_model(
            loaded, session, self.server.settings.model, chosen=settings.model
        )
        try:
            guard = await asyncio.to_thread(
                session.guard, loaded.workspace, self.server.settings.persona
            )
        except SessionError as error:
            raise CommandError(str(error)) from error
        redactor = await asyncio.to_thread(Redactor, list(loaded.workspace.rules.values()))
        return loaded, Source(provider, model, settings, guard, redactor)

    def _say(self, message: str) -> None:
        if message not in self._said:
            self._said.add(message)
            logger.warning("%s", message)
