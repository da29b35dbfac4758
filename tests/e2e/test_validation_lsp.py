"""The validation engine through the language server, in VS Code's, Neovim's and Emacs'
recorded capabilities: exactly the planted findings, updated by edits, quick fixes and fix-all
(safe fixes only), the workspace command with progress, and refused rules on their files."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

from tests.e2e.conftest import (
    SERVER_COMMAND,
    RecordingClient,
    initialize_params,
    make_client,
    uri,
    wait_for_diagnostics,
)
from tests.e2e.test_config_diagnostics import change, open_document, units
from tests.unit.test_planted import EXPECTED, PLANTED

LANGUAGE_IDS = {
    ".py": "python",
    ".js": "javascript",
    ".ts": "typescript",
    ".go": "go",
    ".yaml": "yaml",
}


def planted_copy(workspace: Path) -> Path:
    for path in PLANTED.iterdir():
        if path.suffix in LANGUAGE_IDS:
            shutil.copy(path, workspace / path.name)
    return workspace


def column(client: RecordingClient, text: str, line: int, character: int) -> int:
    """The 1-based code-point column of a position in the client's encoding."""
    encoding = client.initialize_result.capabilities.position_encoding
    assert isinstance(encoding, str)
    row = text.splitlines()[line]
    for index in range(len(row) + 1):
        if units(row[:index], encoding) == character:
            return index + 1
    raise AssertionError(f"no column for {character} in {row!r}")


async def test_planted_files_get_exactly_the_expected_diagnostics(
    client: RecordingClient, workspace: Path
) -> None:
    planted_copy(workspace)
    found = set()
    for name, language in LANGUAGE_IDS.items():
        path = next(workspace.glob(f"*{name}"))
        text = path.read_text()
        document_uri = open_document_as(client, path, text, language)
        count = len({e for e in EXPECTED if e[0] == path.name})
        diagnostics = await wait_for_diagnostics(
            client,
            document_uri,
            lambda d, n=count: len([x for x in d if x.source == "wave"]) >= n,
        )
        for diagnostic in diagnostics:
            assert diagnostic.source == "wave"
            start = diagnostic.range.start
            found.add(
                (
                    path.name,
                    diagnostic.code,
                    start.line + 1,
                    column(client, text, start.line, start.character),
                )
            )
    assert found == EXPECTED


def open_document_as(client: RecordingClient, path: Path, text: str, language: str) -> str:
    document_uri = uri(path)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document_uri, language_id=language, version=1, text=text
            )
        )
    )
    return document_uri


async def test_diagnostic_fields_and_edits_update_them(
    client: RecordingClient, workspace: Path
) -> None:
    text = "import yaml\n\nconfig = yaml.load(stream)\n"
    path = workspace / "conf.py"
    path.write_text(text)
    document_uri = open_document_as(client, path, text, "python")
    (diagnostic,) = await wait_for_diagnostics(client, document_uri, lambda d: len(d) == 1)
    assert diagnostic.code == "security.yaml-load"
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert (diagnostic.range.start.line, diagnostic.range.start.character) == (2, 9)
    assert diagnostic.data == {"rule": "security.yaml-load", "severity": "error", "fixable": True}

    # Insert a line above: the finding moves down; then type the fix: it goes away.
    change(client, document_uri, 2, 0, 0, 0, "# config\n")
    (moved,) = await wait_for_diagnostics(
        client, document_uri, lambda d: len(d) == 1 and d[0].range.start.line == 3
    )
    assert moved.code == "security.yaml-load"
    change(client, document_uri, 3, 3, 18, 18, "")  # no-op-sized edit keeps the version moving
    change(client, document_uri, 4, 3, 14, 18, "safe_load")
    await wait_for_diagnostics(client, document_uri, lambda d: d == [])


async def test_fix_all_applies_only_safe_fixes_and_quick_fixes_are_labelled(
    client: RecordingClient, workspace: Path
) -> None:
    text = "import yaml\nconfig = yaml.load(stream)   \nx = 1\t\n"
    path = workspace / "fix.py"
    path.write_text(text)
    document_uri = open_document_as(client, path, text, "python")
    await wait_for_diagnostics(client, document_uri, lambda d: len(d) == 3)

    whole = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=3, character=0)
    )
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=document_uri),
            range=whole,
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert actions is not None
    titles = [a.title for a in actions if isinstance(a, types.CodeAction)]
    assert "Replace 'yaml.load' with 'yaml.safe_load' (security.yaml-load) [unsafe fix]" in titles
    fix_all = [
        a for a in actions if isinstance(a, types.CodeAction) and a.kind == "source.fixAll.wave"
    ]
    assert [a.title for a in fix_all] == ["Fix all safe Wave problems (2)"]
    assert apply(text, fix_all[0].edit) == "import yaml\nconfig = yaml.load(stream)\nx = 1\n"

    only = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=document_uri),
            range=whole,
            context=types.CodeActionContext(diagnostics=[], only=["source.fixAll"]),
        )
    )
    assert only is not None
    assert [a.kind for a in only if isinstance(a, types.CodeAction)] == ["source.fixAll.wave"]


