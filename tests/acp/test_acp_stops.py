"""How a turn of `wave acp` ends when it cannot go on: a provider key read from an unset
variable is said in the turn (stop `refusal`, nothing sent, the agent still serving); the
agent's step limit ends it `max_turn_requests`."""

from __future__ import annotations

from pathlib import Path

from acp import text_block
from tests.acp.conftest import RecordingClient, wave_acp
from tests.conftest import WriteFile
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn


async def test_a_missing_key_is_said_in_the_first_turn(
    project: Path, write: WriteFile, llm: ProtocolServer
) -> None:
    write(".wave/config.yaml", f"""
        providers:
          defaultProvider: hosted
          providers:
            hosted: {{type: openai, baseUrl: "{llm.url}/v1", model: gpt-test,
                      apiKey: "env:WAVE_ACP_TEST_UNSET_KEY"}}
        """)  # fmt: skip
    client = RecordingClient()
    async with wave_acp(client, project) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        turn = await conn.prompt(session_id=session.session_id, prompt=[text_block("hi")])
        again = await conn.new_session(cwd=str(project), mcp_servers=[])  # still serving
    assert turn.stop_reason == "refusal"
    assert "$WAVE_ACP_TEST_UNSET_KEY, which is not set" in client.text()
    assert llm.requests == [] and again.session_id != session.session_id


async def test_the_step_limit_ends_the_turn_max_turn_requests(
    project: Path, write: WriteFile, llm: ProtocolServer
) -> None:
    from tests.e2e.test_session_lsp import config

    write(".wave/config.yaml", config(llm, "agent: {max_steps: 1}"))
    llm.state.answers = [ToolTurn([("read_file", {"path": "src/app.py"})]),
                         ToolTurn([("read_file", {"path": "src/app.py"})])]  # fmt: skip
    client = RecordingClient()
    async with wave_acp(client, project) as conn:
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        turn = await conn.prompt(session_id=session.session_id, prompt=[text_block("loop")])
    assert turn.stop_reason == "max_turn_requests"
    assert len(llm.requests) == 1
