"""Every provider failure as the seed's Error model: a code, a message naming the provider, whether
a retry can help, and what the user can do. Adapters map their SDK's exceptions to these."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any

from wave_lsp.errors import Error, ErrorContext, ErrorSeverity, ErrorType, WaveError

MAX_RETRY_AFTER = 120.0
"""A server asking to wait longer than this (seconds) is not waited for: the user is told."""


class ProviderError(WaveError):
    """A provider failed. ``retryable`` says whether the same request may succeed later;
    ``retry_after`` is the server's own wait in seconds (429/503 ``Retry-After``)."""

    def __init__(
        self,
        error: Error,
        *,
        provider: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(error)
        self.provider = provider
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.error.retryable

    @property
    def code(self) -> str:
        return self.error.code

    def describe(self) -> str:
        """The message and its suggestions, for a terminal or a ``window/showMessage``."""
        lines = [self.error.message]
        lines += [f"  - {s}" for s in self.error.suggestions]
        return "\n".join(lines)

    @classmethod
    def make(
        cls,
        provider: str,
        code: str,
        message: str,
        *,
        retryable: bool = False,
        type: ErrorType = ErrorType.INTEGRATION,
        severity: ErrorSeverity = ErrorSeverity.HIGH,
        status: int | None = None,
        retry_after: float | None = None,
        suggestions: list[str] | None = None,
        description: str = "",
    ) -> ProviderError:
        error = Error(
            code=code,
            type=type,
            severity=severity,
            message=message,
            description=description,
            context=ErrorContext(
                component="providers",
                operation="complete",
                metadata={"provider": provider, **({"status": status} if status else {})},
            ),
            retryable=retryable,
            suggestions=suggestions or [],
        )
        return cls(error, provider=provider, status=status, retry_after=retry_after)

    # -- the failures every adapter maps to ----------------------------------------------------

    @classmethod
    def rate_limited(
        cls, provider: str, detail: str, retry_after: float | None = None
    ) -> ProviderError:
        wait = f" (the server asks to wait {retry_after:g} s)" if retry_after is not None else ""
        return cls.make(
            provider,
            "provider.rate_limited",
            f"{provider}: rate limited (429){wait}: {detail}",
            retryable=True,
            status=429,
            retry_after=retry_after,
            suggestions=["wait and try again, or use a model with a higher quota"],
        )

    @classmethod
    def server_error(
        cls, provider: str, status: int, detail: str, retry_after: float | None = None
    ) -> ProviderError:
        return cls.make(
            provider,
            "provider.server_error",
            f"{provider}: the server failed ({status}): {detail}",
            retryable=True,
            status=status,
            retry_after=retry_after,
            suggestions=["the service may be overloaded: try again shortly"],
        )

    @classmethod
    def timeout(cls, provider: str, seconds: float) -> ProviderError:
        return cls.make(
            provider,
            "provider.timeout",
            f"{provider}: no answer within {seconds:g} s",
            retryable=True,
            type=ErrorType.PERFORMANCE,
            suggestions=[f"raise providers.{provider}.timeout (milliseconds) in .wave/config.yaml"],
        )

    @classmethod
    def unavailable(cls, provider: str, url: str, detail: str, hint: str = "") -> ProviderError:
        return cls.make(
            provider,
            "provider.unavailable",
            f"{provider}: cannot connect to {url}: {detail}",
            retryable=True,
            type=ErrorType.INFRASTRUCTURE,
            suggestions=[hint or f"is the server at {url} running?"],
        )

    @classmethod
    def interrupted(cls, provider: str, detail: str) -> ProviderError:
        return cls.make(
            provider,
            "provider.interrupted",
            f"{provider}: the connection broke during the answer: {detail}",
            retryable=True,
            type=ErrorType.INFRASTRUCTURE,
            suggestions=["try again; if it keeps happening, check the server's logs"],
        )

    @classmethod
    def unauthorized(
        cls, provider: str, status: int, detail: str, key_ref: str | None
    ) -> ProviderError:
        where = (
            f"check the key in {key_ref[4:]}"
            if key_ref and key_ref.startswith("env:")
            else f"check providers.{provider}.apiKey"
        )
        return cls.make(
            provider,
            "provider.unauthorized",
            f"{provider}: the key was refused ({status}): {detail}",
            type=ErrorType.SECURITY,
            status=status,
            suggestions=[where],
        )

    @classmethod
    def model_not_found(cls, provider: str, model: str, detail: str) -> ProviderError:
        return cls.make(
            provider,
            "provider.model_not_found",
            f"{provider}: unknown model '{model}': {detail}",
            type=ErrorType.USER,
            status=404,
            suggestions=[
                f"check the model name, or set providers.{provider}.model in .wave/config.yaml"
            ],
        )

    @classmethod
    def bad_request(cls, provider: str, status: int, detail: str) -> ProviderError:
        return cls.make(
            provider,
            "provider.bad_request",
            f"{provider}: the request was refused ({status}): {detail}",
            type=ErrorType.USER,
            status=status,
        )

    @classmethod
    def bad_response(cls, provider: str, detail: str) -> ProviderError:
        return cls.make(
            provider,
            "provider.bad_response",
            f"{provider}: the server's answer could not be read: {detail}",
            suggestions=["is the base URL right? It must speak this provider's protocol"],
        )

    @classmethod
    def config(cls, provider: str, message: str, suggestions: list[str]) -> ProviderError:
        return cls.make(
            provider,
            "provider.config",
            message,
            type=ErrorType.USER,
            severity=ErrorSeverity.MEDIUM,
            suggestions=suggestions,
        )

    @classmethod
    def from_status(
        cls,
        provider: str,
        status: int,
        detail: str,
        *,
        model: str,
        headers: Mapping[str, str] | None = None,
        key_ref: str | None = None,
    ) -> ProviderError:
        """The error an HTTP status stands for (shared by every adapter)."""
        retry_after = parse_retry_after(headers.get("retry-after") if headers else None)
        if status == 429:
            return cls.rate_limited(provider, detail, retry_after)
        if status in (401, 403):
            return cls.unauthorized(provider, status, detail, key_ref)
        if status == 404:
            return cls.model_not_found(provider, model, detail)
        if status == 408 or status >= 500:
            return cls.server_error(provider, status, detail, retry_after)
        return cls.bad_request(provider, status, detail)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = moment.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds)


def status_detail(error: Any) -> str:
    """The message of an SDK's status error (the openai and anthropic SDKs share the shape:
    ``body`` is ``{"error": {"message": ...}}`` or a string, else ``message``)."""
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return str(error.message)
