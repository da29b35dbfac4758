"""``wave.agent.run {instruction, uri?, range?}``: the built-in agent on the workspace, as the
session's persona. The editor's unsaved text is the truth it reads; each step is reported in
``$/progress`` (the tool and its target); a call the rules say to ``ask`` about is confirmed with
``window/showMessageRequest``; nothing is written — the agent's changes come back as one
proposal to approve. Cancellable at any step (the progress or ``$/cancelRequest``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from wave_lsp.lsp.convert import path_of, uri_of
from wave_lsp.lsp.features.base import CommandError, Feature, import_off_loop
from wave_lsp.lsp.progress import streamed_progress

if TYPE_CHECKING:
    from wave_lsp.agents.tools import PendingCall
    from wave_lsp.lsp.features.proposals import Proposals
    from wave_lsp.lsp.server import WaveLanguageServer

RUN = "wave.agent.run"
ALLOW, DENY = "Allow", "Deny"
MODULES = ("wave_lsp.agents.build", "wave_lsp.edits.proposals", "wave_lsp.lsp.arguments")


class AgentFeature(Feature):
    name = "agent"

    def __init__(self, server: WaveLanguageServer, proposals: Proposals) -> None:
        super().__init__(server)
        self.proposals = proposals

    def commands(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        return {RUN: self.run}

    async def ask(self, call: PendingCall) -> bool:
        """The user's yes or no for one call (no answer, or a client that cannot ask: no)."""
        if not self.server.client_supports("window.show_message"):
            return False
        what = call.shown(500)
        why = f" (rule {call.rule})" if call.rule else ""
        answer = await self.server.window_show_message_request_async(
            types.ShowMessageRequestParams(
                type=types.MessageType.Warning,
                message=f"Wave agent asks to run {what}{why}. Allow it?",
                actions=[types.MessageActionItem(title=ALLOW), types.MessageActionItem(title=DENY)],
            )
        )
        return answer is not None and answer.title == ALLOW

    async def run(self, *arguments: Any) -> dict[str, Any]:
        await import_off_loop(*MODULES)
        from wave_lsp.agents.build import keep_transcript, make_agent
        from wave_lsp.agents.files import AgentFiles
        from wave_lsp.edits.changes import plan_changes
        from wave_lsp.edits.proposals import make_proposal
        from wave_lsp.errors import WaveError
        from wave_lsp.lsp.arguments import AgentArguments, parse
        from wave_lsp.lsp.features.context import resolve_model
        from wave_lsp.mcp.hubs import configured
        from wave_lsp.session.core import SessionError

        options = parse(AgentArguments, arguments, RUN)
        path = path_of(options.uri) if options.uri else None
        root = self.server.root_of(path)
        loaded, session = await self.server.session_for(root)
        provider, model = resolve_model(loaded, session, self.server.settings.model)
        try:
            guard = session.guard(loaded.workspace, self.server.settings.persona)
        except SessionError as error:
            raise CommandError(str(error)) from error
        unsaved = {
            p.resolve(): str(document.source)
            for uri, document in list(self.server.workspace.text_documents.items())
            if (p := path_of(uri)) is not None
        }  # the editor's text at the start of the run: read in worker threads

        def read(target: Path) -> str | None:
            if target in unsaved:
                return unsaved[target]
            try:
                return target.read_text(encoding="utf-8", errors="surrogateescape")
            except (FileNotFoundError, IsADirectoryError):
                return None

        instruction = options.instruction
        if path is not None:
            resolved = path.resolve()
            inside = resolved.is_relative_to(root)
            where = resolved.relative_to(root).as_posix() if inside else str(path)
            if options.range is not None:
                where += f", lines {options.range.start.line + 1}-{options.range.end.line + 1}"
            instruction += f"\n\n(The user is looking at {where}.)"
        files = AgentFiles(root, read)
        rules = list(loaded.workspace.rules.values())
        async with streamed_progress(self.server, "agent") as report:
            agent = make_agent(
                provider, model, files, guard,
                rules=rules, settings=loaded.workspace.config.agent, ask=self.ask,
                on_event=lambda event: report(event.line() or ""), task=RUN,
                external=self.server.mcp.get(root, configured(loaded.workspace.config)),
            )  # fmt: skip
            try:
                result = await agent.run(instruction, session.conversation.history(4000))
            except WaveError as error:
                raise CommandError(f"agent: {error.error.message}") from error
        await asyncio.to_thread(session.record, options.instruction, result.text)
        await asyncio.to_thread(keep_transcript, result.transcript, loaded.workspace.config.context)
        answer: dict[str, Any] = {
            "text": result.text,
            "stopReason": result.stop_reason,
            "steps": result.steps,
            "mode": result.mode,
            "denials": result.denials,
            "changedFiles": sorted(result.changed),
            "model": f"{provider.name}:{model}",
            "transcript": result.transcript.id,
        }
        if result.changed:
            plan = await asyncio.to_thread(plan_changes, root, files.patches(), read)
            if not plan.ok:
                problems = "; ".join(plan.errors())
                raise CommandError(f"agent: its changes cannot be proposed: {problems}")

            def version(relative: str) -> int | None:
                document = self.server.workspace.text_documents.get(uri_of(root / relative))
                return document.version if document is not None else None

            proposal = make_proposal(plan, RUN, version)
            await asyncio.to_thread(self.proposals.store(root).save, proposal)
            answer |= {"proposal": proposal.id, "diff": proposal.unified_diff()}
        return answer
