"""An open, broken `.wave/pipelines/x.yaml` gets a diagnostic on the offending line in every
recorded client's capability set; typing the fix clears it."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.conftest import WriteFile
from tests.e2e.conftest import RecordingClient, uri, wait_for_diagnostics

BROKEN = """\
pipeline:
  id: "demo"
  name: "Démo 🚀"
  tasks:
    - id: "plan"
      type: "llm"
      prompt_template: "Plan it"
    - id: "build"
      type: "llm"
      prompt_template: "Build it"
      metadata: {tags: ["🚀🚀"]}
      dependencies: ["plam"]
"""


def open_document(client: RecordingClient, path: Path, text: str, version: int = 1) -> str:
    document_uri = uri(path)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document_uri, language_id="yaml", version=version, text=text
            )
        )
    )
    return document_uri


def change(
    client: RecordingClient,
    document_uri: str,
    version: int,
    line: int,
    start: int,
    end: int,
    text: str,
) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=document_uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=line, character=start),
                        end=types.Position(line=line, character=end),
                    ),
                    text=text,
                )
            ],
        )
    )


def units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


async def test_broken_pipeline_gets_diagnostics_that_clear_when_fixed(
    client: RecordingClient, workspace: Path, write: WriteFile
) -> None:
    path = write(".wave/pipelines/x.yaml", BROKEN)
    document_uri = open_document(client, path, BROKEN)
    diagnostics = await wait_for_diagnostics(client, document_uri, lambda d: len(d) > 0)

    (unknown_key,) = [d for d in diagnostics if d.code == "unknown-key"]
    assert unknown_key.source == "wave"
    assert unknown_key.severity == types.DiagnosticSeverity.Error
    assert unknown_key.message == (
        "unknown key 'metadata' in pipeline.tasks[build] (allowed keys: id, name, type, persona, "
        "description, dependencies, inputs, outputs, prompt_template, command, workspace_mounts, "
        "tools_allowed, timeout, retry_count, compensate)"
    )
    assert unknown_key.range.start.line == 10
    assert unknown_key.range.start.character == 6

    # Fix the first problem by deleting the line: the second one shows up (the model is valid
    # now, so the graph is checked) on the line that moved up.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=document_uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=10, character=0),
                        end=types.Position(line=11, character=0),
                    ),
                    text="",
                )
            ],
        )
    )
    diagnostics = await wait_for_diagnostics(
        client, document_uri, lambda d: [x.code for x in d] == ["unknown-task"]
    )
    assert diagnostics[0].range.start.line == 10
    assert diagnostics[0].message.startswith("task 'build' depends on unknown task 'plam'")

    # Type the fix: "plam" -> "plan" (one character), and the diagnostic clears.
    change(client, document_uri, 3, 10, 25, 26, "n")
    await wait_for_diagnostics(client, document_uri, lambda d: d == [])


async def test_ranges_use_the_negotiated_encoding(
    client: RecordingClient, workspace: Path, write: WriteFile
) -> None:
    text = 'pipeline:\n  id: "demo"\n  name: "x"\n  tasks: [{id: "a", name: "🚀é", type: "llm", prompt_template: "x", colour: 1}]\n'
    path = write(".wave/pipelines/x.yaml", text)
    document_uri = open_document(client, path, text)
    (diagnostic,) = await wait_for_diagnostics(client, document_uri, lambda d: len(d) == 1)
    line = text.splitlines()[3]
    encoding = client.initialize_result.capabilities.position_encoding
    assert isinstance(encoding, str)
    expected = units(line[: line.index("colour")], encoding)
    assert (diagnostic.range.start.line, diagnostic.range.start.character) == (3, expected)


async def test_unsaved_text_is_checked_not_the_file(
    client: RecordingClient, workspace: Path, write: WriteFile
) -> None:
    good = 'pipeline:\n  id: "demo"\n  name: "x"\n  tasks:\n    - id: "a"\n      type: "llm"\n      prompt_template: "x"\n'
    path = write(".wave/pipelines/x.yaml", good)
    unsaved = good.replace('type: "llm"', 'type: "lml"')
    document_uri = open_document(client, path, unsaved)
    (diagnostic,) = await wait_for_diagnostics(client, document_uri, lambda d: len(d) == 1)
    assert diagnostic.range.start.line == 5
    assert "pipeline.tasks[a].type" in diagnostic.message


async def test_cross_file_reference_to_an_unsaved_persona(
    client: RecordingClient, workspace: Path, write: WriteFile
) -> None:
    pipeline = 'pipeline:\n  id: "demo"\n  name: "x"\n  persona: "writer"\n  tasks:\n    - id: "a"\n      type: "llm"\n      prompt_template: "x"\n'
    pipeline_uri = open_document(client, write(".wave/pipelines/x.yaml", pipeline), pipeline)
    (diagnostic,) = await wait_for_diagnostics(client, pipeline_uri, lambda d: len(d) == 1)
    assert diagnostic.code == "unknown-persona"
    assert diagnostic.range.start.line == 3
    # A new persona file, open but never saved, defines the persona: the pipeline is fixed.
    persona_path = workspace / ".wave" / "personas" / "writer.yaml"
    open_document(client, persona_path, "persona:\n  name: writer\n")
    await wait_for_diagnostics(client, pipeline_uri, lambda d: d == [])


async def test_closing_a_document_clears_its_diagnostics(
    client: RecordingClient, workspace: Path, write: WriteFile
) -> None:
    path = write(".wave/config.yaml", "server:\n  port: 0\n")
    document_uri = open_document(client, path, "server:\n  port: 0\n")
    await wait_for_diagnostics(client, document_uri, lambda d: len(d) == 1)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=document_uri)
        )
    )
    await wait_for_diagnostics(client, document_uri, lambda d: d == [])


async def test_a_persona_saved_outside_the_editor_fixes_an_open_pipeline(
    client: RecordingClient, workspace: Path, write: WriteFile
) -> None:
    pipeline = 'pipeline:\n  id: "demo"\n  name: "x"\n  persona: "writer"\n  tasks:\n    - id: "a"\n      type: "llm"\n      prompt_template: "x"\n'
    pipeline_uri = open_document(client, write(".wave/pipelines/x.yaml", pipeline), pipeline)
    await wait_for_diagnostics(client, pipeline_uri, lambda d: len(d) == 1)
    capabilities = client.capabilities
    assert capabilities is not None and capabilities.workspace is not None
    watched = capabilities.workspace.did_change_watched_files
    if watched is not None and watched.dynamic_registration:
        methods = [r.method for r in client.registrations]
        assert methods == [types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    else:
        assert client.registrations == []
    persona = write(".wave/personas/writer.yaml", "persona:\n  name: writer\n")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=uri(persona), type=types.FileChangeType.Created)]
        )
    )
    await wait_for_diagnostics(client, pipeline_uri, lambda d: d == [])
