"""The request and answer types every provider speaks: messages in, text deltas and one
completion out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """What the caller asks of a model. ``model`` is the provider's own model name (routing has
    already removed any ``provider:`` prefix); ``None`` means the provider's configured model."""

    messages: tuple[ChatMessage, ...]
    model: str | None = None
    max_tokens: int = 1024
    temperature: float | None = None
    json_mode: bool = False
    stop: tuple[str, ...] = ()
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


StreamEvent = TextDelta | Restart | Completion


@dataclass(frozen=True, slots=True)
class Capabilities:
    context_window: int
    tool_use: bool = False
    json_mode: bool = False
    streaming: bool = True
