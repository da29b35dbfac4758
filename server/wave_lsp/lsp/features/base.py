"""The interface every feature implements: hooks for the LSP events fanned out to it. A hook a
feature does not need is left as the default no-op."""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.workspace import TextDocument

from wave_lsp.lsp.collector import freeze_long_lived

if TYPE_CHECKING:
    from wave_lsp.lsp.server import WaveLanguageServer


async def import_off_loop(*modules: str) -> None:
    """Import ``modules`` on a worker thread (the first time only: later calls find them in
    ``sys.modules``), so that a feature's heavy domain code neither slows the server's start nor
    blocks the event loop when first used."""
    missing = [name for name in modules if name not in sys.modules]
    if missing:
        await asyncio.to_thread(lambda: [importlib.import_module(name) for name in missing])
        freeze_long_lived()  # what the imports made lives as long as the server


def importing_first(
    modules: tuple[str, ...], commands: dict[str, Callable[..., Awaitable[Any]]]
) -> dict[str, Callable[..., Awaitable[Any]]]:
    """``commands``, each first importing ``modules`` off the event loop (see
    :func:`import_off_loop`)."""

    def wrap(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def run(*arguments: Any) -> Any:
            await import_off_loop(*modules)
            return await handler(*arguments)

        return run

    return {name: wrap(handler) for name, handler in commands.items()}


class CommandError(Exception):
    """A command refused: the message goes back to the client as the command's error."""


class Feature:
    name = "feature"

    def __init__(self, server: WaveLanguageServer) -> None:
        self.server = server

    def initialize(self, params: types.InitializeParams) -> None:
        """During ``initialize``: read client capabilities; no messages to the client yet."""

    def before_documents(self) -> None:
        """In the ``initialized`` notification, synchronously: finish what every document will
        need before the messages after it are read (they wait in the pipe, not in memory)."""

    async def initialized(self) -> None:
        """After ``initialized``, once settings are known."""

    def did_open(self, document: TextDocument) -> None: ...

    def did_change(self, document: TextDocument) -> None: ...

    def did_save(self, document: TextDocument) -> None: ...

    def did_close(self, uri: str) -> None: ...

    def files_changed(self, uris: list[str]) -> None:
        """Files changed on disk (``workspace/didChangeWatchedFiles``)."""

    def commands(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        """``workspace/executeCommand`` handlers this feature provides, by command name."""
        return {}

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        """Actions for a range: read stored state only, never compute."""
        return []

    async def resolve_code_action(self, action: types.CodeAction) -> types.CodeAction | None:
        """``codeAction/resolve`` for an action this feature offered (``None``: not mine)."""
        return None

    async def settle(self, uri: str) -> None:
        """Wait for work in flight on ``uri`` (so that a pull request sees its results)."""

    def settings_changed(self) -> None:
        """The client's settings (or the workspace folders) changed."""

    async def shutdown(self) -> None:
        """Cancel background work."""
