"""The session core through the real server over stdio, against a recording OpenAI-protocol
server: what the report says is what the next request sends, the conversation carries on and is
checkpointed, compacted and persisted, the selected persona is the one everything uses, a
broken configuration refuses AI requests, and wrong arguments are InvalidParams."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.conftest import WriteFile, recording_provider
from tests.e2e.conftest import RecordingClient, uri, wait_for_diagnostics
from tests.e2e.test_settings import start, stop
from tests.providers.protocol_server import ProtocolServer

APP = "def total(items):\n    result = 0\n    for item in items:\n        result += item\n    return result\n"
FIX_DIFF = (
    "```diff\n--- a/app.py\n+++ b/app.py\n@@ -3,3 +3,3 @@\n"
    "     for item in items:\n-        result += item\n+        result += item.price\n"
    "     return result\n```\n"
)
REQUEST_FAILED = types.LSPErrorCodes.RequestFailed
INVALID_PARAMS = -32602


def config(llm: ProtocolServer, extra: str = "", window: int = 16000) -> str:
    return f"""
        providers:
          defaultProvider: llm
          providers:
            llm: {recording_provider(llm, contextWindow=window)}
        {extra}
        """


@pytest.fixture
def project(write: WriteFile, workspace: Path, llm: ProtocolServer) -> Path:
    write(".wave/config.yaml", config(llm))
    (workspace / "app.py").write_text(APP)
    (workspace / "notes.md").write_text("Prices are in cents; items have a price.\n")
    return workspace


def open_app(client: RecordingClient, project: Path) -> str:
    document_uri = uri(project / "app.py")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document_uri, language_id="python", version=1, text=APP
            )
        )
    )
    return document_uri


async def command(client: RecordingClient, name: str, *arguments: Any) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=list(arguments))
    )


def user_files(body: dict[str, Any]) -> list[str]:
    """The files a request carried, by the name it gave them."""
    text = body["messages"][-1]["content"]
    return [line[5:-1] for line in text.splitlines() if line.startswith("File ")]


async def test_the_context_report_is_the_next_request(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    document_uri = open_app(client, project)
    await command(client, "wave.context.add", {"path": "notes.md"})
    for turn in range(2):  # the second time with the first exchange as history
        shown = await command(client, "wave.context.show", {"uri": document_uri})
        llm.state.answers = [f"Answer {turn}."]
        asked = await command(client, "wave.ask", {"prompt": f"Why {turn}?", "uri": document_uri})
        assert {k: v for k, v in shown.items() if k not in ("persona", "model")} == asked["context"]
        assert shown["contextWindow"] == 16000 and shown["history"]["messages"] == 2 * turn
        assert [(f["path"], f["status"]) for f in shown["files"]] == [
            ("app.py", "included"),
            ("notes.md", "included"),
        ]
        body = llm.requests[-1].body
        assert user_files(body) == ["app.py", "notes.md"]
        assert "Prices are in cents" in body["messages"][-1]["content"]
        assert len(body["messages"]) == 2 + 2 * turn  # system, history, the question


async def test_the_selected_persona_is_the_one_everything_uses(
    client: RecordingClient, project: Path, write: WriteFile, llm: ProtocolServer
) -> None:
    write(
        ".wave/rules/team.yaml",
        """
        rules:
          - id: reviewer.no-print
            name: x
            type: quality
            scope: persona
            personas: [reviewer]
            pattern-regex: 'result \\+='
          - id: developer.no-print
            name: x
            type: quality
            scope: persona
            personas: [developer]
            pattern-regex: 'result \\+='
        """,
    )
    document_uri = open_app(client, project)
    found = await wait_for_diagnostics(client, document_uri, lambda d: len(d) == 1)
    assert [d.code for d in found] == ["developer.no-print"]
    selected = await command(client, "wave.persona.select", {"name": "reviewer"})
    assert "code:write" not in selected["permissions"]
    found = await wait_for_diagnostics(
        client, document_uri, lambda d: [x.code for x in d] == ["reviewer.no-print"]
    )
    assert [d.code for d in found] == ["reviewer.no-print"]
    llm.state.answers = [FIX_DIFF]
    asked = await command(client, "wave.ask", {"prompt": "Fix it", "uri": document_uri})
    system = llm.requests[-1].body["messages"][0]
    assert system["role"] == "system" and system["content"].startswith("You are a Reviewer")
    with pytest.raises(JsonRpcException, match="code:write") as refused:
        await command(client, "wave.proposal.apply", {"id": asked["proposal"]})
    assert refused.value.code == REQUEST_FAILED
    before = len(llm.requests)
    with pytest.raises(JsonRpcException, match="write"):
        await command(client, "wave.action.run", {"wave": "fix", "uri": document_uri, "first": 3})
    assert len(llm.requests) == before  # refused before any model was asked
    assert (project / "app.py").read_text() == APP
    assert client.applied_edits == []


async def test_a_broken_configuration_refuses_ai_requests(
    client: RecordingClient, project: Path, write: WriteFile, llm: ProtocolServer
) -> None:
    write(".wave/config.yaml", config(llm).replace("type: openai", "type: opnai"))
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(
                    uri=uri(project / ".wave" / "config.yaml"), type=types.FileChangeType.Changed
                )
            ]
        )
    )
    document_uri = open_app(client, project)
    with pytest.raises(JsonRpcException) as refused:
        await command(client, "wave.ask", {"prompt": "Why?", "uri": document_uri})
    assert refused.value.code == REQUEST_FAILED
    message = str(refused.value)
    assert "configuration is broken" in message and ".wave/config.yaml:" in message
    assert "opnai" in message and "Traceback" not in message
    assert llm.requests == []  # never answered by another model
    for _ in range(100):  # a long-running command's failure is shown as well
        if any("configuration is broken" in m.message for m in client.messages):
            break
        await asyncio.sleep(0.05)
    assert any(m.type == types.MessageType.Error for m in client.messages)


async def test_an_unknown_provider_prefix_names_the_configured_providers(
    project: Path, llm: ProtocolServer
) -> None:
    client = await start(project, {"debounceMs": 20, "model": "ghost:foo"})
    document_uri = open_app(client, project)
    with pytest.raises(JsonRpcException) as refused:
        await command(client, "wave.ask", {"prompt": "Why?", "uri": document_uri})
    assert refused.value.code == REQUEST_FAILED
    assert "'ghost', which is not configured" in str(refused.value)
    assert "configured providers: llm" in str(refused.value)
    assert llm.requests == []  # not sent to the default provider as a model name
    assert await stop(client) == 0


async def test_wrong_arguments_are_invalid_params_naming_the_field(
    client: RecordingClient, project: Path
) -> None:
    for name, arguments, field in [
        ("wave.persona.select", {"name": 5}, "name"),
        ("wave.ask", {"uri": "file:///x"}, "prompt"),
        ("wave.checkpoint.restore", {"id": ""}, "id"),
        ("wave.context.show", {"range": {"start": {"line": -1}}}, "range"),
    ]:
        with pytest.raises(JsonRpcException) as wrong:
            await command(client, name, arguments)
        assert wrong.value.code == INVALID_PARAMS, name
        assert f"{name}: {field}" in str(wrong.value) and "Traceback" not in str(wrong.value)


async def test_checkpoints_restore_the_conversation_and_a_restore_can_be_undone(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    document_uri = open_app(client, project)
    await command(client, "wave.context.add", {"path": "notes.md"})
    llm.state.answers = ["One.", "Two."]
    for prompt in ("First?", "Second?"):
        await command(client, "wave.ask", {"prompt": prompt, "uri": document_uri})
    saved = await command(client, "wave.checkpoint.save", {"name": "two questions"})
    assert saved["messageCount"] == 4
    await command(client, "wave.conversation.clear")
    await command(client, "wave.context.clear")
    llm.state.answers = ["Fresh."]
    await command(client, "wave.ask", {"prompt": "Third?", "uri": document_uri})
    restored = await command(client, "wave.checkpoint.restore", {"id": saved["id"]})
    assert restored["messageCount"] == 4 and restored["files"] == ["notes.md"]
    llm.state.answers = ["Three."]
    await command(client, "wave.ask", {"prompt": "Fourth?", "uri": document_uri})
    sent = llm.requests[-1].body["messages"]
    assert [m["content"] for m in sent[1:5]] == ["First?", "One.", "Second?", "Two."]
    assert user_files(llm.requests[-1].body) == ["app.py", "notes.md"]
    undone = await command(client, "wave.checkpoint.undo")
    assert undone["id"] == restored["undo"]
    shown = await command(client, "wave.conversation.show")
    assert [m["content"] for m in shown["messages"]] == ["Third?", "Fresh."]
    assert undone["files"] == []
    listed = await command(client, "wave.checkpoint.list")
    assert {e["id"] for e in listed} == {saved["id"], restored["undo"]}


async def test_a_long_conversation_is_compacted_once_and_persisted(
    write: WriteFile, workspace: Path, llm: ProtocolServer, isolated_user_config: Path
) -> None:
    write(".wave/config.yaml", config(llm, "context: {compaction_threshold: '50%'}", 2048))
    (workspace / "app.py").write_text(APP)
    client = await start(workspace, {"debounceMs": 20})
    document_uri = open_app(client, workspace)
    long = "This answer goes on about the loop and the total, at some length. " * 6
    llm.state.answers = [f"{n}: {long}" for n in range(3)] + ["THE SUMMARY.", "After."]
    for n in range(4):
        asked = await command(client, "wave.ask", {"prompt": f"Question {n}?", "uri": document_uri})
    summary_request, last = (r.body["messages"] for r in llm.requests[3:5])
    assert len(llm.requests) == 5  # three answers, one summary, the fourth answer
    assert summary_request[0]["content"].startswith("Summarise this conversation")
    assert "Question 0?" in summary_request[1]["content"]
    assert last[1]["role"] == "system" and "THE SUMMARY." in last[1]["content"]
    assert [m["content"][:3] for m in last[2:6]] == ["Que", "1: ", "Que", "2: "]
    assert asked["context"]["history"]["compacted"]["compacted_messages"] == "2"
    assert await stop(client) == 0

    client = await start(workspace, {"debounceMs": 20})  # a restart keeps the conversation
    shown = await command(client, "wave.conversation.show")
    assert len(shown["messages"]) == 7 and "THE SUMMARY." in shown["messages"][0]["content"]
    assert shown["compacted"]["compacted_messages"] == "2"
    assert await stop(client) == 0
    contexts = isolated_user_config.parent.parent / "state" / "wave" / "contexts"
    [stored] = contexts.glob("session-*.json.lz4")  # compressed as context.compression says
    assert not stored.read_bytes().lstrip().startswith(b"{")


async def test_an_expired_conversation_is_gone_after_a_restart(
    write: WriteFile, workspace: Path, llm: ProtocolServer, isolated_user_config: Path
) -> None:
    write(".wave/config.yaml", config(llm, "context: {compression: none}"))
    (workspace / "app.py").write_text(APP)
    client = await start(workspace, {"debounceMs": 20})
    document_uri = open_app(client, workspace)
    llm.state.answers = ["Kept."]
    await command(client, "wave.ask", {"prompt": "Remember?", "uri": document_uri})
    assert await stop(client) == 0
    [stored] = list(isolated_user_config.parent.parent.glob("state/wave/contexts/*.json"))
    data = json.loads(stored.read_text())
    data["expires_at"] = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    stored.write_text(json.dumps(data))
    client = await start(workspace, {"debounceMs": 20})
    shown = await command(client, "wave.conversation.show")
    assert shown["messages"] == []
    assert await stop(client) == 0


async def test_an_editor_that_declines_the_edit_leaves_the_proposal_pending(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    document_uri = open_app(client, project)
    client.decline_edits = "the file changed"
    llm.state.answers = [FIX_DIFF]
    answer = await command(
        client,
        "wave.action.run",
        {"wave": "fix", "uri": document_uri, "first": 3, "diagnostics": ["wrong sum"]},
    )
    assert answer["applied"] is False and "the file changed" in answer["reason"]
    [proposal] = await command(client, "wave.proposal.list")
    assert proposal["id"] == answer["proposal"] and proposal["status"] == "pending"
    for _ in range(100):  # the user is told, with what to do next
        told = [m for m in client.messages if answer["proposal"] in m.message]
        if told:
            break
        await asyncio.sleep(0.05)
    assert told and "still pending" in told[0].message
    assert (project / "app.py").read_text() == APP
    client.decline_edits = None  # applied later, once the editor takes it
    applied = await command(client, "wave.proposal.apply", {"id": answer["proposal"]})
    assert applied["status"] == "applied"


RAISING_SERVER = """
import sys
from wave_lsp.lsp import setup
from wave_lsp.lsp.features.base import Feature

