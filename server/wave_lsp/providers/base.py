"""The small async interface every provider adapter implements, and the request/answer types it
speaks. Adapters translate these to and from their wire protocol; nothing else knows a protocol.

An adapter implements one method, :meth:`Provider.open_stream`, which yields :class:`TextDelta`
events and ends with one :class:`Completion`. Retries, timeouts and the seed's IModelProvider
methods (``stream_response`` / ``generate_response``) are built on it here, once for all adapters.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncGenerator, AsyncIterator, Sequence

from wave_lsp.context.models import FileContext
from wave_lsp.providers.errors import ProviderError
from wave_lsp.providers.models import ProviderConfiguration
from wave_lsp.providers.retry import RetryPolicy, with_retries
from wave_lsp.providers.types import (
    Capabilities,
    Completion,
    CompletionRequest,
    StreamEvent,
    TextDelta,
)


def default_timeout_seconds(config: ProviderConfiguration, fallback: float = 120.0) -> float:
    return config.timeout / 1000 if config.timeout else fallback


class Provider(abc.ABC):
    """A configured provider. Subclasses set ``kind`` and implement :meth:`open_stream`."""

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

    def stream(self, request: CompletionRequest) -> AsyncIterator[StreamEvent]:
        """The answer as events, with retries (see :mod:`wave_lsp.providers.retry`)."""
        model = request.model or self.get_model()
        return with_retries(
            lambda: self.open_stream(request, model),
            self.retry,
            discard_partial=request.discard_partial,
        )

    async def complete(self, request: CompletionRequest) -> Completion:
        completion: Completion | None = None
        async for event in self.stream(request):
            if isinstance(event, Completion):
                completion = event
        if completion is None:  # an adapter that ended without a Completion is a bug
            raise ProviderError.bad_response(self.name, "the answer ended without a completion")
        return completion

    @abc.abstractmethod
    def open_stream(
        self, request: CompletionRequest, model: str
    ) -> AsyncGenerator[StreamEvent, None]:
        """One attempt: yield :class:`TextDelta` events, then one :class:`Completion`. Raise
        :class:`ProviderError` (with ``retryable`` set as the failure deserves)."""

    async def aclose(self) -> None:
        """Release connections; the provider may not be used afterwards."""
        self.closed = True


def with_files(prompt: str, context: Sequence[FileContext]) -> str:
    """The prompt with each file fenced before it (the seed's generateResponse(prompt, context))."""
    if not context:
        return prompt
    blocks = [f"File: {f.path}\n```\n{f.content}\n```" for f in context]
    return "\n\n".join([*blocks, prompt])
