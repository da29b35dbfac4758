"""API keys: a literal, or ``env:VAR`` read from the environment at the moment of use. A key is
never logged, never put in an error message, never written back to a file."""

from __future__ import annotations

import os
from collections.abc import Mapping

from wave_lsp.providers.errors import ProviderError
from wave_lsp.providers.models import ENV_PREFIX, ProviderConfiguration


def resolve_key(
    config: ProviderConfiguration, environ: Mapping[str, str] | None = None
) -> str | None:
    """The provider's key, or ``None`` when it has none. An ``env:VAR`` naming an unset or empty
    variable is an error that names the variable to set."""
    reference = config.api_key
    if reference is None:
        return None
    if not reference.startswith(ENV_PREFIX):
        return reference
    variable = reference[len(ENV_PREFIX) :]
    value = (os.environ if environ is None else environ).get(variable, "")
    if not value:
        raise ProviderError.config(
            config.name,
            f"{config.name}: the API key is read from ${variable}, which is not set",
            suggestions=[f"export {variable}=... in the environment the editor or wave runs in"],
        )
    return value
