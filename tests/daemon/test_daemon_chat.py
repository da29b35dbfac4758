"""`wave chat --connect`: the terminal chat of a `wave serve` daemon's user, through the same
authenticated connection as the editors' bridges. The chat runs on the daemon's machine, limited
to the user's personas; the recording provider shows what the model was asked as whom; a wrong
token is refused before anything is asked."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import WriteFile, recording_provider
from tests.daemon.test_daemon import TOKENS, WAVE, project, start  # noqa: F401  (fixture)
from tests.providers.protocol_server import ProtocolServer


def chat_through(port: int, user: str, token: str, lines: list[str], root: Path, *extra: str
                 ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return subprocess.run(
        [*WAVE, "chat", "--connect", f"127.0.0.1:{port}", "--user", user, *extra],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120,
        env={**os.environ, "WAVE_TOKEN": token}, cwd=root.parent, check=False,
    )  # fmt: skip


def with_provider(write: WriteFile, llm: ProtocolServer) -> None:
    """The daemon's workspace: file authentication, and the recording provider as the default."""
    write(".wave/config.yaml", f"""
        security:
          authentication: {{type: file, config_file: users.yaml}}
        providers:
          defaultProvider: llm
          providers:
            llm: {recording_provider(llm)}
        """)  # fmt: skip


def test_a_terminal_chat_through_the_daemon_acts_as_its_user(
    write: WriteFile,
    project: Path,  # noqa: F811
    llm: ProtocolServer,
) -> None:
    with_provider(write, llm)
    llm.state.answers = ["Looks fine to me.", "Second answer."]
    process, port = start(project)
    try:
        done = chat_through(port, "bob", TOKENS["bob"], [
            "/persona developer", "Review app.py please", "/persona analyst", "And now?", "/quit",
        ], project)  # fmt: skip
        refused = chat_through(port, "bob", "not-the-token", ["Never asked?"], project)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    assert "not yours here" in done.stdout  # alice's persona, refused in bob's chat
    assert "Looks fine to me." in done.stdout and "persona: analyst" in done.stdout
    assert len(llm.requests) == 2  # nothing from the refused connection
    first, second = (r.body["messages"] for r in llm.requests)
    assert "Review app.py please" in first[-1]["content"]
    assert "review" in first[0]["content"].lower()  # as bob's first persona: reviewer
    assert first[0]["content"] != second[0]["content"]  # then as analyst
    assert refused.returncode == 2
    assert "refused the connection: unknown user or wrong token" in refused.stderr
    audit = (project / ".wave" / "audit.log").read_text()
    assert '"protocol": "chat"' in audit and '"decision": "refused"' in audit
