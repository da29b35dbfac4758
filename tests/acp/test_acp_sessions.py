"""ACP sessions are checkpoints: each session keeps its own, updated every turn, listed by
session/list; session/load in a new `wave acp` replays its conversation and the next prompt
carries it to the provider; `/checkpoint NAME` keeps a named one; the slash commands are
announced."""

from __future__ import annotations

import asyncio
from pathlib import Path

from acp import text_block
from tests.acp.conftest import RecordingClient, wave_acp
from tests.providers.protocol_server import ProtocolServer


async def commands_of(client: RecordingClient) -> list[str]:
    for _ in range(200):
        announced = [u for u in client.updates
                     if u.session_update == "available_commands_update"]  # fmt: skip
        if announced:
            return [c.name for c in announced[-1].available_commands]
        await asyncio.sleep(0.01)
    raise AssertionError("no available_commands_update")


async def test_a_session_is_loaded_in_a_new_process_and_goes_on(
    project: Path, llm: ProtocolServer
) -> None:
    llm.state.answers = ["Noted: pineapple.", "Kept.", "The word was pineapple."]
    first = RecordingClient()
    async with wave_acp(first, project) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        assert {"checkpoint", "feature-development"} <= set(await commands_of(first))
        sid = session.session_id
        await conn.prompt(session_id=sid, prompt=[text_block("remember the word pineapple")])
        named = await conn.prompt(session_id=sid, prompt=[text_block("/checkpoint fruit")])
        assert named.stop_reason == "end_turn" and "Checkpoint c-" in first.text()
        listed = await conn.list_sessions(cwd=str(project))
    titles = {s.session_id: s.title for s in listed.sessions}
    assert titles[sid] == "remember the word pineapple"
    assert "fruit" in titles.values() and all(s.cwd == str(project) for s in listed.sessions)
    assert len(llm.requests) == 1  # the checkpoint asked no model

    second = RecordingClient()
    async with wave_acp(second, project) as conn:
        again = await conn.list_sessions(cwd=str(project))
        assert sid in {s.session_id for s in again.sessions}
        loaded = await conn.load_session(cwd=str(project), session_id=sid, mcp_servers=[])
        assert loaded is not None and loaded.modes.current_mode_id == "developer"
        replayed = [(u.session_update, u.content.text) for u in second.updates
                    if u.session_update in ("user_message_chunk", "agent_message_chunk")]  # fmt: skip
        assert replayed == [
            ("user_message_chunk", "remember the word pineapple"),
            ("agent_message_chunk", "Noted: pineapple."),
        ]
        await conn.prompt(session_id=sid, prompt=[text_block("what was the word?")])
    sent = llm.requests[-1].body["messages"]
    contents = [m["content"] for m in sent if isinstance(m.get("content"), str)]
    assert "remember the word pineapple" in contents and "Noted: pineapple." in contents
    assert "what was the word?" in contents[-1]
    async with wave_acp(RecordingClient(), project) as conn:  # kept up to date, not doubled
        third = await conn.list_sessions(cwd=str(project))
    assert [s.session_id for s in third.sessions].count(sid) == 1


async def test_loading_an_unknown_session_is_a_clear_error(project: Path) -> None:
    from acp import RequestError

    async with wave_acp(RecordingClient(), project) as conn:
        try:
            await conn.load_session(cwd=str(project), session_id="c-00000000", mcp_servers=[])
        except RequestError as error:
            assert "no checkpoint 'c-00000000'" in str(error.data)
        else:
            raise AssertionError("loaded a session that does not exist")
        fresh = await conn.new_session(cwd=str(project), mcp_servers=[])  # still serving
        assert fresh.session_id.startswith("c-")
