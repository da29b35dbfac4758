"""OpenAI and OpenAI-compatible servers (DeepSeek, Qwen, vLLM, LM Studio, llama.cpp's server)
through the ``openai`` SDK's chat completions, always streamed.

The SDK's own retries are off (``max_retries=0``): retries are ours, the same for every provider.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from wave_lsp.providers.base import Provider, StreamState, default_timeout_seconds
from wave_lsp.providers.errors import ProviderError, status_detail
from wave_lsp.providers.keys import resolve_key
from wave_lsp.providers.models import ProviderType
from wave_lsp.providers.transport import map_transport_error
from wave_lsp.providers.types import (
    Capabilities,
    ChatMessage,
    CompletionRequest,
    TokenUsage,
    ToolSpec,
)

if TYPE_CHECKING:
    from openai import AsyncOpenAI

OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_BASE_URLS = {
    ProviderType.OPENAI: OPENAI_BASE_URL,
    ProviderType.DEEPSEEK: "https://api.deepseek.com/v1",
    ProviderType.QWEN: "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
}
DEFAULT_MODELS = {
    ProviderType.OPENAI: "gpt-4o-mini",
    ProviderType.DEEPSEEK: "deepseek-chat",
    ProviderType.QWEN: "qwen-plus",
}
CONTEXT_WINDOWS = {
    ProviderType.OPENAI: 128_000,
    ProviderType.DEEPSEEK: 64_000,
    ProviderType.QWEN: 128_000,
}


class OpenAICompatibleProvider(Provider):
    kind = "openai"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_model = DEFAULT_MODELS.get(self.config.type)
        self.base_url = (self.config.base_url or DEFAULT_BASE_URLS[self.config.type]).rstrip("/")
        self.timeout = default_timeout_seconds(self.config)
        self._client: AsyncOpenAI | None = None

    @property
    def hosted(self) -> bool:
        """The provider's own cloud (not a compatible server at a custom ``baseUrl``)."""
        return self.config.base_url is None

    def capabilities(self, model: str | None = None) -> Capabilities:
        window = self.config.provider_specific.context_window
        return Capabilities(
            context_window=window or CONTEXT_WINDOWS.get(self.config.type, 8192),
            tool_use=self.config.provider_specific.tool_use is not False,
            json_mode=True,
            fill_in_middle=self.config.provider_specific.fim is True,
        )

    def _get_client(self) -> AsyncOpenAI:
        if self._client is None:
            from openai import AsyncOpenAI

            key = resolve_key(self.config)
            if key is None and self.hosted:
                raise ProviderError.config(
                    self.name,
                    f"{self.name}: no API key configured",
                    suggestions=[f"set providers.{self.name}.apiKey to 'env:VAR_NAME'"],
                )
            self._client = AsyncOpenAI(
                api_key=key or "unused",  # local servers ignore it; the SDK insists on one
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=0,
            )
        return self._client

    def _arguments(self, request: CompletionRequest, model: str) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "model": model,
            "messages": [wire_message(m) for m in request.messages],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        # OpenAI's newer models refuse max_tokens; compatible servers (llama.cpp) ignore its
        # replacement, so each gets the field it honours.
        token_field = "max_completion_tokens" if self.hosted else "max_tokens"
        arguments[token_field] = request.max_tokens
        if request.temperature is not None:
            arguments["temperature"] = request.temperature
        if request.stop:
            arguments["stop"] = list(request.stop)
        if request.response_schema is not None:
            arguments["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": schema_name(request.response_schema),
                    "schema": request.response_schema,
                    "strict": False,  # strict mode refuses common schemas (optional fields)
                },
            }
        elif request.json_mode:
            arguments["response_format"] = {"type": "json_object"}
        if request.tools:
            arguments["tools"] = [wire_tool(tool) for tool in request.tools]
        return arguments

    async def open(self, request: CompletionRequest, model: str) -> AsyncIterator[Any]:
        client = self._get_client()
        if request.infill is not None:  # the legacy completions endpoint takes a suffix
            infill: AsyncIterator[Any] = await client.completions.create(
                model=model,
                prompt=request.infill.prefix,
                suffix=request.infill.suffix,
                stream=True,
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                stop=list(request.stop) or None,
            )
            return infill
        stream: AsyncIterator[Any] = await client.chat.completions.create(
            **self._arguments(request, model)
        )
        return stream

    def absorb(self, chunk: Any, state: StreamState) -> str | None:
        if chunk.usage is not None:
            usage = chunk.usage
            state.usage = TokenUsage(usage.prompt_tokens or 0, usage.completion_tokens or 0)
        if chunk.object == "text_completion":  # an infill's chunk
            for choice in chunk.choices:
                if choice.finish_reason:
                    state.finish_reason = choice.finish_reason
            return "".join(choice.text or "" for choice in chunk.choices) or None
        text = None
        for choice in chunk.choices:
            content = choice.delta.content
            if content:
                text = content if text is None else text + content
            for call in choice.delta.tool_calls or ():
                function = call.function
                state.add_call(
                    call.index,
                    call.id or "",
                    (function.name if function else None) or "",
                    (function.arguments if function else None) or "",
                )
            if choice.finish_reason:
                state.finish_reason = choice.finish_reason
                state.model = chunk.model or state.model
        return text

    def map_error(self, error: Exception, model: str) -> ProviderError:
        import openai

        if isinstance(error, openai.APIStatusError):
            return ProviderError.from_status(
                self.name,
                error.status_code,
                status_detail(error),
                model=model,
                headers=error.response.headers,
                key_ref=self.config.api_key,
            )
        if isinstance(error, openai.APITimeoutError):
            return ProviderError.timeout(self.name, self.timeout)
        if isinstance(error, json.JSONDecodeError | UnicodeDecodeError):
            return ProviderError.bad_response(self.name, f"malformed JSON: {error}")
        return self._unexpected(error)  # connection errors, errors sent inside the stream

    def _unexpected(self, error: Exception) -> ProviderError:
        mapped = map_transport_error(
            error, provider=self.name, url=self.base_url, timeout=self.timeout
        )
        if mapped is not None:
            return mapped
        return ProviderError.bad_response(self.name, str(error) or type(error).__name__)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


def wire_tool(tool: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        },
    }


def wire_message(message: ChatMessage) -> dict[str, Any]:
    """A chat message in the chat completions shape (tool calls and tool results included)."""
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        wire["content"] = message.content or None
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
    return wire


def schema_name(schema: dict[str, Any]) -> str:
    """A name for a schema (``response_format`` requires one): its title, else ``output``."""
    title = str(schema.get("title") or "output")
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in title)[:64]
    return name or "output"
