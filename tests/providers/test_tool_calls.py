"""Tool calling and structured output through each provider's real SDK (or httpx for Gemini)
against a server speaking that protocol's tool-call stream: the tools arrive in the protocol's
shape, the streamed calls come back whole, and the results go back in the protocol's shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.providers.conftest import TOOL_ADAPTERS, MakeProvider
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn
from wave_lsp.providers.types import ChatMessage, CompletionRequest, ToolCall, ToolSpec

READ = ToolSpec(
    "read_file",
    "Read a file",
    {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
)
SCHEMA = {
    "title": "Plan",
    "type": "object",
    "properties": {"summary": {"type": "string"}, "steps": {"type": ["array", "null"]}},
    "required": ["summary"],
    "additionalProperties": False,
}


def offered(kind: str, body: dict[str, Any]) -> list[str]:
    """The tool names the request offered, read in the protocol's own shape."""
    if kind == "gemini":
        return [d["name"] for t in body["tools"] for d in t["functionDeclarations"]]
    if kind == "anthropic":
        assert body["tools"][0]["input_schema"] == READ.parameters
        return [t["name"] for t in body["tools"]]
    assert body["tools"][0]["type"] == "function"
    return [t["function"]["name"] for t in body["tools"]]


@pytest.mark.parametrize("kind", TOOL_ADAPTERS)
async def test_a_streamed_tool_call_comes_back_whole_and_its_result_goes_back(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    provider = make_provider(kind)
    arguments = {"path": "src/app.py", "note": 'a "quoted" value, ünïcode'}
    server.state.answers = [ToolTurn([("read_file", arguments)], ids=["call_1"]), "All read."]
    first = CompletionRequest(
        messages=(ChatMessage("system", "Be brief."), ChatMessage("user", "Read app.py")),
        tools=(READ,),
    )
    completion = await provider.complete(first)
    assert completion.finish_reason == "tool_calls"
    [call] = completion.tool_calls
    assert call.name == "read_file"
    assert call.parsed() == arguments
    assert offered(kind, server.requests[-1].body) == ["read_file"]

    second = CompletionRequest(
        messages=(
            *first.messages,
            ChatMessage("assistant", "", tool_calls=completion.tool_calls),
            ChatMessage("tool", "print('hi')", tool_call_id=call.id, name="read_file"),
        ),
        tools=(READ,),
    )
    answer = await provider.complete(second)
    assert answer.text == "All read." and answer.tool_calls == ()
    body = server.requests[-1].body
    if kind == "openai":
        assistant, result = body["messages"][-2:]
        assert assistant["tool_calls"][0]["id"] == call.id
        assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == arguments
        assert result == {"role": "tool", "tool_call_id": call.id, "content": "print('hi')"}
    elif kind == "ollama":
        assistant, result = body["messages"][-2:]
        assert assistant["tool_calls"][0]["function"]["arguments"] == arguments
        assert result["role"] == "tool" and result["content"] == "print('hi')"
        assert result["tool_name"] == "read_file"
    elif kind == "gemini":
        model, user = body["contents"][-2:]
        assert model["parts"][-1]["functionCall"] == {"name": "read_file", "args": arguments}
        response = user["parts"][0]["functionResponse"]
        assert response == {"name": "read_file", "response": {"content": "print('hi')"}}
        assert body["systemInstruction"]["parts"][0]["text"] == "Be brief."
    else:
        assert body["system"] == "Be brief."
        assistant, user = body["messages"][-2:]
        assert assistant["content"][-1] == {
            "type": "tool_use", "id": call.id, "name": "read_file", "input": arguments,
        }  # fmt: skip
        assert user["content"] == [
            {"type": "tool_result", "tool_use_id": call.id, "content": "print('hi')"}
        ]


@pytest.mark.parametrize("kind", TOOL_ADAPTERS)
async def test_several_calls_in_one_turn_keep_their_order(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    provider = make_provider(kind)
    server.state.answers = [
        ToolTurn([("read_file", {"path": "a.py"}), ("read_file", {"path": "b.py"})], "Looking.")
    ]
    completion = await provider.complete(
        CompletionRequest(messages=(ChatMessage("user", "read both"),), tools=(READ,))
    )
    assert [c.parsed()["path"] for c in completion.tool_calls] == ["a.py", "b.py"]
    assert len({c.id for c in completion.tool_calls}) == 2
    assert completion.text == "Looking."


@pytest.mark.parametrize("kind", TOOL_ADAPTERS)
async def test_a_response_schema_goes_as_the_protocols_structured_output_parameter(
    kind: str, make_provider: MakeProvider, server: ProtocolServer
) -> None:
    provider = make_provider(kind)
    server.state.answers = ['{"summary": "ok"}']
    request = CompletionRequest(
        messages=(ChatMessage("user", "plan"),), json_mode=True, response_schema=SCHEMA
    )
    assert (await provider.complete(request)).text == '{"summary": "ok"}'
    body = server.requests[-1].body
    if kind == "openai":
        assert body["response_format"] == {
            "type": "json_schema",
            "json_schema": {"name": "Plan", "schema": SCHEMA, "strict": False},
        }
    elif kind == "ollama":
        assert body["format"] == SCHEMA
    elif kind == "anthropic":
        assert body["output_config"] == {"format": {"type": "json_schema", "schema": SCHEMA}}
    else:
        config = body["generationConfig"]
        assert config["responseMimeType"] == "application/json"
        # Gemini's Schema is an OpenAPI subset: unknown keys dropped, null types made nullable
        assert config["responseSchema"] == {
            "title": "Plan",
            "type": "object",
            "properties": {
                "summary": {"type": "string"},
                "steps": {"type": "array", "nullable": True},
            },
            "required": ["summary"],
        }


def test_malformed_arguments_are_kept_as_written_and_refused_when_parsed() -> None:
    call = ToolCall("c1", "read_file", '{"path": ')
    with pytest.raises(ValueError, match="not valid JSON"):
        call.parsed()
    assert call.as_object() == {}
    with pytest.raises(ValueError, match="JSON object"):
        ToolCall("c2", "read_file", "[1]").parsed()
