"""Gemini over ``httpx``: the Generative Language REST API (``x-goog-api-key``) and Vertex AI
(``googleCloud``: the same wire format under a project/region path, with a bearer token).

Answers are streamed from ``:streamGenerateContent?alt=sse``. Vertex tokens come from ``apiKey``
(``env:VAR`` holding an access token), a credentials file (``providerSpecific.credentialsPath`` or
``$GOOGLE_APPLICATION_CREDENTIALS``) of type ``authorized_user``, exchanged at its token endpoint
and refreshed before it expires, or ``$GOOGLE_OAUTH_ACCESS_TOKEN``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from wave_lsp.providers.base import Provider, StreamState, default_timeout_seconds
from wave_lsp.providers.errors import ProviderError
from wave_lsp.providers.keys import resolve_key
from wave_lsp.providers.models import ProviderType
from wave_lsp.providers.transport import map_transport_error
from wave_lsp.providers.types import (
    Capabilities,
    CompletionRequest,
    TokenUsage,
)

GEMINI_BASE_URL = "https://generativelanguage.googleapis.com"
DEFAULT_MODEL = "gemini-2.0-flash"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
FINISH_REASONS = {"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter"}


SCHEMA_KEYS = frozenset({
    "type", "format", "title", "description", "nullable", "enum", "properties", "required",
    "items", "minItems", "maxItems", "minimum", "maximum", "minLength", "maxLength", "pattern",
    "anyOf", "propertyOrdering", "default", "example",
})  # fmt: skip
"""The JSON Schema keys Gemini's ``Schema`` (an OpenAPI 3.0 subset) accepts; others are
refused with a 400, so they are dropped."""


def openapi_schema(schema: Any) -> Any:
    """A JSON Schema as Gemini's ``Schema``: unknown keys dropped, ``type: [T, "null"]`` made
    ``nullable``."""
    if isinstance(schema, list):
        return [openapi_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in SCHEMA_KEYS:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: openapi_schema(sub) for name, sub in value.items()}
        elif key == "type" and isinstance(value, list):
            kinds = [kind for kind in value if kind != "null"]
            out["type"] = kinds[0] if kinds else "string"
            if len(kinds) < len(value):
                out["nullable"] = True
        elif key in ("items", "anyOf"):
            out[key] = openapi_schema(value)
        else:
            out[key] = value
    return out


def request_body(request: CompletionRequest) -> dict[str, Any]:
    """Chat messages as a ``GenerateContentRequest``: system messages become the system
    instruction; the assistant is the ``model`` role."""
    contents: list[dict[str, Any]] = []
    system: list[dict[str, str]] = []
    for message in request.messages:
        if message.role == "system":
            system.append({"text": message.content})
            continue
        parts: list[dict[str, Any]] = []
        if message.role == "tool":
            response = {"name": message.name, "response": {"content": message.content}}
            parts.append({"functionResponse": response})
        elif message.content or not message.tool_calls:
            parts.append({"text": message.content})
        for call in message.tool_calls:
            parts.append({"functionCall": {"name": call.name, "args": call.as_object()}})
        role = "model" if message.role == "assistant" else "user"
        if contents and contents[-1]["role"] == role == "user" and message.role == "tool":
            contents[-1]["parts"].extend(parts)  # the results of one turn's calls, together
        else:
            contents.append({"role": role, "parts": parts})
    config: dict[str, Any] = {"maxOutputTokens": request.max_tokens}
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if request.stop:
        config["stopSequences"] = list(request.stop)
    if request.json_mode or request.response_schema is not None:
        config["responseMimeType"] = "application/json"
    if request.response_schema is not None:
        config["responseSchema"] = openapi_schema(request.response_schema)
    body: dict[str, Any] = {"contents": contents, "generationConfig": config}
    if request.tools:
        declarations = [
            {
                "name": t.name,
                "description": t.description,
                "parameters": openapi_schema(t.parameters),
            }
            for t in request.tools
        ]
        body["tools"] = [{"functionDeclarations": declarations}]
    if system:
        body["systemInstruction"] = {"parts": system}
    return body


class GeminiProvider(Provider):
    kind = "gemini"
    default_model = DEFAULT_MODEL

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timeout = default_timeout_seconds(self.config)
        self.vertex = self.config.type is ProviderType.GOOGLE_CLOUD
        self._client: httpx.AsyncClient | None = None
        self._token: tuple[str, float] | None = None  # (access token, expiry as monotonic time)
        if self.vertex:
            specific = self.config.provider_specific
            self.project = specific.project_id or ""
            self.region = specific.region or "us-central1"
            default = f"https://{self.region}-aiplatform.googleapis.com"
            self.base_url = (self.config.base_url or specific.endpoint or default).rstrip("/")
        else:
            self.base_url = (self.config.base_url or GEMINI_BASE_URL).rstrip("/")

    def capabilities(self, model: str | None = None) -> Capabilities:
        window = self.config.provider_specific.context_window or 1_048_576
        return Capabilities(
            context_window=window,
            tool_use=self.config.provider_specific.tool_use is not False,
            json_mode=True,
        )

    def _get_client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout))
        return self._client

    def url(self, model: str) -> str:
        if self.vertex:
            if not self.project:
                raise ProviderError.config(
                    self.name,
                    f"{self.name}: Vertex AI needs a project",
                    suggestions=[f"set providers.{self.name}.providerSpecific.projectId"],
                )
            return (
                f"{self.base_url}/v1/projects/{self.project}/locations/{self.region}"
                f"/publishers/google/models/{model}:streamGenerateContent"
            )
        return f"{self.base_url}/v1beta/models/{model}:streamGenerateContent"

    async def _headers(self) -> dict[str, str]:
        if not self.vertex:
            key = resolve_key(self.config)
            if not key:
                raise ProviderError.config(
                    self.name,
                    f"{self.name}: no API key configured",
                    suggestions=[f"set providers.{self.name}.apiKey to 'env:GEMINI_API_KEY'"],
                )
            return {"x-goog-api-key": key}
        return {"authorization": f"Bearer {await self._access_token()}"}

    async def _access_token(self) -> str:
        key = resolve_key(self.config)
        if key:
            return key
        if self._token is not None and self._token[1] > time.monotonic():
            return self._token[0]
        path = self.config.provider_specific.credentials_path or os.environ.get(
            "GOOGLE_APPLICATION_CREDENTIALS"
        )
        if path:
            token, lifetime = await self._exchange(path)
            self._token = (token, time.monotonic() + max(0.0, lifetime - 60))
            return token
        token = os.environ.get("GOOGLE_OAUTH_ACCESS_TOKEN", "")
        if token:
            return token
        raise ProviderError.config(
            self.name,
            f"{self.name}: no Google Cloud credentials",
            suggestions=[
                f"set providers.{self.name}.providerSpecific.credentialsPath to an "
                "authorized_user file (`gcloud auth application-default login` writes one)",
                "or export GOOGLE_OAUTH_ACCESS_TOKEN=$(gcloud auth print-access-token)",
            ],
        )

    async def _exchange(self, path: str) -> tuple[str, float]:
        """A refresh token exchanged for an access token (OAuth 2.0 ``refresh_token`` grant)."""
        try:
            info = await asyncio.to_thread(_read_json, path)
        except (OSError, ValueError) as error:
            raise ProviderError.config(
                self.name,
                f"{self.name}: cannot read the credentials file {path}: {error}",
                suggestions=[f"check providers.{self.name}.providerSpecific.credentialsPath"],
            ) from error
        kind = info.get("type")
        if kind != "authorized_user":
            raise ProviderError.config(
                self.name,
                f"{self.name}: credentials of type '{kind}' in {path} are not supported",
                suggestions=[
                    "use an authorized_user file (`gcloud auth application-default login`)",
                    "or export GOOGLE_OAUTH_ACCESS_TOKEN=$(gcloud auth print-access-token)",
                ],
            )
        token_uri = info.get("token_uri", DEFAULT_TOKEN_URI)
        try:
            response = await self._get_client().post(
                token_uri,
                data={
                    "grant_type": "refresh_token",
                    "client_id": info.get("client_id", ""),
                    "client_secret": info.get("client_secret", ""),
                    "refresh_token": info.get("refresh_token", ""),
                },
            )
        except httpx.HTTPError as error:
            raise self._transport(error, token_uri) from error
        if response.status_code != 200:
            raise ProviderError.unauthorized(
                self.name, response.status_code, response.text[:200], None
            )
        payload = response.json()
        return str(payload["access_token"]), float(payload.get("expires_in", 3600))

    async def open(self, request: CompletionRequest, model: str) -> AsyncIterator[Any]:
        url = self.url(model)
        headers = await self._headers()
        return self._events(url, headers, request_body(request), model)

    async def _events(
        self, url: str, headers: dict[str, str], body: dict[str, Any], model: str
    ) -> AsyncIterator[dict[str, Any]]:
        """The SSE payloads of one call, inside the lifetime of its HTTP response."""
        async with self._get_client().stream(
            "POST", url, params={"alt": "sse"}, json=body, headers=headers
        ) as response:
            if response.status_code != 200:
                await response.aread()
                raise ProviderError.from_status(
                    self.name,
                    response.status_code,
                    _error_message(response),
                    model=model,
                    headers=response.headers,
                    key_ref=self.config.api_key,
                )
            async for payload in _sse_events(response):
                yield payload

    def absorb(self, chunk: Any, state: StreamState) -> str | None:
        text = None
        for candidate in chunk.get("candidates", ()):
            for part in (candidate.get("content") or {}).get("parts", ()):
                if part.get("text"):
                    text = part["text"] if text is None else text + part["text"]
                if call := part.get("functionCall"):
                    index = len(state.calls)
                    arguments = json.dumps(call.get("args") or {})
                    state.add_call(
                        index, call.get("id") or f"call_{index}", call["name"], arguments
                    )
            if reason := candidate.get("finishReason"):
                state.finish_reason = FINISH_REASONS.get(reason, reason.lower())
        if meta := chunk.get("usageMetadata"):
            state.usage = TokenUsage(
                meta.get("promptTokenCount", 0), meta.get("candidatesTokenCount", 0)
            )
        return text

    def map_error(self, error: Exception, model: str) -> ProviderError:
        if isinstance(error, json.JSONDecodeError):
            return ProviderError.bad_response(self.name, f"malformed JSON: {error}")
        return self._transport(error, self.base_url)

    def _transport(self, error: Exception, url: str) -> ProviderError:
        mapped = map_transport_error(error, provider=self.name, url=url, timeout=self.timeout)
        return mapped or ProviderError.bad_response(self.name, str(error) or repr(error))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _read_json(path: str) -> dict[str, Any]:
    data = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


async def _sse_events(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """The JSON payloads of a server-sent event stream (``data:`` lines, events split by a
    blank line)."""
    data: list[str] = []
    async for line in response.aiter_lines():
        if line.startswith("data:"):
            data.append(line[5:].lstrip())
        elif not line.strip() and data:
            yield json.loads("\n".join(data))
            data = []
    if data:
        yield json.loads("\n".join(data))


def _error_message(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return response.text[:200]
