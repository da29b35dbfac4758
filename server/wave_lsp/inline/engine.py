"""Inline completions, latency first: the cache answers while the user types what the last
suggestion predicted; otherwise one model call per document is in flight (a new keystroke
cancels the one before, which closes its HTTP request); a typed request waits ``debounce_ms``
for the next keystroke first, an invoked one does not. Every request passes the persona's
rules (``code:read`` and its directory rules, for the document and for each other document it
quotes) and its text is redacted before it leaves; a placeholder in the answer is put back."""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from wave_lsp.config.system import CompletionSettings
from wave_lsp.context.secrets import Redactor
from wave_lsp.context.tokens import CHARS_PER_TOKEN
from wave_lsp.inline.cache import SuggestionCache
from wave_lsp.inline.prompt import chat_request, fim_request
from wave_lsp.inline.trim import suggestion
from wave_lsp.inline.window import Snippet, Window, block_start, cut, similar_snippets
from wave_lsp.personas.guard import PersonaGuard
from wave_lsp.providers.base import Provider

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Source:
    """Who answers and under which rules (per workspace root, made by the front end)."""

    provider: Provider
    model: str
    settings: CompletionSettings
    guard: PersonaGuard
    redactor: Redactor


@dataclass(frozen=True, slots=True)
class Cursor:
    key: str
    """The document's identity (its URI)."""
    path: str
    """Relative to the workspace root."""
    language: str
    text: str
    offset: int
    others: Sequence[tuple[str, str]] = ()
    """Other open documents: (relative path, unsaved text)."""


Asked = tuple[str | None, tuple[float, float] | None]
"""A model call's suggestion, and the seconds waited for it (debounce, call) when it was made."""
LATENCIES = 500
"""Answers whose timings are kept (the most recent)."""


@dataclass(slots=True)
class Counts:
    requests: int = 0
    from_cache: int = 0
    asked: int = 0
    superseded: int = 0
    refused: int = 0
    own: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCIES))
    """Seconds of Wave's own time per answer that asked the model: from the request's arrival
    at the front end to its answer, less the provider's call."""
    cached: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCIES))
    """Seconds per answer from the cache."""
    model: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCIES))
    """Seconds of the provider's call per answer that asked it."""


