"""Settings an editor sends (``initializationOptions`` and ``workspace/configuration`` section
``wave``), typed, and falling back to defaults field by field when a value is invalid."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationError

from wave_lsp.config.base import CamelModel
from wave_lsp.config.client_settings_section import SETTINGS_SECTION
from wave_lsp.config.system import LogLevel

__all__ = ["SETTINGS_SECTION", "ClientSettings", "parse_client_settings"]


class ClientSettings(CamelModel):
    log_level: LogLevel | None = None
    """Overrides the configuration's server.log_level."""
    debounce_ms: int | None = Field(default=None, ge=0, le=10_000)
    """How long typing must pause before a document is checked again. Not set: half as long as
    the document's last check took (at most 150 ms; 150 ms for ``.wave`` configuration files),
    so cheap checks follow the typing closely and costly ones wait for a pause."""
    persona: str | None = None
    """The active persona; the configuration's default persona when not given."""
    model: str | None = None
    """``provider:model`` (or a model of the default provider) for AI actions."""
    config: dict[str, Any] = Field(default_factory=dict)
    """A layer of configuration with the shape of ``.wave/config.yaml``, above the files."""
    action_timeout_ms: int = Field(default=300_000, ge=1000, le=3_600_000)
    """How long an AI action may run (model calls and retries included) before it is stopped."""
    disabled_actions: list[
        Literal["fix", "explain", "refactor", "docstrings", "tests", "review", "pipeline"]
    ] = Field(default_factory=list)
    """AI actions not to offer."""


CLIENT_SIDE_KEYS = frozenset({"server", "trace"})
"""Keys of the editors' ``wave`` section that only the client reads (how to start the server,
message tracing): VS Code sends the whole section, so they are dropped, not reported."""


def parse_client_settings(data: Any) -> tuple[ClientSettings, list[str]]:
    """Typed settings and the reasons any part of ``data`` was ignored. Never raises."""
    if data is None:
        return ClientSettings(), []
    if not isinstance(data, dict):
        return ClientSettings(), [f"settings must be an object, got {type(data).__name__}"]
    if SETTINGS_SECTION in data and isinstance(data[SETTINGS_SECTION], dict) and len(data) == 1:
        data = data[SETTINGS_SECTION]  # accept {"wave": {...}} as well as {...}
    data = {k: v for k, v in data.items() if k not in CLIENT_SIDE_KEYS}
    try:
        return ClientSettings.model_validate(data), []
    except ValidationError as error:
        problems: list[str] = []
        bad: set[str] = set()
        for detail in error.errors():
            key = str(detail["loc"][0]) if detail["loc"] else ""
            bad.add(key)
            where = ".".join(str(part) for part in detail["loc"]) or "settings"
            problems.append(f"{where}: {detail['msg']} (using the default)")
        kept = {k: v for k, v in data.items() if k not in bad}
        try:
            return ClientSettings.model_validate(kept), problems
        except ValidationError:
            return ClientSettings(), problems
