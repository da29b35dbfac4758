"""Pipelines as commands: ``wave.pipeline.list``, ``wave.pipeline.run {pipeline, inputs, uri?,
range?}`` (returns a run id at once; inputs not given are filled from the document or its
selection), ``wave.pipeline.status {runId}``, ``wave.pipeline.cancel {runId}``.

A run reports ``$/progress`` per task event (cancellable), and ends with a proposal for the files
it changed, diagnostics for review findings (source ``wave-pipeline:<run>``) and a Markdown run
report. ``pipeline.max_concurrent`` limits how many runs go at once; the others queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from wave_lsp.lsp.convert import path_of, review_diagnostics, uri_of
from wave_lsp.lsp.features.base import CommandError, Feature, import_off_loop, importing_first
from wave_lsp.lsp.features.proposals import EDIT_MODULES, Proposals
from wave_lsp.lsp.progress import on_cancel

if TYPE_CHECKING:
    from wave_lsp.lsp.server import WaveLanguageServer

PIPELINE_MODULES = ("wave_lsp.pipelines.runtime", "wave_lsp.pipelines.report", *EDIT_MODULES)
"""What the commands need: imported on a worker thread by the first one, not at start."""

logger = logging.getLogger(__name__)


class Pipelines(Feature):
    name = "pipelines"

    def __init__(self, server: WaveLanguageServer, proposals: Proposals) -> None:
        super().__init__(server)
        self.proposals = proposals
        self.runs: dict[str, dict[str, Any]] = {}
        self._slots: asyncio.Semaphore | None = None

    def commands(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        return importing_first(
            PIPELINE_MODULES,
            {
                "wave.pipeline.list": self.list_pipelines,
                "wave.pipeline.run": self.run,
                "wave.pipeline.status": self.status,
                "wave.pipeline.cancel": self.cancel,
            },
        )

    async def shutdown(self) -> None:
        for entry in self.runs.values():
            if "run" in entry:
                entry["run"].cancel()
            else:  # a Temporal run goes on without the editor: only following it stops
                entry["follow"].cancel()

    def _root(self) -> Path:
        return self.server.root_of()

    async def list_pipelines(self, *arguments: Any) -> list[dict[str, Any]]:
        loaded = await asyncio.to_thread(self.server.workspace_configs.get_blocking, self._root())
        out = []
        for pipeline_id, loaded_pipeline in sorted(loaded.workspace.pipelines.items()):
            pipeline = loaded_pipeline.value
            out.append(
                {
                    "id": pipeline_id,
                    "name": pipeline.name,
                    "description": pipeline.description,
                    "inputs": pipeline.user_inputs(),
                    "tasks": [t.id for t in pipeline.tasks],
                }
            )
        return out

    async def run(self, *arguments: Any) -> dict[str, Any]:
        from wave_lsp.mcp.hubs import configured
        from wave_lsp.pipelines.runtime import prepare_run

        options = arguments[0] if arguments and isinstance(arguments[0], dict) else {}
        pipeline_id = options.get("pipeline")
        root = self._root()
        loaded, session = await self.server.session_for(root)
        if pipeline_id not in loaded.workspace.pipelines:
            known = ", ".join(sorted(loaded.workspace.pipelines))
            raise CommandError(f"no pipeline {pipeline_id!r} (pipelines: {known})")
        from wave_lsp.errors import WaveError
        from wave_lsp.session.core import SessionError

        try:
            guard = session.guard(loaded.workspace, self.server.settings.persona)
            guard.require("pipeline:execute")
        except SessionError as error:
            raise CommandError(str(error)) from error
        except WaveError as refusal:
            raise CommandError(refusal.error.message) from refusal
        pipeline = loaded.workspace.pipelines[pipeline_id].value
        inputs = dict(options.get("inputs") or {})
        self._fill_inputs(pipeline, inputs, options, list(session.files))
        if loaded.workspace.config.pipeline.engine.value == "temporal":
            model = session.model or self.server.settings.model
            return await self._on_temporal(root, pipeline, inputs, model, loaded.workspace)
        token: Any = None

        def on_event(event: Any) -> None:
            if token is None or event.kind not in ("task_started", "task_retry", "task_finished",
                                                   "task_progress", "task_note"):  # fmt: skip
                return
            detail = f" (attempt {event.attempt})" if event.attempt > 1 else ""
            text = event.message[-80:].replace("\n", " ") if event.message else ""
            state = event.state or event.kind.removeprefix("task_")
            self.server.work_done_progress.report(
                token,
                types.WorkDoneProgressReport(
                    message=f"{event.task}: {state}{detail} {text}".strip()
                ),
            )

        try:
            prepared = await asyncio.to_thread(
                prepare_run,
                loaded.workspace,
                root,
                pipeline,
                inputs,
                on_event=on_event,
                session_id=self.server.session_id,
                model=session.model or self.server.settings.model,
                external=self.server.mcp.get(root, configured(loaded.workspace.config)),
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        run_id = prepared.run.id
        entry: dict[str, Any] = {"run": prepared.run, "prepared": prepared, "state": "queued",
                                 "proposal": None, "report": None}  # fmt: skip
        self.runs[run_id] = entry
        token = await self.server.begin_progress(f"Wave: {pipeline.name}")
        limit = loaded.workspace.config.pipeline.max_concurrent
        if self._slots is None:
            self._slots = asyncio.Semaphore(limit)

        async def go() -> None:
            assert self._slots is not None
            try:
                async with self._slots:
                    entry["state"] = "running"
                    stop = on_cancel(self.server, token, prepared.run.cancel)
                    try:
                        await prepared.execute()
                    finally:
                        stop()
                await self._finish(root, prepared, entry)
            finally:
                await asyncio.to_thread(prepared.cleanup)
                entry["state"] = prepared.run.state.value
                if token is not None:
                    self.server.work_done_progress.end(
                        token, types.WorkDoneProgressEnd(message=prepared.run.state.value)
                    )

        self.server.loop_task(go())
        return {"runId": run_id, "state": "queued" if self._slots.locked() else "running"}

    async def _on_temporal(
        self, root: Path, pipeline: Any, inputs: dict[str, Any], model: str | None,
        workspace: Any,
    ) -> dict[str, Any]:  # fmt: skip
        """The run as a Temporal workflow (a `wave worker` runs its tasks): queued, its events
        as ``$/progress`` (cancellable), its status and proposal from the workflow."""
        await import_off_loop("wave_lsp.pipelines.temporal.service")
        from wave_lsp.pipelines.temporal.activities import RunRequest
        from wave_lsp.pipelines.temporal.service import TemporalError, follow, start_run

        request = RunRequest(str(root), pipeline.id, inputs, model)
        try:
            handle = await start_run(workspace.config.pipeline.temporal, request)
        except TemporalError as error:
            raise CommandError(str(error)) from error
        stopping = asyncio.Event()
        entry: dict[str, Any] = {"temporal": handle, "stopping": stopping, "state": "queued",
                                 "result": None, "proposal": None, "report": None}  # fmt: skip
        self.runs[handle.id] = entry
        token = await self.server.begin_progress(f"Wave: {pipeline.name}")

        def on_event(event: dict[str, Any]) -> None:
            queued = event["kind"] == "run_queued"  # waiting for a slot (max_concurrent)
            entry["state"] = "queued" if queued else "running"
            if token is not None and queued:
                self.server.work_done_progress.report(
                    token, types.WorkDoneProgressReport(message=str(event["message"]))
                )
            elif token is not None and event["task"]:
                state = event["state"] or event["kind"].removeprefix("task_")
                text = str(event.get("message") or "")[-80:].replace("\n", " ")
                message = f"{event['task']}: {state} {text}".strip()
                self.server.work_done_progress.report(
                    token, types.WorkDoneProgressReport(message=message)
                )

        async def go() -> None:
            stop = on_cancel(self.server, token, stopping.set)
            try:
                result = await follow(handle, on_event, stopping)
                entry["result"], entry["proposal"] = result, result.get("proposal")
                entry["state"] = result["state"]
            except TemporalError as error:
                entry["state"], entry["error"] = "failed", str(error)
            except asyncio.CancelledError:  # the editor closes: the run goes on in Temporal
                return
            finally:
                stop()
            if token is not None:
                self.server.work_done_progress.end(
                    token, types.WorkDoneProgressEnd(message=entry["state"])
                )

        entry["follow"] = asyncio.get_running_loop().create_task(go())
        return {"runId": handle.id, "state": "queued", "engine": "temporal"}

    def _fill_inputs(
        self, pipeline: Any, inputs: dict[str, Any], options: dict[str, Any], added: list[Path]
    ) -> None:
        """Inputs not given, from the document (its selection) and the session's context: a
        file list is the document and the files added to the context."""
        uri = options.get("uri")
        if not isinstance(uri, str):
            for task in pipeline.tasks:
                for spec in task.inputs:
                    if spec.type.value == "file_list" and spec.name not in inputs and added:
                        inputs[spec.name] = "\n".join(str(p) for p in added)
            return
        document = self.server.workspace.text_documents.get(uri)
        text = document.source if document is not None else ""
        span = options.get("range")
        if document is not None and isinstance(span, dict) and span.get("start"):
            lines = text.splitlines(keepends=True)
            first, last = span["start"]["line"], span["end"]["line"]
            text = "".join(lines[first : last + 1])
        path = path_of(uri)
        for task in pipeline.tasks:
            for spec in task.inputs:
                if spec.from_task is not None or spec.name in inputs:
                    continue
                if spec.type.value == "file_list" and path is not None:
                    listed = dict.fromkeys([path, *added])
                    inputs[spec.name] = "\n".join(str(p) for p in listed)
                elif spec.type.value == "file" and path is not None:
                    inputs[spec.name] = str(path)
                elif spec.type.value == "text" and text:
                    inputs[spec.name] = text

    async def _finish(self, root: Path, prepared: Any, entry: dict[str, Any]) -> None:
        from wave_lsp.pipelines.report import write_report
        from wave_lsp.pipelines.runtime import changes_as_proposal

        store = self.proposals.store(root)
        proposal = await asyncio.to_thread(changes_as_proposal, prepared, root, store)
        entry["proposal"] = proposal.id if proposal else None
        run = prepared.run
        source = f"wave-pipeline:{run.id}"
        for record in run.records.values():
            for value in record.outputs.values():
                if isinstance(value, dict) and isinstance(value.get("findings"), list):
                    self._publish(root, source, value["findings"])
        report = await asyncio.to_thread(write_report, root, prepared, entry["proposal"])
        entry["report"] = uri_of(report)

    def _publish(self, root: Path, source: str, findings: list[dict[str, Any]]) -> None:
        for uri, diagnostics in review_diagnostics(root, findings, source).items():
            self.server.diagnostics.set(source, uri, diagnostics)

    def _entry(self, arguments: tuple[Any, ...]) -> tuple[str, dict[str, Any]]:
        options = arguments[0] if arguments and isinstance(arguments[0], dict) else {}
        run_id = options.get("runId")
        if not isinstance(run_id, str) or run_id not in self.runs:
            raise CommandError(f"no run {run_id!r}")
        return run_id, self.runs[run_id]

    async def status(self, *arguments: Any) -> dict[str, Any]:
        _, entry = self._entry(arguments)
        if "temporal" in entry:
            return await self._temporal_status(entry)
        status: dict[str, Any] = entry["prepared"].status()
        if entry["state"] == "queued":
            status["state"] = "queued"
        return {**status, "proposal": entry["proposal"], "report": entry["report"]}

    async def _temporal_status(self, entry: dict[str, Any]) -> dict[str, Any]:
        from wave_lsp.pipelines.temporal.workflow import PipelineWorkflow

        if entry["result"] is not None:
            status = dict(entry["result"])
        else:
            try:
                status = await entry["temporal"].query(PipelineWorkflow.status)
            except Exception:  # no worker has taken it yet
                status = {"runId": entry["temporal"].id, "state": "queued", "tasks": []}
            status.pop("events", None)
            status["state"] = entry["state"]  # queued or running until the workflow's result
        return {**status, "proposal": entry["proposal"], "report": None, "engine": "temporal",
                **({"error": entry["error"]} if "error" in entry else {})}  # fmt: skip

    async def cancel(self, *arguments: Any) -> dict[str, Any]:
        run_id, entry = self._entry(arguments)
        if "temporal" in entry:
            entry["stopping"].set()
            return {"runId": run_id, "cancelling": True}
        entry["run"].cancel()
        return {"runId": run_id, "cancelling": True}
