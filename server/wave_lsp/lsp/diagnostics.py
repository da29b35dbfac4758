"""Diagnostics kept per (source, uri), so that one engine never overwrites another's: what is
published for a document is the union of every source's diagnostics for it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from lsprotocol import types

Publish = Callable[[types.PublishDiagnosticsParams], None]


class DiagnosticStore:
    """In push mode every change is published; in pull mode (the client asks with
    textDocument/diagnostic) changes are only kept, and ``on_pull_change`` may ask the client to
    pull again (workspace/diagnostic/refresh)."""

    def __init__(self, publish: Publish) -> None:
        self._publish = publish
        self._by_uri: dict[str, dict[str, list[types.Diagnostic]]] = defaultdict(dict)
        self.pull = False
        self.on_pull_change: Callable[[], None] | None = None

    def set(
        self,
        source: str,
        uri: str,
        diagnostics: Sequence[types.Diagnostic],
        version: int | None = None,
    ) -> None:
        self._by_uri[uri][source] = list(diagnostics)
        if self.pull:
            if self.on_pull_change is not None:
                self.on_pull_change()
            return
        self._publish(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=self.get(uri), version=version)
        )

    def clear(self, source: str, uri: str) -> None:
        if source in self._by_uri.get(uri, {}):
            self.set(source, uri, [])
            del self._by_uri[uri][source]

    def get(self, uri: str, source: str | None = None) -> list[types.Diagnostic]:
        sources = self._by_uri.get(uri, {})
        if source is not None:
            return list(sources.get(source, []))
        return [d for diagnostics in sources.values() for d in diagnostics]

    def uris(self, source: str) -> list[str]:
        return [uri for uri, sources in self._by_uri.items() if source in sources]
