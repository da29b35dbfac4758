"""The authoring parts on their own: the cursor's place in half-written YAML (block scalars are
text, not keys), completion in config and persona files, and — fuzzed — any text at any
position gives an answer (never an exception) in bounded time."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from wave_lsp.authoring.assist import Assistant
from wave_lsp.authoring.place import place_at
from wave_lsp.authoring.task_index import index_tasks

YAMLISH = st.text(st.sampled_from(list("ab:- \n[],#|>'\"\t")), max_size=120)


def labels(kind: str, text: str, line: int, column: int | None = None) -> set[str]:
    lines = text.split("\n")
    assistant = Assistant(kind, text, None)
    return {
        i.label for i in assistant.complete(line, len(lines[line]) if column is None else column)
    }


def test_block_scalars_are_text() -> None:
    text = "pipeline:\n  tasks:\n    - id: a\n      prompt_template: |\n        note: x\n      \n"
    place = place_at(text, 5, 6)
    assert place.path == ["pipeline", "tasks", 0] and "note" not in place.siblings
    assert index_tasks(text).tasks["a"].span.line == 2


def test_config_and_persona_files() -> None:
    config = "providers:\n  defaultProvider: llm\n  providers:\n    llm:\n      type: \n"
    assert {"openai", "ollama", "anthropic", "gemini"} <= labels("config", config, 4)
    top = labels("config", "completion:\n  enabled: true\n  \n", 2)
    assert {"model", "languages", "debounce_ms"} <= top and "enabled" not in top
    persona = "persona:\n  name: x\n  security_context:\n    permissions: [\n"
    assert "code:read" in labels("persona", persona, 3, len("    permissions: ["))
    durations = labels("config", "pipeline:\n  default_timeout: \n", 1)
    assert {"30s", "5m", "1h"} <= durations


@settings(max_examples=300, deadline=2000)
@given(text=YAMLISH, line=st.integers(0, 12), column=st.integers(0, 40),
       kind=st.sampled_from(["pipeline", "config", "persona", "rules"]))  # fmt: skip
def test_any_text_any_position(text: str, line: int, column: int, kind: str) -> None:
    lines = text.split("\n")
    line = min(line, len(lines) - 1)
    column = min(column, len(lines[line]))
    assistant = Assistant(kind, text, None)
    assistant.complete(line, column)
    assistant.hover(line, column)
    assistant.definition(line, column)
    assistant.symbols()


def test_a_long_file_is_read_in_linear_time() -> None:
    task = "    - id: t{n}\n      dependencies: [t{p}]\n      prompt_template: |\n        a: b\n"
    body = "".join(task.format(n=n, p=n - 1) for n in range(1, 1500))
    text = "pipeline:\n  id: big\n  tasks:\n" + body
    Assistant("pipeline", "pipeline:\n", None)  # the schema, generated once
    started = time.perf_counter()
    assistant = Assistant("pipeline", text, None)
    assistant.complete(3000, 6)
    assert len(assistant.tasks.tasks) == 1499
    assert time.perf_counter() - started < 5.0  # 6,000 lines (quadratic reading took minutes)
