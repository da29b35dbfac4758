"""One ``session/prompt`` turn: the built-in agent's events become ``session/update``s (message
chunks, a plan of its steps, tool calls with kind, status, locations and diffs), every edit and
every ``ask`` call goes through ``session/request_permission`` (one request per file, the diff
shown; ``allow_always`` / ``reject_always`` remembered for the session), and an approved edit is
written through the client's ``fs/write_text_file`` when it offers it, else to disk with a
backup."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acp.schema import PermissionOption, PlanEntry, ToolCallLocation, ToolCallUpdate

from acp import (
    plan_entry,
    start_tool_call,
    text_block,
    tool_content,
    tool_diff_content,
    tool_terminal_ref,
    update_agent_message_text,
    update_plan,
    update_tool_call,
)

if TYPE_CHECKING:
    from acp import Client
    from wave_lsp.agents.loop import AgentEvent
    from wave_lsp.agents.tools import PendingCall

KINDS = {
    "read_file": "read",
    "list_files": "search",
    "search_text": "search",
    "edit_file": "edit",
    "write_file": "edit",
    "run_command": "execute",
    "check": "other",
}
OPTIONS = [
    PermissionOption(option_id="allow_once", name="Allow", kind="allow_once"),
    PermissionOption(option_id="allow_always", name="Allow always", kind="allow_always"),
    PermissionOption(option_id="reject_once", name="Reject", kind="reject_once"),
    PermissionOption(option_id="reject_always", name="Reject always", kind="reject_always"),
]
RESULT_SHOWN = 2000
"""How much of a tool's result the editor is shown (the model gets it all)."""


@dataclass
class Remembered:
    """``allow_always`` / ``reject_always`` answers of one session, by tool."""

    allowed: set[str] = field(default_factory=set)
    rejected: set[str] = field(default_factory=set)


