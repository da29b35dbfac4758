"""The small async interface every provider adapter implements, and the request/answer types it
speaks. Adapters translate these to and from their wire protocol; nothing else knows a protocol.

An adapter implements three methods: :meth:`Provider.open` sends the request and returns the
protocol's stream of raw chunks, :meth:`Provider.absorb` turns one chunk into answer text (and
notes the finish reason, usage and model in a :class:`StreamState`), :meth:`Provider.map_error`
turns its SDK's exceptions into :class:`ProviderError`. The streaming loop, retries (see
:mod:`wave_lsp.providers.retry`) and the seed's IModelProvider methods (``stream_response`` /
``generate_response``) are here, once for all adapters. The loop is one async generator directly
over the SDK's stream: every layer between the socket and the caller costs time at every chunk.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from wave_lsp.context.models import FileContext
from wave_lsp.providers.errors import ProviderError
from wave_lsp.providers.models import ProviderConfiguration
from wave_lsp.providers.retry import RetryPolicy
from wave_lsp.providers.types import (
    Capabilities,
    Completion,
    CompletionRequest,
    Restart,
    StreamEvent,
    TextDelta,
    TokenUsage,
    ToolCall,
)


@dataclass(slots=True)
class StreamState:
    """What one attempt learnt besides the text: set by :meth:`Provider.absorb`."""

    model: str
    finish_reason: str = "stop"
    usage: TokenUsage | None = None
    parts: list[str] = field(default_factory=list)
    calls: dict[int, list[str]] = field(default_factory=dict)
    """Tool calls as they stream, by index: [id, name, argument JSON so far]."""

    def add_call(self, index: int, call_id: str = "", name: str = "", arguments: str = "") -> None:
        """A tool call, or a piece of one (protocols stream the argument JSON in fragments)."""
        entry = self.calls.setdefault(index, ["", "", ""])
        entry[0] = entry[0] or call_id
        entry[1] = entry[1] or name
        entry[2] += arguments

    def tool_calls(self) -> tuple[ToolCall, ...]:
        return tuple(
            ToolCall(call_id or f"call_{index}", name, arguments or "{}")
            for index, (call_id, name, arguments) in sorted(self.calls.items())
        )


MAX_ANSWER_CHARS = 2_000_000
ANSWER_DEADLINE = 600.0


def default_timeout_seconds(config: ProviderConfiguration, fallback: float = 120.0) -> float:
    return config.timeout / 1000 if config.timeout else fallback


class Provider(abc.ABC):
    """A configured provider. Subclasses set ``kind`` and implement :meth:`open`,
    :meth:`absorb` and :meth:`map_error`."""

    kind: str = ""
    default_model: str | None = None
    """The model used when neither the request nor the configuration names one."""

    def __init__(self, config: ProviderConfiguration, *, retry: RetryPolicy | None = None) -> None:
        self.config = config
        self.name = config.name or config.type.value
        self.retry = retry or RetryPolicy.from_config(config)
        self._model: str | None = config.model
        self.closed = False

    # -- the seed's IModelProvider -------------------------------------------------------------

    def set_model(self, model: str) -> None:
        self._model = model

    def get_model(self) -> str:
        model = self._model or self.default_model
        if not model:
            raise ProviderError.config(
                self.name,
                f"provider '{self.name}' has no model",
                suggestions=[
                    f"set providers.{self.name}.model in .wave/config.yaml, "
                    f"or ask for '{self.name}:MODEL'"
                ],
            )
        return model

    async def stream_response(
        self, prompt: str, context: Sequence[FileContext] = ()
    ) -> AsyncIterator[str]:
        async for event in self.stream(CompletionRequest.from_prompt(with_files(prompt, context))):
            if isinstance(event, TextDelta):
                yield event.text

    async def generate_response(self, prompt: str, context: Sequence[FileContext] = ()) -> str:
        completion = await self.complete(CompletionRequest.from_prompt(with_files(prompt, context)))
        return completion.text

    # -- the interface used by Wave ------------------------------------------------------------

    def capabilities(self, model: str | None = None) -> Capabilities:
        return Capabilities(context_window=8192)

    def token_counter(self, model: str) -> Callable[[str], int] | None:
        """The model's own tokenizer, when it runs on this machine (``None``: estimate)."""
        return None

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamEvent]:
        """The answer as :class:`TextDelta` events and a final :class:`Completion`, retried as
        the policy allows. Cancellation closes the SDK's stream (and its HTTP request)."""
        model = request.model or self.get_model()
        specific = self.config.provider_specific
        cap = specific.max_answer_chars or MAX_ANSWER_CHARS
        deadline = specific.answer_deadline or ANSWER_DEADLINE
        clock = asyncio.get_running_loop().time
        retries = 0
        while True:
            state = StreamState(model)
            began, size, seen = clock(), 0, 0
            try:
                chunks = await self.open(request, model)
                try:
                    async for chunk in chunks:
                        seen += 1
                        text = self.absorb(chunk, state)
                        if text:
                            size += len(text)
                            if size > cap:
                                raise self._too_long(cap)
                            state.parts.append(text)
                            yield TextDelta(text)
                        if clock() - began > deadline:
                            raise self._too_slow(deadline)
                finally:
                    await _close(chunks)
                if not seen:
                    raise ProviderError.bad_response(
                        self.name,
                        "it answered without a single stream event (an HTML page or a plain "
                        "JSON body where a stream belongs?)",
                    )
                if not state.parts and not state.calls and state.finish_reason != "length":
                    raise ProviderError.bad_response(self.name, "the answer is empty")
            except asyncio.CancelledError:
                raise
            except Exception as failure:
                error = failure if isinstance(failure, ProviderError) else None
                error = error or self.map_error(failure, model)
                delivered = bool(state.parts)
                wait = self.retry.delay(retries, error.retry_after) if error.retryable else None
                if wait is None or (delivered and not request.discard_partial):
                    if retries:
                        plural = "y" if retries == 1 else "ies"
                        error.error.description = f"gave up after {retries} retr{plural}"
                    if error is failure:
                        raise
                    raise error from failure
                retries += 1
                if delivered:
                    yield Restart(error.error.message)
                await asyncio.sleep(wait)
                continue
            calls = state.tool_calls()
            reason = (
                "tool_calls" if calls and state.finish_reason == "stop" else state.finish_reason
            )
            yield Completion("".join(state.parts), reason, state.model, state.usage, calls)
            return

    def _too_long(self, cap: int) -> ProviderError:
        error = ProviderError.bad_response(self.name, f"the answer passed {cap} characters")
        error.error.message = f"{self.name}: the answer passed {cap} characters: stopped"
        error.error.suggestions = [
            f"ask for less, or raise providers.{self.name}.providerSpecific.maxAnswerChars"
        ]
        return error

    def _too_slow(self, deadline: float) -> ProviderError:
        error = ProviderError.timeout(self.name, deadline)
        error.error.message = f"{self.name}: the answer took over {deadline:g} s: stopped"
        error.error.retryable = False
        error.error.suggestions = [
            f"raise providers.{self.name}.providerSpecific.answerDeadline (seconds)"
        ]
        return error

    async def complete(self, request: CompletionRequest) -> Completion:
        completion: Completion | None = None
        async for event in self.stream(request):
            if isinstance(event, Completion):
                completion = event
        if completion is None:  # an adapter that ended without a Completion is a bug
            raise ProviderError.bad_response(self.name, "the answer ended without a completion")
        return completion

    @abc.abstractmethod
    async def open(self, request: CompletionRequest, model: str) -> AsyncIterator[Any]:
        """Send the request; return the stream of the protocol's chunks."""

    @abc.abstractmethod
    def absorb(self, chunk: Any, state: StreamState) -> str | None:
        """The answer text in ``chunk``, if any; finish reason, usage and model go to ``state``."""

    @abc.abstractmethod
    def map_error(self, error: Exception, model: str) -> ProviderError:
        """The provider error for an exception of the SDK or the transport."""

    async def aclose(self) -> None:
        """Release connections; the provider may not be used afterwards."""
        self.closed = True


def with_files(prompt: str, context: Sequence[FileContext]) -> str:
    """The prompt with each file fenced before it (the seed's generateResponse(prompt, context))."""
    if not context:
        return prompt
    blocks = [f"File: {f.path}\n```\n{f.content}\n```" for f in context]
    return "\n\n".join([*blocks, prompt])


async def _close(chunks: AsyncIterator[Any]) -> None:
    """Close a chunk stream: an async generator's ``aclose``, the openai SDK's ``close``."""
    close = getattr(chunks, "aclose", None) or getattr(chunks, "close", None)
    if close is not None:
        await close()
