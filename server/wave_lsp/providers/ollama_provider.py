"""Ollama through the ``ollama`` SDK's ``/api/chat``, streamed as NDJSON.

Ollama's default context (2048 tokens) silently drops the start of a longer prompt, so every
request carries a ``num_ctx`` sized to its prompt plus room for the answer; a request that cannot
fit the model's window is refused with a message instead of being cut.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from wave_lsp.context.tokens import estimate_tokens
from wave_lsp.providers.base import Provider, StreamState, default_timeout_seconds
from wave_lsp.providers.errors import ProviderError
from wave_lsp.providers.transport import map_transport_error
from wave_lsp.providers.types import (
    Capabilities,
    ChatMessage,
    CompletionRequest,
    TokenUsage,
)

if TYPE_CHECKING:
    from ollama import AsyncClient

DEFAULT_HOST = "http://localhost:11434"
DEFAULT_CONTEXT_WINDOW = 32_768
MIN_NUM_CTX = 2048
TEMPLATE_MARGIN = 256
"""Tokens of chat template and role markers around the messages."""


def num_ctx_for(prompt_chars: int, max_tokens: int, window: int) -> int:
    """The context to ask for: prompt + answer + template, rounded up to 1024, at least Ollama's
    own default, at most the model's window."""
    needed = estimate_tokens(prompt_chars) + max_tokens + TEMPLATE_MARGIN
    return min(window, max(MIN_NUM_CTX, math.ceil(needed / 1024) * 1024))


class OllamaProvider(Provider):
    kind = "ollama"

    def __init__(self, *args: Any, host: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.host = (self.config.base_url or host or DEFAULT_HOST).rstrip("/")
        self.timeout = default_timeout_seconds(self.config, fallback=300.0)
        self.window = self.config.provider_specific.context_window or DEFAULT_CONTEXT_WINDOW
        self._client: AsyncClient | None = None
        self._retry_after: str | None = None
        """The last error response's Retry-After (the SDK's ResponseError drops headers)."""

    def capabilities(self, model: str | None = None) -> Capabilities:
        return Capabilities(
            context_window=self.window,
            tool_use=self.config.provider_specific.tool_use is not False,
            json_mode=True,
            fill_in_middle=self.config.provider_specific.fim is not False,
        )

    def _get_client(self) -> AsyncClient:
        if self._client is None:
            from ollama import AsyncClient

            self._client = AsyncClient(
                host=self.host,
                timeout=self.timeout,
                event_hooks={"response": [self._remember_retry_after]},
            )
        return self._client

    async def _remember_retry_after(self, response: Any) -> None:
        if response.status_code >= 400:
            self._retry_after = response.headers.get("retry-after")

    def options(self, request: CompletionRequest) -> dict[str, Any]:
        needed = estimate_tokens(request.prompt_chars()) + TEMPLATE_MARGIN
        if needed + min(request.max_tokens, 256) > self.window:
            raise ProviderError.config(
                self.name,
                f"{self.name}: the request needs about {needed} tokens, more than the model's "
                f"context window of {self.window}",
                suggestions=[
                    "send less context (fewer or smaller files)",
                    f"or raise providers.{self.name}.providerSpecific.contextWindow if the "
                    "model supports more",
                ],
            )
        options: dict[str, Any] = {
            "num_ctx": num_ctx_for(request.prompt_chars(), request.max_tokens, self.window),
            "num_predict": request.max_tokens,
        }
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if request.stop:
            options["stop"] = list(request.stop)
        return options

    async def open(self, request: CompletionRequest, model: str) -> AsyncIterator[Any]:
        options = self.options(request)
        self._retry_after = None
        if request.infill is not None:  # generate with a suffix: the model's FIM template
            infill: AsyncIterator[Any] = await self._get_client().generate(
                model=model,
                prompt=request.infill.prefix,
                suffix=request.infill.suffix,
                stream=True,
                options=options,
            )
            return infill
        output_format: Any = request.response_schema or ("json" if request.json_mode else None)
        tools = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                },
            }
            for t in request.tools
        ]
        stream: AsyncIterator[Any] = await self._get_client().chat(
            model=model,
            messages=[wire_message(m) for m in request.messages],
            stream=True,
            options=options,
            format=output_format,
            tools=tools or None,
        )
        return stream

    def absorb(self, chunk: Any, state: StreamState) -> str | None:
        if chunk.done:
            state.finish_reason = chunk.done_reason or "stop"
            state.usage = TokenUsage(chunk.prompt_eval_count or 0, chunk.eval_count or 0)
        message = getattr(chunk, "message", None)
        if message is None:  # a generate (infill) chunk
            return chunk.response or None
        for call in message.tool_calls or ():  # Ollama sends each call whole
            index = len(state.calls)
            arguments = json.dumps(dict(call.function.arguments or {}))
            state.add_call(index, f"call_{index}", call.function.name, arguments)
        return message.content or None

    def map_error(self, error: Exception, model: str) -> ProviderError:
        from ollama import ResponseError

        if isinstance(error, ResponseError):
            if error.status_code < 0:  # an error object sent inside the stream
                return ProviderError.bad_response(self.name, str(error.error))
            headers = {"retry-after": self._retry_after} if self._retry_after else None
            if "does not support insert" in str(error.error):
                return ProviderError.config(
                    self.name,
                    f"{self.name}: {model} has no fill-in-the-middle ({error.error})",
                    suggestions=[
                        f"set providers.{self.name}.providerSpecific.fim: false (a chat prompt "
                        "is used), or set completion.model to a code model that has it"
                    ],
                )
            return ProviderError.from_status(
                self.name, error.status_code, str(error.error), model=model, headers=headers
            )
        if isinstance(error, json.JSONDecodeError):
            return ProviderError.bad_response(self.name, f"malformed JSON: {error}")
        mapped = map_transport_error(
            error, provider=self.name, url=self.host, timeout=self.timeout, hint=self._hint()
        )
        if mapped is None and isinstance(error, ConnectionError):  # "Failed to connect to Ollama"
            mapped = self._unavailable(str(error))
        return mapped or ProviderError.bad_response(self.name, repr(error))

    def _hint(self) -> str:
        where = self.host.split("://", 1)[-1]
        return f"Is Ollama running on {where}? Start it with `ollama serve`"

    def _unavailable(self, detail: str) -> ProviderError:
        return ProviderError.unavailable(self.name, self.host, detail, self._hint())

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client._client.aclose()
            self._client = None


def wire_message(message: ChatMessage) -> dict[str, Any]:
    """A chat message in ``/api/chat``'s shape: tool calls carry their arguments as objects,
    tool results name the tool."""
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.role == "tool" and message.name:
        wire["tool_name"] = message.name
    if message.tool_calls:
        wire["tool_calls"] = [
            {"function": {"name": call.name, "arguments": call.as_object()}}
            for call in message.tool_calls
        ]
    return wire
