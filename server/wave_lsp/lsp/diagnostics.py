"""Diagnostics kept per (source, uri), so that one engine never overwrites another's: what is
published for a document is the union of every source's diagnostics for it.

Each source's diagnostics are kept in their wire form, as the JSON text of the array's items
(made by :func:`encode`, on a worker thread for the rule engine's thousands). Publishing joins
those texts: no protocol object is built or unstructured on the event loop, and a thousand open
documents' findings cost their JSON text in memory."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import lz4.block  # type: ignore[import-untyped]
from lsprotocol import types

SendRaw = Callable[[str], None]
"""Sends one JSON-RPC message given as JSON text."""

Compact = tuple[int, int, int, int, int | None, Any, str, str | None, str | None, Any]
"""A diagnostic as a tuple of plain values: (line, character, end line, end character,
severity, code, message, source, code description href, data)."""

_ENCODE = json.JSONEncoder(separators=(",", ":")).encode
_encode_string: Callable[[str], str] = json.encoder.encode_basestring_ascii


def compact(diagnostic: types.Diagnostic) -> Compact:
    start, end = diagnostic.range.start, diagnostic.range.end
    href = diagnostic.code_description.href if diagnostic.code_description else None
    return (
        start.line,
        start.character,
        end.line,
        end.character,
        int(diagnostic.severity) if diagnostic.severity is not None else None,
        diagnostic.code,
        diagnostic.message,
        diagnostic.source,
        href,
        diagnostic.data,
    )


def to_json(item: Compact) -> dict[str, Any]:
    """A compact diagnostic in its wire form, built from plain values."""
    line, character, end_line, end_character, severity, code, message, source, href, data = item
    wire: dict[str, Any] = {
        "range": {
            "start": {"line": line, "character": character},
            "end": {"line": end_line, "character": end_character},
        },
        "message": message,
    }
    if severity is not None:
        wire["severity"] = severity
    if code is not None:
        wire["code"] = code
    if href:
        wire["codeDescription"] = {"href": href}
    if source is not None:
        wire["source"] = source
    if data is not None:
        wire["data"] = dict(data) if isinstance(data, tuple) else data
    return wire


_TAILS: dict[tuple[Any, ...], str] = {}


def tail_of(item: Compact) -> str:
    """The JSON text of a diagnostic's fields after its message (the same for every finding of
    a rule, so made once per distinct value)."""
    wire = to_json(item)
    del wire["range"], wire["message"]
    return "," + _ENCODE(wire)[1:] if wire else "}"


def encode(items: Iterable[Compact]) -> str:
    """The JSON text of a diagnostics array's items (without the brackets), formatted directly:
    six times faster than building and dumping a dict per diagnostic."""
    return ",".join(encode_one(item) for item in items)


def encode_one(item: Compact) -> str:
    """The JSON text of one diagnostic."""
    key = item[4:6] + item[7:]
    try:
        tail = _TAILS.get(key)
        if tail is None:
            if len(_TAILS) > 10_000:
                _TAILS.clear()
            tail = _TAILS[key] = tail_of(item)
    except TypeError:  # data that cannot be a key (a dict): not shared
        tail = tail_of(item)
    return item_json(item[:4], item[6], tail)


def item_json(span: tuple[int, int, int, int], message: str, tail: str) -> str:
    """A diagnostic's JSON text from its range (line, character, end line, end character),
    message and :func:`tail_of` text."""
    line, character, end_line, end_character = span
    return (
        f'{{"range":{{"start":{{"line":{line},"character":{character}}},'
        f'"end":{{"line":{end_line},"character":{end_character}}}}},'
        f'"message":{_encode_string(message)}{tail}'
    )


def from_json(wire: dict[str, Any]) -> types.Diagnostic:
    start, end = wire["range"]["start"], wire["range"]["end"]
    href = wire.get("codeDescription", {}).get("href")
    severity = wire.get("severity")
    return types.Diagnostic(
        range=types.Range(
            start=types.Position(line=start["line"], character=start["character"]),
            end=types.Position(line=end["line"], character=end["character"]),
        ),
        message=wire["message"],
        severity=types.DiagnosticSeverity(severity) if severity is not None else None,
        code=wire.get("code"),
        code_description=types.CodeDescription(href=href) if href else None,
        source=wire.get("source"),
        data=wire.get("data"),
    )


def _pack(text: str) -> bytes:
    """JSON text (ASCII: ``encode`` escapes the rest) compressed with LZ4."""
    return lz4.block.compress(text.encode("ascii")) if text else b""


def _unpack(packed: bytes) -> str:
    return lz4.block.decompress(packed).decode("ascii") if packed else ""


class DiagnosticStore:
    """In push mode every change is published; in pull mode (the client asks with
    textDocument/diagnostic) changes are only kept, and ``on_pull_change`` may ask the client to
    pull again (workspace/diagnostic/refresh)."""

    def __init__(self, send: SendRaw) -> None:
        self._send = send
        self._by_uri: dict[str, dict[str, bytes]] = defaultdict(dict)
        """Each source's JSON text per URI, compressed (a thousand open documents' findings
        take a tenth of the memory; packing and unpacking cost microseconds)."""
        self.pull = False
        self.on_pull_change: Callable[[], None] | None = None

    def set(
        self,
        source: str,
        uri: str,
        diagnostics: Sequence[types.Diagnostic],
        version: int | None = None,
    ) -> None:
        self.set_encoded(source, uri, encode(compact(d) for d in diagnostics), version)

    def set_encoded(self, source: str, uri: str, encoded: str, version: int | None = None) -> None:
        """Replace ``source``'s diagnostics of ``uri`` with ``encoded`` (made by :func:`encode`)."""
        sources = self._by_uri[uri]
        sources[source] = _pack(encoded)
        if self.pull:
            if self.on_pull_change is not None:
                self.on_pull_change()
            return
        items = ",".join(
            text
            for name, packed in sources.items()
            if (text := encoded if name == source else _unpack(packed))
        )
        version_field = f',"version":{int(version)}' if version is not None else ""
        self._send(
            '{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"uri":'
            f'{_ENCODE(uri)}{version_field},"diagnostics":[{items}]}}}}'
        )

    def clear(self, source: str, uri: str) -> None:
        if source in self._by_uri.get(uri, {}):
            self.set_encoded(source, uri, "")
            del self._by_uri[uri][source]

    def get(self, uri: str, source: str | None = None) -> list[types.Diagnostic]:
        sources = self._by_uri.get(uri, {})
        chosen = [sources.get(source, b"")] if source is not None else list(sources.values())
        items = ",".join(text for packed in chosen if (text := _unpack(packed)))
        return [from_json(wire) for wire in json.loads(f"[{items}]")]

    def uris(self, source: str) -> list[str]:
        return [uri for uri, sources in self._by_uri.items() if source in sources]
