"""The Wave seed's Context and the Zulu Pilot seed's FileContext, Message/Content and
ConversationCheckpoint."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, model_validator

from wave_lsp.config.base import CamelModel, WaveModel


class ContextType(StrEnum):
    TASK = "task"
    PIPELINE = "pipeline"
    SESSION = "session"
    SYSTEM = "system"


class CompressionType(StrEnum):
    NONE = "none"
    GZIP = "gzip"
    LZ4 = "lz4"


class PersistenceType(StrEnum):
    MEMORY = "memory"
    FILE = "file"
    DATABASE = "database"


class ContextMetadata(WaveModel):
    tags: list[str] = Field(default_factory=list)
    owner: str = ""
    scope: str = ""
    priority: int = 0
    version: str = "1"
    annotations: dict[str, str] = Field(default_factory=dict)


class Context(WaveModel):
    """The Wave seed's context: data kept for a task, a pipeline, a session or the system."""

    id: str
    type: ContextType
    persona: str = ""
    pipeline: str = ""
    task: str = ""
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    metadata: ContextMetadata = Field(default_factory=ContextMetadata)
    size: int = Field(default=0, ge=0)
    token_count: int = Field(default=0, ge=0)
    compression: CompressionType = CompressionType.NONE
    persistence: PersistenceType = PersistenceType.MEMORY


MAX_FILE_CONTEXT_BYTES = 1_000_000
"""The seed's default maximum size of a file in context (1 MB)."""


class FileContext(CamelModel):
    """A file added to a conversation's context (Zulu Pilot seed)."""

    path: str
    content: str
    size: int = Field(ge=0)
    last_modified: datetime | float
    """A timestamp: a date, or seconds since the epoch."""
    estimated_tokens: int | None = Field(default=None, ge=0)


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


class Content(CamelModel):
    type: Literal["text", "image", "file"]
    text: str | None = None
    data: str | None = None
    """Base64 for images and files."""
    mime_type: str | None = None

    @model_validator(mode="after")
    def _has_payload(self) -> Content:
        if self.type == "text" and self.text is None:
            raise ValueError("a text content needs 'text'")
        if self.type != "text" and self.data is None:
            raise ValueError(f"an {self.type} content needs 'data' (base64)")
        return self


class Message(CamelModel):
    """One message of a conversation (Zulu Pilot seed)."""

    role: Role
    content: str | list[Content]
    timestamp: datetime | float | None = None

    @model_validator(mode="after")
    def _non_empty(self) -> Message:
        if not self.content:
            raise ValueError("a message's content must not be empty")
        return self


class ConversationCheckpoint(CamelModel):
    """A saved conversation, to resume later (Zulu Pilot seed)."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    created_at: datetime | float
    updated_at: datetime | float
    message_count: int = Field(ge=0)
    context_files: list[FileContext] = Field(default_factory=list)
    conversation_history: list[Message] = Field(default_factory=list)
    current_provider: str
    current_model: str | None = None
    persona: str | None = None
    """The persona selected when it was saved (Wave's addition to the seed)."""
    applied_proposals: list[str] = Field(default_factory=list)
    """The proposals applied since the previous checkpoint, oldest first (Wave's addition)."""

    @model_validator(mode="after")
    def _count_matches(self) -> ConversationCheckpoint:
        if self.message_count != len(self.conversation_history):
            raise ValueError(
                f"messageCount is {self.message_count} but conversationHistory holds "
                f"{len(self.conversation_history)} messages"
            )
        return self
