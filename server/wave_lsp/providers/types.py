"""The request and answer types every provider speaks: messages in, text deltas and one
completion out. Tools are provider-neutral: a :class:`ToolSpec` (name, description, JSON Schema
parameters) offered in the request, :class:`ToolCall` s in the completion, and the results sent
back as ``tool`` messages; each adapter maps them to its protocol's shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool offered to the model: its arguments are described by a JSON Schema object."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object"})


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model asked for. ``arguments`` is the JSON text the model wrote (kept as
    written: a model's malformed JSON goes back to it as the tool's error)."""

    id: str
    name: str
    arguments: str = "{}"

    def parsed(self) -> dict[str, Any]:
        """The arguments as an object; :class:`ValueError` naming the fault otherwise."""
        try:
            value = json.loads(self.arguments or "{}")
        except json.JSONDecodeError as error:
            raise ValueError(f"the arguments are not valid JSON: {error}") from error
        if not isinstance(value, dict):
            raise ValueError("the arguments must be a JSON object")
        return value

    def as_object(self) -> dict[str, Any]:
        """The arguments as an object, ``{}`` when malformed (for protocols that carry objects:
        the malformed text already went back to the model as the call's error)."""
        try:
            return self.parsed()
        except ValueError:
            return {}


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    """On an assistant message: the calls it made."""
    tool_call_id: str = ""
    """On a tool message: the call it answers."""
    name: str = ""
    """On a tool message: the tool's name (Gemini and Ollama match results by name)."""


@dataclass(frozen=True, slots=True)
class Infill:
    """A fill-in-the-middle request: the model writes what goes between ``prefix`` and
    ``suffix`` (sent to the provider's FIM endpoint; the request's messages are not sent)."""

    prefix: str
    suffix: str


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """What the caller asks of a model. ``model`` is the provider's own model name (routing has
    already removed any ``provider:`` prefix); ``None`` means the provider's configured model."""

    messages: tuple[ChatMessage, ...]
    model: str | None = None
    max_tokens: int = 1024
    temperature: float | None = None
    json_mode: bool = False
    response_schema: dict[str, Any] | None = None
    """A JSON Schema the answer must follow: sent as the protocol's structured-output parameter
    (the answer is still validated after)."""
    tools: tuple[ToolSpec, ...] = ()
    stop: tuple[str, ...] = ()
    infill: Infill | None = None
    """Only for a provider whose capabilities say ``fill_in_middle``."""
    discard_partial: bool = False
    """The caller can throw away a partly delivered answer: a stream that breaks after some text
    was delivered is then retried (after a :class:`Restart` event) instead of failing."""

    @classmethod
    def from_prompt(
        cls, prompt: str, *, system: str | None = None, **options: object
    ) -> CompletionRequest:
        messages = [ChatMessage("user", prompt)]
        if system:
            messages.insert(0, ChatMessage("system", system))
        return cls(messages=tuple(messages), **options)  # type: ignore[arg-type]

    def prompt_chars(self) -> int:
        if self.infill is not None:
            return len(self.infill.prefix) + len(self.infill.suffix)
        return sum(len(m.content) for m in self.messages)


@dataclass(frozen=True, slots=True)
class TokenUsage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer, in order."""

    text: str


@dataclass(frozen=True, slots=True)
class Restart:
    """The stream broke after part of the answer was delivered and is being retried: the caller
    discards what it received so far. Only sent when the request set ``discard_partial``."""

    reason: str


@dataclass(frozen=True, slots=True)
class Completion:
    """The end of an answer: the whole text, why it ended, and the tokens used (``None`` when the
    server did not say, as llama.cpp's server does not when streaming)."""

    text: str
    finish_reason: str
    model: str
    usage: TokenUsage | None = None
    tool_calls: tuple[ToolCall, ...] = ()


StreamEvent = TextDelta | Restart | Completion


@dataclass(frozen=True, slots=True)
class Capabilities:
    context_window: int
    tool_use: bool = False
    json_mode: bool = False
    streaming: bool = True
    fill_in_middle: bool = False
    """It takes :class:`Infill` requests."""
