"""The provider registry (Zulu seed's ProviderRegistry and MultiProviderRouter): providers built
from the configuration, and ``provider:model`` routing.

A model reference is ``provider:model`` when the part before the first colon names a configured
provider; anything else is a model of the default provider (so Ollama's ``llama3:8b`` stays one
model name). With no providers configured, the registry holds the embedded ``local`` provider.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from wave_lsp.providers.base import Provider
from wave_lsp.providers.errors import ProviderError
from wave_lsp.providers.models import (
    ProviderConfiguration,
    ProviderRegistryEntry,
    ProviderType,
    UnifiedConfiguration,
)

LOCAL_PROVIDER_NAME = "local"


def provider_class(kind: ProviderType) -> Callable[..., Provider]:
    if kind in (ProviderType.OPENAI, ProviderType.DEEPSEEK, ProviderType.QWEN):
        from wave_lsp.providers.openai_compat import OpenAICompatibleProvider

        return OpenAICompatibleProvider
    if kind is ProviderType.OLLAMA:
        from wave_lsp.providers.ollama_provider import OllamaProvider

        return OllamaProvider
    if kind in (ProviderType.GEMINI, ProviderType.GOOGLE_CLOUD):
        from wave_lsp.providers.gemini import GeminiProvider

        return GeminiProvider
    if kind is ProviderType.ANTHROPIC:
        from wave_lsp.providers.anthropic_provider import AnthropicProvider

        return AnthropicProvider
    from wave_lsp.providers.local import LocalProvider

    return LocalProvider


def with_defaults(
    config: ProviderConfiguration, unified: UnifiedConfiguration
) -> ProviderConfiguration:
    """The provider's configuration with ``providerDefaults`` filled in where it says nothing."""
    defaults = unified.provider_defaults
    if defaults is None:
        return config
    update: dict[str, Any] = {}
    endpoint = None
    if config.type is ProviderType.OLLAMA:
        endpoint = defaults.ollama
    elif config.type is ProviderType.OPENAI:
        endpoint = defaults.openai
    if endpoint is not None:
        if config.base_url is None and endpoint.base_url:
            update["base_url"] = endpoint.base_url
        if config.timeout is None and endpoint.timeout:
            update["timeout"] = endpoint.timeout
    cloud = defaults.google_cloud
    if config.type is ProviderType.GOOGLE_CLOUD and cloud is not None:
        specific = config.provider_specific.model_copy(
            update={
                "project_id": config.provider_specific.project_id or cloud.project_id,
                "region": config.provider_specific.region or cloud.region,
            }
        )
        update["provider_specific"] = specific
    return config.model_copy(update=update) if update else config


class ProviderRegistry:
    def __init__(
        self,
        configs: dict[str, ProviderConfiguration],
        default_provider: str,
        default_model: str | None = None,
    ) -> None:
        self.configs = configs
        self.default_provider = default_provider
        self.default_model = default_model
        self._entries: dict[str, ProviderRegistryEntry] = {}

    @classmethod
    def from_config(cls, unified: UnifiedConfiguration | None) -> ProviderRegistry:
        if unified is None:
            local = ProviderConfiguration(type=ProviderType.LOCAL, name=LOCAL_PROVIDER_NAME)
            return cls({LOCAL_PROVIDER_NAME: local}, LOCAL_PROVIDER_NAME)
        configs = {name: with_defaults(c, unified) for name, c in unified.providers.items()}
        return cls(configs, unified.default_provider, unified.default_model)

    def names(self) -> list[str]:
        return list(self.configs)

    def split(self, reference: str | None) -> tuple[str, str | None]:
        """``(provider name, model or None)`` for a model reference (``None``: the defaults)."""
        if reference is None or not reference.strip():
            if self.default_model:
                return self.split(self.default_model)
            return self.default_provider, None
        prefix, colon, rest = reference.partition(":")
        if colon and prefix in self.configs:
            return prefix, rest or None
        default = self.configs.get(self.default_provider)
        tagged = default is not None and default.type is ProviderType.OLLAMA  # llama3:8b
        if colon and not tagged and prefix.replace("-", "").replace("_", "").isalnum():
            raise ProviderError.config(
                prefix,
                f"the model '{reference}' names the provider '{prefix}', which is not configured",
                suggestions=[
                    f"configured providers: {', '.join(self.configs) or 'none'}",
                    "write PROVIDER:MODEL with one of them, or add the provider to "
                    ".wave/config.yaml",
                ],
            )
        return self.default_provider, reference

    def get(self, name: str) -> Provider:
        entry = self._entries.get(name)
        if entry is None:
            config = self.configs.get(name)
            if config is None:
                raise ProviderError.config(
                    name,
                    f"no provider named '{name}'",
                    suggestions=[f"configured providers: {', '.join(self.configs) or 'none'}"],
                )
            if not config.enabled:
                raise ProviderError.config(
                    name,
                    f"provider '{name}' is disabled",
                    suggestions=[f"set providers.{name}.enabled: true, or choose another"],
                )
            provider = provider_class(config.type)(config)
            entry = ProviderRegistryEntry(
                name=name, provider=provider, config=config, initialized=True
            )
            self._entries[name] = entry
        entry.last_used = datetime.now(UTC)
        built = entry.provider
        assert isinstance(built, Provider)
        return built

    def resolve(self, reference: str | None = None) -> tuple[Provider, str]:
        """The provider and the model name to send it, for ``provider:model``, a bare model, or
        ``None`` (the default model of the default provider)."""
        name, model = self.split(reference)
        provider = self.get(name)
        return provider, model or provider.get_model()

    def entries(self) -> Iterator[ProviderRegistryEntry]:
        return iter(self._entries.values())

    async def aclose(self) -> None:
        for entry in self._entries.values():
            provider = entry.provider
            if isinstance(provider, Provider):
                await provider.aclose()
        self._entries.clear()
