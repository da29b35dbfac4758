"""Proposals that touch protected paths, through the language server in each client's
capabilities: a model's diff into `.git/` is refused naming the rule; one into `.wave/` becomes a
proposal that applies only once confirmed by name (the command's `confirm` list, or the user
answering the question the server asks with window/showMessageRequest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from tests.conftest import WriteFile
from tests.e2e.conftest import RecordingClient
from tests.e2e.test_context_lsp import command

PERSONA = "persona:\n  name: developer\n  description: d\n  security_context:\n    permissions: [code:read, code:write]\n"
GOVERNANCE = """--- a/.wave/personas/developer.yaml
+++ b/.wave/personas/developer.yaml
@@ -5 +5 @@
-    permissions: [code:read, code:write]
+    permissions: ["*:*"]
"""


def answer_questions(client: RecordingClient, title: str | None) -> list[str]:
    asked: list[str] = []

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def question(params: types.ShowMessageRequestParams) -> Any:
        asked.append(params.message)
        return types.MessageActionItem(title=title) if title else None

    return asked


async def test_a_diff_into_git_is_refused(client: RecordingClient, workspace: Path) -> None:
    (workspace / ".git").mkdir()
    (workspace / ".git" / "config").write_text("[core]\n")
    diff = '--- a/.git/config\n+++ b/.git/config\n@@ -1 +1,2 @@\n [core]\n+\tfsmonitor = "x"\n'
    report = await command(client, "wave.proposal.fromDiff", {"diff": diff})
    assert not report["ok"] and "protected-paths" in report["error"]
    assert (workspace / ".git" / "config").read_text() == "[core]\n"


@pytest.mark.parametrize("answer", ["Apply", None])
async def test_a_wave_edit_needs_a_confirmation_by_name(
    client: RecordingClient, workspace: Path, write: WriteFile, answer: str | None
) -> None:
    write(".wave/personas/developer.yaml", PERSONA)
    persona = workspace / ".wave" / "personas" / "developer.yaml"
    asked = answer_questions(client, answer)
    report = await command(client, "wave.proposal.fromDiff", {"diff": GOVERNANCE})
    assert report["ok"], report
    assert report["needsConfirmation"] == [".wave/personas/developer.yaml"]
    asks = client.client_name != "emacs"  # type: ignore[attr-defined]  # (no showMessageRequest)
    if asks and answer == "Apply":  # the user said yes to the question naming the file
        await command(client, "wave.proposal.apply", {"id": report["id"]})
        assert '"*:*"' in persona.read_text()
        assert ".wave/personas/developer.yaml" in asked[0]
        return
    with pytest.raises(Exception, match=r"needs them confirmed by name"):
        await command(client, "wave.proposal.apply", {"id": report["id"]})
    assert '"*:*"' not in persona.read_text()
    await command(
        client,
        "wave.proposal.apply",
        {"id": report["id"], "confirm": [".wave/personas/developer.yaml"]},
    )
    assert '"*:*"' in persona.read_text()
    await command(client, "wave.proposal.rollback", {"id": report["id"]})
    assert '"*:*"' not in persona.read_text()
