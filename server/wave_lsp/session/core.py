"""One :class:`Session` per workspace root: what a user builds up while working — the active
persona, the files added to the context, the conversation, checkpoints — held once and used by
every front end (the language server, ``wave chat``). No protocol is known here: the front ends
convert their requests and hand them in.

A session's methods read and write files (the conversation, checkpoints): front ends on an event
loop call them on a worker thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from wave_lsp.config.paths import workspace_state_dir
from wave_lsp.context.checkpoints import CheckpointError, CheckpointStore
from wave_lsp.context.models import ConversationCheckpoint, FileContext, Role
from wave_lsp.context.store import ContextStore, storage_dir
from wave_lsp.session.conversation import Conversation
from wave_lsp.session.files import ContextFiles

if TYPE_CHECKING:
    from wave_lsp.config.system import ContextSettings
    from wave_lsp.config.workspace import WaveWorkspace
    from wave_lsp.personas.guard import PersonaGuard

UNDO_NAME = "before restoring"
CONFIG_NAMES = ("config.yaml", "config.yml")


class SessionError(Exception):
    """What a user asked cannot be done: the message says why and what to do instead."""


def config_problem(workspace: WaveWorkspace) -> str | None:
    """The configuration's first error (``file:line:col: message``), when it has one: an AI
    request is then refused, never sent to a model the user did not choose."""
    for problem in sorted(workspace.problems, key=lambda p: p.sort_key()):
        if problem.severity.value == "error" and Path(problem.path).name in CONFIG_NAMES:
            return problem.format()
    return None


@dataclass(slots=True)
class Restored:
    checkpoint: ConversationCheckpoint
    undo: str
    """The checkpoint of the state before the restore (``undo`` returns to it)."""
    refused: list[dict[str, str]] = field(default_factory=list)


class Session:
    def __init__(
        self, root: Path, session_id: str, settings: ContextSettings, *, thread: str = "",
        allowed: list[str] | None = None,
    ) -> None:  # fmt: skip
        """``thread``: a conversation of its own (an ACP session's) instead of the root's one
        conversation that the language server and ``wave chat`` share. ``allowed``: the only
        personas this session may use (a daemon user's; the first is theirs by default)."""
        self.root = root
        self.allowed = allowed
        self.session_id = session_id
        self.files = ContextFiles()
        self.persona: str | None = None
        """Chosen with ``select_persona`` (``None``: the settings' or the configuration's)."""
        self.model: str | None = None
        """Chosen with ``select_model`` (``provider:model``; ``None``: the settings')."""
        self.settings = settings
        store = ContextStore(storage_dir(settings), compaction_threshold=1.0)
        self.conversation = Conversation(
            root,
            store,
            persist=settings.persistence_enabled,
            compression=settings.compression,
            ttl=settings.session_ttl,
            thread=thread,
        )
        self.checkpoints = CheckpointStore(workspace_state_dir(root) / "checkpoints")
        self.undo_id: str | None = None
        self.lock = threading.Lock()
        """Held while the conversation changes (two requests of one session may overlap)."""
        self.on_persona: Callable[[Path], None] = lambda root: None
        """Called with the root when the persona changes (a restore included)."""

    # -- persona ---------------------------------------------------------------------------

    def persona_name(self, default: str | None = None) -> str | None:
        return self.persona or default

    def select_persona(self, name: str, workspace: WaveWorkspace) -> None:
        known = sorted(workspace.personas)
        if name not in known:
            raise SessionError(f"no persona named {name!r}: choose one of {', '.join(known)}")
        self._check_allowed(name)
        self.persona = name
        self.on_persona(self.root)

    def guard(self, workspace: WaveWorkspace, default: str | None = None) -> PersonaGuard:
        """The active persona's guard: every check and refusal of every front end goes
        through it, and into the audit log."""
        from wave_lsp.personas.guard import UnknownPersona, guard_for

        name = self.persona_name(default)
        if self.allowed is not None:
            if name is None and workspace.config.security.personas.default_persona not in (
                self.allowed
            ):
                name = self.allowed[0]  # the configuration's default is not this user's
            self._check_allowed(name or workspace.config.security.personas.default_persona)
        try:
            return guard_for(workspace, name, self.root, session_id=self.session_id)
        except UnknownPersona as error:
            raise SessionError(str(error)) from error

    def _check_allowed(self, name: str) -> None:
        if self.allowed is not None and name not in self.allowed:
            raise SessionError(
                f"persona {name!r} is not yours here: you may use {', '.join(self.allowed)} "
                "(the daemon's users file)"
            )

    # -- the conversation ------------------------------------------------------------------

    def record(self, user: str, answer: str) -> None:
        """One exchange, appended to the conversation (and stored)."""
        with self.lock:
            self.conversation.append(Role.USER, user)
            self.conversation.append(Role.ASSISTANT, answer)

    def clear_conversation(self) -> None:
        with self.lock:
            self.conversation.clear()

    # -- checkpoints -----------------------------------------------------------------------

    def save_checkpoint(
        self,
        name: str,
        provider: str,
        model: str | None,
        applied: Sequence[str] = (),
        checkpoint_id: str | None = None,
    ) -> ConversationCheckpoint:
        """The session's state as a new checkpoint (or saved over ``checkpoint_id``)."""
        files = []
        for path in self.files:
            try:
                stat = path.stat()
            except OSError:
                continue
            files.append(
                FileContext(
                    path=path.relative_to(self.root).as_posix(),
                    content="",
                    size=stat.st_size,
                    last_modified=stat.st_mtime,
                )
            )
        return self.checkpoints.save(
            name,
            self.conversation.messages,
            files,
            provider,
            model,
            persona=self.persona,
            applied=list(applied),
            checkpoint_id=checkpoint_id,
        )

    def restore_checkpoint(
        self,
        checkpoint_id: str,
        check_path: Callable[[str], Path],
        provider: str,
        model: str | None,
    ) -> Restored:
        """Restore a checkpoint's conversation, files, persona and model, after saving the
        current state as a checkpoint of its own (``undo_restore`` goes back to it: a restore
        never destroys work). ``check_path`` is the persona's read check of each file."""
        try:
            checkpoint = self.checkpoints.load(checkpoint_id)
        except CheckpointError as error:
            raise SessionError(str(error)) from error
        before = self.save_checkpoint(f"{UNDO_NAME} {checkpoint_id}", provider, model)
        refused = self._take(checkpoint, check_path)
        self.undo_id = before.id
        return Restored(checkpoint, before.id, refused)

    def resume(self, checkpoint_id: str, check_path: Callable[[str], Path]) -> Restored:
        """Go on with a checkpoint of this session's own thread (an ACP session's): its
        conversation, files, persona and model taken as they are (nothing of another thread is
        replaced, so nothing is kept first)."""
        try:
            checkpoint = self.checkpoints.load(checkpoint_id)
        except CheckpointError as error:
            raise SessionError(str(error)) from error
        return Restored(checkpoint, "", self._take(checkpoint, check_path))

    def undo_restore(self, check_path: Callable[[str], Path]) -> ConversationCheckpoint:
        if self.undo_id is None:
            raise SessionError("no checkpoint was restored in this session: nothing to undo")
        try:
            checkpoint = self.checkpoints.load(self.undo_id)
        except CheckpointError as error:
            raise SessionError(str(error)) from error
        self._take(checkpoint, check_path)
        self.undo_id = None
        return checkpoint

    def _take(
        self, checkpoint: ConversationCheckpoint, check_path: Callable[[str], Path]
    ) -> list[dict[str, str]]:
        restored: list[Path] = []
        refused = []
        for file in checkpoint.context_files:
            try:
                restored.append(check_path(file.path))
            except Exception as error:  # the persona's refusal, or a file gone
                refused.append({"path": file.path, "reason": str(error)})
        with self.lock:
            self.files.replace(restored)
            self.conversation.replace(checkpoint.conversation_history)
        if checkpoint.persona and checkpoint.persona != self.persona:
            self.persona = checkpoint.persona
            self.on_persona(self.root)
        if checkpoint.current_model:
            self.model = f"{checkpoint.current_provider}:{checkpoint.current_model}"
        return refused

    def last_checkpoint_time(self) -> float:
        """When the newest checkpoint was saved (seconds since the epoch; 0 when none was)."""
        times = [
            datetime.fromisoformat(str(entry["createdAt"])).timestamp()
            for entry in self.checkpoints.list()
            if isinstance(entry.get("createdAt"), str)
        ]
        return max(times, default=0.0)

    def checkpoint_time(self, checkpoint: ConversationCheckpoint) -> float:
        created = checkpoint.created_at
        return created.timestamp() if isinstance(created, datetime) else float(created)
