"""Every adapter through its real SDK (openai, ollama) or httpx (Gemini, Vertex AI) against a
server speaking its wire protocol: answers, streaming, usage, retries, faults, cancellation."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.providers.conftest import MakeProvider
from tests.providers.protocol_server import ANSWER, TOKEN, Fault, ProtocolServer
from wave_lsp.providers.errors import ProviderError
from wave_lsp.providers.types import Completion, CompletionRequest, Restart, TextDelta

ASK = CompletionRequest.from_prompt("Say something about foxes.", system="Be brief.")


def chat_requests(server: ProtocolServer) -> list[str]:
    return [r.path for r in server.requests if r.path != "/token"]


async def test_answer_streams_in_pieces_with_usage(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    provider = make_provider(kind)
    events = [event async for event in provider.stream(ASK)]
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 5  # streamed, not one block
    assert "".join(deltas) == ANSWER
    completion = events[-1]
    assert isinstance(completion, Completion)
    assert completion.text == ANSWER
    assert completion.finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 12
    assert completion.usage.prompt_tokens > 0
    assert chat_requests(server) and len(chat_requests(server)) == 1


async def test_generate_response_is_the_seed_interface(
    kind: str, make_provider: MakeProvider
) -> None:
    provider = make_provider(kind)
    assert await provider.generate_response("hello") == ANSWER
    pieces = [piece async for piece in provider.stream_response("hello")]
    assert "".join(pieces) == ANSWER


async def test_the_system_prompt_and_limits_reach_the_server(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    provider = make_provider(kind)
    request = CompletionRequest.from_prompt(
        "question", system="rules", max_tokens=77, temperature=0.0, stop=("END",)
    )
    await provider.complete(request)
    body = server.requests[-1].body
    text = str(body)
    assert "rules" in text and "question" in text
    if kind in ("openai", "deepseek"):
        assert body["max_tokens"] == 77 and body["stop"] == ["END"] and body["stream"] is True
        assert body["messages"][0] == {"role": "system", "content": "rules"}
    elif kind == "ollama":
        assert body["options"]["num_predict"] == 77 and body["options"]["stop"] == ["END"]
        assert body["options"]["num_ctx"] >= 2048
    else:
        assert body["generationConfig"] == {
            "maxOutputTokens": 77,
            "temperature": 0.0,
            "stopSequences": ["END"],
        }
        assert body["systemInstruction"] == {"parts": [{"text": "rules"}]}


async def test_a_server_error_is_retried(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    server.fail(Fault(status=500), Fault(status=503))
    completion = await make_provider(kind).complete(ASK)
    assert completion.text == ANSWER
    assert len(chat_requests(server)) == 3


async def test_429_waits_what_retry_after_asks(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    server.fail(Fault(status=429, retry_after="1"))
    started = time.monotonic()
    completion = await make_provider(kind).complete(ASK)
    assert completion.text == ANSWER
    # the backoff alone is ~10 ms here; only the server's Retry-After explains a 1 s wait
    assert time.monotonic() - started >= 0.95
    assert len(chat_requests(server)) == 2


async def test_persistent_429_gives_up_with_a_clear_error(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    server.fail(*[Fault(status=429)] * 3)
    with pytest.raises(ProviderError) as caught:
        await make_provider(kind, maxRetries=2).complete(ASK)
    error = caught.value
    assert error.code == "provider.rate_limited" and error.retryable
    assert "rate limited (429)" in str(error) and kind in str(error)
    assert error.error.description == "gave up after 2 retries"
    assert len(chat_requests(server)) == 3


async def test_a_retry_after_beyond_the_limit_is_not_waited_for(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    server.fail(Fault(status=429, retry_after="3600"))
    with pytest.raises(ProviderError, match="wait 3600 s"):
        await make_provider(kind).complete(ASK)
    assert len(chat_requests(server)) == 1


async def test_a_stall_past_the_timeout_is_a_timeout(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    server.fail(Fault(stall=1.5))
    with pytest.raises(ProviderError) as caught:
        await make_provider(kind, timeout=300, maxRetries=0).complete(ASK)
    assert caught.value.code == "provider.timeout"
    assert "no answer within 0.3 s" in str(caught.value)
    assert "timeout" in caught.value.describe()


async def test_a_reset_mid_stream_fails_after_the_delivered_part(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    server.fail(Fault(reset_after=3))
    received: list[str] = []
    with pytest.raises(ProviderError) as caught:
        async for event in make_provider(kind).stream(ASK):
            if isinstance(event, TextDelta):
                received.append(event.text)
    assert caught.value.code == "provider.interrupted"
    assert len(received) == 3
    assert len(chat_requests(server)) == 1  # never retried: the caller holds a partial answer


async def test_a_caller_that_can_discard_gets_a_restart(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    server.fail(Fault(reset_after=3))
    request = CompletionRequest.from_prompt("again", discard_partial=True)
    text = ""
    restarts = 0
    async for event in make_provider(kind).stream(request):
        if isinstance(event, Restart):
            restarts += 1
            text = ""
        elif isinstance(event, TextDelta):
            text += event.text
    assert restarts == 1
    assert text == ANSWER


async def test_malformed_json_is_reported(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    server.fail(Fault(malformed=True))
    with pytest.raises(ProviderError) as caught:
        await make_provider(kind).complete(ASK)
    assert caught.value.code == "provider.bad_response"
    assert "could not be read" in str(caught.value)


async def test_an_unknown_model_is_named_and_not_retried(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    with pytest.raises(ProviderError) as caught:
        await make_provider(kind).complete(CompletionRequest.from_prompt("x", model="no-such"))
    assert caught.value.code == "provider.model_not_found"
    assert "no-such" in str(caught.value)
    assert not caught.value.retryable
    assert len(chat_requests(server)) == 1


async def test_cancelling_closes_the_request(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    server.state.piece_delay = 0.05
    first = asyncio.Event()

    async def consume() -> None:
        async for event in make_provider(kind).stream(ASK):
            if isinstance(event, TextDelta):
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):  # the server notices the closed connection at its next write
        if server.state.disconnects:
            break
        await asyncio.sleep(0.05)
    assert server.state.disconnects == 1


async def test_nothing_listening_says_what_to_check(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    dead = "http://127.0.0.1:9"  # the discard port: nothing listens on it
    provider = make_provider(kind, url=dead, maxRetries=0)
    if kind == "vertex":  # the token comes from the live server; the model call goes nowhere
        provider._token = (TOKEN, time.monotonic() + 60)  # type: ignore[attr-defined]
    with pytest.raises(ProviderError) as caught:
        await provider.complete(ASK)
    assert caught.value.code == "provider.unavailable"
    assert "127.0.0.1:9" in str(caught.value)
    hint = caught.value.describe()
    assert ("Is Ollama running" in hint) if kind == "ollama" else ("running?" in hint)
