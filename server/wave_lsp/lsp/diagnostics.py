"""Diagnostics kept per (source, uri), so that one engine never overwrites another's: what is
published for a document is the union of every source's diagnostics for it."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from lsprotocol import types

Publish = Callable[[types.PublishDiagnosticsParams], None]

Compact = tuple[int, int, int, int, int | None, Any, str, str | None, str | None, Any]
"""A diagnostic as a tuple of plain values: a tenth of the memory of the protocol objects, which
matters with a thousand open documents of findings each."""


_SHARED: dict[Any, Any] = {}


def _share(value: Any) -> Any:
    """One instance per distinct value (most diagnostics of a rule carry the same data)."""
    if len(_SHARED) > 100_000:
        _SHARED.clear()
    return _SHARED.setdefault(value, value)


def _intern(text: str | None) -> str | None:
    return sys.intern(text) if text is not None and len(text) < 200 else text


def compact(diagnostic: types.Diagnostic) -> Compact:
    start, end = diagnostic.range.start, diagnostic.range.end
    href = diagnostic.code_description.href if diagnostic.code_description else None
    data = (
        _share(tuple(sorted(diagnostic.data.items())))
        if isinstance(diagnostic.data, dict)
        and all(isinstance(v, str | int | float | bool | None) for v in diagnostic.data.values())
        else json.dumps(diagnostic.data)
        if diagnostic.data is not None
        else None
    )
    return (
        start.line,
        start.character,
        end.line,
        end.character,
        int(diagnostic.severity) if diagnostic.severity is not None else None,
        diagnostic.code,
        _intern(diagnostic.message) or "",
        _intern(diagnostic.source),
        _intern(href),
        data,
    )


def expand(item: Compact) -> types.Diagnostic:
    line, character, end_line, end_character, severity, code, message, source, href, data = item
    return types.Diagnostic(
        range=types.Range(
            start=types.Position(line=line, character=character),
            end=types.Position(line=end_line, character=end_character),
        ),
        message=message,
        severity=types.DiagnosticSeverity(severity) if severity is not None else None,
        code=code,
        code_description=types.CodeDescription(href=href) if href else None,
        source=source,
        data=dict(data) if isinstance(data, tuple) else json.loads(data) if data else None,
    )


class DiagnosticStore:
    """In push mode every change is published; in pull mode (the client asks with
    textDocument/diagnostic) changes are only kept, and ``on_pull_change`` may ask the client to
    pull again (workspace/diagnostic/refresh)."""

    def __init__(self, publish: Publish) -> None:
        self._publish = publish
        self._by_uri: dict[str, dict[str, list[Compact]]] = defaultdict(dict)
        self.pull = False
        self.on_pull_change: Callable[[], None] | None = None

    def set(
        self,
        source: str,
        uri: str,
        diagnostics: Sequence[types.Diagnostic],
        version: int | None = None,
    ) -> None:
        self._by_uri[uri][source] = [compact(d) for d in diagnostics]
        if self.pull:
            if self.on_pull_change is not None:
                self.on_pull_change()
            return
        sources = self._by_uri[uri]
        merged = (
            list(diagnostics) if len(sources) == 1 else self.get(uri)
        )  # one source: publish what we were given, without rebuilding it
        self._publish(types.PublishDiagnosticsParams(uri=uri, diagnostics=merged, version=version))

    def clear(self, source: str, uri: str) -> None:
        if source in self._by_uri.get(uri, {}):
            self.set(source, uri, [])
            del self._by_uri[uri][source]

    def get(self, uri: str, source: str | None = None) -> list[types.Diagnostic]:
        sources = self._by_uri.get(uri, {})
        if source is not None:
            return [expand(item) for item in sources.get(source, [])]
        return [expand(item) for items in sources.values() for item in items]

    def uris(self, source: str) -> list[str]:
        return [uri for uri, sources in self._by_uri.items() if source in sources]
