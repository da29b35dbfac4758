"""`wave chat` as a user runs it, with piped input, against a recording OpenAI-protocol server:
the conversation carries on, files added reach the model, checkpoints restore the conversation
and a restore can be undone, a proposal is written only by /apply, and Ctrl-C stops an answer
without leaving the chat."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import WriteFile, recording_provider
from tests.providers.protocol_server import ProtocolServer

APP = "def total(items):\n    result = 0\n    for item in items:\n        result += item\n    return result\n"
FIX = (
    "```diff\n--- a/app.py\n+++ b/app.py\n@@ -3,3 +3,3 @@\n"
    "     for item in items:\n-        result += item\n+        result += item.price\n"
    "     return result\n```\n"
)


@pytest.fixture
def project(write: WriteFile, workspace: Path, llm: ProtocolServer) -> Path:
    write(
        ".wave/config.yaml",
        f"""
        providers:
          defaultProvider: llm
          providers:
            llm: {recording_provider(llm)}
        """,
    )
    (workspace / "app.py").write_text(APP)
    (workspace / "notes.md").write_text("Prices are in cents.\n")
    return workspace


def chat(project: Path, lines: list[str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wave_lsp", "chat", "--root", str(project), *extra],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def contents(llm: ProtocolServer, index: int) -> list[str]:
    return [m["content"] for m in llm.requests[index].body["messages"]]


def test_a_piped_chat_carries_the_conversation_and_its_checkpoints(
    project: Path, llm: ProtocolServer
) -> None:
    llm.state.answers = ["One.", "Two.", "Three.", "Four."]
    done = chat(
        project,
        [
            "First question?",
            "/add notes.md",
            "Second question?",
            "/checkpoint save two questions",
            "/clear",
            "/checkpoint restore two questions",
            "Third question?",
            "/checkpoint undo",
            "/history",
            "Fourth question?",
            "/context",
            "/quit",
            "Never asked?",
        ],
    )
    assert done.returncode == 0, done.stderr
    assert len(llm.requests) == 4  # nothing after /quit
    first, second, third, fourth = (contents(llm, i) for i in range(4))
    assert first[-1].startswith("First question?") and len(first) == 2  # system, question
    assert second[1:3] == ["First question?", "One."]  # the conversation carries on
    assert "File notes.md:" in second[-1] and "Prices are in cents." in second[-1]
    assert "File notes.md:" not in first[-1]
    # restored after /clear: the provider sees the conversation of the checkpoint
    assert third[1:5] == ["First question?", "One.", "Second question?", "Two."]
    # /checkpoint undo went back to the state before the restore: cleared, no history
    assert len(fourth) == 2 and "Fourth question?" in fourth[-1]
    assert "One.\n" in done.stdout and "Four." in done.stdout  # answers streamed out
    assert "restored c-" in done.stdout and "back to c-" in done.stdout
    assert "notes.md: included" in done.stdout and "conversation: 2 messages" in done.stdout


def test_a_proposal_from_the_chat_is_written_only_by_apply(
    project: Path, llm: ProtocolServer
) -> None:
    llm.state.answers = [FIX]
    done = chat(project, ["/add app.py", "Fix the total", "/proposals"])
    assert done.returncode == 0, done.stderr
    assert "Proposal p-" in done.stdout and "pending" in done.stdout
    assert (project / "app.py").read_text() == APP  # proposed, not written
    done = chat(project, ["/apply"])
    assert done.returncode == 0, done.stderr
    assert "applied p-" in done.stdout
    assert (project / "app.py").read_text() == APP.replace("+= item\n", "+= item.price\n")
    backups = list(Path(os.environ["XDG_STATE_HOME"]).glob("wave/workspaces/*/backups/*/*/app.py"))
    assert [b.read_text() for b in backups] == [APP]
    again = chat(project, ["/apply"])
    assert "no proposal is pending" in again.stderr


def test_a_reviewer_cannot_apply_and_a_bad_command_is_said(
    project: Path, llm: ProtocolServer
) -> None:
    llm.state.answers = [FIX]
    done = chat(project, ["/add app.py", "Fix it", "/apply", "/frobnicate", "/persona ghost"],
                "--persona", "reviewer")  # fmt: skip
    assert done.returncode == 0
    assert "code:write" in done.stderr or "may not write" in done.stderr
    assert "/frobnicate: no such command" in done.stderr
    assert "no persona named 'ghost'" in done.stderr
    assert (project / "app.py").read_text() == APP
    system = llm.requests[0].body["messages"][0]["content"]
    assert system.startswith("You are a Reviewer")


def test_a_broken_configuration_is_refused_with_its_first_problem(
    project: Path, write: WriteFile, llm: ProtocolServer
) -> None:
    config = project / ".wave" / "config.yaml"
    config.write_text(config.read_text().replace("type: openai", "type: opnai"))
    done = chat(project, ["Hello?"])
    assert done.returncode == 2
    assert "configuration is broken" in done.stderr and ".wave/config.yaml:" in done.stderr
    assert llm.requests == []


def test_ctrl_c_stops_the_answer_and_the_chat_goes_on(project: Path, llm: ProtocolServer) -> None:
    llm.state.answers = ["slow " * 400, "Quick."]
    llm.state.piece_delay = 0.05
    process = subprocess.Popen(
        [sys.executable, "-m", "wave_lsp", "chat", "--root", str(project)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdin is not None
    process.stdin.write("Long one?\n")
    process.stdin.flush()
    for _ in range(200):
        if llm.requests:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    llm.state.piece_delay = 0.0
    out, err = process.communicate("Short one?\n", timeout=60)
    assert process.returncode == 0, err
    assert "(stopped)" in out and "Quick." in out
    assert llm.state.disconnects >= 1  # the provider call was stopped
    second = contents(llm, 1)  # the stopped exchange is not in the conversation
    assert len(second) == 2 and second[-1].startswith("Short one?")