def apply(text: str, edit: types.WorkspaceEdit | None) -> str:
    assert edit is not None
    if edit.document_changes:
        (change_,) = edit.document_changes
        assert isinstance(change_, types.TextDocumentEdit)
        edits = list(change_.edits)
    else:
        assert edit.changes is not None
        (edits,) = edit.changes.values()
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    result = text
    for text_edit in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        assert isinstance(text_edit, types.TextEdit)
        start = offsets[text_edit.range.start.line] + text_edit.range.start.character
        end = offsets[text_edit.range.end.line] + text_edit.range.end.character
        result = result[:start] + text_edit.new_text + result[end:]
    return result


async def test_validate_workspace_command_reports_progress(
    client: RecordingClient, workspace: Path
) -> None:
    planted_copy(workspace)
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="wave.validate.workspace", arguments=[uri(workspace)])
    )
    assert result["files"] == 5
    assert result["findings"] == len(EXPECTED)
    assert result["status"] == "failed"
    capabilities = client.capabilities
    if capabilities and capabilities.window and capabilities.window.work_done_progress:
        (reports,) = client.progress_reports.values()
        kinds = [getattr(r, "kind", None) for r in reports]
        assert kinds[0] == "begin" and kinds[-1] == "end"
        assert "5 files" in reports[-1].message  # type: ignore[union-attr]
    if not (capabilities and capabilities.text_document and capabilities.text_document.diagnostic):
        published = {Path(u).name for u in client.diagnostics}
        assert published >= {"app.py", "web.js", "server.go"}


async def test_a_refused_rule_is_a_diagnostic_on_its_file(
    client: RecordingClient, workspace: Path
) -> None:
    text = "rules:\n  - id: team.no-foo\n    name: No foo\n    type: quality\n    pattern-regex: 'foo('\n"
    path = workspace / ".wave" / "rules" / "team.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    document_uri = open_document(client, path, text)
    (diagnostic,) = await wait_for_diagnostics(client, document_uri, lambda d: len(d) == 1)
    assert diagnostic.range.start.line == 4
    assert "rule 'team.no-foo' refused: invalid regular expression" in diagnostic.message
    # Fixing the regex loads the rule; an open file then gets the rule's finding.
    change(client, document_uri, 2, 4, 23, 24, "\\(")
    await wait_for_diagnostics(client, document_uri, lambda d: d == [])
    source = workspace / "a.py"
    source.write_text("foo(1)\n")
    source_uri = open_document_as(client, source, "foo(1)\n", "python")
    (finding,) = await wait_for_diagnostics(client, source_uri, lambda d: len(d) == 1)
    assert finding.code == "team.no-foo"


async def test_failing_examples_and_unknown_cel_variables_are_diagnostics(
    client: RecordingClient, workspace: Path
) -> None:
    text = (
        "rules:\n"
        "  - id: team.example\n    name: x\n    type: quality\n    pattern-regex: 'foo'\n"
        "    examples:\n      match: ['bar']\n"
        "  - id: team.cel\n    name: y\n    type: quality\n    pattern-regex: 'foo'\n"
        "    condition: 'mtch.line > 1'\n"
    )
    path = workspace / ".wave" / "rules" / "team.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    document_uri = open_document(client, path, text)
    diagnostics = await wait_for_diagnostics(client, document_uri, lambda d: len(d) == 2)
    by_line = {d.range.start.line: d.message for d in diagnostics}
    assert "rule 'team.example' refused: its example finds nothing: 'bar'" in by_line[6]
    assert "rule 'team.cel' refused: condition uses unknown variable 'mtch'" in by_line[11]


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client),
    params=[None, 300],
    ids=["adaptive", "debounce-300ms"],
)
async def pushing_client(
    lsp_client: RecordingClient, request: pytest.FixtureRequest, workspace: Path
):
    """Emacs' capabilities (diagnostics pushed), with the default (adaptive) pause before a
    check or a fixed debounceMs."""
    options = {} if request.param is None else {"debounceMs": request.param}
    lsp_client.initialize_result = await lsp_client.initialize_session(
        initialize_params(client_capabilities("emacs"), workspace, options)
    )
    yield
    await lsp_client.shutdown_session()


async def test_a_burst_of_edits_is_checked_for_its_final_version_only(
    pushing_client: RecordingClient, workspace: Path, request: pytest.FixtureRequest
) -> None:
    client = pushing_client
    text = "# TODO: first\n" + "value = 1\n" * 300
    path = workspace / "burst.py"
    path.write_text(text)
    document_uri = open_document_as(client, path, text, "python")
    await wait_for_diagnostics(client, document_uri, lambda d: len(d) == 1)
    before = len(client.published)
    for version in range(2, 52):  # 50 edits sent at once, as a paste or a replace-all does
        change(client, document_uri, version, 1, 0, 0, f"# TODO: {version}\n")
    await wait_for_diagnostics(client, document_uri, lambda d: len(d) == 51)
    await asyncio.sleep(0.5)  # nothing else is coming
    versions = [  # (version 1 may be checked again as the settings and rules arrive)
        p.version for p in client.published[before:] if p.uri == document_uri and p.version != 1
    ]
    assert versions[-1] == 51
    if "debounce-300ms" in request.node.name:
        assert versions == [51]  # the burst is quiet for less than the debounce: one check
    else:
        # Half as long as a check of this file takes: edits that arrive together cost one
        # check, and one more at most (one check runs at a time, later edits fold into one).
        assert len(versions) <= 2, versions
    lines = [(d.range.start.line, d.message) for d in client.diagnostics[document_uri]]
    assert lines[:2] == [(0, "TODO: first"), (1, "TODO: 51")]
