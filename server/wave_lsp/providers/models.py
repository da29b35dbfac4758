"""The Zulu Pilot seed's provider configuration: ProviderConfiguration, UnifiedConfiguration,
MCPServerConfiguration and the runtime ProviderRegistryEntry."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from pydantic import ConfigDict, Field, field_validator, model_validator

from wave_lsp.config.base import CamelModel
from wave_lsp.context.models import FileContext

ENV_PREFIX = "env:"


class ProviderType(StrEnum):
    OLLAMA = "ollama"
    OPENAI = "openai"
    GOOGLE_CLOUD = "googleCloud"
    GEMINI = "gemini"
    DEEPSEEK = "deepseek"
    QWEN = "qwen"
    ANTHROPIC = "anthropic"
    """Claude through the Messages API (``anthropic`` SDK); ``baseUrl`` for a compatible server."""
    LOCAL = "local"
    """The embedded model: a GGUF file run in-process by llama.cpp (``model`` is its path;
    the packaged SmolLM2-135M-Instruct when not given)."""


CLOUD_PROVIDERS = frozenset(
    {
        ProviderType.OPENAI,
        ProviderType.GOOGLE_CLOUD,
        ProviderType.GEMINI,
        ProviderType.DEEPSEEK,
        ProviderType.QWEN,
        ProviderType.ANTHROPIC,
    }
)
"""Providers whose hosted service needs a key (the seed names OpenAI, Google Cloud, Gemini; the
DeepSeek and Qwen clouds need one too). A custom ``baseUrl`` (vLLM, LM Studio, a local server)
needs none."""


class ProviderSpecific(CamelModel):
    """Settings only some providers use; other keys are passed through to the provider."""

    model_config = ConfigDict(extra="allow")

    project_id: str | None = None
    region: str | None = None
    credentials_path: str | None = None
    endpoint: str | None = None
    max_retries: int | None = Field(default=None, ge=0, le=10)
    """Retries on 429, 5xx, timeouts and broken connections (default 3)."""
    retry_base_delay: float | None = Field(default=None, ge=0)
    """Seconds of the first backoff, doubled at each retry (default 0.5)."""
    context_window: int | None = Field(default=None, gt=0)
    """The model's context window in tokens. Ollama's ``num_ctx`` is sized to each request up to
    this (default 32768); the local model is loaded with it (default 8192)."""
    max_answer_chars: int | None = Field(default=None, gt=0)
    """An answer longer than this many characters is stopped, as an error (default 2,000,000)."""
    answer_deadline: float | None = Field(default=None, gt=0)
    """Seconds a whole answer may take, streamed or not (default 600): a server that trickles
    forever is stopped, as an error."""
    edit_format: Literal["diff", "whole", "search-replace", "apply-patch"] | None = None
    """The form edits are asked for: a unified diff, the whole file, SEARCH/REPLACE blocks or
    an apply_patch envelope (default: what the model family writes best; answers are read in
    any of them)."""
    tool_use: bool | None = None
    """Whether the model calls tools (default: yes for every type but ``local``). ``false`` for
    a model or compatible server without tool calling: the built-in agent then works in one-shot
    mode (the edits of one answer, applied through the same governed path)."""
    fim: bool | None = None
    """Fill-in-the-middle for inline completions (a prefix and a suffix, the model writes what
    goes between): Ollama's ``generate`` with ``suffix`` (default on), an OpenAI-compatible
    server's ``/v1/completions`` with ``suffix`` (default off: set ``true`` for servers that
    accept it). Off: a chat prompt is used instead."""


class ProviderConfiguration(CamelModel):
    """One AI provider (Zulu Pilot seed)."""

    type: ProviderType
    name: str = ""
    """A user-friendly name; the key of the provider in ``providers`` when not given."""
    api_key: str | None = None
    """The key, or ``env:VAR_NAME`` to read it from the environment when used."""
    base_url: str | None = None
    model: str | None = None
    timeout: int | None = Field(default=None, gt=0)
    """Request timeout in milliseconds."""
    enabled: bool = True
    provider_specific: ProviderSpecific = Field(default_factory=ProviderSpecific)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"baseUrl must start with http:// or https://, got {value!r}")
        return value

    @field_validator("api_key")
    @classmethod
    def _env_reference(cls, value: str | None) -> str | None:
        if value is not None and value.startswith(ENV_PREFIX):
            name = value[len(ENV_PREFIX) :]
            if not name or not name.replace("_", "A").isalnum() or name[0].isdigit():
                raise ValueError(f"{value!r} is not an environment reference: write 'env:VAR_NAME'")
        return value

    @model_validator(mode="after")
    def _key_for_cloud(self) -> ProviderConfiguration:
        if self.type in CLOUD_PROVIDERS and self.base_url is None and not self.api_key:
            if self.type is ProviderType.GOOGLE_CLOUD and self.provider_specific.credentials_path:
                return self
            raise ValueError(
                f"a provider of type '{self.type.value}' needs an apiKey (e.g. "
                f"'env:{self.type.value.upper()}_API_KEY'), or a baseUrl for a local server"
            )
        return self


class MCPServerConfiguration(CamelModel):
    """An MCP server whose tools may be exposed to the model (Zulu Pilot seed)."""

    name: str = ""
    """The server's identifier; its key in ``mcpServers`` when not given."""
    command: str | None = Field(default=None, min_length=1)
    """The program that starts the server (stdio); or give ``url``."""
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    """Variables for the server's process (over a safe default set: PATH, HOME ...); a value
    ``env:NAME`` is read from Wave's own environment."""
    url: str | None = Field(default=None, pattern=r"^https?://")
    """A Streamable HTTP server's endpoint, instead of ``command``."""
    headers: dict[str, str] = Field(default_factory=dict)
    """HTTP headers for a ``url`` server (``env:NAME`` values read from the environment)."""
    include_tools: list[str] | None = None
    exclude_tools: list[str] | None = None
    enabled: bool = True
    timeout: int = Field(default=60, gt=0)
    """Seconds a tool call may take before it is abandoned with an error."""

    def resolved(self, values: dict[str, str]) -> dict[str, str]:
        """``env`` or ``headers`` with ``env:NAME`` values read from Wave's environment (an
        unset one is a ``ValueError`` naming it)."""
        out = {}
        for key, value in values.items():
            name = value[len(ENV_PREFIX) :] if value.startswith(ENV_PREFIX) else None
            if name is not None and name not in os.environ:
                raise ValueError(f"the variable {name} (for {key}) is not set")
            out[key] = os.environ[name] if name is not None else value
        return out

    @model_validator(mode="after")
    def _include_or_exclude(self) -> MCPServerConfiguration:
        if self.include_tools is not None and self.exclude_tools is not None:
            raise ValueError("includeTools and excludeTools cannot both be given: choose one")
        if (self.command is None) == (self.url is None):
            raise ValueError("give the server's command (stdio) or its url (HTTP), one of them")
        return self


