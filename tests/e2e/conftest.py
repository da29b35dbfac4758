"""End-to-end fixtures: the real server, started as `python -m wave_lsp lsp --stdio`, driven by
pytest-lsp's client with the recorded capabilities of VS Code, Neovim and Emacs (eglot)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

CLIENTS = ["visual_studio_code", "neovim", "emacs"]
_WAVE = Path(sys.executable).with_name("wave")
SERVER_COMMAND = (
    [str(_WAVE), "lsp", "--stdio"]  # the console script, exactly as an editor starts it
    if _WAVE.exists()
    else [sys.executable, "-m", "wave_lsp", "lsp", "--stdio"]
)


class RecordingClient(LanguageClient):
    """pytest-lsp's client, plus a record of every `workspace/applyEdit` the server sends
    (answered as applied), which pytest-lsp does not handle on its own."""

    applied_edits: list[types.ApplyWorkspaceEditParams]
    registrations: list[types.Registration]
    published: list[types.PublishDiagnosticsParams]
    """Every textDocument/publishDiagnostics, in order (pytest-lsp keeps the last per URI)."""
    initialize_result: types.InitializeResult
    decline_edits: str | None
    """When set, `workspace/applyEdit` is answered `applied: false` with this reason."""
    lens_refreshes: int
    """`workspace/codeLens/refresh` requests received."""


def make_client() -> RecordingClient:
    client = RecordingClient(converter_factory=default_converter)
    default_publish = DEFAULT_CLIENT_FEATURES[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def publish(client: RecordingClient, params: types.PublishDiagnosticsParams) -> None:
        client.published.append(params)
        default_publish(client, params)

    register_lsp_features(
        client, {**DEFAULT_CLIENT_FEATURES, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish}
    )
    client.applied_edits = []
    client.registrations = []
    client.published = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)

    client.decline_edits = None
    client.lens_refreshes = 0

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def refresh_lenses(params: None) -> None:
        client.lens_refreshes += 1

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        if client.decline_edits is not None:  # an editor that refuses (a file changed, ...)
            return types.ApplyWorkspaceEditResult(
                applied=False, failure_reason=client.decline_edits
            )
        client.applied_edits.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    return client


def uri(path: Path) -> str:
    value = from_fs_path(str(path))
    assert value is not None
    return value


def initialize_params(
    capabilities: types.ClientCapabilities, root: Path, options: Any = None
) -> types.InitializeParams:
    return types.InitializeParams(
        capabilities=capabilities,
        root_uri=uri(root),
        workspace_folders=[types.WorkspaceFolder(uri=uri(root), name=root.name)],
        initialization_options=options,
    )


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client),
    params=CLIENTS,
)
async def client(lsp_client: RecordingClient, request: pytest.FixtureRequest, workspace: Path):
    lsp_client.client_name = request.param  # type: ignore[attr-defined]
    lsp_client.initialize_result = await lsp_client.initialize_session(
        initialize_params(client_capabilities(request.param), workspace, {"debounceMs": 20})
    )
    yield
    if not getattr(lsp_client, "shut_down", False):  # a test that shut the server down itself
        await lsp_client.shutdown_session()


async def wait_for_diagnostics(
    client: LanguageClient,
    document_uri: str,
    predicate: Callable[[list[types.Diagnostic]], bool],
    within: float = 15.0,
) -> list[types.Diagnostic]:
    """Wait until the document's diagnostics satisfy ``predicate``: published ones for a push
    client, pulled (textDocument/diagnostic) for a client that pulls, as Neovim 0.11 does."""
    capabilities = client.capabilities
    pulls = bool(
        capabilities and capabilities.text_document and capabilities.text_document.diagnostic
    )

    async def pull() -> list[types.Diagnostic]:
        while True:
            report = await client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(
                    text_document=types.TextDocumentIdentifier(uri=document_uri)
                )
            )
            assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
            client.diagnostics[document_uri] = report.items
            if predicate(list(report.items)):
                return list(report.items)
            await asyncio.sleep(0.05)

    async def wait() -> list[types.Diagnostic]:
        if pulls:
            return await pull()
        while True:
            current = list(client.diagnostics.get(document_uri, []))
            if document_uri in client.diagnostics and predicate(current):
                return current
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    try:
        return await asyncio.wait_for(wait(), within)
    except TimeoutError:
        pytest.fail(
            f"diagnostics for {document_uri} never matched; last: "
            f"{client.diagnostics.get(document_uri)}"
        )
