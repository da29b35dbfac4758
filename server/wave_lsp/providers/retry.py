"""When and how long to wait before retrying a streamed answer (applied by
:meth:`wave_lsp.providers.base.Provider.stream`).

A failed attempt is retried when its error is retryable (429, 5xx, timeouts, broken connections),
waiting what the server's ``Retry-After`` asks or the backoff (exponential, full jitter),
whichever is longer. Once part of the answer was delivered, a retry would repeat it: the error
goes to the caller, unless the caller said it can discard a partial answer, in which case it gets
a :class:`~wave_lsp.providers.types.Restart` event first. Cancellation is never caught.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wave_lsp.providers.errors import MAX_RETRY_AFTER

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