class Turn:
    def __init__(
        self,
        client: Client,
        session_id: str,
        root: Path,
        remembered: Remembered,
        *,
        writes_through_client: bool,
    ) -> None:
        self.client = client
        self.session_id = session_id
        self.root = root
        self.remembered = remembered
        self.writes_through_client = writes_through_client
        self.updates: asyncio.Queue[Any] = asyncio.Queue()
        self.plan: list[PlanEntry] = []
        self.steps: dict[str, int] = {}
        self.current = ""
        """The id of the tool call running now (calls run one at a time)."""
        self.written: list[str] = []
        self.diffs: dict[str, list[Any]] = {}
        """An approved edit's diffs, by tool call: shown in the call's result."""
        self.sender = asyncio.create_task(self._send())

    # -- updates, in order ---------------------------------------------------------------------

    async def _send(self) -> None:
        while True:
            update = await self.updates.get()
            try:
                await self.client.session_update(session_id=self.session_id, update=update)
            finally:
                self.updates.task_done()

    def say(self, text: str) -> None:
        self.updates.put_nowait(update_agent_message_text(text))

    async def flush(self) -> None:
        await self.updates.join()

    async def close(self) -> None:
        self.sender.cancel()

    def on_event(self, event: AgentEvent) -> None:
        if event.kind == "text" and event.text:
            self.say(event.text)
        elif event.kind == "tool_call":
            self.current = event.call_id
            self.steps[event.call_id] = len(self.plan)
            self.plan.append(plan_entry(_title(event.tool, event.arguments), status="in_progress"))
            self.updates.put_nowait(update_plan(list(self.plan)))
            path = event.arguments.get("path")
            self.updates.put_nowait(
                start_tool_call(
                    event.call_id,
                    _title(event.tool, event.arguments),
                    kind=KINDS.get(event.tool, "other"),  # type: ignore[arg-type]
                    status="in_progress",
                    locations=[ToolCallLocation(path=str(self.root / path))] if path else None,
                    raw_input=event.arguments,
                )
            )
        elif event.kind == "tool_result":
            failed = event.error or bool(event.denied)
            shown = event.text if len(event.text) <= RESULT_SHOWN else event.text[:RESULT_SHOWN]
            self.updates.put_nowait(
                update_tool_call(
                    event.call_id,
                    status="failed" if failed else "completed",
                    content=[*self.diffs.pop(event.call_id, []), tool_content(text_block(shown))],
                    raw_output={"refused": event.denied} if event.denied else None,
                )
            )
            index = self.steps.get(event.call_id)
            if index is not None:
                self.plan[index] = plan_entry(self.plan[index].content, status="completed")
                self.updates.put_nowait(update_plan(list(self.plan)))

    def start_call(self, call_id: str, title: str, kind: str, paths: list[str]) -> None:
        self.current = call_id
        self.updates.put_nowait(
            start_tool_call(
                call_id,
                title,
                kind=kind,  # type: ignore[arg-type]
                status="in_progress",
                locations=[ToolCallLocation(path=str(self.root / p)) for p in paths],
            )
        )

    def finish_call(self, call_id: str, ok: bool, text: str, refused: str | None = None) -> None:
        self.updates.put_nowait(
            update_tool_call(
                call_id,
                status="completed" if ok else "failed",
                content=[tool_content(text_block(text))],
                raw_output={"refused": refused} if refused else None,
            )
        )

    def show_terminal(self, terminal_id: str) -> None:
        """The running command's terminal, shown live in its tool call."""
        self.updates.put_nowait(
            update_tool_call(self.current, content=[tool_terminal_ref(terminal_id)])
        )

    def refuse(self, call_id: str, title: str, reason: str) -> None:
        """A call Wave refused before it began: a tool call that failed, with the reason."""
        self.start_call(call_id, title, "other", [])
        self.finish_call(call_id, False, reason, refused=reason)

    # -- approvals -----------------------------------------------------------------------------

    async def ask(self, call: PendingCall) -> bool:
        """The user's answer for one call: an edit's change is shown as a diff and, once
        allowed, written; a command is shown as itself."""
        await self.flush()  # the tool call is on the client before its question
        if call.tool in self.remembered.rejected:
            return False
        if call.tool not in self.remembered.allowed:
            content: list[Any] = [
                tool_diff_content(str(self.root / relative), after or "", before)
                for relative, (before, after) in call.changes.items()
            ] or [tool_content(text_block(call.shown()))]
            answer = await self.client.request_permission(
                session_id=self.session_id,
                tool_call=ToolCallUpdate(
                    tool_call_id=self.current,
                    title=_title(call.tool, call.arguments),
                    kind=KINDS.get(call.tool, "other"),
                    status="pending",
                    content=content,
                    locations=[ToolCallLocation(path=str(self.root / r)) for r in call.changes],
                ),
                options=OPTIONS,
            )
            chosen = getattr(answer.outcome, "option_id", None)
            if chosen == "allow_always":
                self.remembered.allowed.add(call.tool)
            elif chosen == "reject_always":
                self.remembered.rejected.add(call.tool)
            if chosen not in ("allow_once", "allow_always"):
                return False
        self.diffs[self.current] = [
            tool_diff_content(str(self.root / relative), after or "", before)
            for relative, (before, after) in call.changes.items()
        ]
        for relative, (_, after) in call.changes.items():
            await self.write(relative, after)
        return True

    async def write(self, relative: str, text: str | None) -> None:
        if text is None:
            return
        if self.writes_through_client:
            await self.client.write_text_file(
                session_id=self.session_id, path=str(self.root / relative), content=text
            )
        else:
            await asyncio.to_thread(write_to_disk, self.root, relative, text)
        self.written.append(relative)


def read_disk(path: Path) -> str | None:
    """A file's text as it is on disk (bytes kept as they are), ``None`` when there is none."""
    try:
        return path.read_bytes().decode("utf-8", errors="surrogateescape")
    except (FileNotFoundError, IsADirectoryError):
        return None


def write_to_disk(root: Path, relative: str, text: str) -> None:
    """Atomically, with a backup and a journal, through the one planning of writes (protected
    paths refused)."""
    from wave_lsp.edits.changes import plan_changes, state_directory, write_changes
    from wave_lsp.edits.patch import FilePatch

    plan = plan_changes(root, [FilePatch(relative, relative, whole_text=text)], read_disk)
    if not plan.ok:
        raise ValueError("; ".join(plan.errors()))
    stamp = time.strftime("%Y%m%dT%H%M%S")
    backups = state_directory(root, ".wave/backups") / f"acp-{stamp}-{time.time_ns() % 10**6:06d}"
    write_changes(root, plan, backups)


def _title(tool: str, arguments: dict[str, Any]) -> str:
    target = arguments.get("path") or arguments.get("command") or arguments.get("pattern") or ""
    return f"{tool} {target}".strip()
