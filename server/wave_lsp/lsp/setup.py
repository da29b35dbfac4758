"""The one place where LSP methods are registered. Each method fans out to the feature objects;
an exception in one feature is logged and does not stop the others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from wave_lsp.config.client_settings_section import SETTINGS_SECTION
from wave_lsp.lsp.documents import use_line_array_documents
from wave_lsp.lsp.envelope import INVALID_PARAMS
from wave_lsp.lsp.features.agent import AgentFeature
from wave_lsp.lsp.features.ai_actions import AIActions
from wave_lsp.lsp.features.authoring import Authoring
from wave_lsp.lsp.features.base import CommandError, Feature
from wave_lsp.lsp.features.config_diagnostics import ConfigDiagnostics
from wave_lsp.lsp.features.context import SessionContext
from wave_lsp.lsp.features.inline import InlineCompletion
from wave_lsp.lsp.features.pipelines import Pipelines
from wave_lsp.lsp.features.proposals import Proposals
from wave_lsp.lsp.features.rule_diagnostics import FIX_ALL_KIND, RuleDiagnostics
from wave_lsp.lsp.features.validate_workspace import ValidateWorkspace
from wave_lsp.lsp.log import set_level
from wave_lsp.lsp.server import WaveLanguageServer

logger = logging.getLogger(__name__)

LONG_RUNNING = (
    "wave.action.run",
    "wave.agent.run",
    "wave.ask",
    "wave.pipeline.run",
    "wave.validate.workspace",
)
"""Commands that take long: a failure is also shown (the user may have moved on)."""


def long_running(command: str) -> bool:
    return command in LONG_RUNNING


def make_features(server: WaveLanguageServer) -> list[Feature]:
    """Every feature, each handed the services it uses when it is made (none looks another
    up); the order is the order of every fan-out."""
    proposals = Proposals(server)
    return [
        ConfigDiagnostics(server),
        RuleDiagnostics(server),
        ValidateWorkspace(server),
        proposals,
        SessionContext(server, proposals),
        AIActions(server, proposals),
        AgentFeature(server, proposals),
        Pipelines(server, proposals),
        InlineCompletion(server),
        Authoring(server),
    ]


def _each(server: WaveLanguageServer, hook: str, *args: Any) -> None:
    for feature in server.features:
        try:
            getattr(feature, hook)(*args)
        except Exception:
            logger.exception("feature %s failed in %s", feature.name, hook)


async def _each_async(server: WaveLanguageServer, hook: str) -> None:
    for feature in server.features:
        try:
            await getattr(feature, hook)()
        except Exception:
            logger.exception("feature %s failed in %s", feature.name, hook)


def parse_client_settings(data: Any) -> tuple[Any, list[str]]:
    """Typed settings (imported here: pydantic is not needed to answer `initialize`)."""
    from wave_lsp.config.client_settings import parse_client_settings as parse

    return parse(data)


async def _refresh_settings(server: WaveLanguageServer) -> None:
    """Ask the client for the ``wave`` section; fall back to the initialization options."""
    if not server.client_supports("workspace.configuration"):
        server.settings = server.init_settings
        return
    try:
        result = await server.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SETTINGS_SECTION)])
        )
    except Exception as error:
        logger.warning("workspace/configuration failed: %s", error)
        server.settings = server.init_settings
        return
    data = result[0] if result else None
    if not data:
        server.settings = server.init_settings
        return
    base = server.init_settings.model_dump(by_alias=True, exclude_unset=True)
    settings, problems = parse_client_settings({**base, **data} if isinstance(data, dict) else data)
    if problems:
        server.show_message(
            "Wave: invalid settings, using defaults for: " + "; ".join(problems),
            types.MessageType.Warning,
        )
    server.settings = settings


async def _after_initialized(server: WaveLanguageServer) -> None:
    await _refresh_settings(server)
    _apply_settings(server)
    await _each_async(server, "initialized")


def _apply_settings(server: WaveLanguageServer) -> None:
    if server.settings.log_level is not None:
        set_level(server.settings.log_level.value)
    _each(server, "settings_changed")


def _register_command(
    server: WaveLanguageServer, name: str, handler: Callable[..., Awaitable[Any]]
) -> None:
    async def command(*arguments: Any) -> Any:
        # pygls runs a command inside its workspace/executeCommand handler, under an id of its
        # own, so $/cancelRequest cancels only the outer request. Tie the two together: a
        # cancelled request cancels the running command (and its provider call).
        task = asyncio.current_task()
        protocol: Any = server.protocol
        msg_id = protocol._ctx_msg_id.get(None) if hasattr(protocol, "_ctx_msg_id") else None
        outer = protocol._request_futures.get(msg_id) if msg_id is not None else None
        if outer is not None and task is not None and outer is not task:
            outer.add_done_callback(lambda future: task.cancel() if future.cancelled() else None)
        try:
            return await handler(*arguments)
        except CommandError as error:
            # The message a user reads, as LSP's InvalidParams (a wrong argument) or
            # RequestFailed: no class name, no traceback.
            invalid = type(error).__name__ == "InvalidArguments"
            code = INVALID_PARAMS if invalid else types.LSPErrorCodes.RequestFailed
            if not invalid and long_running(name):
                server.show_message(f"Wave: {error}", types.MessageType.Error)
            raise JsonRpcException(str(error), code=code) from error

    server.command(name)(command)


def _register_method(
    server: WaveLanguageServer, method: str, handler: Callable[[Any], Awaitable[Any]], options: Any
) -> None:
    """One feature's handler of ``method`` (pygls registers functions, not bound methods)."""

    async def answer(params: Any) -> Any:
        return await handler(params)

    server.feature(method, options)(answer)


