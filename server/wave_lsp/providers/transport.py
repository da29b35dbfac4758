"""Transport failures (refused connections, stalls, resets) as provider errors, for every SDK.

The ``openai`` SDK runs on ``httpx2``, ``ollama`` and our Gemini adapter on ``httpx``: their
exception classes are distinct but share names, so they are recognised by the names in their MRO.
"""

from __future__ import annotations

from wave_lsp.providers.errors import ProviderError

_CONNECT = frozenset({"ConnectError", "ConnectTimeout", "ConnectionRefusedError"})
_TIMEOUT = frozenset({"ReadTimeout", "WriteTimeout", "PoolTimeout", "TimeoutException"})
_BROKEN = frozenset(
    {
        "RemoteProtocolError",
        "ReadError",
        "WriteError",
        "NetworkError",
        "ConnectionResetError",
        "IncompleteRead",
    }
)


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def map_transport_error(
    exc: BaseException, *, provider: str, url: str, timeout: float, hint: str = ""
) -> ProviderError | None:
    """The provider error for a transport exception, or ``None`` when ``exc`` is not one."""
    names = _names(exc)
    cause = exc.__cause__ or exc.__context__
    if cause is not None:
        names |= _names(cause)
    detail = str(exc) or type(exc).__name__
    if cause is not None and str(cause) and str(cause) not in detail:
        detail = f"{detail} ({cause})"
    if names & _CONNECT:
        return ProviderError.unavailable(provider, url, detail, hint)
    if names & _TIMEOUT:
        return ProviderError.timeout(provider, timeout)
    if names & _BROKEN:
        return ProviderError.interrupted(provider, detail)
    return None
