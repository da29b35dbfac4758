"""Conversation checkpoints (the Zulu seed's ConversationCheckpoint): one JSON file each under
the state directory, written atomically, validated when read — a corrupted file is a clear
error naming the file, never a crash."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from wave_lsp.config.atomic import atomic_write_text
from wave_lsp.context.models import ConversationCheckpoint, FileContext, Message


class CheckpointError(ValueError):
    pass


def new_checkpoint_id() -> str:
    return f"c-{secrets.token_hex(4)}"


class CheckpointStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, checkpoint_id: str) -> Path:
        if not checkpoint_id.replace("-", "").isalnum():
            raise CheckpointError(f"{checkpoint_id!r} is not a checkpoint id")
        return self.directory / f"{checkpoint_id}.json"

    def save(
        self,
        name: str,
        history: Sequence[Message],
        files: Sequence[FileContext],
        provider: str,
        model: str | None,
        *,
        persona: str | None = None,
        applied: Sequence[str] = (),
        checkpoint_id: str | None = None,
    ) -> ConversationCheckpoint:
        """A new checkpoint, or with ``checkpoint_id`` that checkpoint kept up to date (saved
        over, its creation time kept: an ACP session's own checkpoint)."""
        now = datetime.now(UTC)
        created: datetime | float = now
        if checkpoint_id is not None and self._path(checkpoint_id).is_file():
            with contextlib.suppress(CheckpointError):  # an unreadable one is replaced
                created = self.load(checkpoint_id).created_at
        checkpoint = ConversationCheckpoint(
            id=checkpoint_id or new_checkpoint_id(),
            name=name,
            created_at=created,
            updated_at=now,
            message_count=len(history),
            context_files=list(files),
            conversation_history=list(history),
            current_provider=provider,
            current_model=model,
            persona=persona,
            applied_proposals=list(applied),
        )
        atomic_write_text(self._path(checkpoint.id), checkpoint.model_dump_json(indent=2))
        return checkpoint

    def load(self, checkpoint_id: str) -> ConversationCheckpoint:
        path = self._path(checkpoint_id)
        if not path.is_file():
            raise CheckpointError(f"no checkpoint '{checkpoint_id}'")
        try:
            checkpoint = ConversationCheckpoint.model_validate_json(path.read_text("utf-8"))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the file"
            raise CheckpointError(
                f"{path}: not a valid checkpoint: {where}: {first['msg']} "
                f"({error.error_count()} problem{'s' * (error.error_count() != 1)}); "
                "delete it with wave.checkpoint.delete"
            ) from error
        except (OSError, UnicodeDecodeError) as error:
            raise CheckpointError(f"{path}: cannot read: {error}") from error
        if checkpoint.id != checkpoint_id:
            raise CheckpointError(
                f"{path}: holds the checkpoint '{checkpoint.id}', not '{checkpoint_id}'"
            )
        return checkpoint

    def list(self) -> list[dict[str, object]]:
        """Every checkpoint, newest first; unreadable ones listed with their error."""
        if not self.directory.is_dir():
            return []
        entries: list[dict[str, object]] = []
        seen: set[str] = set()
        for path in sorted(self.directory.glob("c-*.json")):
            try:
                checkpoint = self.load(path.stem)
            except CheckpointError as error:
                entries.append({"id": path.stem, "error": str(error)})
                continue
            if checkpoint.id in seen:  # cannot happen with ids from file names; kept for safety
                continue
            seen.add(checkpoint.id)
            created = checkpoint.created_at
            entries.append(
                {
                    "id": checkpoint.id,
                    "name": checkpoint.name,
                    "createdAt": created.isoformat() if isinstance(created, datetime) else created,
                    "updatedAt": _iso(checkpoint.updated_at),
                    "messageCount": checkpoint.message_count,
                    "files": [f.path for f in checkpoint.context_files],
                    "provider": checkpoint.current_provider,
                    "model": checkpoint.current_model,
                    "persona": checkpoint.persona,
                }
            )
        return sorted(entries, key=lambda e: json.dumps(e.get("createdAt", "")), reverse=True)

    def delete(self, checkpoint_id: str) -> None:
        path = self._path(checkpoint_id)
        if not path.is_file():
            raise CheckpointError(f"no checkpoint '{checkpoint_id}'")
        path.unlink()


def _iso(moment: datetime | float) -> str:
    if isinstance(moment, datetime):
        return moment.isoformat()
    return datetime.fromtimestamp(moment, UTC).isoformat()
