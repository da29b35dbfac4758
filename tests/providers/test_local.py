"""The embedded model, for real: SmolLM2-135M-Instruct run by llama.cpp in a worker thread.
Its wording is not asserted (it changes with llama.cpp's prompt cache); structure is."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from wave_lsp.providers.errors import ProviderError
from wave_lsp.providers.local import LocalProvider, packaged_model_path
from wave_lsp.providers.models import ProviderConfiguration
from wave_lsp.providers.registry import ProviderRegistry
from wave_lsp.providers.types import Completion, CompletionRequest, TextDelta


@pytest.fixture
async def local() -> AsyncIterator[LocalProvider]:
    provider = ProviderRegistry.from_config(None).get("local")
    assert isinstance(provider, LocalProvider)
    yield provider
    await provider.aclose()


def test_the_model_ships_with_the_install() -> None:
    path = packaged_model_path()
    assert path is not None and path.suffix == ".gguf"
    assert path.stat().st_size > 50_000_000


async def test_a_real_answer_streams(local: LocalProvider) -> None:
    request = CompletionRequest.from_prompt("Name a fruit.", max_tokens=24, temperature=0.0)
    events = [event async for event in local.stream(request)]
    deltas = [e for e in events if isinstance(e, TextDelta)]
    completion = events[-1]
    assert isinstance(completion, Completion)
    assert len(deltas) >= 2
    assert completion.text == "".join(d.text for d in deltas)
    assert completion.text.strip()
    assert completion.finish_reason in ("stop", "length")
    assert completion.usage is not None
    assert 0 < completion.usage.completion_tokens <= 24
    assert completion.usage.prompt_tokens > 0


async def test_max_tokens_bounds_the_answer(local: LocalProvider) -> None:
    request = CompletionRequest.from_prompt(
        "Write a long story about a dragon.", max_tokens=5, temperature=0.0
    )
    completion = await local.complete(request)
    assert completion.finish_reason == "length"
    assert completion.usage is not None and completion.usage.completion_tokens <= 5


async def test_the_event_loop_runs_while_the_model_thinks(local: LocalProvider) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    running = asyncio.create_task(ticker())
    seen: list[int] = []
    request = CompletionRequest.from_prompt("Count to ten.", max_tokens=16, temperature=0.0)
    async for event in local.stream(request):
        if isinstance(event, TextDelta):
            seen.append(ticks)
    running.cancel()
    # other tasks ran between the model's tokens: inference is off the event loop
    assert len(seen) >= 2
    assert seen[-1] > seen[0]


async def test_cancelling_stops_generation_and_frees_the_model(local: LocalProvider) -> None:
    request = CompletionRequest.from_prompt("Tell me a long story.", max_tokens=400)
    first = asyncio.Event()

    async def consume() -> None:
        async for event in local.stream(request):
            if isinstance(event, TextDelta):
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 120)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # the worker stopped at its next token: a new request gets the model
    short = await local.complete(CompletionRequest.from_prompt("Hi.", max_tokens=4))
    assert short.usage is not None and short.usage.completion_tokens <= 4


async def test_a_prompt_beyond_the_context_window_is_refused(local: LocalProvider) -> None:
    huge = "word " * 12_000  # far more than 8192 tokens
    with pytest.raises(ProviderError) as caught:
        await local.complete(CompletionRequest.from_prompt(huge, max_tokens=8))
    assert caught.value.code == "provider.config"
    assert "context window" in str(caught.value)
    assert "contextWindow" in caught.value.describe()


async def test_a_missing_model_file_is_named(tmp_path: Path) -> None:
    config = ProviderConfiguration(type="local", name="mine", model=str(tmp_path / "x.gguf"))
    provider = LocalProvider(config)
    with pytest.raises(ProviderError, match=r"no model file at .*x\.gguf"):
        await provider.complete(CompletionRequest.from_prompt("hi"))
    await provider.aclose()


async def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a model" * 100)
    provider = LocalProvider(ProviderConfiguration(type="local", name="mine", model=str(bogus)))
    with pytest.raises(ProviderError, match="cannot load the model"):
        await provider.complete(CompletionRequest.from_prompt("hi"))
    await provider.aclose()


async def test_the_local_model_counts_tokens_with_its_own_tokenizer(local: LocalProvider) -> None:
    from wave_lsp.context.tokens import estimate_tokens

    count = local.token_counter(local.get_model())
    assert count is not None
    text = "def greet(name):\n    return f'Hello, {name}!'\n" * 20
    exact = count(text)
    assert exact > 0 and exact != estimate_tokens(text)
    assert count("") == 0
    assert count(text + text) in range(2 * exact - 2, 2 * exact + 3)


async def test_the_seed_plan_schema_gives_schema_valid_json_offline(local: LocalProvider) -> None:
    """A grammar made of the schema, with bounds on strings and arrays: the 135M model's JSON
    closes and validates (without the bounds it repeats itself inside one string)."""
    import json

    from wave_lsp.providers.answers import schema_error

    schema_file = (
        Path(__file__).parents[2] / "server/wave_lsp/builtin/schemas/implementation-plan.json"
    )
    schema = json.loads(schema_file.read_text())
    request = CompletionRequest.from_prompt(
        "Plan a greeting feature: a greet(name) function in src/greet.py.",
        max_tokens=1500, temperature=0.2, json_mode=True, response_schema=schema,
    )  # fmt: skip
    completion = await local.complete(request)
    assert completion.finish_reason == "stop"
    assert schema_error(json.loads(completion.text), schema) is None


def test_the_grammar_schema_bounds_strings_and_arrays_only_where_unbounded() -> None:
    from wave_lsp.providers.local import bounded_schema

    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "kind": {"type": "string", "enum": ["a", "b"]},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 9}, "minItems": 6},
        },
    }
    bounded = bounded_schema(schema)
    assert bounded["properties"]["name"] == {"type": "string", "minLength": 1, "maxLength": 160}
    assert bounded["properties"]["kind"] == schema["properties"]["kind"]
    assert bounded["properties"]["tags"]["maxItems"] == 6
    assert bounded["properties"]["tags"]["items"]["maxLength"] == 9
    assert schema["properties"]["name"] == {"type": "string", "minLength": 1}  # not changed


async def test_fill_in_the_middle_only_where_the_gguf_declares_it(local: LocalProvider) -> None:
    from wave_lsp.providers.local import fim_tokens
    from wave_lsp.providers.types import Infill

    assert not local.capabilities().fill_in_middle  # before the model is loaded: a chat prompt
    await local.complete(CompletionRequest.from_prompt("Say hi.", max_tokens=4))
    # SmolLM2's GGUF declares no FIM tokens: still a chat prompt, and an infill is refused
    assert not local.capabilities().fill_in_middle
    with pytest.raises(ProviderError, match="declares no fill-in-the-middle tokens"):
        await local.complete(CompletionRequest((), max_tokens=4, infill=Infill("def f(", ")")))
    declared = {"tokenizer.ggml.fim_pre_token_id": "1", "tokenizer.ggml.fim_suf_token_id": "2",
                "tokenizer.ggml.fim_mid_token_id": "3"}  # fmt: skip
    assert fim_tokens(declared) == (1, 2, 3)
    assert fim_tokens({"tokenizer.ggml.prefix_token_id": "-1"}) is None


@pytest.mark.skipif(
    not os.environ.get("WAVE_TEST_FIM_GGUF"),
    reason="a GGUF with FIM tokens (WAVE_TEST_FIM_GGUF=path): none is reachable here",
)
async def test_a_fim_model_fills_the_middle() -> None:
    from wave_lsp.providers.types import Infill

    config = ProviderConfiguration.model_validate(
        {"type": "local", "name": "fim", "model": os.environ["WAVE_TEST_FIM_GGUF"]}
    )
    provider = LocalProvider(config)
    try:
        await provider.complete(CompletionRequest.from_prompt("x", max_tokens=1))
        assert provider.capabilities().fill_in_middle
        request = CompletionRequest(
            (), max_tokens=16, stop=("\n",), infill=Infill("def add(a, b):\n    return ", "\n")
        )
        completion = await provider.complete(request)
        assert completion.text.strip()
    finally:
        await provider.aclose()
