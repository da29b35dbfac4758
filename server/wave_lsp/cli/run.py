"""``wave run PIPELINE``: a pipeline run in the terminal, a line per task event on stderr, the
run report at the end; files the run changed become a proposal (`wave.proposal.apply`, or
`wave apply` of its diff). Exit 0 when it succeeded, 1 when it failed or was cancelled, 2 on bad
input."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def parse_inputs(pairs: list[str]) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise ValueError(f"--input {pair!r}: write NAME=VALUE")
        if value.startswith("@"):
            from wave_lsp import fileread

            try:  # (a FIFO or a device is refused, not waited on)
                value = fileread.read_bytes(Path(value[1:])).decode("utf-8")
            except FileNotFoundError as error:
                raise ValueError(f"--input {name}=@{value[1:]}: no such file") from error
            except (OSError, UnicodeDecodeError) as error:
                raise ValueError(f"--input {name}=@{value[1:]}: {error}") from error
        inputs[name] = value
    return inputs


def run(root: Path, pipeline_id: str, pairs: list[str], *, as_json: bool) -> int:
    from wave_lsp.config.workspace import load_workspace
    from wave_lsp.edits.proposals import ProposalStore
    from wave_lsp.mcp.hub import McpHub
    from wave_lsp.mcp.hubs import configured
    from wave_lsp.pipelines.engine import Event, RunState
    from wave_lsp.pipelines.report import write_report
    from wave_lsp.pipelines.runtime import changes_as_proposal, prepare_run

    if not root.is_dir():
        print(f"wave run: --root {root}: not a directory", file=sys.stderr)
        return EXIT_USAGE
    workspace = load_workspace(root, display_root=Path.cwd().resolve())
    if not workspace.ok:
        for problem in workspace.problems:
            print(problem.format(), file=sys.stderr)
        return EXIT_USAGE
    if pipeline_id not in workspace.pipelines:
        names = ", ".join(sorted(workspace.pipelines))
        print(f"wave run: no pipeline '{pipeline_id}' (pipelines: {names})", file=sys.stderr)
        return EXIT_USAGE
    try:
        inputs = parse_inputs(pairs)
    except (ValueError, OSError) as error:
        print(f"wave run: {error}", file=sys.stderr)
        return EXIT_USAGE
    started = time.monotonic()
    if workspace.config.pipeline.engine.value == "temporal":
        return _on_temporal(
            root, pipeline_id, inputs, workspace.config, as_json=as_json, started=started
        )

    def show(event: Event) -> None:
        at = f"{time.monotonic() - started:6.1f}s"
        if event.kind == "task_started":
            print(f"{at} {event.task}: started", file=sys.stderr)
        elif event.kind == "task_note":
            print(f"{at} {event.task}: {event.message.strip()}", file=sys.stderr)
        elif event.kind == "task_retry":
            print(f"{at} {event.task}: attempt {event.attempt} failed, retrying: {event.message}",
                  file=sys.stderr)  # fmt: skip
        elif event.kind == "task_finished":
            detail = f": {event.message}" if event.message else ""
            print(f"{at} {event.task}: {event.state}{detail}", file=sys.stderr)

    servers = configured(workspace.config)
    hub = McpHub(servers, root.resolve()) if servers else None  # started on an agent's first use
    try:
        prepared = prepare_run(
            workspace, root.resolve(), workspace.pipelines[pipeline_id].value, inputs,
            on_event=show, external=hub,
        )  # fmt: skip
    except ValueError as error:
        print(f"wave run: {error}", file=sys.stderr)
        return EXIT_USAGE

    async def execute() -> RunState:
        try:
            return await prepared.execute()
        finally:
            if hub is not None:
                await hub.aclose()

    try:
        state = asyncio.run(execute())
        store = ProposalStore.of(root.resolve())
        proposal = changes_as_proposal(prepared, root.resolve(), store)
    finally:
        prepared.cleanup()
    proposal_id = proposal.id if proposal else None
    report = write_report(root.resolve(), prepared, proposal_id)
    status = {**prepared.status(), "proposal": proposal_id, "report": str(report)}
    if as_json:
        print(json.dumps(status, indent=2))
    else:
        sys.stdout.write(report.read_text(encoding="utf-8"))
    return EXIT_OK if state is RunState.SUCCEEDED else EXIT_FAILED


def _on_temporal(
    root: Path, pipeline_id: str, inputs: dict[str, Any], config: Any, *, as_json: bool,
    started: float,
) -> int:  # fmt: skip
    """The run as a Temporal workflow (``pipeline.engine: temporal``): a `wave worker` runs it;
    this process starts it, shows its events and prints its result."""
    from wave_lsp.pipelines.temporal.activities import RunRequest
    from wave_lsp.pipelines.temporal.service import TemporalError, start_and_follow

    def show(event: dict[str, Any]) -> None:
        at = f"{time.monotonic() - started:6.1f}s"
        if event["kind"] in ("task_started", "task_finished", "task_retry"):
            detail = f": {event['message']}" if event["message"] else ""
            what = {"task_started": "started", "task_retry": "retrying"}.get(
                event["kind"], event["state"]
            )
            print(f"{at} {event['task']}: {what}{detail}", file=sys.stderr)
        elif event["kind"] in ("task_progress", "task_note") and event["message"]:
            print(f"{at} {event['task']}: {event['message'].strip()}", file=sys.stderr)
        elif event["kind"] == "run_queued":
            print(f"{at} {event['message']}", file=sys.stderr)

    request = RunRequest(str(root.resolve()), pipeline_id, inputs)
    try:
        status = asyncio.run(start_and_follow(config.pipeline.temporal, request, show))
    except TemporalError as error:
        print(f"wave run: {error}", file=sys.stderr)
        return EXIT_USAGE
    if as_json:
        print(json.dumps(status, indent=2))
    else:
        for task in status["tasks"]:
            print(
                f"{task['id']}: {task['state']}" + (f" ({task['error']})" if task["error"] else "")
            )
        print(f"run {status['runId']}: {status['state']}; proposal: {status['proposal']}")
    return EXIT_OK if status["state"] == "succeeded" else EXIT_FAILED
