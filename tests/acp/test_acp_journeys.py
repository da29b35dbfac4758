"""`wave acp` over stdio, driven by the ACP Python SDK's client against the recording provider:
a prompt streams chunks, a plan and tool calls; an edit is asked about with its diff, a reject
leaves the file, an allow writes it through fs/write_text_file; the personas are the modes (a
reviewer's edit fails with the persona's reason); cancel ends the turn; secrets stay here."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from acp import text_block
from tests.acp.conftest import APP, GREET, RecordingClient, script_greet, wave_acp
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn


@pytest.mark.parametrize("answer", ["reject_once", "allow_once"])
async def test_a_prompt_edits_only_once_allowed(
    project: Path, llm: ProtocolServer, answer: str
) -> None:
    script_greet(llm)
    client = RecordingClient(answers=[answer])
    app = project / "src" / "app.py"
    async with wave_acp(client, project) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        assert {m.id for m in session.modes.available_modes} >= {"developer", "reviewer"}
        response = await conn.prompt(session_id=session.session_id,
                                     prompt=[text_block("add a greet function to src/app.py")])  # fmt: skip
    assert response.stop_reason == "end_turn"
    kinds = client.kinds()
    assert {"agent_message_chunk", "plan", "tool_call", "tool_call_update"} <= set(kinds)
    assert "Looking first." in client.text() and client.text().endswith("Added greet.")
    (asked,) = client.permissions
    (diff,) = [c for c in asked.content if c.type == "diff"]
    assert diff.path == str(app) and diff.old_text == APP and "def greet" in diff.new_text
    assert set(client.reads) == {str(app)}  # read through the editor
    assert "add a greet function" in llm.requests[0].body["messages"][-1]["content"]
    results = [u for u in client.updates if u.session_update == "tool_call_update"]
    if answer == "reject_once":
        assert app.read_text() == APP and client.writes == []
        assert results[-1].status == "failed"
        assert "refused by the user" in llm.requests[2].body["messages"][-1]["content"]
    else:
        assert client.writes == [(str(app), GREET + "\n\n" + APP)]
        assert app.read_text() == GREET + "\n\n" + APP
        assert results[-1].status == "completed"
        (shown,) = [c for c in results[-1].content if c.type == "diff"]  # in the call's result
        assert shown.old_text == APP and shown.new_text == GREET + "\n\n" + APP


async def test_the_reviewer_mode_cannot_edit(project: Path, llm: ProtocolServer) -> None:
    script_greet(llm)
    client = RecordingClient(answers=["allow_once"])
    async with wave_acp(client, project) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        await conn.set_session_mode(session_id=session.session_id, mode_id="reviewer")
        await conn.prompt(session_id=session.session_id, prompt=[text_block("add greet")])
    assert client.permissions == [] and client.writes == []
    failed = [u for u in client.updates if u.session_update == "tool_call_update"
              and u.status == "failed"]  # fmt: skip
    assert failed and "code:write" in str(failed[-1].raw_output)
    assert (project / "src" / "app.py").read_text() == APP


async def test_without_client_files_an_allowed_edit_is_written_with_a_backup(
    project: Path, llm: ProtocolServer
) -> None:
    script_greet(llm)
    client = RecordingClient(answers=["allow_always"])
    async with wave_acp(client, project, fs=False) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        await conn.prompt(session_id=session.session_id, prompt=[text_block("add greet")])
    assert client.reads == [] and client.writes == []
    assert (project / "src" / "app.py").read_text() == GREET + "\n\n" + APP
    backups = list((project / ".wave" / "backups").glob("acp-*/src/app.py"))  # as wave apply
    assert [b.read_text() for b in backups] == [APP]


async def test_cancel_ends_the_turn_cancelled(project: Path, llm: ProtocolServer) -> None:
    llm.state.answers = ["slow " * 400]
    llm.state.piece_delay = 0.05
    client = RecordingClient()
    async with wave_acp(client, project) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        turn = asyncio.create_task(conn.prompt(session_id=session.session_id,
                                               prompt=[text_block("write a lot")]))  # fmt: skip
        await asyncio.wait_for(client.first_chunk.wait(), 10)
        began = asyncio.get_running_loop().time()
        await conn.cancel(session_id=session.session_id)
        response = await asyncio.wait_for(turn, 5)
        assert asyncio.get_running_loop().time() - began < 1.0
        for _ in range(100):  # the server sees it at its next piece (50 ms apart)
            if llm.state.disconnects or asyncio.get_running_loop().time() - began > 1.0:
                break
            await asyncio.sleep(0.01)
        assert llm.state.disconnects == 1, "the provider's request was left open"
    assert response.stop_reason == "cancelled"
    assert len(llm.requests) == 1


async def test_secrets_in_a_read_file_never_reach_the_provider(
    project: Path, llm: ProtocolServer
) -> None:
    key = "sk-proj-" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6kL9nP2rS5u"
    (project / "settings.py").write_text(f'OPENAI_API_KEY = "{key}"\n')
    llm.state.answers = [ToolTurn([("read_file", {"path": "settings.py"})]), "Read it."]
    client = RecordingClient()
    async with wave_acp(client, project) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        await conn.prompt(session_id=session.session_id, prompt=[text_block("read settings")])
    sent = " ".join(str(r.body) for r in llm.requests)
    assert "OPENAI_API_KEY" in sent and key[-12:] not in sent
