"""Fill-in-the-middle through the real SDKs: an OpenAI-compatible server's `/v1/completions` with
`suffix` (the openai SDK) and Ollama's `generate` with `suffix` (the ollama SDK), streamed, with
the stop sequences and token limit the request names; which providers say they have it."""

from __future__ import annotations

import pytest

from tests.providers.conftest import MakeProvider
from tests.providers.protocol_server import ProtocolServer
from wave_lsp.providers.types import Completion, CompletionRequest, Infill, TextDelta

FILL = CompletionRequest(
    messages=(), max_tokens=40, stop=("\n\n",), infill=Infill("def add(a, b):\n    ", "\n\nx = 1\n")
)


@pytest.mark.parametrize(("kind", "path"), [("deepseek", "/v1/completions"),
                                            ("ollama", "/api/generate")])  # fmt: skip
async def test_an_infill_streams_from_the_fim_endpoint(
    kind: str, path: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    server.state.answers = ["return a + b"]
    provider = make_provider(kind, fim=True)
    assert provider.capabilities().fill_in_middle
    events = [event async for event in provider.stream(FILL)]
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1 and "".join(deltas) == "return a + b"
    assert isinstance(events[-1], Completion) and events[-1].text == "return a + b"
    [request] = server.requests
    assert request.path == path
    body = request.body
    assert body["prompt"] == "def add(a, b):\n    " and body["suffix"] == "\n\nx = 1\n"
    if kind == "ollama":
        assert body["options"]["stop"] == ["\n\n"] and body["options"]["num_predict"] == 40
    else:
        assert body["stop"] == ["\n\n"] and body["max_tokens"] == 40 and body["stream"] is True


def test_who_has_it(make_provider: MakeProvider) -> None:
    assert make_provider("ollama").capabilities().fill_in_middle  # generate takes a suffix
    assert not make_provider("ollama", fim=False).capabilities().fill_in_middle
    # compatible servers differ: /v1/completions with a suffix only when the user says so
    assert not make_provider("deepseek").capabilities().fill_in_middle
    assert not make_provider("gemini").capabilities().fill_in_middle
