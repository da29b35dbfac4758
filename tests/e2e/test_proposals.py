"""Proposals through the real server with the recorded VS Code, Neovim and Emacs capabilities:
made from a diff against the editor's unsaved text, applied (workspace/applyEdit for open
documents, atomic writes for the others), re-planned when stale, rejected and rolled back."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from tests.e2e.conftest import RecordingClient, uri
from wave_lsp.edits.textdiff import unified_diff

TEXT = "# café ☕ 𝄞 notes\r\ndef greet():\r\n    return 'héllo 𝄞'\r\n\r\nx = 1\r\ny = 2"
"""CRLF, multi-byte and astral characters, and no final newline."""


def units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def offset(text: str, position: types.Position, encoding: str) -> int:
    lines = text.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: position.line])
    if position.line >= len(lines):
        return len(text)
    line = lines[position.line]
    column = 0
    while column < len(line) and units(line[:column], encoding) < position.character:
        column += 1
    assert units(line[:column], encoding) == position.character, "a position inside a character"
    return start + column


def apply_text_edits(text: str, edits: list[Any], encoding: str) -> str:
    spans = sorted(
        ((offset(text, e.range.start, encoding), offset(text, e.range.end, encoding), e.new_text)
         for e in edits),
        reverse=True,
    )  # fmt: skip
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def edits_for(edit: types.WorkspaceEdit, document_uri: str) -> list[Any]:
    if edit.document_changes is not None:
        return [
            e
            for change in edit.document_changes
            if isinstance(change, types.TextDocumentEdit)
            and change.text_document.uri == document_uri
            for e in change.edits
        ]
    return list((edit.changes or {}).get(document_uri, []))


def encoding_of(client: RecordingClient) -> str:
    return str(client.initialize_result.capabilities.position_encoding or "utf-16")


async def command(client: RecordingClient, name: str, argument: Any) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=[argument])
    )


async def open_document(client: RecordingClient, path: Path, text: str) -> str:
    document_uri = uri(path)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document_uri, language_id="python", version=1, text=text
            )
        )
    )
    return document_uri


async def test_an_open_documents_unsaved_text_round_trips(
    client: RecordingClient, workspace: Path
) -> None:
    path = workspace / "notes.py"
    path.write_text("stale text on disk\n")
    document_uri = await open_document(client, path, TEXT)
    wanted = TEXT.replace("return 'héllo 𝄞'", "return 'hello, 𝄞 wörld'").replace("y = 2", "y = 3")
    diff = unified_diff(TEXT, wanted, "a/notes.py", "b/notes.py")
    made = await command(client, "wave.proposal.fromDiff", {"diff": f"```diff\n{diff}```"})
    assert made["ok"], made
    applied = await command(client, "wave.proposal.apply", {"id": made["id"]})
    assert applied["status"] == "applied"
    [params] = client.applied_edits
    edit = params.edit
    edits = edits_for(edit, document_uri)
    assert 1 <= len(edits) <= 2  # line-level, never the whole file
    assert apply_text_edits(TEXT, edits, encoding_of(client)) == wanted
    name = client.client_name  # type: ignore[attr-defined]
    if name == "neovim":  # declares no documentChanges
        assert edit.document_changes is None and edit.changes
    else:
        [change] = edit.document_changes or []
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.version == 1
    if name == "visual_studio_code":  # the only one that declares change annotations
        assert edit.change_annotations is not None
        [annotation] = edit.change_annotations.values()
        assert annotation.needs_confirmation is True and made["id"] in annotation.label
    assert path.read_text() == "stale text on disk\n"  # the editor owns open documents


async def test_a_closed_file_is_written_backed_up_and_rolled_back(
    client: RecordingClient, workspace: Path
) -> None:
    path = workspace / "app.py"
    original = "import os\n\n\ndef main():\n    return 1\n"
    path.write_text(original)
    diff = (
        "--- a/app.py\n+++ b/app.py\n@@ -4,2 +4,2 @@\n def main():\n-    return 1\n+    return 2\n"
    )
    made = await command(client, "wave.proposal.fromDiff", {"diff": diff})
    listed = await command(client, "wave.proposal.list", {})
    assert [p["id"] for p in listed] == [made["id"]] and listed[0]["status"] == "pending"
    await command(client, "wave.proposal.apply", {"id": made["id"]})
    assert client.applied_edits == []  # not open: written directly, atomically
    assert path.read_text().endswith("return 2\n")
    state = Path(os.environ["XDG_STATE_HOME"])
    [backup] = state.rglob("backups/*/before/app.py")
    assert backup.read_text() == original
    rolled = await command(client, "wave.proposal.rollback", {"id": made["id"]})
    assert rolled["status"] == "rolledBack"
    assert path.read_text() == original


async def test_a_stale_document_is_replanned_or_refused(
    client: RecordingClient, workspace: Path
) -> None:
    path = workspace / "calc.py"
    text = "".join(f"v{n} = {n}\n" for n in range(30))
    document_uri = await open_document(client, path, text)
    diff = unified_diff(text, text.replace("v20 = 20", "v20 = 200"), "a/calc.py", "b/calc.py")
    made = await command(client, "wave.proposal.fromDiff", {"diff": diff})
    conflicting = await command(client, "wave.proposal.fromDiff", {"diff": diff})
    # the user types above the hunk: lines move, the hunk still applies
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=document_uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=0, character=0),
                        end=types.Position(line=0, character=0),
                    ),
                    text="# header\n# more\n",
                )
            ],
        )
    )
    applied = await command(client, "wave.proposal.apply", {"id": made["id"]})
    assert applied["replanned"] == ["calc.py"]
    current = "# header\n# more\n" + text
    [params] = client.applied_edits
    result = apply_text_edits(current, edits_for(params.edit, document_uri), encoding_of(client))
    assert result == current.replace("v20 = 20", "v20 = 200")
    if params.edit.document_changes:
        [change] = params.edit.document_changes
        assert isinstance(change, types.TextDocumentEdit) and change.text_document.version == 2
    # the line the second proposal changes is gone now: refused, with the reason
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=document_uri, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="v0 = 0\n")],
        )
    )
    with pytest.raises(Exception, match="changed since the proposal was made"):
        await command(client, "wave.proposal.apply", {"id": conflicting["id"]})


async def test_new_deleted_and_renamed_files(client: RecordingClient, workspace: Path) -> None:
    (workspace / "old.txt").write_text("bye\n")
    (workspace / "name.txt").write_text("same\n")
    diff = (
        "--- /dev/null\n+++ b/pkg/new.py\n@@ -0,0 +1,2 @@\n+A = 1\n+B = 2\n"
        "diff --git a/old.txt b/old.txt\ndeleted file mode 100644\n--- a/old.txt\n+++ /dev/null\n"
        "@@ -1 +0,0 @@\n-bye\n"
        "diff --git a/name.txt b/renamed.txt\nsimilarity index 100%\n"
        "rename from name.txt\nrename to renamed.txt\n"
    )
    made = await command(client, "wave.proposal.fromDiff", {"diff": diff})
    assert made["ok"], made
    await command(client, "wave.proposal.apply", {"id": made["id"]})
    assert (workspace / "pkg" / "new.py").read_text() == "A = 1\nB = 2\n"
    name = client.client_name  # type: ignore[attr-defined]
    if name == "visual_studio_code":  # the editor deletes and renames: recorded, not done here
        [params] = client.applied_edits
        kinds = [type(c).__name__ for c in params.edit.document_changes or []]
        assert kinds == ["DeleteFile", "RenameFile"]
    else:  # no resource operations in documentChanges: the server does them, on disk
        assert client.applied_edits == []
        assert not (workspace / "old.txt").exists()
        assert (workspace / "renamed.txt").read_text() == "same\n"
        await command(client, "wave.proposal.rollback", {"id": made["id"]})
        assert (workspace / "old.txt").read_text() == "bye\n"
        assert (workspace / "name.txt").read_text() == "same\n"
        assert not (workspace / "pkg" / "new.py").exists()


async def test_show_reject_and_bad_input(client: RecordingClient, workspace: Path) -> None:
    (workspace / "a.txt").write_text("one\n")
    made = await command(
        client, "wave.proposal.fromDiff", {"diff": "--- a/a.txt\n+++ b/a.txt\n@@ @@\n-one\n+two\n"}
    )
    shown = await command(client, "wave.proposal.show", {"id": made["id"]})
    assert "+two" in shown["diff"]
    if client.client_name != "emacs":  # type: ignore[attr-defined]
        assert shown["shown"] and client.shown_documents[0].uri.endswith(".diff")
    rejected = await command(client, "wave.proposal.reject", {"id": made["id"]})
    assert rejected["status"] == "rejected"
    with pytest.raises(Exception, match="rejected, not pending"):
        await command(client, "wave.proposal.apply", {"id": made["id"]})
    failed = await command(
        client, "wave.proposal.fromDiff", {"diff": "--- a/a.txt\n+++ b/a.txt\n@@ @@\n-zero\n+two\n"}
    )
    assert not failed["ok"] and "'zero'" in failed["error"] and "id" not in failed
    escaping = await command(
        client,
        "wave.proposal.fromDiff",
        {"diff": "--- a/../x.txt\n+++ b/../x.txt\n@@ @@\n-a\n+b\n"},
    )
    assert not escaping["ok"] and "outside the workspace: refused" in escaping["error"]
    assert (workspace / "a.txt").read_text() == "one\n"


async def test_an_open_document_rolls_back_through_the_editor(
    client: RecordingClient, workspace: Path
) -> None:
    path = workspace / "empty.py"
    path.write_text("")
    document_uri = await open_document(client, path, "")  # an empty file
    wanted = "print('ünï 𝄞')\n"
    diff = unified_diff("", wanted, "a/empty.py", "b/empty.py")
    made = await command(client, "wave.proposal.fromDiff", {"diff": diff})
    assert made["ok"], made
    result = await command(client, "wave.proposal.apply", {"id": made["id"]})
    assert result["replanned"] == []
    encoding = encoding_of(client)
    [applied] = client.applied_edits
    after = apply_text_edits("", edits_for(applied.edit, document_uri), encoding)
    assert after == wanted
    client.text_document_did_change(  # the editor applied it: its text is now the new one
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=document_uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=after)],
        )
    )
    await command(client, "wave.proposal.rollback", {"id": made["id"]})
    [_, undone] = client.applied_edits
    assert apply_text_edits(after, edits_for(undone.edit, document_uri), encoding) == ""
