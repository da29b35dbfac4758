"""The session's conversation: a seed Context of type ``session`` whose data holds the messages
(the Zulu seed's Message), appended by every ask and action and sent as history with the next
request within its token budget. Kept by the seed's :class:`ContextStore` — on disk when
``context.persistence_enabled`` says so, compressed as ``context.compression`` says, gone after
``context.session_ttl`` without a message — and compacted once it passes
``context.compaction_threshold`` of its budget: the oldest messages summarised by the model, the
newest kept word for word, the context's annotations saying so."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from wave_lsp.context.models import (
    CompressionType,
    Context,
    ContextMetadata,
    ContextType,
    Message,
    PersistenceType,
    Role,
)
from wave_lsp.context.store import KEEP_VERBATIM, ContextStore, ContextStoreError
from wave_lsp.context.tokens import estimate_tokens
from wave_lsp.providers.types import ChatMessage

SUMMARY_PREFIX = "Summary of the conversation so far"
Summarize = Callable[[str], Awaitable[str]]
"""Turns a transcript into its summary (a model call)."""


def conversation_id(root: Path) -> str:
    """The id of a workspace root's conversation (one per root, stable across restarts)."""
    resolved = root.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:16]
    return f"session-{digest}"


def message_text(message: Message) -> str:
    if isinstance(message.content, str):
        return message.content
    return "\n".join(part.text or "" for part in message.content if part.type == "text")


class Conversation:
    def __init__(
        self,
        root: Path,
        store: ContextStore,
        *,
        persist: bool = False,
        compression: CompressionType = CompressionType.NONE,
        ttl: timedelta | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        thread: str = "",
    ) -> None:
        self.id = conversation_id(root) + (f"-{thread}" if thread else "")
        self.store = store
        self.persist = persist
        self.compression = compression
        self.ttl = ttl
        self.clock = clock
        self.problem: str | None = None
        """Why a stored conversation could not be read (it is started afresh, and said so)."""
        try:
            context = store.get(self.id)
        except ContextStoreError as error:
            self.problem = str(error)
            context = None
        self.context = context or self._new()
        self.context.persistence = PersistenceType.FILE if persist else PersistenceType.MEMORY
        self.context.compression = compression

    def _new(self) -> Context:
        now = self.clock()
        return Context(
            id=self.id,
            type=ContextType.SESSION,
            created_at=now,
            updated_at=now,
            data={"messages": []},
            metadata=ContextMetadata(scope="conversation"),
        )

    # -- reading ---------------------------------------------------------------------------

    @property
    def messages(self) -> list[Message]:
        return [Message.model_validate(m) for m in self.context.data.get("messages", [])]

    def __len__(self) -> int:
        return len(self.context.data.get("messages", []))

    def tokens(self) -> int:
        return sum(estimate_tokens(message_text(m)) + 4 for m in self.messages)

    def history(self, limit: int) -> list[ChatMessage]:
        """The newest messages that fit in ``limit`` tokens, oldest first (a summary left by
        compaction counts as any other message)."""
        kept: list[ChatMessage] = []
        used = 0
        for message in reversed(self.messages):
            text = message_text(message)
            cost = estimate_tokens(text) + 4
            if used + cost > limit:
                break
            used += cost
            role = "system" if message.role is Role.SYSTEM else message.role.value
            kept.append(ChatMessage(role, text))  # type: ignore[arg-type]
        return kept[::-1]

    def compaction(self) -> dict[str, str] | None:
        """What the last compaction did (for the context report), if one happened."""
        notes = self.context.metadata.annotations
        if "compacted_at" not in notes:
            return None
        return {k: v for k, v in notes.items() if k.startswith("compacted_")}

    # -- changing --------------------------------------------------------------------------

    def append(self, role: Role, text: str) -> None:
        if not text:
            return
        message = Message(role=role, content=text, timestamp=self.clock())
        self.context.data.setdefault("messages", []).append(message.model_dump(mode="json"))
        self._save()

    def replace(self, messages: Sequence[Message]) -> None:
        self.context.data["messages"] = [m.model_dump(mode="json") for m in messages]
        self.context.metadata.annotations.clear()
        self._save()

    def clear(self) -> None:
        self.replace([])

    def _save(self) -> None:
        if self.ttl is not None:
            self.context.expires_at = self.clock() + self.ttl
        self.store.put(self.context)

    async def compact_if_needed(self, limit: int, threshold: float, summarize: Summarize) -> bool:
        """Compact once the conversation passes ``threshold`` (0-1) of ``limit`` tokens: the
        messages before the newest :data:`KEEP_VERBATIM` become one summary. Whether it did."""
        messages = self.messages
        if self.tokens() <= threshold * limit or len(messages) <= KEEP_VERBATIM:
            return False
        old, recent = messages[:-KEEP_VERBATIM], messages[-KEEP_VERBATIM:]
        transcript = "\n\n".join(f"{m.role.value}: {message_text(m)}" for m in old)
        summary = (await summarize(transcript)).strip()
        if not summary:
            return False
        before = self.tokens()
        summary_message = Message(
            role=Role.SYSTEM,
            content=f"{SUMMARY_PREFIX} ({len(old)} earlier messages): {summary}",
            timestamp=self.clock(),
        )
        self.context.data["messages"] = [
            m.model_dump(mode="json") for m in (summary_message, *recent)
        ]
        notes: dict[str, Any] = self.context.metadata.annotations
        notes["compacted_at"] = self.clock().isoformat()
        notes["compacted_messages"] = str(len(old))
        notes["compacted_from_tokens"] = str(before)
        notes["compacted_to_tokens"] = str(self.tokens())
        self._save()
        return True
