"""Persona and file context through the server: selecting a persona, adding files (escapes
refused), the report of what a request would carry, and a persona's limits on edit targets."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from tests.conftest import WriteFile
from tests.e2e.conftest import RecordingClient, uri

READER = """
persona:
  name: reader
  security_context:
    permissions: ["code:read"]
    constraints:
      - type: directory_access
        allowed_paths: ["src"]
        denied_paths: ["src/private"]
"""


async def command(client: RecordingClient, name: str, argument: Any = None) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=[argument or {}])
    )


@pytest.fixture
def files(write: WriteFile, workspace: Path) -> Path:
    write(".wave/personas/reader.yaml", READER)
    write("src/app.py", 'API = "AKIAQYLPMN5HHHFPZAM2"\nprint(API)\n')
    write("src/private/notes.txt", "private\n")
    write("docs/readme.md", "# docs\n")
    (workspace.parent / "project_evil").mkdir()
    (workspace.parent / "project_evil" / "x.txt").write_text("evil\n")
    return workspace


async def test_context_add_show_and_escapes(client: RecordingClient, files: Path) -> None:
    added = await command(client, "wave.context.add", {"path": "src/app.py"})
    assert added["files"] == ["src/app.py"]
    for escape in [
        "../project_evil/x.txt",
        str(files.parent / "project_evil" / "x.txt"),
        uri(files.parent / "project_evil" / "x.txt"),
        "src/../../project_evil/x.txt",
    ]:
        with pytest.raises(Exception, match="outside the workspace"):
            await command(client, "wave.context.add", {"path": escape})
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri(files / "docs" / "readme.md"), language_id="markdown", version=1,
                text="# docs, unsaved edit\n",
            )
        )
    )  # fmt: skip
    report = await command(client, "wave.context.show", {})
    by_path = {f["path"]: f for f in report["files"]}
    assert by_path["docs/readme.md"]["status"] == "included"  # the open document, unsaved
    assert by_path["docs/readme.md"]["bytes"] == len("# docs, unsaved edit\n")
    assert by_path["src/app.py"]["status"] == "included"
    assert report["totalTokens"] == sum(f["tokens"] for f in report["files"])
    [redaction] = report["redactions"]
    assert redaction["path"] == "src/app.py" and redaction["kind"] == "aws-access-key"
    removed = await command(client, "wave.context.remove", {"path": "src/app.py"})
    assert removed["files"] == []


async def test_a_persona_limits_context_and_edits(client: RecordingClient, files: Path) -> None:
    selected = await command(client, "wave.persona.select", {"name": "reader"})
    assert selected["permissions"] == ["code:read"]
    with pytest.raises(Exception, match="denied by 'src/private'"):
        await command(client, "wave.context.add", {"path": "src/private/notes.txt"})
    with pytest.raises(Exception, match="not under its allowed paths"):
        await command(client, "wave.context.add", {"path": "docs/readme.md"})
    diff = "--- a/src/app.py\n+++ b/src/app.py\n@@ -2 +2 @@\n-print(API)\n+print('x')\n"
    with pytest.raises(Exception, match="lacks the permission 'code:write'"):
        await command(client, "wave.proposal.fromDiff", {"diff": diff})
    assert (files / "src" / "app.py").read_text().endswith("print(API)\n")
    audit = (files / ".wave" / "audit.log").read_text()
    assert audit.count('"decision": "refused"') == 3
    with pytest.raises(Exception, match="no persona named 'nobody'"):
        await command(client, "wave.persona.select", {"name": "nobody"})


async def test_checkpoints_save_restore_and_roll_back_later_changes(
    client: RecordingClient, files: Path
) -> None:
    await command(client, "wave.context.add", {"path": "src/app.py"})
    saved = await command(client, "wave.checkpoint.save", {"name": "before the change"})
    [listed] = await command(client, "wave.checkpoint.list")
    assert listed["id"] == saved["id"] and listed["files"] == ["src/app.py"]
    diff = "--- a/src/app.py\n+++ b/src/app.py\n@@ -2 +2 @@\n-print(API)\n+print('x')\n"
    made = await command(client, "wave.proposal.fromDiff", {"diff": diff})
    await command(client, "wave.proposal.apply", {"id": made["id"]})
    assert (files / "src" / "app.py").read_text().endswith("print('x')\n")
    await command(client, "wave.context.clear")
    restored = await command(client, "wave.checkpoint.restore", {"id": saved["id"]})
    assert restored["files"] == ["src/app.py"] and restored["appliedSince"] == [made["id"]]
    assert restored["rolledBack"] == []  # only offered
    restored = await command(
        client, "wave.checkpoint.restore", {"id": saved["id"], "rollback": True}
    )
    assert restored["rolledBack"] == [made["id"]]
    assert (files / "src" / "app.py").read_text().endswith("print(API)\n")
    await command(client, "wave.checkpoint.delete", {"id": saved["id"]})
    with pytest.raises(Exception, match="no checkpoint"):
        await command(client, "wave.checkpoint.restore", {"id": saved["id"]})


async def test_a_denied_path_is_refused_as_an_edit_target(
    client: RecordingClient, files: Path
) -> None:
    (files / ".git").mkdir()
    (files / ".git" / "config").write_text("[core]\n")
    diff = "--- a/.git/config\n+++ b/.git/config\n@@ -1 +1 @@\n-[core]\n+[core] # x\n"
    refused = await command(client, "wave.proposal.fromDiff", {"diff": diff})
    assert not refused["ok"] and "refused by the rule 'protected-paths'" in refused["error"]
    assert (files / ".git" / "config").read_text() == "[core]\n"
    escaping = await command(
        client,
        "wave.proposal.fromDiff",
        {"diff": "--- a/src/../../project_evil/x.txt\n+++ b/src/../../project_evil/x.txt\n"
                 "@@ -1 +1 @@\n-evil\n+good\n"},
    )  # fmt: skip
    assert not escaping["ok"] and "outside the workspace" in escaping["error"]
    assert (files.parent / "project_evil" / "x.txt").read_text() == "evil\n"


async def test_a_fifo_a_device_and_a_sparse_file_as_context(
    client: RecordingClient, files: Path
) -> None:
    """Named as context in the editor, each is dropped unread with the reason; the server keeps
    answering (a FIFO once hung the reader, a device exhausted the memory)."""
    os.mkfifo(files / "src" / "pipe.py")
    with (files / "src" / "huge.py").open("wb") as handle:
        handle.truncate(2 * 1024**3)
    names = ["src/pipe.py", "src/huge.py"]
    if os.geteuid() == 0:
        os.mknod(files / "src" / "zero.py", 0o666 | 0o020000, os.makedev(1, 5))
        names.append("src/zero.py")
    with pytest.raises(Exception, match=r"src/pipe.py: a FIFO"):
        await command(client, "wave.context.add", {"path": "src/pipe.py"})
    if "src/zero.py" in names:
        with pytest.raises(Exception, match=r"src/zero.py: a character device"):
            await command(client, "wave.context.add", {"path": "src/zero.py"})
    await command(client, "wave.context.add", {"path": "src/huge.py"})
    report = await asyncio.wait_for(command(client, "wave.context.show", {}), 30)
    by_path = {f["path"]: f for f in report["files"]}
    assert by_path["src/huge.py"]["status"] == "dropped"
    assert by_path["src/huge.py"]["reason"].startswith("larger than")


async def test_a_command_error_is_request_failed_with_the_users_message(
    client: RecordingClient, files: Path
) -> None:
    """No Python class name, no traceback: the message a user reads, as RequestFailed."""
    from pygls.exceptions import JsonRpcException

    with pytest.raises(JsonRpcException) as raised:
        await command(client, "wave.context.add", {"path": "../project_evil/x.txt"})
    error = raised.value
    assert error.code == types.LSPErrorCodes.RequestFailed
    assert "outside the workspace" in error.message
    assert "CommandError" not in error.message and "Traceback" not in str(error.data or "")