class GoogleSearchTool(CamelModel):
    enabled: bool = False


class GeminiCLITools(CamelModel):
    google_search: GoogleSearchTool | None = None


class GeminiCLIConfiguration(CamelModel):
    mcp_servers: dict[str, MCPServerConfiguration] = Field(default_factory=dict)
    tools: GeminiCLITools | None = None


class EndpointDefaults(CamelModel):
    base_url: str | None = None
    timeout: int | None = Field(default=None, gt=0)


class GoogleCloudDefaults(CamelModel):
    project_id: str | None = None
    region: str | None = None


class ProviderDefaults(CamelModel):
    ollama: EndpointDefaults | None = None
    openai: EndpointDefaults | None = None
    google_cloud: GoogleCloudDefaults | None = None


class UnifiedConfiguration(CamelModel):
    """The root of provider configuration (Zulu Pilot seed), under ``providers:`` in
    ``.wave/config.yaml``."""

    default_provider: str
    """The name (key) of the provider used when a model names none."""
    default_model: str | None = None
    """``model`` (on the default provider) or ``provider:model``."""
    providers: dict[str, ProviderConfiguration] = Field(min_length=1)
    mcp_servers: dict[str, MCPServerConfiguration] = Field(default_factory=dict)
    gemini_cli: GeminiCLIConfiguration | None = Field(default=None, alias="geminiCLI")
    provider_defaults: ProviderDefaults | None = None

    @model_validator(mode="after")
    def _names(self) -> UnifiedConfiguration:
        for key, provider in self.providers.items():
            if not provider.name:
                provider.name = key
        for key, server in self.mcp_servers.items():
            if not server.name:
                server.name = key
        return self


@runtime_checkable
class ModelProvider(Protocol):
    """The seed's IModelProvider: what every provider adapter offers."""

    def stream_response(self, prompt: str, context: Sequence[FileContext]) -> AsyncIterator[str]:
        """Yield the answer as it arrives."""
        ...

    async def generate_response(self, prompt: str, context: Sequence[FileContext]) -> str:
        """The whole answer."""
        ...


class ProviderRegistryEntry(CamelModel):
    """A provider instance known to the registry (Zulu Pilot seed)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    provider: ModelProvider
    config: ProviderConfiguration
    initialized: bool = False
    last_used: datetime | float | None = None

    @model_validator(mode="after")
    def _name_matches(self) -> ProviderRegistryEntry:
        if self.name != self.config.name:
            raise ValueError(
                f"registry entry '{self.name}' holds the configuration of '{self.config.name}'"
            )
        return self
