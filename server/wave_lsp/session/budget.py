"""How a request's tokens are shared out: the answer, the prompt, the conversation's history and
the files. One function, used by every request and by the context report, so that the report of
the next request is that request."""

from __future__ import annotations

from dataclasses import dataclass

from wave_lsp.context.builder import Budget
from wave_lsp.personas.models import Persona
from wave_lsp.providers.base import Provider

PROMPT_TOKENS = 512
"""Kept for the prompt's own words (the template, the user's request)."""
HISTORY_SHARE = 0.25
"""The part of the window the conversation's history may take at most."""
MIN_ANSWER_TOKENS = 256


@dataclass(frozen=True, slots=True)
class RequestBudget:
    window: int
    """The model's context window, in tokens."""
    answer_tokens: int
    """What the answer may take (the persona's ``max_tokens``, at most half the window)."""
    history_limit: int
    """What the conversation's history may take at most."""
    max_size_bytes: int | None = None
    """The system's ``context.max_size``."""
    prompt_tokens: int = PROMPT_TOKENS

    def files(self, history_tokens: int) -> Budget:
        """What is left for files once the history sent takes ``history_tokens``."""
        return Budget.of(
            self.window,
            self.answer_tokens,
            prompt_tokens=self.prompt_tokens + history_tokens,
            max_size_bytes=self.max_size_bytes,
        )

    def to_json(self) -> dict[str, int]:
        return {
            "contextWindow": self.window,
            "answerTokens": self.answer_tokens,
            "historyLimit": self.history_limit,
        }


def budget_for(
    provider: Provider,
    model: str,
    persona: Persona,
    max_size_bytes: int | None = None,
    *,
    answer_tokens: int | None = None,
    prompt_tokens: int = PROMPT_TOKENS,
) -> RequestBudget:
    """The budget of every request: the answer the persona's ``max_tokens`` (or what the user
    asked for, ``wave ask --max-tokens``), at most half the window."""
    window = provider.capabilities(model).context_window
    wanted = persona.ai_context.max_tokens if answer_tokens is None else answer_tokens
    answer = min(wanted, max(MIN_ANSWER_TOKENS, window // 2))
    return RequestBudget(window, answer, int(window * HISTORY_SHARE), max_size_bytes, prompt_tokens)
