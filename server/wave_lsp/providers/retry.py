"""Retries with exponential backoff and full jitter around one streamed answer.

A failed attempt is retried when its error is retryable (429, 5xx, timeouts, broken connections),
waiting what the server's ``Retry-After`` asks or the backoff, whichever is longer. Once part of
the answer was delivered, a retry would repeat it: the error goes to the caller, unless the caller
said it can discard a partial answer, in which case it gets a :class:`Restart` event first.
Cancellation is never caught: it closes the attempt (and its HTTP request) and propagates.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wave_lsp.providers.errors import MAX_RETRY_AFTER, ProviderError
from wave_lsp.providers.types import Restart, StreamEvent, TextDelta

if TYPE_CHECKING:
    from wave_lsp.providers.models import ProviderConfiguration


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = MAX_RETRY_AFTER

    @classmethod
    def from_config(cls, config: ProviderConfiguration) -> RetryPolicy:
        specific = config.provider_specific
        return cls(
            max_retries=specific.max_retries if specific.max_retries is not None else 3,
            base_delay=specific.retry_base_delay if specific.retry_base_delay is not None else 0.5,
        )

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``; ``None``: do not retry."""
        if attempt >= self.max_retries:
            return None
        backoff = random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))
        if retry_after is None:
            return backoff
        if retry_after > self.max_retry_after:
            return None
        return max(retry_after, backoff)


async def with_retries(
    attempt: Callable[[], AsyncGenerator[StreamEvent, None]],
    policy: RetryPolicy,
    *,
    discard_partial: bool = False,
) -> AsyncIterator[StreamEvent]:
    retries = 0
    while True:
        delivered = False
        try:
            async with aclosing(attempt()) as events:
                async for event in events:
                    if isinstance(event, TextDelta):
                        delivered = True
                    yield event
            return
        except ProviderError as error:
            wait = policy.delay(retries, error.retry_after) if error.retryable else None
            if wait is None or (delivered and not discard_partial):
                if retries:
                    error.error.description = (
                        f"gave up after {retries} retr{'y' if retries == 1 else 'ies'}"
                    )
                raise
            retries += 1
            if delivered:
                yield Restart(error.error.message)
            await asyncio.sleep(wait)
