"""The Wave seed's Context management: an LRU store in memory, persisted to files (compressed
with gzip or lz4 as each context asks), expiry, and compaction when a context grows past the
``compaction_threshold`` of ``max_size``: the oldest messages are summarised by a model, the
newest kept verbatim, and the context records that it happened.
"""

from __future__ import annotations

import gzip
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wave_lsp.config.atomic import atomic_write_bytes
from wave_lsp.context.models import CompressionType, Context, PersistenceType
from wave_lsp.context.tokens import estimate_tokens

if TYPE_CHECKING:
    from wave_lsp.config.system import ContextSettings

KEEP_VERBATIM = 4
"""Messages kept word for word when a context is compacted."""


class ContextStoreError(ValueError):
    pass


def _compress(data: bytes, compression: CompressionType) -> bytes:
    if compression is CompressionType.GZIP:
        return gzip.compress(data)
    if compression is CompressionType.LZ4:
        import lz4.frame  # type: ignore[import-untyped]

        return bytes(lz4.frame.compress(data))
    return data


def _decompress(data: bytes, compression: CompressionType) -> bytes:
    if compression is CompressionType.GZIP:
        return gzip.decompress(data)
    if compression is CompressionType.LZ4:
        import lz4.frame

        return bytes(lz4.frame.decompress(data))
    return data


_SUFFIX = {
    CompressionType.NONE: ".json",
    CompressionType.GZIP: ".json.gz",
    CompressionType.LZ4: ".json.lz4",
}


def measure(context: Context) -> Context:
    """The context with its ``size`` (bytes of its data as JSON) and ``token_count`` updated."""
    text = json.dumps(context.data, default=str)
    context.size = len(text.encode())
    context.token_count = estimate_tokens(text)
    return context


def storage_dir(settings: ContextSettings) -> Path:
    """Where contexts are kept: ``context.storage_dir`` (the default follows
    ``$XDG_STATE_HOME``, as every other state of Wave does)."""
    import os

    from wave_lsp.config.system import ContextSettings

    if settings.storage_dir == ContextSettings().storage_dir and os.environ.get("XDG_STATE_HOME"):
        return Path(os.environ["XDG_STATE_HOME"]) / "wave" / "contexts"
    return Path(settings.storage_dir).expanduser()


class ContextStore:
    def __init__(
        self,
        directory: Path,
        *,
        capacity: int = 256,
        max_size: int = 100_000_000,
        compaction_threshold: float = 0.8,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.directory = directory
        self.capacity = capacity
        self.max_size = max_size
        self.threshold = compaction_threshold
        self.clock = clock
        self._memory: OrderedDict[str, Context] = OrderedDict()

    # -- memory and disk -----------------------------------------------------------------------

    def put(self, context: Context) -> None:
        context.updated_at = self.clock()
        measure(context)
        self._memory[context.id] = context
        self._memory.move_to_end(context.id)
        while len(self._memory) > self.capacity:  # least recently used first out
            _, evicted = self._memory.popitem(last=False)
            if evicted.persistence is PersistenceType.FILE:
                self._write(evicted)
        if context.persistence is PersistenceType.FILE:
            self._write(context)

    def get(self, context_id: str) -> Context | None:
        context = self._memory.get(context_id)
        if context is None:
            context = self._read(context_id)
            if context is None:
                return None
            self._memory[context_id] = context
        if context.expires_at is not None and context.expires_at <= self.clock():
            self.delete(context_id)
            return None
        self._memory.move_to_end(context_id)
        return context

    def delete(self, context_id: str) -> None:
        self._memory.pop(context_id, None)
        for suffix in _SUFFIX.values():
            (self.directory / f"{context_id}{suffix}").unlink(missing_ok=True)

    def expire(self) -> list[str]:
        """Remove every expired context (in memory and on disk); returns their ids."""
        now = self.clock()
        ids = set(self._memory)
        if self.directory.is_dir():
            ids |= {p.name.split(".json")[0] for p in self.directory.glob("*.json*")}
        gone = []
        for context_id in sorted(ids):
            context = self._memory.get(context_id) or self._read(context_id)
            if context is not None and context.expires_at is not None and context.expires_at <= now:
                self.delete(context_id)
                gone.append(context_id)
        return gone

    def _write(self, context: Context) -> None:
        data = context.model_dump_json().encode()
        for other in _SUFFIX.values():
            if other != _SUFFIX[context.compression]:
                (self.directory / f"{context.id}{other}").unlink(missing_ok=True)
        atomic_write_bytes(
            self.directory / f"{context.id}{_SUFFIX[context.compression]}",
            _compress(data, context.compression),
        )

    def _read(self, context_id: str) -> Context | None:
        if not context_id.replace("-", "").replace("_", "").isalnum():
            return None
        for compression, suffix in _SUFFIX.items():
            path = self.directory / f"{context_id}{suffix}"
            if path.is_file():
                try:
                    raw = _decompress(path.read_bytes(), compression)
                    return Context.model_validate_json(raw)
                except Exception as error:  # corrupt on disk: say which file and why
                    raise ContextStoreError(f"{path}: cannot read the context: {error}") from error
        return None

    # -- compaction ----------------------------------------------------------------------------

    def needs_compaction(self, context: Context) -> bool:
        return measure(context).size > self.threshold * self.max_size

    async def compact(self, context: Context, summarize: Callable[[str], Awaitable[str]]) -> bool:
        """Summarise the oldest messages of ``context.data["messages"]`` when it is past the
        threshold; the newest :data:`KEEP_VERBATIM` stay as they are. Returns whether it did."""
        messages: list[dict[str, Any]] = list(context.data.get("messages", []))
        if not self.needs_compaction(context) or len(messages) <= KEEP_VERBATIM:
            return False
        old, recent = messages[:-KEEP_VERBATIM], messages[-KEEP_VERBATIM:]
        transcript = "\n".join(f"{m.get('role', 'user')}: {m.get('content', '')}" for m in old)
        summary = await summarize(transcript)
        before = measure(context).size
        context.data["messages"] = [
            {"role": "system", "content": f"Summary of {len(old)} earlier messages: {summary}"},
            *recent,
        ]
        annotations = context.metadata.annotations
        annotations["compacted_at"] = self.clock().isoformat()
        annotations["compacted_messages"] = str(len(old))
        annotations["compacted_from_bytes"] = str(before)
        self.put(context)
        return True