@dataclass(slots=True)
class InlineCompleter:
    cache: SuggestionCache = field(default_factory=SuggestionCache)
    counts: Counts = field(default_factory=Counts)
    _flight: dict[str, asyncio.Task[Asked]] = field(default_factory=dict)
    _readable: dict[int, tuple[PersonaGuard, dict[str, bool]]] = field(default_factory=dict)

    async def suggest(
        self, cursor: Cursor, source: Source, *, invoked: bool, began: float | None = None
    ) -> str | None:
        """The text to show at the cursor (``None``: nothing). Cancelled by the next request
        for the same document (then ``None``), or by the caller. ``began``: when the request
        arrived (``time.perf_counter``), for the timings in :attr:`counts`."""
        began = time.perf_counter() if began is None else began
        counts = self.counts
        counts.requests += 1
        before, after = cursor.text[: cursor.offset], cursor.text[cursor.offset :]
        cached = self.cache.get(cursor.key, before, after)
        if cached is not None:
            counts.from_cache += 1
            counts.cached.append(time.perf_counter() - began)
            return cached
        previous = self._flight.pop(cursor.key, None)
        if previous is not None and not previous.done():
            previous.cancel()
        task = asyncio.get_running_loop().create_task(self._ask(cursor, source, invoked))
        self._flight[cursor.key] = task
        try:
            text, waited = await asyncio.shield(task)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():  # our caller gave up: stop it
                task.cancel()
                raise
            self.counts.superseded += 1
            return None  # a later keystroke took over
        finally:
            if self._flight.get(cursor.key) is task and task.done():
                del self._flight[cursor.key]
        if waited is not None:  # the model was asked: the debounce and its call are not ours
            counts.model.append(waited[1])
            counts.own.append(time.perf_counter() - began - waited[0] - waited[1])
        return text

    async def _ask(self, cursor: Cursor, source: Source, invoked: bool) -> Asked:
        """The suggestion, and the seconds waited (debounce, provider call) when the model was
        asked."""
        settings = source.settings
        debounced = 0.0
        if not invoked and settings.debounce_ms:
            debounced = settings.debounce_ms / 1000
            await asyncio.sleep(debounced)
        if not self._may_read(source.guard, cursor.path):
            self.counts.refused += 1
            return None, None
        window = self.window(cursor, source)
        capabilities = source.provider.capabilities(source.model)
        fim = capabilities.fill_in_middle
        build = fim_request if fim else chat_request
        request = build(window, source.model, settings.max_tokens)
        self.counts.asked += 1
        calling = time.perf_counter()
        completion = await source.provider.complete(request)
        called = time.perf_counter() - calling
        text = suggestion(completion.text, window, chat=not fim)
        text = source.redactor.restore(text, cursor.path)
        if "<<secret:" in text:
            text = ""  # a placeholder the model made up: never inserted
        self.cache.put(cursor.key, cursor.text[: cursor.offset], cursor.text[cursor.offset :], text)
        return text or None, (debounced, called)

    def window(self, cursor: Cursor, source: Source) -> Window:
        settings = source.settings
        budget = int(settings.context_tokens * CHARS_PER_TOKEN)
        others_budget = budget // 4 if settings.other_documents and cursor.others else 0
        before, after = cut(
            cursor.text, cursor.offset, (budget - others_budget) * 4 // 5, budget // 5
        )
        redact = source.redactor.redact
        readable = [
            (path, text) for path, text in cursor.others if self._may_read(source.guard, path)
        ]
        snippets = similar_snippets(before, readable, others_budget, settings.other_documents)
        window = Window(
            path=cursor.path,
            language=cursor.language,
            prefix=redact(before, cursor.path),
            suffix=redact(after, cursor.path),
            multiline=block_start(before, after),
            snippets=tuple(Snippet(s.path, redact(s.text, s.path)) for s in snippets),
        )
        source.redactor.redactions.clear()  # a record per keystroke would only grow: unread here
        return window

    def _may_read(self, guard: PersonaGuard, path: str) -> bool:
        """The persona's verdict on reading ``path``, once per guard and path (resolving a path
        touches the disk)."""
        known = self._readable.setdefault(id(guard), (guard, {}))[1]  # holds the guard: ids stay
        verdict = known.get(path)
        if verdict is None:
            decision, _ = guard.decide_path(path)
            verdict = known[path] = guard.has("code:read") and decision.allowed
            if not verdict:
                logger.info("inline completion: persona %s may not read %s", guard.persona.name,
                            path)  # fmt: skip
        return verdict

    def forget(self, key: str) -> None:
        """The document closed: its suggestion and its call in flight go."""
        self.cache.forget(key)
        task = self._flight.pop(key, None)
        if task is not None:
            task.cancel()

    async def aclose(self) -> None:
        tasks = list(self._flight.values())
        self._flight.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def wanted(settings: CompletionSettings, language: str) -> bool:
    return settings.enabled and (settings.languages is None or language in settings.languages)


def describe(counts: Counts) -> dict[str, Any]:
    """The counts, and the timings' median and 95th percentile in milliseconds."""
    return {
        "requests": counts.requests, "fromCache": counts.from_cache, "asked": counts.asked,
        "superseded": counts.superseded, "refused": counts.refused,
        "ownMs": _spread(counts.own), "cachedMs": _spread(counts.cached),
        "modelMs": _spread(counts.model),
    }  # fmt: skip


def _spread(seconds: Sequence[float]) -> dict[str, float | int]:
    if not seconds:
        return {"count": 0}
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {
        "count": len(ordered),
        "p50": round(statistics.median(ordered) * 1000, 3),
        "p95": round(p95 * 1000, 3),
    }
