"""The Wave seed's relay messages: Message with its headers, the coding agent's request and
response payloads, and the Actions a response asks for."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field

from wave_lsp.config.base import WaveModel
from wave_lsp.validation.models import ValidationRule


class MessageType(StrEnum):
    REQUEST = "request"
    RESPONSE = "response"
    EVENT = "event"
    COMMAND = "command"
    NOTIFICATION = "notification"


class MessageHeaders(WaveModel):
    content_type: str = "application/json"
    encoding: str = "utf-8"
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, str] = Field(default_factory=dict)


class Message(WaveModel):
    id: str
    type: MessageType
    version: str = "1.0"
    from_: str = Field(alias="from")
    to: str
    reply_to: str | None = None
    timestamp: datetime
    ttl: timedelta | None = None
    payload: Any = None
    headers: MessageHeaders = Field(default_factory=MessageHeaders)
    priority: int = 0
    correlation_id: str | None = None


class ActionType(StrEnum):
    FILE_WRITE = "file_write"
    FILE_READ = "file_read"
    EXECUTE = "execute"
    GIT_COMMAND = "git_command"
    API_CALL = "api_call"


class Action(WaveModel):
    type: ActionType
    target: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    required: bool = False
    validate_: ValidationRule | None = Field(default=None, alias="validate")


class ClaudeRequest(WaveModel):
    prompt: str
    context: dict[str, Any] = Field(default_factory=dict)
    persona: str
    workspace: str = ""
    tools: list[str] = Field(default_factory=list)
    constraints: dict[str, Any] = Field(default_factory=dict)


class ClaudeResponse(WaveModel):
    content: str = ""
    actions: list[Action] = Field(default_factory=list)
    tokens_used: int = Field(default=0, ge=0)
    duration: timedelta = timedelta(0)
    success: bool
    error: str | None = None
    context: dict[str, Any] = Field(default_factory=dict)
