"""The Wave seed's persona: security context (permissions and the three kinds of constraint),
capabilities, allowed tools and the AI context (system prompt, temperature, max_tokens)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema, field_validator

from wave_lsp.config.base import WaveModel
from wave_lsp.config.units import ByteSize, Duration, Percent

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
CHECKED_PERMISSIONS = {
    "code:read": "read files of the workspace (and send them to a model)",
    "code:write": "change files (edits, proposals applied)",
    "pipeline:execute": "run pipelines",
}
"""The permissions Wave checks, with what each allows (others may be written: they name
capabilities of the team's own)."""
PERMISSION_PATTERN = r"^[a-z][a-z_]*:[a-z_*][a-z_*]*$"

_HOURS = re.compile(r"^\s*(\d{1,2})\s*-\s*(\d{1,2})\s*$")


def parse_hours(value: Any) -> tuple[int, int]:
    """Parse "9-17" (from 09:00 up to 17:00) into (9, 17)."""
    if isinstance(value, tuple | list) and len(value) == 2:
        start, end = value
    elif isinstance(value, str) and (match := _HOURS.match(value)):
        start, end = int(match.group(1)), int(match.group(2))
    else:
        raise ValueError(f"{value!r} is not a range of hours: write 'START-END', e.g. '9-17'")
    if not (0 <= start <= 23 and 1 <= end <= 24 and start < end):
        raise ValueError(
            f"{value!r} is not a range of hours: START must be 0-23, END 1-24, START before END"
        )
    return int(start), int(end)


HourRange = Annotated[
    tuple[int, int],
    BeforeValidator(parse_hours),
    PlainSerializer(lambda value: f"{value[0]}-{value[1]}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\s*\d{1,2}\s*-\s*\d{1,2}\s*$"}),
]


class DirectoryAccessConstraint(WaveModel):
    type: Literal["directory_access"]
    allowed_paths: list[str] = Field(default_factory=list)
    """Paths the persona may read and write (after resolving '..' and symlinks)."""
    denied_paths: list[str] = Field(default_factory=list)
    """Paths refused even inside an allowed path."""


class ResourceLimitsConstraint(WaveModel):
    type: Literal["resource_limits"]
    max_memory: ByteSize | None = None
    max_cpu: Percent | None = None
    max_processes: int | None = Field(default=None, ge=1)


class TimeConstraint(WaveModel):
    type: Literal["time_constraints"]
    max_execution_time: Duration | None = None
    allowed_hours: HourRange | None = None
    time_zone: str | None = None
    """The IANA time zone of ``allowed_hours`` (e.g. 'Europe/Paris'); UTC when not given."""

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise ValueError(
                    f"{value!r} is not a time zone: use an IANA name such as 'Europe/Paris'"
                ) from error
        return value


Constraint = Annotated[
    DirectoryAccessConstraint | ResourceLimitsConstraint | TimeConstraint,
    Field(discriminator="type"),
]


class SecurityContext(WaveModel):
    user_id: str | None = None
    group_id: str | None = None
    permissions: list[Annotated[str, Field(pattern=PERMISSION_PATTERN)]] = Field(
        default_factory=list
    )
    """Permissions as 'area:action', e.g. 'code:read', 'pipeline:execute'."""
    constraints: list[Constraint] = Field(default_factory=list)


class AIContext(WaveModel):
    system_prompt: str = ""
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    max_tokens: int = Field(default=4000, ge=1)


TOOL_RULE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\(.+\))?$"
ToolRule = Annotated[str, Field(pattern=TOOL_RULE_PATTERN)]


class ToolRules(WaveModel):
    """Approval rules for an agent's tool calls, in Claude Code's shape: ``Tool`` or
    ``Tool(specifier)`` (a path glob for file tools, a command prefix like ``git:*`` or a glob
    for ``run_command``/``Bash``). ``deny`` is checked first, then ``ask``, then ``allow``; the
    first match decides."""

    allow: list[ToolRule] = Field(default_factory=list)
    ask: list[ToolRule] = Field(default_factory=list)
    deny: list[ToolRule] = Field(default_factory=list)


class Persona(WaveModel):
    """The Wave seed's persona definition."""

    name: str = Field(pattern=NAME_PATTERN)
    display_name: str | None = None
    description: str = ""
    security_context: SecurityContext = Field(default_factory=SecurityContext)
    capabilities: list[str] = Field(default_factory=list)
    tools_allowed: list[str] = Field(default_factory=list)
    ai_context: AIContext = Field(default_factory=AIContext)
    tool_rules: ToolRules = Field(default_factory=ToolRules)
    """What its agent's tool calls need: allowed, asked for, or denied (checked before the
    configuration's ``agent.tool_rules``)."""


class PersonaFile(WaveModel):
    """A file of ``.wave/personas/``: one ``persona:`` document."""

    persona: Persona
