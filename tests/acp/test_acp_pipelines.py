"""Pipelines as slash commands of `wave acp`: `/feature-development TEXT` runs the seed pipeline
(the coding agent a stand-in CLI), its tasks a plan and tool calls; the file it changed is asked
about with its diff and written only when allowed. A refusal (persona) is a failed tool call
with the reason, and in the audit log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acp import text_block
from tests.acp.conftest import RecordingClient, script_greet, wave_acp
from tests.conftest import WriteFile
from tests.e2e.test_session_lsp import config
from tests.providers.protocol_server import ProtocolServer

FAKE = Path(__file__).parents[1] / "pipelines" / "fake_claude.py"
GUEST = """
persona:
  name: "guest"
  description: "Looks, runs nothing"
  security_context:
    permissions: ["code:read"]
"""


@pytest.fixture
def pipelines(project: Path, write: WriteFile, llm: ProtocolServer, tmp_path: Path) -> Path:
    extra = (
        f'claude: {{binary_path: "{FAKE}"}}\n        workspace: {{base_dir: "{tmp_path / "runs"}"}}'
    )
    write(".wave/config.yaml", config(llm, extra))
    write(".wave/personas/guest.yaml", GUEST)
    return project


@pytest.mark.parametrize("answer", ["allow_once", "reject_once"])
async def test_a_pipeline_runs_as_a_slash_command(pipelines: Path, answer: str) -> None:
    client = RecordingClient(answers=[answer])
    greet = pipelines / "src" / "greet.py"
    async with wave_acp(client, pipelines) as conn:
        session = await conn.new_session(cwd=str(pipelines), mcp_servers=[])
        response = await conn.prompt(session_id=session.session_id,
                                     prompt=[text_block("/feature-development Add greet()")])  # fmt: skip
    assert response.stop_reason == "end_turn"
    plans = [u for u in client.updates if u.session_update == "plan"]
    assert [e.status for e in plans[-1].entries] == ["completed"] * 3
    assert "Implement Feature (implement-feature)" in [e.content for e in plans[0].entries]
    started = [u.title for u in client.updates if u.session_update == "tool_call"]
    assert started[:3] == ["Analyze Requirements", "Implement Feature", "Code Review"]
    finished = [u for u in client.updates
                if u.session_update == "tool_call_update" and u.status == "completed"]  # fmt: skip
    assert len(finished) >= 3
    (asked,) = client.permissions  # one request for the one file changed
    (diff,) = [c for c in asked.content if c.type == "diff"]
    assert diff.path == str(greet) and diff.old_text is None
    assert diff.new_text.startswith("def greet(name):")
    assert "succeeded" in client.text()
    if answer == "allow_once":
        assert client.writes == [(str(greet), diff.new_text)] and greet.is_file()
    else:
        assert client.writes == [] and not greet.exists()


async def test_a_refusal_is_a_failed_tool_call_and_audited(
    pipelines: Path, llm: ProtocolServer
) -> None:
    client = RecordingClient(answers=["allow_once"])
    async with wave_acp(client, pipelines) as conn:
        session = await conn.new_session(cwd=str(pipelines), mcp_servers=[])
        await conn.set_session_mode(session_id=session.session_id, mode_id="guest")
        await conn.prompt(session_id=session.session_id,
                          prompt=[text_block("/feature-development Add greet()")])  # fmt: skip
        script_greet(llm)
        await conn.set_session_mode(session_id=session.session_id, mode_id="reviewer")
        await conn.prompt(session_id=session.session_id, prompt=[text_block("add greet")])
    failed = [u for u in client.updates
              if u.session_update == "tool_call_update" and u.status == "failed"]  # fmt: skip
    reasons = [str(u.raw_output) for u in failed]
    assert any("lacks the permission 'pipeline:execute'" in r for r in reasons)
    assert any("lacks the permission 'code:write'" in r for r in reasons)
    assert client.permissions == [] and client.writes == []
    audit = [json.loads(line) for line in
             (pipelines / ".wave" / "audit.log").read_text().splitlines()]  # fmt: skip
    denied = [e for e in audit if e.get("decision") == "refused"]
    texts = " ".join(json.dumps(e) for e in denied)
    assert "pipeline:execute" in texts and "code:write" in texts
    assert not (pipelines / "src" / "greet.py").exists()