def register(server: WaveLanguageServer) -> None:
    server.features = make_features(server)
    pending_messages: list[str] = []
    raw_options: list[Any] = []

    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        if server.log_handler is not None:
            server.log_handler.attach(asyncio.get_running_loop())
        raw_options.append(params.initialization_options)  # typed in `initialized`
        use_line_array_documents(server.workspace)
        client = params.client_info.name if params.client_info else "unknown client"
        logger.info("initialize from %s", client)
        _each(server, "initialize", params)

    @server.feature(types.INITIALIZED)
    def initialized(params: types.InitializedParams) -> None:
        # Synchronous, so that the initializationOptions are in force before the messages read
        # with this one are handled (an async handler would only start after them).
        _each(server, "before_documents")
        settings, problems = parse_client_settings(raw_options[-1] if raw_options else None)
        server.init_settings = server.settings = settings
        pending_messages.extend(problems)
        if settings.log_level is not None:
            set_level(settings.log_level.value)
        if pending_messages:
            server.show_message(
                "Wave: invalid initializationOptions, using defaults for: "
                + "; ".join(pending_messages),
                types.MessageType.Warning,
            )
            pending_messages.clear()
        server.loop_task(_after_initialized(server))

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        pushed = params.settings
        if isinstance(pushed, dict) and SETTINGS_SECTION in pushed:
            settings, problems = parse_client_settings(pushed[SETTINGS_SECTION])
            if problems:
                server.show_message(
                    "Wave: invalid settings, using defaults for: " + "; ".join(problems),
                    types.MessageType.Warning,
                )
            server.settings = settings
        else:
            await _refresh_settings(server)
        _apply_settings(server)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        _each(server, "did_open", server.workspace.get_text_document(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        _each(server, "did_change", server.workspace.get_text_document(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        _each(server, "did_save", server.workspace.get_text_document(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        _each(server, "did_close", params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        _each(server, "files_changed", [change.uri for change in params.changes])

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[
                types.CodeActionKind.QuickFix,
                FIX_ALL_KIND,
                types.CodeActionKind.RefactorRewrite,
                types.CodeActionKind.Source,
            ],
            resolve_provider=True,
        ),
    )
    def code_action(params: types.CodeActionParams) -> list[types.CodeAction] | None:
        actions: list[types.CodeAction] = []
        for feature in server.features:
            try:
                actions.extend(feature.code_actions(params))
            except Exception:
                logger.exception("feature %s failed in code_actions", feature.name)
        return actions or None

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(action: types.CodeAction) -> types.CodeAction:
        # Each feature in isolation: one that fails on an action it does not own is logged and
        # the others still get theirs; the owner's refusal is the user's answer.
        refusal: CommandError | None = None
        for feature in server.features:
            try:
                resolved = await feature.resolve_code_action(action)
            except CommandError as error:
                refusal = error
                continue
            except Exception:
                logger.exception("feature %s failed in resolve_code_action", feature.name)
                continue
            if resolved is not None:
                return resolved
        if refusal is not None:
            server.show_message(f"Wave: {refusal}", types.MessageType.Error)
            raise JsonRpcException(str(refusal), code=types.LSPErrorCodes.RequestFailed)
        return action

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier="wave", inter_file_dependencies=True, workspace_diagnostics=False
        ),
    )
    async def diagnostic(
        params: types.DocumentDiagnosticParams,
    ) -> types.RelatedFullDocumentDiagnosticReport:
        uri = params.text_document.uri
        for feature in server.features:
            try:
                await feature.settle(uri)
            except Exception:
                logger.exception("feature %s failed in settle", feature.name)
        return types.RelatedFullDocumentDiagnosticReport(items=server.diagnostics.get(uri))

    [inline] = [f for f in server.features if isinstance(f, InlineCompletion)]
    [authoring] = [f for f in server.features if isinstance(f, Authoring)]
    completion = types.CompletionOptions(trigger_characters=[":", " ", "-", "[", ","])
    methods: list[tuple[str, Callable[[Any], Awaitable[Any]], Any]] = [
        (types.TEXT_DOCUMENT_COMPLETION, authoring.completion, completion),
        (types.TEXT_DOCUMENT_HOVER, authoring.hover, None),
        (types.TEXT_DOCUMENT_DEFINITION, authoring.definition, None),
        (types.TEXT_DOCUMENT_REFERENCES, authoring.references, None),
        (types.TEXT_DOCUMENT_RENAME, authoring.rename, None),
        (types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, authoring.symbols, None),
        (types.TEXT_DOCUMENT_CODE_LENS, authoring.code_lenses, None),
    ]
    for method, handler, options in methods:
        _register_method(server, method, handler, options)

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        params: types.InlineCompletionParams,
    ) -> types.InlineCompletionList | None:
        return await inline.complete(params)

    for feature in server.features:
        for name, handler in feature.commands().items():
            _register_command(server, name, handler)

    @server.feature(types.SHUTDOWN)
    async def shutdown(params: None) -> None:
        logger.info("shutdown")
        await _each_async(server, "shutdown")
        await server.mcp.aclose()  # every MCP server the session started
