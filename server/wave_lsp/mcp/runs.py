"""Pipeline runs for ``wave mcp serve``: the same preparation as the editor's and ``wave run``
(the server's persona needs ``pipeline:execute``), progress handed to the caller as (tasks
done, tasks, message), the run's changes made a proposal (never written), each run's status
kept for ``status``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from wave_lsp.mcp.state import Refused, ServerState, proposal_json

Progress = Callable[[float, float | None, str | None], Awaitable[None]]


class Runs:
    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.known: dict[str, dict[str, Any]] = {}

    def listed(self) -> dict[str, Any]:
        workspace = self.state.workspace()
        listed = []
        for name, loaded in sorted(workspace.pipelines.items()):
            pipeline = loaded.value
            listed.append({
                "id": name, "name": pipeline.name, "description": pipeline.description,
                "inputs": pipeline.user_inputs(), "tasks": [t.id for t in pipeline.tasks],
            })  # fmt: skip
        return {"pipelines": listed}

    def status(self, run_id: str | None) -> dict[str, Any]:
        if run_id is None:
            return {"runs": list(self.known.values())}
        if run_id not in self.known:
            raise Refused(f"no run '{run_id}' in this server (runs: {', '.join(self.known)})")
        return self.known[run_id]

    async def run(
        self, pipeline_id: str, inputs: dict[str, Any], report: Progress
    ) -> dict[str, Any]:
        from wave_lsp.edits.proposals import ProposalStore
        from wave_lsp.errors import WaveError
        from wave_lsp.mcp.hub import McpHub
        from wave_lsp.mcp.hubs import configured
        from wave_lsp.pipelines.engine import Event
        from wave_lsp.pipelines.runtime import changes_as_proposal, prepare_run

        state = self.state
        workspace = await asyncio.to_thread(state.workspace)
        if pipeline_id not in workspace.pipelines:
            known = ", ".join(sorted(workspace.pipelines))
            raise Refused(f"no pipeline '{pipeline_id}' (pipelines: {known})")
        guard = await asyncio.to_thread(state.guard)
        try:
            guard.require("pipeline:execute", f"run {pipeline_id}")
        except WaveError as refusal:
            raise Refused(refusal.error.message) from refusal
        pipeline = workspace.pipelines[pipeline_id].value
        total = float(len(pipeline.tasks))
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[Event | None] = asyncio.Queue()
        done = 0

        def on_event(event: Event | None) -> None:
            loop.call_soon_threadsafe(events.put_nowait, event)

        async def forward() -> None:
            nonlocal done
            while (event := await events.get()) is not None:
                if event.kind == "task_finished":
                    done += 1
                if event.kind in ("task_started", "task_finished", "task_retry"):
                    state_text = event.state or event.kind.removeprefix("task_")
                    await report(done, total, f"{event.task}: {state_text}")

        if workspace.config.pipeline.engine.value == "temporal":
            return await self._on_temporal(workspace, pipeline_id, inputs, on_event, forward)
        servers = configured(workspace.config)
        hub = McpHub(servers, state.root) if servers else None
        try:
            prepared = await asyncio.to_thread(
                prepare_run, workspace, state.root, pipeline, inputs,
                on_event=on_event, session_id=state.session_id, model=None, external=hub,
            )  # fmt: skip
        except ValueError as error:
            raise Refused(f"the pipeline cannot run: {error}") from error
        run_id = prepared.run.id
        self.known[run_id] = {"runId": run_id, "pipeline": pipeline_id, "state": "running"}
        forwarding = asyncio.create_task(forward())
        try:
            await prepared.execute()
            store = ProposalStore.of(state.root)
            proposal = await asyncio.to_thread(changes_as_proposal, prepared, state.root, store)
        finally:
            events.put_nowait(None)
            await forwarding
            await asyncio.to_thread(prepared.cleanup)
            if hub is not None:
                await hub.aclose()
        status = {**prepared.status(), "pipeline": pipeline_id}
        if proposal is not None:
            status["proposal"] = proposal_json(proposal, diff=True)
        self.known[run_id] = status
        return status

    async def _on_temporal(
        self, workspace: Any, pipeline_id: str, inputs: dict[str, Any],
        on_event: Callable[[Any], None], forward: Callable[[], Coroutine[Any, Any, None]],
    ) -> dict[str, Any]:  # fmt: skip
        """The run as a Temporal workflow (``pipeline.engine: temporal``; a ``wave worker``
        runs its tasks): the same progress, its proposal from the worker's store."""
        from wave_lsp.edits.proposals import ProposalStore
        from wave_lsp.pipelines.temporal.activities import RunRequest
        from wave_lsp.pipelines.temporal.service import TemporalError, run_and_follow

        root = self.state.root
        request = RunRequest(str(root), pipeline_id, inputs, None)
        started: list[str] = []

        def on_started(run_id: str) -> None:
            started.append(run_id)
            self.known[run_id] = {"runId": run_id, "pipeline": pipeline_id, "state": "queued",
                                  "engine": "temporal"}  # fmt: skip

        forwarding = asyncio.create_task(forward())
        try:
            result = await run_and_follow(
                workspace.config.pipeline.temporal, request, on_event, on_started
            )
        except TemporalError as error:
            raise Refused(str(error)) from error
        finally:
            on_event(None)
            await forwarding
        status = {key: value for key, value in result.items() if key not in ("events", "workdir")}
        status |= {"pipeline": pipeline_id, "engine": "temporal"}
        proposal_id = result.get("proposal")
        store = ProposalStore.of(root)
        proposal = await asyncio.to_thread(store.get, proposal_id) if proposal_id else None
        status["proposal"] = proposal_json(proposal, diff=True) if proposal is not None else None
        if not status["proposal"]:
            del status["proposal"]
        self.known[started[0] if started else status.get("runId", "")] = status
        return status
