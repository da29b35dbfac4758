"""A pipeline run's report, as Markdown: each task's state, attempts, time and error, then each
task's whole output (the status and ``wave run --json`` carry them cut to a readable length)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wave_lsp.pipelines.runtime import PreparedRun

FENCE = "````"


def report_markdown(
    status: dict[str, Any], proposal: str | None, outputs: dict[str, str] | None = None
) -> str:
    """``outputs``: each task's whole output by task id (else the status' cut ones)."""
    lines = [f"# Run {status['runId']} of {status['pipeline']}: {status['state']}", ""]
    lines += ["| task | state | attempts | seconds | error |", "|---|---|---|---|---|"]
    for task in status["tasks"]:
        lines.append(
            f"| {task['id']} | {task['state']} | {task['attempts']} | {task['seconds'] or ''} "
            f"| {(task['error'] or '').replace('|', '/')[:200]} |"
        )
    if proposal:
        lines += ["", f"Files changed: proposal {proposal} (review, then wave.proposal.apply)."]
    restored = status.get("restored")
    if restored is not None:
        lines += ["", f"Rolled back: {len(restored)} file(s) of the run's workspace put back."]
        lines += [f"- {path}" for path in restored[:50]]
    for task in status["tasks"]:
        text = (outputs or {}).get(task["id"]) or task.get("output")
        if text:
            lines += ["", f"## Output of {task['id']}", "", FENCE, text.rstrip("\n"), FENCE]
    return "\n".join(lines) + "\n"


def write_report(root: Path, prepared: PreparedRun, proposal: str | None) -> Path:
    """Write the run's report, whole outputs included, under the workspace's state directory
    (blocking: on a worker thread); its path."""
    from wave_lsp.config.atomic import atomic_write_text
    from wave_lsp.config.paths import workspace_state_dir

    run = prepared.run
    outputs = {r.id: r.text for r in run.records.values() if r.text}
    path = workspace_state_dir(root) / "runs" / f"{run.id}.md"
    atomic_write_text(path, report_markdown(prepared.status(), proposal, outputs))
    return path
