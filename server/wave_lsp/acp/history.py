"""ACP sessions as checkpoints: the list (``session/list``), a loaded one's conversation replayed
as ``session/update``s, a session's title, and the slash commands announced to the client."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acp.schema import AvailableCommandsUpdate, SessionInfo

from acp import update_agent_message_text, update_user_message_text

if TYPE_CHECKING:
    from acp import Client
    from wave_lsp.context.models import ConversationCheckpoint
    from wave_lsp.session.core import Session

log = logging.getLogger(__name__)
TITLE_CHARS = 60


def title(session: Session) -> str:
    """A session's name: the start of its first question."""
    from wave_lsp.session.conversation import message_text

    for message in session.conversation.messages:
        if message.role.value == "user":
            line = next(iter(message_text(message).strip().splitlines()), "")
            return (line[: TITLE_CHARS - 1] + "…") if len(line) > TITLE_CHARS else line or "session"
    return "session"


def sessions(roots: list[Path]) -> list[SessionInfo]:
    """Every checkpoint of these workspaces, newest first (an unreadable one is left out and
    logged: it cannot be loaded)."""
    from wave_lsp.config.paths import workspace_state_dir
    from wave_lsp.context.checkpoints import CheckpointStore

    listed: list[tuple[str, SessionInfo]] = []
    for root in roots:
        resolved = root.resolve()
        for entry in CheckpointStore(workspace_state_dir(resolved) / "checkpoints").list():
            if "error" in entry:
                log.warning("%s", entry["error"])
                continue
            updated = str(entry.get("updatedAt") or entry.get("createdAt") or "")
            info = SessionInfo(
                session_id=str(entry["id"]),
                cwd=str(resolved),
                title=str(entry.get("name") or ""),
                updated_at=updated or None,
            )
            listed.append((updated, info))
    return [info for _, info in sorted(listed, key=lambda pair: pair[0], reverse=True)]


async def replay(client: Client, session_id: str, checkpoint: ConversationCheckpoint) -> None:
    """The conversation as the client shows it: each question a user message, each answer an
    agent message, in order."""
    from wave_lsp.session.conversation import message_text

    for message in checkpoint.conversation_history:
        text = message_text(message)
        if message.role.value == "user":
            update: Any = update_user_message_text(text)
        elif message.role.value == "assistant":
            update = update_agent_message_text(text)
        else:
            continue  # a system note (a summary) is the model's, not the user's
        await client.session_update(session_id=session_id, update=update)


async def announce(client: Client, session_id: str, commands: list[Any]) -> None:
    """Sent just after the session's answer (the client knows the session by then: the SDK
    writes the answer as soon as the handler returns)."""
    await asyncio.sleep(0.005)
    try:
        await client.session_update(
            session_id=session_id,
            update=AvailableCommandsUpdate(
                session_update="available_commands_update", available_commands=commands
            ),
        )
    except Exception as error:  # the client went away: nothing to tell
        log.info("the slash commands were not sent: %s", error)
