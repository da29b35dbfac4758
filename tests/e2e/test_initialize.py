from __future__ import annotations

from lsprotocol import types

from tests.e2e.conftest import RecordingClient

EXPECTED_ENCODING = {"visual_studio_code": "utf-16", "neovim": "utf-8", "emacs": "utf-32"}


async def test_server_info_and_capabilities(client: RecordingClient) -> None:
    result = client.initialize_result
    assert result.server_info is not None
    assert result.server_info.name == "wave-lsp"
    sync = result.capabilities.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions)
    assert sync.change == types.TextDocumentSyncKind.Incremental
    assert sync.open_close
    workspace = result.capabilities.workspace
    assert workspace is not None and workspace.workspace_folders is not None
    assert workspace.workspace_folders.supported


async def test_position_encoding_is_negotiated(client: RecordingClient) -> None:
    name = client.client_name  # type: ignore[attr-defined]
    assert client.initialize_result.capabilities.position_encoding == EXPECTED_ENCODING[name]


async def test_logs_go_to_the_client_not_stdout(client: RecordingClient) -> None:
    # Anything the server printed to stdout would have broken the protocol before this point.
    assert any("initialize from" in m.message for m in client.log_messages)
