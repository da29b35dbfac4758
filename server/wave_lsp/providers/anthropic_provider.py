"""Anthropic's Messages API through the ``anthropic`` SDK, always streamed: Claude, the model the
Wave seed was written for. ``baseUrl`` names a compatible server (a proxy, a test's loopback).

System messages go to ``system``; a response schema goes as ``output_config.format``
(structured outputs); tool calls are ``tool_use`` content blocks whose input JSON
streams as ``input_json_delta`` fragments; tool results are ``tool_result`` blocks of one user
turn. The SDK's own retries are off: retries are ours, the same for every provider.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from wave_lsp.providers.base import Provider, StreamState, default_timeout_seconds
from wave_lsp.providers.errors import ProviderError, status_detail
from wave_lsp.providers.keys import resolve_key
from wave_lsp.providers.transport import map_transport_error
from wave_lsp.providers.types import Capabilities, ChatMessage, CompletionRequest, TokenUsage

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

ANTHROPIC_BASE_URL = "https://api.anthropic.com"
DEFAULT_MODEL = "claude-sonnet-4-5"
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


class AnthropicProvider(Provider):
    kind = "anthropic"
    default_model = DEFAULT_MODEL

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = (self.config.base_url or ANTHROPIC_BASE_URL).rstrip("/")
        self.timeout = default_timeout_seconds(self.config)
        self._client: AsyncAnthropic | None = None

    def capabilities(self, model: str | None = None) -> Capabilities:
        window = self.config.provider_specific.context_window or 200_000
        return Capabilities(
            context_window=window,
            tool_use=self.config.provider_specific.tool_use is not False,
            json_mode=False,
        )

    def _get_client(self) -> AsyncAnthropic:
        if self._client is None:
            from anthropic import AsyncAnthropic

            key = resolve_key(self.config)
            if key is None and self.config.base_url is None:
                raise ProviderError.config(
                    self.name,
                    f"{self.name}: no API key configured",
                    suggestions=[f"set providers.{self.name}.apiKey to 'env:ANTHROPIC_API_KEY'"],
                )
            self._client = AsyncAnthropic(
                api_key=key or "unused",
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=0,
            )
        return self._client

    def arguments(self, request: CompletionRequest, model: str) -> dict[str, Any]:
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        arguments: dict[str, Any] = {
            "model": model,
            "max_tokens": request.max_tokens,
            "messages": wire_messages(request.messages),
            "stream": True,
        }
        if system:
            arguments["system"] = system
        # No temperature: the Messages API of the SDK's version (2.x) no longer takes one.
        if request.response_schema is not None:
            arguments["output_config"] = {
                "format": {"type": "json_schema", "schema": request.response_schema}
            }
        if request.stop:
            arguments["stop_sequences"] = list(request.stop)
        if request.tools:
            arguments["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters}
                for t in request.tools
            ]
        return arguments

    async def open(self, request: CompletionRequest, model: str) -> AsyncIterator[Any]:
        stream: AsyncIterator[Any] = await self._get_client().messages.create(
            **self.arguments(request, model)
        )
        return stream

    def absorb(self, chunk: Any, state: StreamState) -> str | None:
        kind = chunk.type
        if kind == "message_start":
            state.model = chunk.message.model or state.model
            usage = chunk.message.usage
            state.usage = TokenUsage(usage.input_tokens or 0, usage.output_tokens or 0)
        elif kind == "content_block_start":
            block = chunk.content_block
            if block.type == "tool_use":
                state.add_call(chunk.index, block.id, block.name)
            elif block.type == "text" and block.text:
                return str(block.text)
        elif kind == "content_block_delta":
            delta = chunk.delta
            if delta.type == "text_delta":
                return str(delta.text) or None
            if delta.type == "input_json_delta":
                state.add_call(chunk.index, arguments=delta.partial_json)
        elif kind == "message_delta":
            reason = chunk.delta.stop_reason
            if reason:
                state.finish_reason = STOP_REASONS.get(reason, reason)
            if chunk.usage is not None and state.usage is not None:
                state.usage = TokenUsage(state.usage.prompt_tokens, chunk.usage.output_tokens or 0)
        elif kind == "error":  # an error event inside the stream
            raise ProviderError.bad_response(self.name, str(getattr(chunk, "error", chunk)))
        return None

    def map_error(self, error: Exception, model: str) -> ProviderError:
        import anthropic

        if isinstance(error, anthropic.APIStatusError):
            return ProviderError.from_status(
                self.name,
                error.status_code,
                status_detail(error),
                model=model,
                headers=error.response.headers,
                key_ref=self.config.api_key,
            )
        if isinstance(error, anthropic.APITimeoutError):
            return ProviderError.timeout(self.name, self.timeout)
        if isinstance(error, json.JSONDecodeError | UnicodeDecodeError):
            return ProviderError.bad_response(self.name, f"malformed JSON: {error}")
        mapped = map_transport_error(
            error, provider=self.name, url=self.base_url, timeout=self.timeout
        )
        return mapped or ProviderError.bad_response(self.name, str(error) or type(error).__name__)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


def wire_messages(messages: tuple[ChatMessage, ...]) -> list[dict[str, Any]]:
    """The conversation as Messages API turns: tool results join one user turn, as the API
    requires; an assistant's calls are ``tool_use`` blocks after its text."""
    wire: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            block = {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id,
                "content": message.content,
            }
            last = wire[-1] if wire else None
            if last and last["role"] == "user" and isinstance(last["content"], list):
                last["content"].append(block)
            else:
                wire.append({"role": "user", "content": [block]})
            continue
        if message.role == "assistant" and message.tool_calls:
            blocks: list[dict[str, Any]] = []
            if message.content:
                blocks.append({"type": "text", "text": message.content})
            for call in message.tool_calls:
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call.id,
                        "name": call.name,
                        "input": call.as_object(),
                    }
                )
            wire.append({"role": "assistant", "content": blocks})
            continue
        wire.append({"role": message.role, "content": message.content})
    return wire
