"""Editing Wave's own files (``.wave/config.yaml``, personas, pipelines, rules): completion,
hover, definition, references and rename of task ids, the outline, and code lenses (run a
pipeline; test a rule's examples). A thin layer over :mod:`wave_lsp.authoring`: positions and
results converted, the domain computed off the event loop, once per document version."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from wave_lsp.config.paths import FileKind, classify, wave_root_of
from wave_lsp.lsp.convert import path_of, uri_of
from wave_lsp.lsp.features.base import CommandError, Feature, import_off_loop

if TYPE_CHECKING:
    from wave_lsp.authoring.assist import Assistant, Symbol
    from wave_lsp.lsp.server import WaveLanguageServer

logger = logging.getLogger(__name__)

KINDS = {FileKind.CONFIG: "config", FileKind.PERSONA: "persona", FileKind.PIPELINE: "pipeline",
         FileKind.RULES: "rules"}  # fmt: skip
MODULES = ("wave_lsp.authoring.assist",)
RULE_TEST = "wave.rule.test"
ITEM_KINDS = {"property": types.CompletionItemKind.Property,
              "value": types.CompletionItemKind.EnumMember,
              "reference": types.CompletionItemKind.Reference}  # fmt: skip
SYMBOL_KINDS = {"module": types.SymbolKind.Module, "function": types.SymbolKind.Function,
                "field": types.SymbolKind.Field}  # fmt: skip


class Authoring(Feature):
    name = "authoring"

    def __init__(self, server: WaveLanguageServer) -> None:
        super().__init__(server)
        self._assistants: dict[str, tuple[int | None, Assistant]] = {}

    def did_close(self, uri: str) -> None:
        self._assistants.pop(uri, None)

    def commands(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        return {RULE_TEST: self.test_rules}

    async def test_rules(self, *arguments: Any) -> dict[str, Any]:
        """``wave.rule.test {uri, id?}``: the rules' examples run on the file as it is now
        (unsaved text included); a failure is shown, each result returned."""
        from wave_lsp.authoring.rule_examples import rule_results
        from wave_lsp.lsp.arguments import RuleTestArguments, parse

        options = parse(RuleTestArguments, arguments, RULE_TEST)
        document = self.server.workspace.text_documents.get(options.uri)
        path = path_of(options.uri)
        if document is not None:
            text = document.source
        elif path is not None and path.is_file():
            text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        else:
            raise CommandError(f"{options.uri}: not an open document or a file")
        results = await asyncio.to_thread(rule_results, text, options.uri)
        chosen = [r for r in results if options.id in (None, r.rule_id) and not r.override]
        if not chosen:
            raise CommandError(f"no rule {options.id or ''} with examples in {options.uri}")
        failing = [r for r in chosen if r.failures]
        for result in failing:
            self.server.show_message(
                f"Wave: rule {result.rule_id}: {'; '.join(result.failures)}",
                types.MessageType.Warning,
            )
        if self.server.client_supports("workspace.code_lens.refresh_support"):
            self.server.loop_task(self._refresh_lenses())
        return {"rules": [{"id": r.rule_id, "examples": r.total, "failures": r.failures}
                          for r in chosen]}  # fmt: skip

    async def assistant(self, uri: str) -> Assistant | None:
        path = path_of(uri)
        kind = KINDS.get(classify(path)) if path is not None else None  # type: ignore[arg-type]
        document = self.server.workspace.text_documents.get(uri)
        if path is None or kind is None or document is None:
            return None
        cached = self._assistants.get(uri)
        if cached is not None and cached[0] == document.version:
            return cached[1]
        await import_off_loop(*MODULES)
        from wave_lsp.authoring.assist import Assistant

        root = wave_root_of(path)
        loaded = (
            await asyncio.to_thread(self.server.workspace_configs.get_blocking, root)
            if root is not None
            else None
        )
        text = document.source
        made = await asyncio.to_thread(
            Assistant, kind, text, loaded.workspace if loaded is not None else None
        )
        self._assistants[uri] = (document.version, made)
        return made

    async def _refresh_lenses(self) -> None:
        try:
            await self.server.workspace_code_lens_refresh_async(None)
        except Exception as error:  # a client that declares it but does not answer it
            logger.debug("workspace/codeLens/refresh: %s", error)

    async def completion(self, params: types.CompletionParams) -> types.CompletionList | None:
        uri = params.text_document.uri
        assistant = await self.assistant(uri)
        if assistant is None:
            return None
        line, column = params.position.line, params.position.character
        items = []
        for number, item in enumerate(assistant.complete(line, column)):
            edit = types.TextEdit(
                types.Range(types.Position(line, item.start), params.position), item.insert_text
            )
            items.append(types.CompletionItem(
                label=item.label, kind=ITEM_KINDS[item.kind], detail=item.detail or None,
                documentation=self._markup(item.documentation, "completion")
                if item.documentation else None,
                text_edit=edit, sort_text=f"{number:04d}", filter_text=item.label,
            ))  # fmt: skip
        return types.CompletionList(is_incomplete=False, items=items)

    async def hover(self, params: types.HoverParams) -> types.Hover | None:
        assistant = await self.assistant(params.text_document.uri)
        at = params.position
        found = assistant.hover(at.line, at.character) if assistant else None
        if found is None:
            return None
        text, span = found
        return types.Hover(self._markup(text, "hover"), _range(span.line, span.start, span.end))

    def _markup(self, text: str, where: str) -> types.MarkupContent | str:
        """Markdown when the client says it shows it there, plain text when it names that,
        else a plain string (a client that names no format)."""
        document = self.server.client_capabilities.text_document
        formats: Any = None
        if document is not None and where == "hover" and document.hover is not None:
            formats = document.hover.content_format
        elif document is not None and document.completion is not None:
            item = document.completion.completion_item
            formats = item.documentation_format if item is not None else None
        if formats and types.MarkupKind.Markdown in formats:
            return types.MarkupContent(types.MarkupKind.Markdown, text)
        plain = text.replace("**", "").replace("`", "")
        if formats and types.MarkupKind.PlainText in formats:
            return types.MarkupContent(types.MarkupKind.PlainText, plain)
        return plain

    async def definition(self, params: types.DefinitionParams) -> types.Location | None:
        uri = params.text_document.uri
        assistant = await self.assistant(uri)
        if assistant is None:
            return None
        target = assistant.definition(params.position.line, params.position.character)
        if target is None:
            return None
        where = uri_of(Path(target.path)) if target.path else uri
        return types.Location(where, _range(target.line, target.start, target.end))

    async def _task_at(self, uri: str, at: types.Position) -> tuple[Assistant, str] | None:
        assistant = await self.assistant(uri)
        task = assistant.task_at(at.line, at.character) if assistant else None
        return (assistant, task) if assistant is not None and task is not None else None

    async def references(self, params: types.ReferenceParams) -> list[types.Location] | None:
        uri = params.text_document.uri
        found = await self._task_at(uri, params.position)
        if found is None:
            return None
        assistant, task = found
        spans = assistant.tasks.occurrences(task)
        if not params.context.include_declaration and task in assistant.tasks.tasks:
            spans = spans[1:]
        return [types.Location(uri, _range(s.line, s.start, s.end)) for s in spans]

    async def rename(self, params: types.RenameParams) -> types.WorkspaceEdit | None:
        uri = params.text_document.uri
        found = await self._task_at(uri, params.position)
        if found is None:
            return None
        assistant, task = found
        new = params.new_name.strip()
        if not new or not all(c.isalnum() or c in "_-." for c in new):
            raise JsonRpcException(f"'{params.new_name}' is not a task id (letters, digits, _ - .)",
                                   code=types.LSPErrorCodes.RequestFailed)  # fmt: skip
        if new in assistant.tasks.tasks and new != task:
            raise JsonRpcException(f"a task '{new}' already exists in this pipeline",
                                   code=types.LSPErrorCodes.RequestFailed)  # fmt: skip
        edits = [types.TextEdit(_range(s.line, s.start, s.end), new)
                 for s in assistant.tasks.occurrences(task)]  # fmt: skip
        return types.WorkspaceEdit(changes={uri: edits})

    async def symbols(
        self, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol] | None:
        assistant = await self.assistant(params.text_document.uri)
        if assistant is None:
            return None
        return [_symbol(s) for s in assistant.symbols()]

    async def code_lenses(self, params: types.CodeLensParams) -> list[types.CodeLens] | None:
        uri = params.text_document.uri
        assistant = await self.assistant(uri)
        if assistant is None:
            return None
        lenses = []
        if assistant.kind in ("rules", "config"):
            from wave_lsp.authoring.rule_examples import rule_results

            results = await asyncio.to_thread(rule_results, assistant.text, uri)
            for result in results:
                arguments = [{"uri": uri, "id": result.rule_id}]
                lenses.append(types.CodeLens(
                    _range(result.line, 0, 0),
                    types.Command(result.title(), RULE_TEST, arguments=arguments),
                ))  # fmt: skip
        if assistant.kind == "pipeline":
            for symbol in assistant.symbols()[:1]:
                pipeline_id = next((c.detail for c in symbol.children if c.name == "id"), "")
                if pipeline_id:
                    lenses.append(types.CodeLens(
                        _range(symbol.line, 0, 0),
                        types.Command(f"▶ Run pipeline {pipeline_id}", "wave.pipeline.run",
                                      arguments=[{"pipeline": pipeline_id}]),
                    ))  # fmt: skip
        return lenses


def _range(line: int, start: int, end: int) -> types.Range:
    return types.Range(types.Position(line, start), types.Position(line, end))


def _symbol(symbol: Symbol) -> types.DocumentSymbol:
    whole = _range(symbol.line, symbol.start, symbol.end)
    return types.DocumentSymbol(
        name=symbol.name, detail=symbol.detail or None, kind=SYMBOL_KINDS[symbol.kind],
        range=whole, selection_range=whole, children=[_symbol(c) for c in symbol.children] or None,
    )  # fmt: skip
