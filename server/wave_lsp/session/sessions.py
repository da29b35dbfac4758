"""The sessions of a front end, one per workspace root, made when first used (light to import:
a server imports this at start, the session's own machinery only when it is first used)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wave_lsp.config.system import ContextSettings
    from wave_lsp.session.core import Session

PersonaListener = Callable[[Path], None]
"""Told the root whose persona changed (the rule diagnostics re-check its documents)."""


class Sessions:
    def __init__(self, session_id: str, allowed: list[str] | None = None) -> None:
        self.session_id = session_id
        self.allowed = allowed
        """The personas this client may use (a daemon's user); ``None``: any."""
        self._sessions: dict[Path, Session] = {}
        self._lock = threading.Lock()
        self.persona_listeners: list[PersonaListener] = []

    def get(self, root: Path, settings: ContextSettings) -> Session:
        """On a worker thread (a stored conversation is read): the session of ``root``."""
        from wave_lsp.session.core import Session

        key = root.resolve()
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = Session(key, self.session_id, settings, allowed=self.allowed)
                session.on_persona = self._persona_changed
                self._sessions[key] = session
            return session

    def existing(self, root: Path) -> Session | None:
        return self._sessions.get(root.resolve())

    def __iter__(self) -> Iterator[Session]:
        return iter(list(self._sessions.values()))

    def _persona_changed(self, root: Path) -> None:
        for listener in self.persona_listeners:
            listener(root)
