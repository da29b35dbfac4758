"""Commands of `wave acp` run in the editor's terminal (terminal/*) when it offers one: asked
first with the command shown, run there once allowed (the tool call shows the terminal), the
output back to the model, the terminal released; a refused one never starts; without a
terminal the persona-limited subprocess runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from acp import text_block
from tests.acp.conftest import RecordingClient, wave_acp
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn

COMMAND = "python -c 'print(6 * 7)'"


async def run_one(project: Path, llm: ProtocolServer, command: str, answer: str,
                  *, terminal: bool = True) -> RecordingClient:  # fmt: skip
    """A prompt whose model runs ``command``, the user answering ``answer``."""
    llm.state.answers = [ToolTurn([("run_command", {"command": command})]), "Done."]
    client = RecordingClient(answers=[answer])
    async with wave_acp(client, project, terminal=terminal) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        await conn.prompt(session_id=session.session_id, prompt=[text_block("run it")])
    return client


@pytest.mark.parametrize("terminal", [True, False])
async def test_an_allowed_command_runs_and_its_output_reaches_the_model(
    project: Path, llm: ProtocolServer, terminal: bool
) -> None:
    client = await run_one(project, llm, COMMAND, "allow_once", terminal=terminal)
    (asked,) = client.permissions
    assert asked.kind == "execute" and COMMAND in asked.content[0].content.text
    result = llm.requests[1].body["messages"][-1]["content"]
    assert result.startswith("exit code 0") and "42" in result
    if terminal:
        assert client.commands == [("python", ["-c", "print(6 * 7)"], str(project))]
        assert client.released == ["t1"]
        shown = [c for u in client.updates if u.session_update == "tool_call_update"
                 for c in (u.content or []) if c.type == "terminal"]  # fmt: skip
        assert [c.terminal_id for c in shown] == ["t1"]
    else:
        assert client.commands == []


async def test_a_refused_command_never_starts(project: Path, llm: ProtocolServer) -> None:
    client = await run_one(project, llm, COMMAND, "reject_once")
    assert client.commands == []
    assert "refused by the user" in llm.requests[1].body["messages"][-1]["content"]


async def test_a_program_the_persona_lacks_never_reaches_the_terminal(
    project: Path, llm: ProtocolServer
) -> None:
    client = await run_one(project, llm, "curl http://x", "allow_once")
    assert client.commands == []
    assert "may not run 'curl'" in llm.requests[1].body["messages"][-1]["content"]


async def test_a_cancel_kills_the_running_command(project: Path, llm: ProtocolServer) -> None:
    import asyncio

    slow = "python -c 'import time; time.sleep(30)'"
    llm.state.answers = [ToolTurn([("run_command", {"command": slow})]), "Done."]
    client = RecordingClient(answers=["allow_once"])
    async with wave_acp(client, project, terminal=True) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        turn = asyncio.create_task(conn.prompt(session_id=session.session_id,
                                               prompt=[text_block("wait")]))  # fmt: skip
        for _ in range(500):
            if client.terminals:
                break
            await asyncio.sleep(0.01)
        began = asyncio.get_running_loop().time()
        await conn.cancel(session_id=session.session_id)
        response = await asyncio.wait_for(turn, 5)
        assert asyncio.get_running_loop().time() - began < 1.0
        process, _, _ = client.terminals["t1"]
        assert await asyncio.wait_for(process.wait(), 2) != 0  # killed, not left running
    assert response.stop_reason == "cancelled" and client.released == ["t1"]
    assert len(llm.requests) == 1  # the model never heard of a result
