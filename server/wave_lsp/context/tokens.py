"""Token counts before a request is sent: a provider's own tokenizer when it has one locally,
else a cautious characters-per-token estimate (code runs 3 to 4 characters a token; counting 3
errs towards a larger count, so a budget is never overrun)."""

from __future__ import annotations

import math
from collections.abc import Callable

CHARS_PER_TOKEN = 3.0

TokenCounter = Callable[[str], int]


def estimate_tokens(text_or_chars: str | int) -> int:
    chars = text_or_chars if isinstance(text_or_chars, int) else len(text_or_chars)
    return math.ceil(chars / CHARS_PER_TOKEN)
