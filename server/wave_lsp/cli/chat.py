"""``wave chat``: the Zulu seed's terminal experience on the session core — a prompt loop whose
answers stream, with the session's context files, conversation, persona, model, checkpoints and
proposals driven by slash commands. Line editing and history come from the standard library's
``readline``; Ctrl-C stops the answer in flight and stays in the chat. When standard input is not
a terminal, its lines are read one by one (questions and commands alike), with no prompt.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from wave_lsp.config.workspace import WaveWorkspace
    from wave_lsp.personas.guard import PersonaGuard
    from wave_lsp.providers.base import Provider
    from wave_lsp.session.core import Session
    from wave_lsp.session.proposals import Proposals

EXIT_OK = 0
EXIT_USAGE = 2
HELP = """\
/add PATH              add a file to the context      /drop PATH   remove it
/context               what the next request carries  /history     the conversation
/persona NAME          act as another persona         /model PROVIDER:MODEL
/checkpoint save NAME | list | restore ID|NAME | undo
/proposals             the proposals                  /apply [ID]  write one  /reject [ID]
/clear                 forget the conversation        /quit        leave (also Ctrl-D)
Anything else is a question; Ctrl-C stops an answer."""


class ChatError(Exception):
    pass


class Chat:
    def __init__(
        self,
        root: Path,
        workspace: WaveWorkspace,
        session: Session,
        proposals: Proposals,
        *,
        out: TextIO,
        err: TextIO,
        model: str | None = None,
    ) -> None:
        self.root = root
        self.workspace = workspace
        self.session = session
        self.proposals = proposals
        self.out = out
        self.err = err
        self.default_model = model
        self.answering: asyncio.Task[object] | None = None
        from wave_lsp.providers.registry import ProviderRegistry

        self.registry = ProviderRegistry.from_config(workspace.config.providers)
        """Made once: a provider (and its SDK client) serves every question of the chat."""
        self.commands: dict[str, Callable[[list[str]], Awaitable[None]]] = {
            "add": self.add,
            "drop": self.drop,
            "context": self.context,
            "history": self.history,
            "persona": self.persona,
            "model": self.model,
            "checkpoint": self.checkpoint,
            "proposals": self.list_proposals,
            "apply": self.apply,
            "reject": self.reject,
            "clear": self.clear,
            "help": self.help,
        }

    # -- the parts of a request ----------------------------------------------------------------

    def guard(self) -> PersonaGuard:
        from wave_lsp.session.core import SessionError

        try:
            return self.session.guard(self.workspace)
        except SessionError as error:
            raise ChatError(str(error)) from error

    def provider(self) -> tuple[Provider, str]:
        from wave_lsp.errors import WaveError

        try:
            return self.registry.resolve(self.session.model or self.default_model)
        except WaveError as error:
            hints = "; ".join(error.error.suggestions)
            raise ChatError(error.error.message + (f" ({hints})" if hints else "")) from error

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # -- a line --------------------------------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """One line: a command or a question. ``False`` when the chat ends."""
        line = line.strip()
        if not line:
            return True
        if line in ("/quit", "/exit", "/q"):
            return False
        try:
            if line.startswith("/"):
                name, *words = shlex.split(line[1:]) or [""]
                handler = self.commands.get(name)
                if handler is None:
                    raise ChatError(f"/{name}: no such command (/help lists them)")
                await handler(words)
            else:
                await self.ask(line)
        except ChatError as error:
            print(f"wave: {error}", file=self.err, flush=True)
        return True

    async def ask(self, question: str) -> None:
        from wave_lsp.actions.run import ActionError, ActionKind, ActionRequest, run_action
        from wave_lsp.errors import WaveError

        provider, model = self.provider()
        guard = self.guard()
        context = self.workspace.config.context

        def read(path: Path) -> str | None:
            try:
                return path.read_text(encoding="utf-8")
            except (FileNotFoundError, IsADirectoryError):
                return None

        def stream(text: str) -> None:
            self.out.write(text)
            self.out.flush()

        async def answer() -> None:
            result = await run_action(
                ActionRequest(ActionKind.ASK, None, instruction=question),
                root=self.root,
                guard=guard,
                provider=provider,
                model=model,
                documents=[],
                rules=list(self.workspace.rules.values()),
                read=read,
                session=self.session,
                progress=stream,
                max_size_bytes=int(context.max_size),
                compaction_threshold=float(context.compaction_threshold) / 100,
            )
            self.say("")
            if result.changes is not None:
                proposal = await asyncio.to_thread(
                    self.proposals.propose, result.changes, "wave.chat"
                )
                self.say(proposal.unified_diff().rstrip("\n"))
                self.say(
                    f"Proposal {proposal.id}: {proposal.summary()}. "
                    f"/apply {proposal.id} writes it, /reject {proposal.id} drops it."
                )

        self.answering = asyncio.current_task()
        try:
            await answer()
        except asyncio.CancelledError:
            self.say("\n(stopped)")
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
        except (ActionError, WaveError) as error:
            message = error.error.message if isinstance(error, WaveError) else str(error)
            raise ChatError(message) from error
        finally:
            self.answering = None

    # -- commands ------------------------------------------------------------------------------

    async def add(self, words: list[str]) -> None:
        from wave_lsp import fileread
        from wave_lsp.errors import WaveError
        from wave_lsp.personas.guard import Access

        if not words:
            raise ChatError("/add PATH")
        guard = self.guard()
        for word in words:
            try:
                path = guard.check_path(word, Access.READ)
                fileread.check_regular(path, None)
            except WaveError as refusal:
                raise ChatError(refusal.error.message) from refusal
            except FileNotFoundError as error:
                raise ChatError(f"{word}: no such file") from error
            except fileread.FileRefused as error:
                raise ChatError(f"{word}: {error.reason}") from error
            self.session.files.add(path)
        self.say("context: " + ", ".join(self._files()))

    async def drop(self, words: list[str]) -> None:
        from wave_lsp.personas.guard import path_from

        for word in words:
            if not self.session.files.remove(path_from(word, self.root).resolve()):
                raise ChatError(f"{word} is not in the context")
        self.say("context: " + (", ".join(self._files()) or "(no files)"))

    def _files(self) -> list[str]:
        return [p.relative_to(self.root).as_posix() for p in self.session.files]

    async def context(self, words: list[str]) -> None:
        from wave_lsp.actions.run import prepare

        provider, model = self.provider()
        prepared = await asyncio.to_thread(
            prepare,
            self.guard(),
            provider,
            model,
            [],
            list(self.workspace.rules.values()),
            self.session,
            max_size_bytes=int(self.workspace.config.context.max_size),
        )
        report = prepared.report()
        self.say(f"model {model}: {report['contextWindow']} tokens, {report['budget']} for files")
        for file in report["files"]:  # type: ignore[attr-defined]
            reason = f" ({file['reason']})" if file["reason"] else ""
            self.say(f"  {file['path']}: {file['status']}, {file['tokens']} tokens{reason}")
        history = report["history"]
        self.say(f"  conversation: {history['messages']} messages, {history['tokens']} tokens")  # type: ignore[index]
        if history["compacted"]:  # type: ignore[index]
            done = history["compacted"]  # type: ignore[index]
            self.say(f"  compacted: {done['compacted_messages']} messages summarised")

    async def history(self, words: list[str]) -> None:
        for message in self.session.conversation.messages:
            text = message.content if isinstance(message.content, str) else "(content)"
            self.say(f"{message.role.value}: {text}")

    async def persona(self, words: list[str]) -> None:
        from wave_lsp.session.core import SessionError

        if len(words) != 1:
            raise ChatError(f"/persona NAME (one of {', '.join(sorted(self.workspace.personas))})")
        try:
            self.session.select_persona(words[0], self.workspace)
        except SessionError as error:
            raise ChatError(str(error)) from error
        self.say(f"persona: {words[0]}")

    async def model(self, words: list[str]) -> None:
        if len(words) != 1:
            raise ChatError("/model PROVIDER:MODEL")
        previous, self.session.model = self.session.model, words[0]
        try:
            _, model = self.provider()
        except ChatError:
            self.session.model = previous
            raise
        self.say(f"model: {words[0]} ({model})")

    async def checkpoint(self, words: list[str]) -> None:
        from wave_lsp.context.checkpoints import CheckpointError
        from wave_lsp.session.core import SessionError

        action, rest = (words[0], words[1:]) if words else ("list", [])
        registry_name, model = self._model_names()
        guard = self.guard()
        try:
            if action == "save":
                name = " ".join(rest) or "checkpoint"
                saved = await asyncio.to_thread(
                    self.session.save_checkpoint, name, registry_name, model
                )
                self.say(f"checkpoint {saved.id} '{name}': {saved.message_count} messages")
            elif action == "list":
                for entry in await asyncio.to_thread(self.session.checkpoints.list):
                    self.say(f"{entry['id']}  {entry.get('name', '')}  "
                             f"{entry.get('messageCount', '?')} messages")  # fmt: skip
            elif action == "restore":
                wanted = self._checkpoint_id(" ".join(rest))
                done = await asyncio.to_thread(
                    self.session.restore_checkpoint, wanted, guard.check_path, registry_name, model
                )
                self.say(
                    f"restored {done.checkpoint.id}: {done.checkpoint.message_count} messages, "
                    f"files: {', '.join(self._files()) or '(none)'} (/checkpoint undo goes back)"
                )
            elif action == "undo":
                back = await asyncio.to_thread(self.session.undo_restore, guard.check_path)
                self.say(f"back to {back.id}: {back.message_count} messages")
            else:
                raise ChatError("/checkpoint save NAME | list | restore ID|NAME | undo")
        except (SessionError, CheckpointError) as error:
            raise ChatError(str(error)) from error

    def _model_names(self) -> tuple[str, str | None]:
        try:
            return self.registry.split(self.session.model or self.default_model)
        except Exception as error:
            raise ChatError(str(error)) from error

    def _checkpoint_id(self, wanted: str) -> str:
        if not wanted:
            raise ChatError("/checkpoint restore ID|NAME")
        for entry in self.session.checkpoints.list():  # newest first
            if wanted in (entry["id"], entry.get("name")):
                return str(entry["id"])
        raise ChatError(f"no checkpoint '{wanted}' (/checkpoint list)")

    async def list_proposals(self, words: list[str]) -> None:
        for proposal in await asyncio.to_thread(self.proposals.store.all):
            self.say(f"{proposal.id}  {proposal.status.value}  {proposal.summary()}")

    async def apply(self, words: list[str]) -> None:
        from wave_lsp.session.proposals import ProposalError

        try:
            proposal = self.proposals.find(words[0] if words else None)
            await asyncio.to_thread(self.proposals.apply_to_disk, proposal, self.guard())
        except ProposalError as error:
            raise ChatError(str(error)) from error
        self.say(f"applied {proposal.id}: {proposal.summary()} (backups kept)")

    async def reject(self, words: list[str]) -> None:
        from wave_lsp.session.proposals import ProposalError

        try:
            proposal = self.proposals.find(words[0] if words else None)
            await asyncio.to_thread(self.proposals.reject, proposal)
        except ProposalError as error:
            raise ChatError(str(error)) from error
        self.say(f"rejected {proposal.id}")

    async def clear(self, words: list[str]) -> None:
        await asyncio.to_thread(self.session.clear_conversation)
        self.say("conversation cleared")

    async def help(self, words: list[str]) -> None:
        self.say(HELP)


async def _loop(chat: Chat, interactive: bool) -> None:
    loop = asyncio.get_running_loop()

    def interrupt() -> None:
        if chat.answering is not None:
            chat.answering.cancel()
        else:
            print("\n(/quit or Ctrl-D leaves)", file=chat.err, flush=True)

    loop.add_signal_handler(signal.SIGINT, interrupt)  # Ctrl-C stops an answer, not the chat
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history for input())

        chat.say("wave chat: /help lists the commands")

    def read_line() -> str | None:
        if interactive:
            try:
                return input("wave> ")
            except EOFError:
                return None
        line = sys.stdin.readline()
        return line or None

    while True:
        line = await loop.run_in_executor(None, read_line)
        if line is None or not await chat.handle(line):
            break


def run(root: Path, *, model: str | None, persona: str | None,
        allowed: list[str] | None = None) -> int:  # fmt: skip
    """``allowed``: the only personas (a daemon user's)."""
    import uuid

    from wave_lsp.config.workspace import load_workspace
    from wave_lsp.session.core import Session, SessionError, config_problem
    from wave_lsp.session.proposals import Proposals

    root = root.resolve()
    if not root.is_dir():
        print(f"wave chat: --root {root}: not a directory", file=sys.stderr)
        return EXIT_USAGE
    workspace = load_workspace(root, display_root=Path.cwd().resolve())
    problem = config_problem(workspace)
    if problem is not None:
        print(f"wave chat: the configuration is broken, so no model is asked: {problem}",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    session = Session(root, uuid.uuid4().hex[:12], workspace.config.context, allowed=allowed)
    if session.conversation.problem:
        print(f"wave chat: {session.conversation.problem}: starting afresh", file=sys.stderr)
    if persona:
        try:
            session.select_persona(persona, workspace)
        except SessionError as error:
            print(f"wave chat: --persona: {error}", file=sys.stderr)
            return EXIT_USAGE
    chat = Chat(root, workspace, session, Proposals(root), out=sys.stdout, err=sys.stderr,
                model=model)  # fmt: skip
    asyncio.run(_loop(chat, sys.stdin.isatty()))
    return EXIT_OK
