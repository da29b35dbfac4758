"""Each workspace root's loaded configuration and rule engine, shared by the features. Loading
reads files, so it happens on worker threads; features on the event loop only read the cache."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wave_lsp.config.paths import WAVE_DIR
from wave_lsp.lsp.collector import freeze_long_lived

if TYPE_CHECKING:
    from wave_lsp.config.workspace import WaveWorkspace
    from wave_lsp.providers.registry import ProviderRegistry
    from wave_lsp.validation.engine import Engine


@dataclass(frozen=True)
class Loaded:
    root: Path
    workspace: WaveWorkspace
    engine: Engine

    @functools.cached_property
    def providers(self) -> ProviderRegistry:
        """The configured providers (made once per loaded configuration)."""
        from wave_lsp.providers.registry import ProviderRegistry

        return ProviderRegistry.from_config(self.workspace.config.providers)

    def persona(self, name: str | None) -> tuple[str, list[str]]:
        """The active persona's name and permissions (the default persona when none is set)."""
        chosen = name or self.workspace.config.security.personas.default_persona
        loaded = self.workspace.personas.get(chosen)
        if loaded is None:
            return chosen, []
        return chosen, list(loaded.value.security_context.permissions)


logger = logging.getLogger(__name__)

Listener = Callable[[Path], None]


class WorkspaceConfigs:
    def __init__(
        self,
        folders: Callable[[], list[Path]],
        layers: Callable[[], list[tuple[str, dict[str, Any]]]],
    ) -> None:
        self._folders = folders
        self._layers = layers
        self._loaded: dict[Path, Loaded] = {}
        self._lock = threading.Lock()
        self._root_locks: dict[Path, threading.Lock] = {}
        self.listeners: list[Listener] = []
        self._recovered: set[Path] = set()

    def root_for(self, path: Path) -> Path:
        """On a worker thread: the nearest directory above ``path`` holding ``.wave/``, else the
        workspace folder holding it, else its directory."""
        for parent in path.parents:
            if (parent / WAVE_DIR).is_dir():
                return parent
        folders = [f for f in self._folders() if path.is_relative_to(f)]
        if folders:
            return max(folders, key=lambda f: len(f.parts))
        return path.parent

    def get_blocking(self, root: Path) -> Loaded:
        """On a worker thread: the cached configuration of ``root``, loaded if needed."""
        cached = self._loaded.get(root)
        if cached is not None:
            return cached
        with self._lock:
            root_lock = self._root_locks.setdefault(root, threading.Lock())
        with root_lock:  # a second thread asking for the same root waits for the first's load
            cached = self._loaded.get(root)
            if cached is not None:
                return cached
            from wave_lsp.config.workspace import load_workspace

            if root not in self._recovered:  # a write a killed `wave` left half done
                self._recovered.add(root)
                from wave_lsp.edits.journal import recover

                for message in recover(root):
                    logger.warning("%s: %s", root, message)
            workspace = load_workspace(root, settings_layers=self._layers())
            loaded = self._store(root, workspace)
            freeze_long_lived()  # the configuration and its compiled rules live until it changes
            return loaded

    def _store(self, root: Path, workspace: WaveWorkspace) -> Loaded:
        from wave_lsp.validation.engine import Engine

        loaded = Loaded(root, workspace, Engine(list(workspace.rules.values())))
        with self._lock:
            self._loaded[root] = loaded
        return loaded

    def put(self, root: Path, workspace: WaveWorkspace) -> None:
        """A fresh load (with open documents' unsaved text) replaces the cached one."""
        self._store(root, workspace)
        self._notify(root)

    def invalidate(self, root: Path | None = None) -> None:
        with self._lock:
            roots = list(self._loaded) if root is None else [root]
            for item in roots:
                self._loaded.pop(item, None)
        for item in roots:
            self._notify(item)

    def cached(self, root: Path) -> Loaded | None:
        return self._loaded.get(root)

    def _notify(self, root: Path) -> None:
        for listener in self.listeners:
            listener(root)