class Raising(Feature):
    name = "raising"

    async def resolve_code_action(self, action):
        raise RuntimeError("a feature that fails on every action")

made = setup.make_features
setup.make_features = lambda server: [Raising(server), *made(server)]
from wave_lsp.cli.main import main
sys.exit(main(["lsp", "--stdio"]))
"""


async def test_a_feature_that_raises_in_resolve_does_not_stop_the_others(
    project: Path, llm: ProtocolServer
) -> None:
    from pytest_lsp import client_capabilities

    from tests.e2e.conftest import initialize_params, make_client

    client = make_client()
    await client.start_io(sys.executable, "-c", RAISING_SERVER)
    await client.initialize_session(
        initialize_params(client_capabilities("visual_studio_code"), project, {})
    )
    document_uri = open_app(client, project)
    listed = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=document_uri),
            range=types.Range(start=types.Position(0, 0), end=types.Position(4, 0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    [docstrings] = [a for a in listed or [] if "docstring" in a.title.lower()]
    llm.state.answers = [FIX_DIFF]
    resolved = await client.code_action_resolve_async(docstrings)
    assert resolved.edit is not None  # the AI actions still resolved it
    assert any("raising failed" in m.message for m in client.log_messages)
    assert await stop(client) == 0


async def test_cancelling_the_progress_stops_the_answer(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    document_uri = open_app(client, project)
    llm.state.answers = ["slow " * 400]
    llm.state.piece_delay = 0.05
    client.progress_reports["ask-1"] = []  # the client made it: no window/workDoneProgress/create
    asked = asyncio.ensure_future(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="wave.ask",
                arguments=[{"prompt": "Long?", "uri": document_uri}],
                work_done_token="ask-1",
            )
        )
    )
    for _ in range(200):
        if any(
            isinstance(r, types.WorkDoneProgressReport) for r in client.progress_reports["ask-1"]
        ):
            break
        await asyncio.sleep(0.05)
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token="ask-1"))
    with pytest.raises(Exception, match="cancel"):
        await asyncio.wait_for(asked, 10)
    for _ in range(100):
        if llm.state.disconnects:
            break
        await asyncio.sleep(0.05)
    assert llm.state.disconnects == 1  # the provider call was stopped
    assert client.progress_reports["ask-1"][-1].message == "cancelled"  # type: ignore[union-attr]
    shown = await command(client, "wave.conversation.show")
    assert shown["messages"] == []  # a stopped exchange is not in the conversation
