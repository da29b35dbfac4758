"""A billion-laughs `.wave/config.yaml` opened in the editor: a located diagnostic, and the
server keeps answering (it once took minutes and gigabytes)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types

from tests.e2e.conftest import RecordingClient, wait_for_diagnostics
from tests.e2e.test_config_diagnostics import open_document
from tests.unit.test_config_bombs import LAUGHS


async def test_billion_laughs_in_the_editor(client: RecordingClient, workspace: Path) -> None:
    path = workspace / ".wave" / "config.yaml"
    path.write_text("server: {}\n")
    document = open_document(client, path, LAUGHS)
    found = await wait_for_diagnostics(
        client, document, lambda items: any("aliases expand" in d.message for d in items)
    )
    [bomb] = [d for d in found if "aliases expand" in d.message]
    assert bomb.range.start.line >= 4
    answer = await asyncio.wait_for(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=document),
                range=types.Range(types.Position(0, 0), types.Position(0, 1)),
                context=types.CodeActionContext(diagnostics=[]),
            )
        ),
        10,
    )
    assert answer is None or len(answer) >= 1  # answered: the server still serves
