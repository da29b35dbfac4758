"""Diagnostics for the workspace's ``.wave/`` files: the same problems ``wave config check``
finds, computed from the unsaved text of open documents, updated as the user types.

A check loads the whole workspace configuration (cross-file references need it), so it runs on
a worker thread after a per-workspace debounce; results for a document version that is no longer
current are dropped.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.workspace import TextDocument

from wave_lsp.asyncutil import Debouncer
from wave_lsp.config.paths import WAVE_DIR, classify, wave_root_of
from wave_lsp.lsp.convert import path_of, to_diagnostic
from wave_lsp.lsp.features.base import Feature

if TYPE_CHECKING:
    from wave_lsp.config.problems import Problem
    from wave_lsp.config.workspace import WaveWorkspace
    from wave_lsp.lsp.server import WaveLanguageServer

logger = logging.getLogger(__name__)

CONFIG_DEBOUNCE_MS = 150
"""The pause in typing before configuration files are checked again, unless set."""

SOURCE = "wave-config"


@dataclass(frozen=True)
class _Snapshot:
    uri: str
    path: Path
    version: int | None
    text: str


class ConfigDiagnostics(Feature):
    name = "config-diagnostics"

    def __init__(self, server: WaveLanguageServer) -> None:
        super().__init__(server)
        self.debouncer = Debouncer(CONFIG_DEBOUNCE_MS / 1000)
        self._generation: dict[Path, int] = {}
        self._published: dict[Path, int] = {}
        self._reported_settings: set[str] = set()
        self._settled: dict[Path, asyncio.Event] = {}

    # -- events ----------------------------------------------------------------------------

    def _root_of(self, uri: str) -> Path | None:
        path = path_of(uri)
        if path is None or classify(path) is None:
            return None
        return wave_root_of(path)

    def _touch(self, uri: str) -> None:
        root = self._root_of(uri)
        if root is not None:
            self.schedule(root)

    def did_open(self, document: TextDocument) -> None:
        self._touch(document.uri)

    def did_change(self, document: TextDocument) -> None:
        self._touch(document.uri)

    def did_save(self, document: TextDocument) -> None:
        self._touch(document.uri)

    def did_close(self, uri: str) -> None:
        self.server.diagnostics.clear(SOURCE, uri)
        self._touch(uri)  # other open files may refer to the closed one's unsaved text

    async def initialized(self) -> None:
        """Ask to hear of changes to ``.wave/`` files on disk (a persona saved outside the
        editor changes what an open pipeline may refer to)."""
        if not self.server.client_supports(
            "workspace.did_change_watched_files.dynamic_registration"
        ):
            return
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=f"**/{WAVE_DIR}/**")]
        )
        await self.server.client_register_capability_async(
            types.RegistrationParams(
                registrations=[
                    types.Registration(
                        id="wave-config-files",
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=options,
                    )
                ]
            )
        )

    def files_changed(self, uris: list[str]) -> None:
        roots = {root for uri in uris if (root := self._root_of(uri)) is not None}
        for root in roots & self._open_roots():
            self.schedule(root)

    def settings_changed(self) -> None:
        debounce_ms = self.server.settings.debounce_ms
        self.debouncer.delay = (CONFIG_DEBOUNCE_MS if debounce_ms is None else debounce_ms) / 1000
        for root in self._open_roots():
            self.schedule(root)

    async def shutdown(self) -> None:
        await self.debouncer.close()

    # -- checking --------------------------------------------------------------------------

    def _open_roots(self) -> set[Path]:
        roots = set()
        for uri in list(self.server.workspace.text_documents):
            root = self._root_of(uri)
            if root is not None:
                roots.add(root)
        return roots

    def _snapshots(self, root: Path) -> list[_Snapshot]:
        wave_dir = root / WAVE_DIR
        found = []
        for uri, document in list(self.server.workspace.text_documents.items()):
            path = path_of(uri)
            if path is not None and wave_dir in path.parents and classify(path) is not None:
                found.append(_Snapshot(uri, path, document.version, document.source))
        return found

    async def settle(self, uri: str) -> None:
        root = self._root_of(uri)
        event = self._settled.get(root) if root is not None else None
        if event is not None:
            try:
                await asyncio.wait_for(event.wait(), 30)
            except TimeoutError:
                logger.warning("configuration check of %s did not settle in 30 s", root)

    def schedule(self, root: Path) -> None:
        self._settled.setdefault(root, asyncio.Event()).clear()
        self._generation[root] = self._generation.get(root, 0) + 1
        generation = self._generation[root]
        self.debouncer.schedule(root, lambda: self.check(root, generation))

    async def check(self, root: Path, generation: int) -> None:
        snapshots = self._snapshots(root)
        overlay = {s.path: s.text for s in snapshots}
        layers = self.server.settings_layers()
        by_uri, settings_problems, workspace = await asyncio.to_thread(
            _check_workspace, root, overlay, layers, snapshots
        )
        if generation < self._published.get(root, 0):
            return  # a newer check has already published
        if generation == self._generation.get(root):
            self._settled[root].set()
        self._published[root] = generation
        self.server.workspace_configs.put(root, workspace)
        self._publish(by_uri, settings_problems, snapshots)

    def _publish(
        self,
        by_uri: dict[str, list[Problem]],
        settings_problems: list[Problem],
        snapshots: list[_Snapshot],
    ) -> None:
        for snapshot in snapshots:
            current = self.server.workspace.text_documents.get(snapshot.uri)
            if current is None or current.version != snapshot.version:
                continue  # stale: the document changed or closed while we were checking
            lines = snapshot.text.splitlines(keepends=True)
            codec = current.position_codec
            diagnostics = [to_diagnostic(p, lines, codec) for p in by_uri.get(snapshot.uri, [])]
            self.server.diagnostics.set(SOURCE, snapshot.uri, diagnostics, snapshot.version)
        messages = [p.format() for p in settings_problems]
        key = "\n".join(messages)
        if messages and key not in self._reported_settings:
            self._reported_settings.add(key)
            self.server.show_message(
                "Wave: settings ignored: " + "; ".join(messages), types.MessageType.Warning
            )


def _check_workspace(
    root: Path,
    overlay: dict[Path, str],
    layers: list[tuple[str, dict[str, Any]]],
    snapshots: list[_Snapshot],
) -> tuple[dict[str, list[Problem]], list[Problem], WaveWorkspace]:
    """On a worker thread: load the workspace and sort its problems by open document."""
    # Imported here, off the event loop, so that starting the server does not pay for the
    # models of every configuration file before a .wave/ document is opened.
    from wave_lsp.config.workspace import load_workspace

    workspace = load_workspace(root, overlay=overlay, settings_layers=layers)
    uri_by_path = {str(s.path.resolve()): s.uri for s in snapshots}
    by_uri: dict[str, list[Problem]] = {}
    labels = {label for label, _ in layers}
    settings_problems = []
    for problem in workspace.problems:
        if problem.path in labels:
            settings_problems.append(problem)
        elif (uri := uri_by_path.get(problem.path)) is not None:
            by_uri.setdefault(uri, []).append(problem)
    return by_uri, settings_problems, workspace
