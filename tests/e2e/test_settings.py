"""Settings from initializationOptions and workspace/configuration: typed, layered over the
files, and falling back to defaults with a message when invalid."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities

from tests.e2e.conftest import (
    SERVER_COMMAND,
    initialize_params,
    make_client,
    uri,
    wait_for_diagnostics,
)


async def start(root: Path, options: object, configuration: dict | None = None):  # type: ignore[no-untyped-def]
    client = make_client()
    if configuration is not None:
        client.set_configuration(configuration, section="wave")
    await client.start_io(*SERVER_COMMAND)
    await client.initialize_session(
        initialize_params(client_capabilities("visual_studio_code"), root, options)
    )
    return client


async def wait_for_message(client, fragment: str) -> types.ShowMessageParams:  # type: ignore[no-untyped-def]
    async def wait() -> types.ShowMessageParams:
        while True:
            for message in client.messages:
                if fragment in message.message:
                    return message  # type: ignore[no-any-return]
            await client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)

    return await asyncio.wait_for(wait(), 15)


async def stop(client) -> int:  # type: ignore[no-untyped-def]
    await client.shutdown_session()
    await client.stop()
    return int(client._server.returncode)


@pytest.mark.parametrize("options", [{"debounceMs": "soon"}, ["not", "an", "object"]])
async def test_invalid_initialization_options_fall_back_with_a_message(
    workspace: Path, options: object
) -> None:
    client = await start(workspace, options)
    message = await wait_for_message(client, "invalid initializationOptions")
    assert message.type == types.MessageType.Warning
    # The server keeps serving with defaults.
    text = "server:\n  port: 0\n"
    path = workspace / ".wave" / "config.yaml"
    path.write_text(text)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri(path), language_id="yaml", version=1, text=text
            )
        )
    )
    (diagnostic,) = await wait_for_diagnostics(client, uri(path), lambda d: len(d) == 1)
    assert diagnostic.range.start.line == 1
    assert await stop(client) == 0


async def test_configuration_layers_from_the_editor(workspace: Path) -> None:
    # initializationOptions set a default persona that does not exist; the client's
    # workspace/configuration answer replaces it with one that does, on the same file.
    init = {"config": {"security": {"personas": {"default_persona": "nobody"}}}}
    path = workspace / ".wave" / "config.yaml"
    path.write_text("security:\n  personas:\n    default_persona: developer\n")

    client = await start(workspace, init)
    document_uri = uri(path)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document_uri, language_id="yaml", version=1, text=path.read_text()
            )
        )
    )
    message = await wait_for_message(client, "settings ignored")
    assert "initializationOptions:1:1: default persona 'nobody' does not exist" in message.message
    assert await stop(client) == 0

    client = await start(
        workspace, init, {"config": {"security": {"personas": {"default_persona": "reviewer"}}}}
    )
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document_uri, language_id="yaml", version=1, text=path.read_text()
            )
        )
    )
    assert await wait_for_diagnostics(client, document_uri, lambda d: True) == []
    assert not any("settings ignored" in m.message for m in client.messages)
    assert await stop(client) == 0


async def test_changing_the_persona_re_checks_open_documents(workspace: Path) -> None:
    rules = workspace / ".wave" / "rules" / "team.yaml"
    rules.parent.mkdir(parents=True, exist_ok=True)
    rules.write_text(
        "rules:\n  - id: reviewer.no-print\n    name: x\n    type: quality\n    scope: persona\n"
        "    personas: [reviewer]\n    pattern-regex: 'print'\n"
    )
    client = await start(workspace, {"persona": "developer"})
    source = workspace / "a.py"
    source.write_text("print(1)\n")
    document_uri = uri(source)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document_uri, language_id="python", version=1, text="print(1)\n"
            )
        )
    )
    assert await wait_for_diagnostics(client, document_uri, lambda d: True) == []
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"wave": {"persona": "reviewer"}})
    )
    (finding,) = await wait_for_diagnostics(client, document_uri, lambda d: len(d) == 1)
    assert finding.code == "reviewer.no-print"
    assert await stop(client) == 0
