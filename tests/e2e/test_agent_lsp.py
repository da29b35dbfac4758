"""`wave.agent.run` through the real server over stdio, against a recording provider that scripts
tool calls: the agent reads the editor's unsaved text, each step is in $/progress, nothing is
written until the proposal is applied, an `ask` rule asks the user (a "no" refuses the call), and
a persona's refusal reaches the answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types

from tests.conftest import WriteFile
from tests.e2e.conftest import RecordingClient, uri
from tests.e2e.test_protected_proposals import answer_questions
from tests.e2e.test_session_lsp import command, config
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn

ON_DISK = "def total(items):\n    return sum(items)\n"
UNSAVED = "def total(items):\n    return sum(item.price for item in items)\n"


@pytest.fixture
def project(write: WriteFile, workspace: Path, llm: ProtocolServer) -> Path:
    write(".wave/config.yaml", config(llm, "agent: {tool_rules: {ask: ['write_file(docs/*)']}}"))
    (workspace / "app.py").write_text(ON_DISK)
    return workspace


def open_unsaved(client: RecordingClient, project: Path) -> str:
    document_uri = uri(project / "app.py")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document_uri, language_id="python", version=3, text=UNSAVED
            )
        )
    )
    return document_uri


def tool_results(llm: ProtocolServer, index: int = -1) -> list[str]:
    messages = llm.requests[index].body["messages"]
    return [m["content"] for m in messages if m["role"] == "tool"]


async def test_the_agent_edits_the_unsaved_text_as_one_proposal(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    document_uri = open_unsaved(client, project)
    llm.state.answers = [
        ToolTurn([("read_file", {"path": "app.py"})]),
        ToolTurn(
            [
                (
                    "edit_file",
                    {"path": "app.py", "old_text": "return sum(", "new_text": "return round(sum("},
                )
            ]
        ),
        ToolTurn(
            [("edit_file", {"path": "app.py", "old_text": "items)\n", "new_text": "items), 2)\n"})]
        ),
        "Rounded the total.",
    ]
    answer = await command(client, "wave.agent.run",
                           {"instruction": "round the total", "uri": document_uri})  # fmt: skip
    assert answer["text"] == "Rounded the total." and answer["stopReason"] == "end_turn"
    assert answer["steps"] == 4 and answer["changedFiles"] == ["app.py"]
    assert "item.price" in tool_results(llm, 1)[0]  # the editor's text, not the disk's
    assert "The user is looking at app.py" in llm.requests[0].body["messages"][-1]["content"]
    assert (project / "app.py").read_text() == ON_DISK  # nothing written yet
    assert "+    return round(sum(item.price for item in items), 2)" in answer["diff"]
    reports = [r for values in client.progress_reports.values() for r in values]
    messages = " ".join(getattr(r, "message", "") or "" for r in reports)
    titles = [getattr(r, "title", "") for r in reports]
    assert "Wave: agent" in titles and "edit_file app.py" in messages
    await command(client, "wave.proposal.apply", {"id": answer["proposal"]})
    [edit] = client.applied_edits  # applied through the editor: the document is open
    assert "round(" in json.dumps(
        edit.edit.to_json() if hasattr(edit.edit, "to_json") else str(edit.edit)
    )


@pytest.mark.parametrize("reply", ["Allow", "Deny"])
async def test_an_ask_rule_asks_the_user_and_a_no_refuses(
    client: RecordingClient, project: Path, llm: ProtocolServer, reply: str
) -> None:
    asked = answer_questions(client, reply)
    llm.state.answers = [
        ToolTurn([("write_file", {"path": "docs/notes.md", "content": "notes\n"})]),
        "done",
    ]
    answer = await command(client, "wave.agent.run", {"instruction": "write notes"})
    can_ask = client.client_name != "emacs"  # type: ignore[attr-defined]  # no showMessageRequest
    if can_ask:
        assert asked and "write_file docs/notes.md" in asked[0] and "write_file(docs/*)" in asked[0]
    if can_ask and reply == "Allow":
        assert answer["changedFiles"] == ["docs/notes.md"] and answer["denials"] == []
    else:
        assert answer["changedFiles"] == [] and "proposal" not in answer
        assert tool_results(llm)[0].startswith("refused:")
    assert not (project / "docs").exists()


async def test_a_persona_refusal_reaches_the_answer(
    client: RecordingClient, project: Path, llm: ProtocolServer, write: WriteFile
) -> None:
    await command(client, "wave.persona.select", {"name": "analyst"})
    llm.state.answers = [ToolTurn([("write_file", {"path": "app.py", "content": "x"})]), "no"]
    answer = await command(client, "wave.agent.run", {"instruction": "rewrite app.py"})
    [denial] = answer["denials"]
    assert denial.startswith("write_file(app.py)") and "code:write" in denial
    assert (project / "app.py").read_text() == ON_DISK


async def test_cancelling_at_a_step_stops_the_model_call_and_proposes_nothing(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    import asyncio

    llm.state.answers = [
        ToolTurn([("write_file", {"path": "app.py", "content": "half done\n"})]),
        "x" * 400,  # the second step streams slowly: it is cancelled in flight
    ]
    llm.state.pieces = 40
    llm.state.piece_delay = 0.1
    request = asyncio.ensure_future(
        client.protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(
                command="wave.agent.run", arguments=[{"instruction": "rewrite"}]
            ),
            msg_id="agent-cancel",
        )
    )
    for _ in range(200):
        if len(llm.requests) >= 2:
            break
        await asyncio.sleep(0.05)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="agent-cancel"))
    with pytest.raises(Exception, match="cancel"):
        await asyncio.wait_for(request, 10)
    for _ in range(100):
        if llm.state.disconnects:
            break
        await asyncio.sleep(0.05)
    assert llm.state.disconnects == 1
    assert (project / "app.py").read_text() == ON_DISK
    assert await command(client, "wave.proposal.list") == []
