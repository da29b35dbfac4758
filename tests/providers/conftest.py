"""Each adapter, configured against a real protocol server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.providers.protocol_server import ProtocolServer
from wave_lsp.providers.base import Provider
from wave_lsp.providers.models import ProviderConfiguration
from wave_lsp.providers.registry import provider_class

ADAPTERS = ["openai", "deepseek", "ollama", "gemini", "vertex"]
"""deepseek stands for the OpenAI-compatible types with a base URL of their own."""

MODEL = {
    "openai": "gpt-test",
    "deepseek": "deepseek-chat",
    "ollama": "llama3:8b",
    "gemini": "gemini-test",
    "vertex": "gemini-test",
    "anthropic": "claude-sonnet-4-5",
}
TOOL_ADAPTERS = ["openai", "ollama", "gemini", "anthropic"]
"""One adapter per tool-call protocol."""


@pytest.fixture
def server() -> Iterator[ProtocolServer]:
    running = ProtocolServer().start()
    yield running
    running.stop()


MakeConfig = Callable[..., ProviderConfiguration]


@pytest.fixture
def make_config(
    server: ProtocolServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> MakeConfig:
    """make_config("ollama", timeout=..., maxRetries=...): a provider of that kind pointing at
    the server, with short backoffs so retries are quick."""
    monkeypatch.setenv("TEST_PROVIDER_KEY", "sk-secret-test-key")

    def build(kind: str, url: str | None = None, **specific: Any) -> ProviderConfiguration:
        base = url or server.url
        timeout = specific.pop("timeout", 5000)
        specific.setdefault("retryBaseDelay", 0.01)
        settings: dict[str, Any] = {
            "name": kind,
            "model": MODEL[kind],
            "timeout": timeout,
            "providerSpecific": specific,
        }
        if kind in ("openai", "deepseek"):
            settings |= {"type": kind, "baseUrl": f"{base}/v1", "apiKey": "env:TEST_PROVIDER_KEY"}
        elif kind == "ollama":
            settings |= {"type": "ollama", "baseUrl": base}
        elif kind == "anthropic":
            settings |= {"type": "anthropic", "baseUrl": base, "apiKey": "env:TEST_PROVIDER_KEY"}
        elif kind == "gemini":
            settings |= {"type": "gemini", "baseUrl": base, "apiKey": "env:TEST_PROVIDER_KEY"}
        else:
            credentials = tmp_path / "adc.json"
            credentials.write_text(
                json.dumps(
                    {
                        "type": "authorized_user",
                        "client_id": "id",
                        "client_secret": "secret",
                        "refresh_token": "refresh",
                        "token_uri": f"{server.url}/token",
                    }
                )
            )
            specific |= {
                "projectId": "proj",
                "region": "europe-west4",
                "credentialsPath": str(credentials),
            }
            settings |= {"type": "googleCloud", "providerSpecific": specific}
            settings["providerSpecific"]["endpoint"] = base
        return ProviderConfiguration.model_validate(settings)

    return build


@pytest.fixture(params=ADAPTERS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


MakeProvider = Callable[..., Provider]


@pytest.fixture
async def make_provider(make_config: MakeConfig) -> AsyncIterator[MakeProvider]:
    made: list[Provider] = []

    def build(kind: str, url: str | None = None, **specific: Any) -> Provider:
        config = make_config(kind, url, **specific)
        provider = provider_class(config.type)(config)
        made.append(provider)
        return provider

    yield build
    for provider in made:
        await provider.aclose()
