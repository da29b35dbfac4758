"""AI code actions: offered cheaply (stored state only, no model call), run lazily.

Edit actions (fix a diagnostic, refactor, docstrings, tests) run in ``codeAction/resolve`` where
the client resolves ``edit`` (VS Code, Neovim); elsewhere (Emacs eglot) the action carries the
command ``wave.action.run`` that runs the same domain function and sends ``workspace/applyEdit``.
Explain and review always run as commands. ``wave.ask`` answers free-form requests;
``wave.review.clear`` removes review diagnostics. Runs report ``$/progress`` with the streamed
text, can be cancelled from the progress or with ``$/cancelRequest``, and time out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from wave_lsp.actions.kinds import EDITING, TITLES, ActionKind, custom_actions
from wave_lsp.lsp.convert import path_of, review_diagnostics, uri_of
from wave_lsp.lsp.features.base import CommandError, Feature, import_off_loop
from wave_lsp.lsp.progress import streamed_progress

if TYPE_CHECKING:
    from wave_lsp.actions.run import ActionResult
    from wave_lsp.edits.proposals import Proposal
    from wave_lsp.lsp.features.proposals import Proposals
    from wave_lsp.lsp.server import WaveLanguageServer

RUNTIME_MODULES = ("wave_lsp.actions.run", "wave_lsp.edits.proposals")
"""What running an action needs (providers, context, proposals): imported on a worker thread by
the first action, not at start (listing actions needs none of it)."""

logger = logging.getLogger(__name__)

RUN = "wave.action.run"
REVIEW_SOURCE = "wave-review"
SHORT_ANSWER = 300
"""Answers up to this many characters (on one line) are shown in a message; longer ones as a
Markdown document."""


class AIActions(Feature):
    name = "ai-actions"

    def __init__(self, server: WaveLanguageServer, proposals: Proposals) -> None:
        super().__init__(server)
        self.proposals = proposals
        self._custom: dict[Path, list[tuple[str, str]]] = {}
        self._pipeline_offers: dict[Path, tuple[int, list[tuple[str, str]]]] = {}
        self._folders: tuple[object, list[tuple[Path, Path]]] | None = None
        self._paths: dict[str, Path] = {}
        """Each folder's own actions (``.wave/actions/*.md``), read off the event loop."""

    async def initialized(self) -> None:
        for folder in self.server.folder_paths():
            await self._scan(folder.resolve())

    def files_changed(self, uris: list[str]) -> None:
        if any("/.wave/actions/" in uri for uri in uris):
            for folder in self.server.folder_paths():
                self.server.loop_task(self._scan(folder.resolve()))

    async def _scan(self, root: Path) -> None:
        self._custom[root] = await asyncio.to_thread(custom_actions, root)

    def commands(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        return {RUN: self.run_command, "wave.ask": self.ask, "wave.review.clear": self.clear_review}

    # -- offering: cheap ---------------------------------------------------------------------

    def _resolves_edits(self) -> bool:
        text_document = self.server.client_capabilities.text_document
        code_action = text_document.code_action if text_document else None
        support = code_action.resolve_support if code_action else None
        return bool(support and "edit" in support.properties)

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        if uri not in self.server.workspace.text_documents:
            return []
        only = params.context.only
        first, last = params.range.start.line, params.range.end.line

        def wanted(kind: str) -> bool:
            return only is None or any(kind.startswith(k) for k in only)

        resolves = self._resolves_edits()
        actions: list[types.CodeAction] = []

        disabled = set(self.server.settings.disabled_actions)

        def offer(title: str, kind: str, action: ActionKind, **data: Any) -> None:
            if action.value in disabled:
                return
            payload = {"wave": action.value, "uri": uri, "first": first, "last": last, **data}
            if action in EDITING and resolves:
                actions.append(types.CodeAction(title=title, kind=kind, data=payload))
            else:
                actions.append(
                    types.CodeAction(
                        title=title,
                        kind=kind,
                        command=types.Command(title=title, command=RUN, arguments=[payload]),
                    )
                )

        if wanted(types.CodeActionKind.QuickFix):
            for diagnostic in params.context.diagnostics:
                message = diagnostic.message
                offer(
                    f"Fix with AI: {message[:80]}",
                    types.CodeActionKind.QuickFix,
                    ActionKind.FIX,
                    diagnostics=[message],
                    first=diagnostic.range.start.line,
                    last=diagnostic.range.end.line,
                )
        if wanted(types.CodeActionKind.RefactorRewrite):
            offer(TITLES[ActionKind.EXPLAIN], "refactor.rewrite.wave.explain", ActionKind.EXPLAIN)
            if first != last or params.range.start.character != params.range.end.character:
                offer(TITLES[ActionKind.REFACTOR], types.CodeActionKind.RefactorRewrite,
                      ActionKind.REFACTOR)  # fmt: skip
            offer(TITLES[ActionKind.DOCSTRINGS], types.CodeActionKind.RefactorRewrite,
                  ActionKind.DOCSTRINGS)  # fmt: skip
            offer(TITLES[ActionKind.TESTS], types.CodeActionKind.RefactorRewrite, ActionKind.TESTS)
        if wanted(types.CodeActionKind.RefactorRewrite) and any(self._custom.values()):
            path = self._path(uri)
            for root, custom in self._custom.items():
                if path is not None and path.is_relative_to(root):
                    for name, title in custom:
                        offer(title, types.CodeActionKind.RefactorRewrite, ActionKind.CUSTOM,
                              name=name)  # fmt: skip
        if wanted(types.CodeActionKind.Source):
            offer(TITLES[ActionKind.REVIEW], "source.wave.review", ActionKind.REVIEW)
            actions.extend(self._pipeline_actions(uri, params.range))
        return actions

    def _runnable_pipelines(self, path: Path) -> list[tuple[str, str]]:
        """``(id, title)`` of the loaded pipelines whose inputs a document can fill, for the
        folder holding ``path``; computed once per loaded configuration."""
        for folder, resolved in self._folder_paths():
            if not path.is_relative_to(folder):
                continue
            configs = self.server.workspace_configs
            loaded = configs.cached(folder) or configs.cached(resolved)
            if loaded is None:
                return []
            key = id(loaded.workspace)
            cached = self._pipeline_offers.get(folder)
            if cached is not None and cached[0] == key:
                return cached[1]
            offers = []
            for pipeline_id, entry in sorted(loaded.workspace.pipelines.items()):
                inputs = [i for t in entry.value.tasks for i in t.inputs if i.from_task is None]
                if inputs and all(i.type.value in ("text", "file", "file_list") for i in inputs):
                    offers.append((pipeline_id, f"Run pipeline {entry.value.name} on this file"))
            self._pipeline_offers[folder] = (key, offers)
            return offers
        return []

    def _folder_paths(self) -> list[tuple[Path, Path]]:
        """The workspace folders (as given, and resolved), converted once per set of folder
        URIs (URI to path conversion is most of a listing's cost otherwise)."""
        workspace = self.server.workspace
        key = (tuple(folder.uri for folder in workspace.folders.values()), workspace.root_uri)
        if self._folders is None or self._folders[0] != key:
            folders = dict.fromkeys(self.server.folder_paths())
            self._folders = (key, [(f, f.resolve()) for f in folders])
        return self._folders[1]

    def _path(self, uri: str) -> Path | None:
        path = self._paths.get(uri)
        if path is None:
            path = path_of(uri)
            if path is not None:
                if len(self._paths) > 1024:
                    self._paths.clear()
                self._paths[uri] = path
        return path

    def _pipeline_actions(self, uri: str, span: types.Range) -> list[types.CodeAction]:
        """ "Run pipeline <name> on this file" for each loaded pipeline whose inputs a document
        can fill (text, file, file list); read from the cached configuration only."""
        if "pipeline" in self.server.settings.disabled_actions:
            return []
        path = self._path(uri)
        if path is None:
            return []
        selection = (
            {
                "start": {"line": span.start.line, "character": 0},
                "end": {"line": span.end.line, "character": 0},
            }
            if span.start.line != span.end.line
            else None
        )
        return [
            types.CodeAction(
                title=title,
                kind="source.wave.pipeline",
                command=types.Command(
                    title=title,
                    command="wave.pipeline.run",
                    arguments=[{"pipeline": pipeline_id, "uri": uri, "range": selection}],
                ),
            )
            for pipeline_id, title in self._runnable_pipelines(path)
        ]

    # -- running: lazy -----------------------------------------------------------------------

    async def resolve_code_action(self, action: types.CodeAction) -> types.CodeAction | None:
        data = action.data
        if not isinstance(data, dict) or "wave" not in data:
            return None
        _, proposal, root = await self._run(data)
        proposals = self.proposals
        if proposal is not None:
            store = proposals.store(root)
            operations = await proposals.prepare(proposal, store)
            action.edit = proposals.edit_for_client(
                root, operations, f"Wave: {action.title} ({proposal.id})"
            )
            # Pending until the editor has applied the edit: it runs the action's command after
            # the edit (LSP), which records the proposal as applied (rollback is ready then).
            action.command = types.Command(
                title=f"Wave: {proposal.id} applied",
                command="wave.proposal.applied",
                arguments=[{"id": proposal.id}],
            )
        return action

    async def run_command(self, *arguments: Any) -> dict[str, Any]:
        data = arguments[0] if arguments and isinstance(arguments[0], dict) else None
        if data is None or "wave" not in data:
            raise CommandError(f"{RUN}: expected the action's data")
        result, proposal, _ = await self._run(data)
        answer: dict[str, Any] = {"kind": result.kind.value, "text": result.text}
        if proposal is not None:
            answer["proposal"] = proposal.id
            try:
                await self.proposals.apply({"id": proposal.id})
            except CommandError as error:  # the editor declined, or a write failed: kept
                self.server.show_message(
                    f"Wave: {error}. The proposal {proposal.id} is still pending: apply it "
                    "with wave.proposal.apply, or reject it.",
                    types.MessageType.Warning,
                )
                answer |= {"applied": False, "reason": str(error)}
            else:
                answer["applied"] = True
        if result.kind is ActionKind.EXPLAIN:
            answer["shown"] = await self._show_answer(result.text)
        if result.review is not None:
            answer["review"] = result.review
        return answer

    async def ask(self, *arguments: Any) -> dict[str, Any]:
        """``wave.ask {prompt, uri?, range?}``: the conversation carries on (the session's
        history goes with it) until ``wave.conversation.clear``."""
        await import_off_loop("wave_lsp.lsp.arguments")
        from wave_lsp.lsp.arguments import AskArguments, parse

        options = parse(AskArguments, arguments, "wave.ask")
        uri = options.uri or next(iter(self.server.workspace.text_documents), None)
        if uri is None:
            raise CommandError("wave.ask needs a document: pass uri, or open one")
        data: dict[str, Any] = {"wave": "ask", "uri": uri, "instruction": options.prompt}
        if options.range is not None:  # else the question is about the whole file, not line 1
            data["first"] = options.range.start.line
            data["last"] = options.range.end.line
        result, proposal, _ = await self._run(data, keep_proposal=True)
        answer: dict[str, Any] = {"text": result.text, "context": result.context}
        if proposal is not None:
            answer |= {"proposal": proposal.id, "diff": proposal.unified_diff()}
        return answer

    async def clear_review(self, *arguments: Any) -> dict[str, Any]:
        options = arguments[0] if arguments and isinstance(arguments[0], dict) else {}
        uris = [options["uri"]] if isinstance(options.get("uri"), str) else None
        cleared = uris or self.server.diagnostics.uris(REVIEW_SOURCE)
        for uri in cleared:
            self.server.diagnostics.clear(REVIEW_SOURCE, uri)
        return {"cleared": cleared}

    # -- the shared path ---------------------------------------------------------------------

    async def _run(
        self, data: dict[str, Any], keep_proposal: bool = False
    ) -> tuple[ActionResult, Proposal | None, Path]:
        await import_off_loop(*RUNTIME_MODULES)
        from wave_lsp.actions.run import ActionError, ActionRequest, run_action
        from wave_lsp.context.builder import OpenDocument
        from wave_lsp.edits.proposals import make_proposal
        from wave_lsp.errors import WaveError
        from wave_lsp.lsp.features.context import resolve_model
        from wave_lsp.session.core import SessionError

        try:
            kind = ActionKind(data["wave"])
        except ValueError as error:
            raise CommandError(f"unknown action {data.get('wave')!r}") from error
        path = path_of(str(data.get("uri", "")))
        if path is None:
            raise CommandError("the action names no file")
        root = self.server.root_of(path)
        loaded, session = await self.server.session_for(root)
        provider, model = resolve_model(loaded, session, self.server.settings.model)
        try:
            guard = session.guard(loaded.workspace, self.server.settings.persona)
        except SessionError as error:
            raise CommandError(str(error)) from error
        documents = [
            OpenDocument(p, document.source)
            for uri, document in list(self.server.workspace.text_documents.items())
            if (p := path_of(uri)) is not None
        ]
        request = ActionRequest(
            kind=kind,
            path=path,
            selection=(int(data["first"]), int(data.get("last", data["first"])))
            if "first" in data
            else None,
            diagnostics=tuple(data.get("diagnostics") or ()),
            instruction=str(data.get("instruction") or ""),
            name=str(data.get("name") or ""),
        )
        schema = loaded.workspace.schemas.get("code-review")
        context = loaded.workspace.config.context

        def read(target: Path) -> str | None:
            document = self.server.workspace.text_documents.get(uri_of(target))
            if document is not None:
                return str(document.source)
            try:
                return target.read_text(encoding="utf-8")
            except (FileNotFoundError, IsADirectoryError):
                return None

        timeout = self.server.settings.action_timeout_ms / 1000
        async with streamed_progress(
            self.server, TITLES.get(kind, f"Wave: {kind.value}")
        ) as report:
            try:
                async with asyncio.timeout(timeout):
                    result = await run_action(
                        request,
                        root=root,
                        guard=guard,
                        provider=provider,
                        model=model,
                        documents=documents,
                        rules=list(loaded.workspace.rules.values()),
                        read=read,
                        session=session,
                        review_schema=schema.value if schema is not None else None,
                        progress=report,
                        max_size_bytes=int(context.max_size),
                        compaction_threshold=float(context.compaction_threshold) / 100,
                    )
            except TimeoutError as error:
                raise CommandError(
                    f"{kind.value}: stopped after {timeout:g} s (setting actionTimeoutMs)"
                ) from error
            except (ActionError, WaveError) as error:
                message = error.error.message if isinstance(error, WaveError) else str(error)
                if isinstance(error, WaveError) and error.error.suggestions:
                    message += f" ({'; '.join(error.error.suggestions)})"
                raise CommandError(f"{kind.value}: {message}") from error
        if result.review is not None:
            self._publish_review(root, result.review)
        proposal = None
        if result.changes is not None:

            def version(relative: str) -> int | None:
                document = self.server.workspace.text_documents.get(uri_of(root / relative))
                return document.version if document is not None else None

            proposal = make_proposal(result.changes, f"wave.action.{kind.value}", version)
            await asyncio.to_thread(self.proposals.store(root).save, proposal)
        return result, proposal, root

    def _publish_review(self, root: Path, review: dict[str, Any]) -> None:
        found = review_diagnostics(root, review.get("findings", []), REVIEW_SOURCE)
        for uri, diagnostics in found.items():
            self.server.diagnostics.set(REVIEW_SOURCE, uri, diagnostics)

    async def _show_answer(self, text: str) -> bool:
        if len(text) <= SHORT_ANSWER and "\n" not in text.strip():
            self.server.show_message(text)
            return True
        if not self.server.client_supports("window.show_document.support"):
            return False
        from wave_lsp.config.atomic import atomic_write_text
        from wave_lsp.config.paths import workspace_state_dir

        folders = self.server.folder_paths()
        base = workspace_state_dir(folders[0]) if folders else Path.home()
        path = base / "answers" / f"answer-{time.strftime('%Y%m%d-%H%M%S')}.md"
        await asyncio.to_thread(atomic_write_text, path, text)
        result = await self.server.window_show_document_async(
            types.ShowDocumentParams(uri=uri_of(path), take_focus=True)
        )
        return bool(result and result.success)
