"""Editing `.wave/` files through the real server over stdio, in the three recorded clients'
capabilities: completion at ten places of a pipeline file gives exactly the keys valid there and
not yet written, the enum values, and the references (personas, task ids, a task's outputs);
hover and definition on `persona:` and `from_task:`; renaming a task id edits every use; the
outline and the "Run pipeline" code lens."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types

from tests.conftest import WriteFile
from tests.e2e.conftest import RecordingClient, uri

PIPELINE = """pipeline:
  id: review
  name: Review
  persona:·
  tasks:
    - id: plan
      name: Plan the work
      type: llm
      prompt_template: "Plan {{goal}}"
      outputs:
        - name: plan
          type: text
        - name: risks
······
    - id: build
      type:·
      dependencies: [plan, ]
      inputs:
        - name: the_plan
          from_task: plan
          output_name:·
    - id: check
      dependencies:
        -·
  execution:
····
""".replace("·", " ")
TASK_KEYS = {
    "persona", "description", "dependencies", "inputs", "prompt_template", "command",
    "workspace_mounts", "tools_allowed", "timeout", "retry_count", "compensate",
}  # fmt: skip
TYPES = {"claude-code", "llm", "shell", "validate", "agent"}
PERSONAS = {"analyst", "developer", "reviewer", "tester"}


@pytest.fixture
def pipeline(write: WriteFile, workspace: Path, client: RecordingClient) -> str:
    write(
        ".wave/personas/tester.yaml",
        """
        persona:
          name: tester
          description: Writes and runs the tests.
          security_context:
            permissions: ["code:read", "code:write"]
        """,
    )
    path = write(".wave/pipelines/review.yaml", PIPELINE)
    document = uri(path)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document, language_id="yaml", version=1, text=PIPELINE
            )
        )
    )
    return document


LINES = PIPELINE.split("\n")


def at(line: int, column: int | None = None) -> types.Position:
    return types.Position(line=line, character=len(LINES[line]) if column is None else column)


async def labels(client: RecordingClient, document: str, position: types.Position) -> set[str]:
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=document), position=position
        )
    )
    assert isinstance(result, types.CompletionList)
    return {item.label for item in result.items}


async def test_completion_gives_what_is_valid_at_each_place(
    client: RecordingClient, pipeline: str
) -> None:
    execution = await labels(client, pipeline, at(25))
    places = {
        "pipeline keys": (
            at(1, 2),
            {"id", "description", "version", "workspace", "notifications", "metadata"},
        ),
        "persona": (at(3), PERSONAS),
        "task keys": (at(13), TASK_KEYS - {"prompt_template"}),
        "task type": (at(15), TYPES),
        "dependencies (flow)": (at(16, len("      dependencies: [plan, ")), {"check"}),
        "from_task": (at(19, len("          from_task: ")), {"plan", "check"}),
        "output_name": (at(20), {"plan", "risks"}),
        "dependencies (block)": (at(23), {"plan", "build"}),
        "output type": (at(11, len("          type: ")), {"text", "json", "file", "file_list"}),
    }
    for name, (position, expected) in places.items():
        got = await labels(client, pipeline, position)
        assert got == expected, (name, got)  # at (1, 2): the keys not on the other lines
    assert {"parallel", "max_parallel_tasks", "on_failure"} <= execution  # the tenth place


async def test_hover_and_definition_of_references(
    client: RecordingClient, pipeline: str, workspace: Path
) -> None:
    changed = PIPELINE.replace("  persona: \n", "  persona: tester\n")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=pipeline, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=changed)],
        )
    )
    document = types.TextDocumentIdentifier(uri=pipeline)
    persona = types.Position(line=3, character=12)
    hover = await client.text_document_hover_async(types.HoverParams(document, persona))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "Writes and runs the tests" in hover.contents.value
    assert "code:write" in hover.contents.value
    found = await client.text_document_definition_async(types.DefinitionParams(document, persona))
    assert isinstance(found, types.Location)
    assert found.uri == uri(workspace / ".wave" / "personas" / "tester.yaml")
    from_task = types.Position(line=19, character=22)
    hover = await client.text_document_hover_async(types.HoverParams(document, from_task))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "Plan the work" in hover.contents.value and "plan, risks" in hover.contents.value
    found = await client.text_document_definition_async(types.DefinitionParams(document, from_task))
    assert isinstance(found, types.Location) and found.uri == pipeline
    assert found.range.start == types.Position(line=5, character=10)
    key = await client.text_document_hover_async(
        types.HoverParams(document, types.Position(line=8, character=8))
    )
    assert key is not None and isinstance(key.contents, types.MarkupContent)
    assert "placeholders" in key.contents.value  # the field's description from the schema


async def test_renaming_a_task_edits_every_use(client: RecordingClient, pipeline: str) -> None:
    document = types.TextDocumentIdentifier(uri=pipeline)
    edit = await client.text_document_rename_async(
        types.RenameParams(document, types.Position(line=5, character=12), "design")
    )
    assert edit is not None and edit.changes is not None
    edits = edit.changes[pipeline]
    where = sorted((e.range.start.line, e.range.start.character) for e in edits)
    assert where == [(5, 10), (16, 21), (19, 21)] and {e.new_text for e in edits} == {"design"}
    references = await client.text_document_references_async(
        types.ReferenceParams(
            context=types.ReferenceContext(include_declaration=True),
            text_document=document,
            position=types.Position(line=19, character=22),
        )
    )
    assert references is not None and len(references) == 3
    with pytest.raises(Exception, match="already exists"):
        await client.text_document_rename_async(
            types.RenameParams(document, types.Position(line=5, character=12), "build")
        )


async def test_outline_and_run_lens(client: RecordingClient, pipeline: str) -> None:
    document = types.TextDocumentIdentifier(uri=pipeline)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(document))
    assert symbols is not None
    [top] = symbols
    assert isinstance(top, types.DocumentSymbol) and top.name == "pipeline"
    [tasks] = [c for c in top.children or [] if c.name == "tasks"]
    assert [t.name for t in tasks.children or []] == ["plan", "build", "check"]
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(document))
    assert lenses is not None
    [lens] = lenses
    assert lens.command is not None and lens.command.command == "wave.pipeline.run"
    assert list(lens.command.arguments or []) == [{"pipeline": "review"}]


RULES = """rules:
  - id: team.todo
    name: TODO left
    type: quality
    pattern-regex: "TODO"
    message: "a TODO is left"
    examples:
      match: ["# TODO fix"]
      no_match: ["# done"]
  - id: team.fixme
    name: FIXME left
    type: quality
    pattern-regex: "FIXME"
    message: "a FIXME is left"
    examples:
      match: ["# fix me later"]
  - id: quality.todo
    enabled: false
"""


async def test_a_lens_on_each_rule_runs_its_examples(
    client: RecordingClient, write: WriteFile
) -> None:
    document = uri(write(".wave/rules/team.yaml", RULES))
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document, language_id="yaml", version=1, text=RULES
            )
        )
    )
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(uri=document))
    )
    assert lenses is not None
    titles = {lens.range.start.line: lens.command.title for lens in lenses if lens.command}
    assert titles[1] == "✓ 2 examples pass"
    assert titles[9].startswith("✗ 1 of 1 examples fail: match[0]: its example finds nothing")
    assert titles[16] == "override of quality.todo"
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="wave.rule.test", arguments=[{"uri": document}])
    )
    assert [r["id"] for r in result["rules"]] == ["team.todo", "team.fixme"]
    assert result["rules"][0]["failures"] == [] and len(result["rules"][1]["failures"]) == 1
    capabilities = client.capabilities.workspace if client.capabilities else None
    if capabilities and capabilities.code_lens and capabilities.code_lens.refresh_support:
        for _ in range(50):  # the lenses are asked for again, with the new results
            if client.lens_refreshes:
                break
            await asyncio.sleep(0.05)
        assert client.lens_refreshes == 1
