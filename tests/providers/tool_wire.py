"""Scripted tool calls in each provider's stream, and Anthropic's Messages API, for the
protocol server (:mod:`tests.providers.protocol_server`). A :class:`ToolTurn` among the scripted
answers is sent as the protocol sends a model's tool calls: OpenAI's ``delta.tool_calls`` with
the arguments in fragments, Ollama's whole ``message.tool_calls``, Gemini's ``functionCall``
parts, Anthropic's ``tool_use`` blocks with ``input_json_delta`` fragments."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class ToolTurn:
    """One model turn that calls tools: (name, arguments) pairs, after optional text."""

    calls: list[tuple[str, dict[str, Any]]]
    text: str = ""
    ids: list[str] = field(default_factory=list)

    def call_id(self, index: int, prefix: str = "call") -> str:
        return self.ids[index] if index < len(self.ids) else f"{prefix}_{index}_{id(self) % 9999}"


class Handler(Protocol):
    def _start_stream(self, content_type: str) -> None: ...
    def _chunk(self, data: bytes) -> None: ...
    def _end_stream(self) -> None: ...
    def _send_json(
        self, status: int, payload: Any, headers: dict[str, str] | None = ...
    ) -> None: ...


def _fragments(text: str, size: int = 7) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def openai_tools(handler: Handler, model: str, turn: ToolTurn) -> None:
    handler._start_stream("text/event-stream")
    base = {"id": "chatcmpl-t", "created": int(time.time()), "model": model,
            "object": "chat.completion.chunk"}  # fmt: skip

    def event(delta: dict[str, Any], finish: str | None = None) -> None:
        payload = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        handler._chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")

    event({"role": "assistant", "content": turn.text or None})
    for index, (name, arguments) in enumerate(turn.calls):
        event({"tool_calls": [{"index": index, "id": turn.call_id(index), "type": "function",
                               "function": {"name": name, "arguments": ""}}]})  # fmt: skip
        for piece in _fragments(json.dumps(arguments)):
            event({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    event({}, "tool_calls")
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    handler._chunk(
        b"data: " + json.dumps({**base, "choices": [], "usage": usage}).encode() + b"\n\n"
    )
    handler._chunk(b"data: [DONE]\n\n")
    handler._end_stream()


def ollama_tools(handler: Handler, model: str, turn: ToolTurn) -> None:
    handler._start_stream("application/x-ndjson")
    created = "2026-12-02T12:00:00.000000Z"
    calls = [{"function": {"name": name, "arguments": arguments}} for name, arguments in turn.calls]
    message = {"role": "assistant", "content": turn.text, "tool_calls": calls}
    line = {"model": model, "created_at": created, "message": message, "done": False}
    handler._chunk(json.dumps(line).encode() + b"\n")
    final = {"model": model, "created_at": created, "done": True, "done_reason": "stop",
             "message": {"role": "assistant", "content": ""},
             "prompt_eval_count": 10, "eval_count": 5}  # fmt: skip
    handler._chunk(json.dumps(final).encode() + b"\n")
    handler._end_stream()


def gemini_tools(handler: Handler, model: str, turn: ToolTurn) -> None:
    handler._start_stream("text/event-stream")
    parts: list[dict[str, Any]] = [{"text": turn.text}] if turn.text else []
    parts += [{"functionCall": {"name": name, "args": arguments}} for name, arguments in turn.calls]
    payload = {
        "candidates": [{"content": {"parts": parts, "role": "model"}, "finishReason": "STOP",
                        "index": 0}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5},
        "modelVersion": model,
    }  # fmt: skip
    handler._chunk(b"data: " + json.dumps(payload).encode() + b"\r\n\r\n")
    handler._end_stream()


def anthropic_messages(handler: Handler, body: dict[str, Any], answer: str | ToolTurn) -> None:
    """A Messages API answer, streamed as server-sent events or as one JSON message."""
    model = body.get("model", "claude-test")
    turn = answer if isinstance(answer, ToolTurn) else ToolTurn([], answer)
    blocks: list[dict[str, Any]] = []
    if turn.text:
        blocks.append({"type": "text", "text": turn.text})
    for index, (name, arguments) in enumerate(turn.calls):
        blocks.append({"type": "tool_use", "id": turn.call_id(index, "toolu"), "name": name,
                       "input": arguments})  # fmt: skip
    stop = "tool_use" if turn.calls else "end_turn"
    usage = {"input_tokens": 12, "output_tokens": 6}
    message = {"id": "msg_test", "type": "message", "role": "assistant", "model": model,
               "stop_sequence": None}  # fmt: skip
    if not body.get("stream"):
        handler._send_json(200, {**message, "content": blocks, "stop_reason": stop, "usage": usage})
        return
    handler._start_stream("text/event-stream")

    def event(kind: str, payload: dict[str, Any]) -> None:
        data = json.dumps({"type": kind, **payload})
        handler._chunk(f"event: {kind}\ndata: {data}\n\n".encode())

    event(
        "message_start",
        {
            "message": {
                **message,
                "content": [],
                "stop_reason": None,
                "usage": {"input_tokens": 12, "output_tokens": 1},
            }
        },
    )
    for index, block in enumerate(blocks):
        if block["type"] == "text":
            event(
                "content_block_start",
                {"index": index, "content_block": {"type": "text", "text": ""}},
            )
            for piece in _fragments(block["text"], 12):
                event(
                    "content_block_delta",
                    {"index": index, "delta": {"type": "text_delta", "text": piece}},
                )
        else:
            start = {**block, "input": {}}
            event("content_block_start", {"index": index, "content_block": start})
            for piece in _fragments(json.dumps(block["input"])):
                event("content_block_delta", {"index": index, "delta": {
                    "type": "input_json_delta", "partial_json": piece}})  # fmt: skip
        event("content_block_stop", {"index": index})
    event("message_delta", {"delta": {"stop_reason": stop, "stop_sequence": None},
                            "usage": {"output_tokens": 6}})  # fmt: skip
    event("message_stop", {})
    handler._end_stream()
