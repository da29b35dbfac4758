"""Routing (`provider:model`), the registry built from configuration, keys and backoff."""

from __future__ import annotations

import email.utils
import time

import pytest
from pydantic import ValidationError

from wave_lsp.providers.errors import ProviderError, parse_retry_after
from wave_lsp.providers.keys import resolve_key
from wave_lsp.providers.local import LocalProvider
from wave_lsp.providers.models import ProviderConfiguration, UnifiedConfiguration
from wave_lsp.providers.ollama_provider import OllamaProvider, num_ctx_for
from wave_lsp.providers.openai_compat import OpenAICompatibleProvider
from wave_lsp.providers.registry import ProviderRegistry
from wave_lsp.providers.retry import RetryPolicy
from wave_lsp.providers.types import CompletionRequest


def unified(**overrides: object) -> UnifiedConfiguration:
    data: dict[str, object] = {
        "defaultProvider": "ollama",
        "providers": {
            "ollama": {"type": "ollama", "model": "llama3:8b"},
            "work": {"type": "openai", "apiKey": "env:WORK_KEY", "model": "gpt-4o"},
            "off": {"type": "ollama", "enabled": False},
        },
    }
    data.update(overrides)
    return UnifiedConfiguration.model_validate(data)


def test_no_configuration_means_the_embedded_model() -> None:
    registry = ProviderRegistry.from_config(None)
    provider, model = registry.resolve(None)
    assert isinstance(provider, LocalProvider)
    assert model == "smollm2-135m-instruct"


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        (None, ("ollama", "llama3:8b")),
        ("", ("ollama", "llama3:8b")),
        ("work:gpt-4.1", ("work", "gpt-4.1")),
        ("work:", ("work", "gpt-4o")),
        ("llama3:70b", ("ollama", "llama3:70b")),  # a colon inside an Ollama tag
        ("mistral", ("ollama", "mistral")),
        ("ollama:qwen2.5-coder:7b", ("ollama", "qwen2.5-coder:7b")),
    ],
)
def test_model_references_route(reference: str | None, expected: tuple[str, str]) -> None:
    provider, model = ProviderRegistry.from_config(unified()).resolve(reference)
    assert (provider.name, model) == expected


def test_the_default_model_may_name_a_provider() -> None:
    registry = ProviderRegistry.from_config(unified(defaultModel="work:gpt-4o-mini"))
    provider, model = registry.resolve(None)
    assert isinstance(provider, OpenAICompatibleProvider)
    assert model == "gpt-4o-mini"


def test_providers_are_built_once_and_lazily() -> None:
    registry = ProviderRegistry.from_config(unified())
    assert list(registry.entries()) == []
    first = registry.get("ollama")
    assert registry.get("ollama") is first
    [entry] = registry.entries()
    assert entry.name == "ollama" and entry.initialized and entry.last_used is not None


def test_unknown_and_disabled_providers_are_errors() -> None:
    registry = ProviderRegistry.from_config(unified())
    with pytest.raises(ProviderError, match="no provider named 'nope'") as caught:
        registry.get("nope")
    assert "ollama, work, off" in caught.value.describe()
    with pytest.raises(ProviderError, match="provider 'off' is disabled"):
        registry.resolve("off:llama3")


def test_provider_defaults_fill_what_a_provider_leaves_out() -> None:
    config = unified(
        providerDefaults={"ollama": {"baseUrl": "http://gpu-box:11434", "timeout": 90000}}
    )
    provider = ProviderRegistry.from_config(config).get("ollama")
    assert isinstance(provider, OllamaProvider)
    assert provider.host == "http://gpu-box:11434" and provider.timeout == 90


def test_openai_compatible_types_have_their_own_endpoints() -> None:
    deepseek = OpenAICompatibleProvider(
        ProviderConfiguration(type="deepseek", name="ds", api_key="k")
    )
    qwen = OpenAICompatibleProvider(ProviderConfiguration(type="qwen", name="q", api_key="k"))
    assert deepseek.base_url == "https://api.deepseek.com/v1" and deepseek.get_model()
    assert "dashscope" in qwen.base_url and qwen.get_model() == "qwen-plus"


def test_hosted_openai_gets_max_completion_tokens_and_local_servers_max_tokens() -> None:
    request = CompletionRequest.from_prompt("hi", max_tokens=9, json_mode=True)
    hosted = OpenAICompatibleProvider(ProviderConfiguration(type="openai", name="o", api_key="k"))
    arguments = hosted._arguments(request, "gpt-4o")
    assert arguments["max_completion_tokens"] == 9 and "max_tokens" not in arguments
    assert arguments["response_format"] == {"type": "json_object"}
    vllm = OpenAICompatibleProvider(
        ProviderConfiguration(type="openai", name="v", base_url="http://127.0.0.1:8000/v1")
    )
    assert vllm._arguments(request, "m")["max_tokens"] == 9


def test_cloud_providers_need_a_key_and_local_servers_do_not() -> None:
    with pytest.raises(ValidationError, match="needs an apiKey"):
        ProviderConfiguration(type="gemini", name="g")
    ProviderConfiguration(type="openai", name="lmstudio", base_url="http://127.0.0.1:1234/v1")


def test_keys_are_read_from_the_environment_at_use() -> None:
    config = ProviderConfiguration(type="openai", name="work", api_key="env:WORK_KEY")
    assert resolve_key(config, {"WORK_KEY": "sk-1"}) == "sk-1"
    with pytest.raises(ProviderError) as caught:
        resolve_key(config, {})
    assert "$WORK_KEY, which is not set" in str(caught.value)
    assert "export WORK_KEY=" in caught.value.describe()
    assert "env:WORK_KEY" in config.model_dump_json()  # the reference, never the value


def test_a_missing_key_fails_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORK_KEY", raising=False)
    provider = ProviderRegistry.from_config(unified()).get("work")
    with pytest.raises(ProviderError, match=r"\$WORK_KEY"):
        provider._get_client()  # type: ignore[attr-defined]


def test_ollama_context_is_sized_to_the_request() -> None:
    assert num_ctx_for(100, 512, 32768) == 2048  # never below Ollama's own default
    assert num_ctx_for(30_000, 1024, 32768) == 12288  # 10k prompt tokens + answer + template
    assert num_ctx_for(300_000, 1024, 32768) == 32768  # capped at the window
    provider = OllamaProvider(ProviderConfiguration(type="ollama", name="o"))
    with pytest.raises(ProviderError, match="more than the model's context window of 32768"):
        provider.options(CompletionRequest.from_prompt("x" * 200_000))


def test_retry_after_is_seconds_or_an_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= (parse_retry_after(date, now=now) or 0) <= 31


def test_backoff_grows_with_jitter_and_respects_the_server() -> None:
    policy = RetryPolicy(max_retries=4, base_delay=1.0, max_delay=8.0)
    for attempt in range(4):
        delay = policy.delay(attempt, None)
        assert delay is not None and 0 <= delay <= min(8.0, 2**attempt)
    assert policy.delay(4, None) is None  # out of retries
    assert policy.delay(0, 5.0) == pytest.approx(5.0, abs=1.0)  # the server's wait wins
    assert policy.delay(0, 1000.0) is None  # too long to wait: report instead
