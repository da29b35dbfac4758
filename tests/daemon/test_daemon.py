"""The daemon for real: `wave serve` on a free port, editors reaching it through the stdio bridge
`wave lsp --connect` (what an editor starts), pygls' language client on the other end. Two users
with their own tokens get their own personas through a whole LSP session (diagnostics included);
a wrong token, a missing one, a connection that skips the WAVE-AUTH line and a flood of bad
tokens are refused before any LSP message, audited, and rate-limited; `ldap` is refused at config
check; daemon mode detaches with a pid file and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from tests.conftest import WriteFile
from tests.e2e.conftest import uri
from wave_lsp.daemon.users import hash_token

WAVE = [sys.executable, "-m", "wave_lsp"]
TOKENS = {"alice": "alice-token-123", "bob": "bob-token-456"}


@pytest.fixture
def project(write: WriteFile, workspace: Path) -> Path:
    write(
        ".wave/config.yaml", "security:\n  authentication: {type: file, config_file: users.yaml}\n"
    )
    write(
        "users.yaml",
        "users:\n"
        + "".join(
            f'  {name}:\n    token_hash: "{hash_token(token)}"\n    personas: {personas}\n'
            for (name, token), personas in zip(
                TOKENS.items(), ["[developer]", "[reviewer, analyst]"], strict=True
            )
        ),
    )
    (workspace / "app.py").write_text("import yaml\n\n\ndef load(s):\n    return yaml.load(s)\n")
    return workspace


def start(project: Path, *extra: str) -> tuple[subprocess.Popen[str], int]:
    log = project.parent / f"daemon-{time.monotonic_ns()}.log"
    with log.open("w") as out:  # a file, not a pipe: the daemon's warnings never block it
        process = subprocess.Popen(
            [*WAVE, "serve", "--root", str(project), "--host", "127.0.0.1", "--port", "0",
             *extra],
            stderr=out, text=True,
        )  # fmt: skip
    for _ in range(200):
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", log.read_text())
        if found:
            return process, int(found.group(1))
        time.sleep(0.05)
    process.kill()
    raise AssertionError(log.read_text())


@pytest.fixture
def daemon(project: Path) -> Iterator[int]:
    process, port = start(project)
    yield port
    process.terminate()
    process.wait(timeout=10)


async def session(port: int, user: str, token: str) -> LanguageClient:
    client = LanguageClient("test-editor", "1")
    env = {**os.environ, "WAVE_TOKEN": token}
    await client.start_io(*WAVE, "lsp", "--connect", f"127.0.0.1:{port}", "--user", user, env=env)
    return client


async def show(client: LanguageClient, command: str, argument: object) -> object:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=[argument])
    )


async def test_two_users_get_their_own_personas(daemon: int, project: Path) -> None:
    published: dict[str, list[types.Diagnostic]] = {}
    for user, first in (("alice", "developer"), ("bob", "reviewer")):
        client = await session(daemon, user, TOKENS[user])
        client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(
            lambda params: published.__setitem__(params.uri, params.diagnostics)
        )
        await client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=uri(project),
            workspace_folders=[types.WorkspaceFolder(uri=uri(project), name="project")],
        ))  # fmt: skip
        client.initialized(types.InitializedParams())
        report = await show(client, "wave.context.show", {})
        assert report["persona"] == first  # type: ignore[index]
        with pytest.raises(Exception, match="not yours here: you may use"):
            await show(client, "wave.persona.select", {"name": "analyst" if user == "alice"
                                                       else "developer"})  # fmt: skip
        if user == "bob":
            chosen = await show(client, "wave.persona.select", {"name": "analyst"})
            assert chosen["persona"] == "analyst"  # type: ignore[index]
        app = uri(project / "app.py")
        published.pop(app, None)
        client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
            uri=app, language_id="python", version=1, text=(project / "app.py").read_text(),
        )))  # fmt: skip
        for _ in range(200):  # a whole session through the bridge: diagnostics come back
            if published.get(app):
                break
            await asyncio.sleep(0.05)
        assert any(d.code == "security.yaml-load" for d in published[app])
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    audit = (project / ".wave" / "audit.log").read_text()
    assert '"user": "alice"' in audit and '"decision": "allowed"' in audit


def bridge(port: int, user: str | None, token: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "WAVE_TOKEN"}
    if token is not None:
        env["WAVE_TOKEN"] = token
    user_args = ["--user", user] if user else []
    return subprocess.run(
        [*WAVE, "lsp", "--connect", f"127.0.0.1:{port}", *user_args],
        input="", capture_output=True, text=True, env=env, timeout=30, check=False,
    )  # fmt: skip


def raw(port: int, data: bytes) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=15) as connection:
        connection.sendall(data)
        return connection.makefile("rb").readline().decode()


def test_bad_or_missing_tokens_are_refused_audited_and_rate_limited(
    daemon: int, project: Path
) -> None:
    wrong = bridge(daemon, "alice", "not-the-token")
    assert wrong.returncode == 2
    assert "refused the connection: unknown user or wrong token" in wrong.stderr
    missing = bridge(daemon, "alice", None)
    assert missing.returncode == 2 and "give --user NAME and the token" in missing.stderr
    lsp_first = b'Content-Length: 52\r\n\r\n{"jsonrpc":"2.0","id":1,"method":"initialize"}'
    assert raw(daemon, lsp_first).startswith("WAVE-DENIED the first line must be")
    assert raw(daemon, b"WAVE-AUTH 1 lsp mallory guess\n").startswith("WAVE-DENIED unknown user")
    for _ in range(2):  # five failures in the window so far, then the address is held off
        raw(daemon, b"WAVE-AUTH 1 lsp alice guess\n")
    held = raw(daemon, f"WAVE-AUTH 1 lsp alice {TOKENS['alice']}\n".encode())
    assert held.startswith("WAVE-DENIED too many failed attempts from 127.0.0.1")
    entries = [json.loads(line) for line in (project / ".wave" / "audit.log").read_text()
               .splitlines()]  # fmt: skip
    refused = [e for e in entries if e.get("code") == "security.auth_failed"]
    assert len(refused) >= 6 and all(e["decision"] == "refused" for e in refused)
    assert not any(e.get("decision") == "allowed" for e in entries)


def test_ldap_is_refused_not_ignored(write: WriteFile, project: Path) -> None:
    write(".wave/config.yaml", "security:\n  authentication: {type: ldap}\n")
    check = subprocess.run([*WAVE, "config", "check", "--root", str(project)],
                           capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert check.returncode != 0
    assert re.search(r"config\.yaml:2:\d+: .*authentication type 'ldap' is not supported yet",
                     check.stdout + check.stderr)  # fmt: skip
    served = subprocess.run([*WAVE, "serve", "--root", str(project), "--port", "0"],
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert served.returncode == 2 and "not supported yet" in served.stderr


def test_daemon_mode_detaches_with_a_pid_file(project: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "wave.pid"
    started = subprocess.run(
        [*WAVE, "serve", "--root", str(project), "--host", "127.0.0.1", "--port", "0",
         "--daemon", "--pid-file", str(pid_file)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert started.returncode == 0 and "the daemon runs as pid" in started.stderr
    pid = int(pid_file.read_text())
    os.kill(pid, 0)  # running, detached from us
    log = pid_file.with_suffix(".log")
    for _ in range(100):
        if "listening on" in log.read_text():
            break
        time.sleep(0.05)
    port = int(re.findall(r"listening on 127\.0\.0\.1:(\d+)", log.read_text())[-1])
    assert raw(port, b"WAVE-AUTH 1 lsp alice nope\n").startswith("WAVE-DENIED")
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not pid_file.exists():
            break
        time.sleep(0.05)
    assert not pid_file.exists()  # removed as it stopped


def test_a_bad_users_file_is_named_with_its_line(write: WriteFile, project: Path) -> None:
    write("users.yaml", "users:\n  carol:\n    token_hash: plain-text-token\n    personas: []\n")
    served = subprocess.run([*WAVE, "serve", "--root", str(project), "--port", "0"],
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert served.returncode == 2
    assert re.search(r"users\.yaml:3:\d+: .*token_hash", served.stderr), served.stderr
    assert re.search(r"users\.yaml:4:\d+: .*personas", served.stderr), served.stderr


async def test_an_acp_editor_through_the_daemon_gets_its_users_personas(
    daemon: int, project: Path
) -> None:
    from acp.exceptions import RequestError
    from acp.schema import ClientCapabilities

    from acp import PROTOCOL_VERSION, spawn_agent_process
    from tests.acp.conftest import RecordingClient

    env = {**os.environ, "WAVE_TOKEN": TOKENS["bob"]}
    command = ["acp", "--connect", f"127.0.0.1:{daemon}", "--user", "bob"]
    async with spawn_agent_process(RecordingClient(), WAVE[0], *WAVE[1:], *command, cwd=project,
                                   env=env) as (conn, _process):  # fmt: skip
        await conn.initialize(protocol_version=PROTOCOL_VERSION,
                              client_capabilities=ClientCapabilities())  # fmt: skip
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        assert session.modes is not None
        assert [m.id for m in session.modes.available_modes] == ["analyst", "reviewer"]
        assert session.modes.current_mode_id == "reviewer"  # bob's first
        with pytest.raises(RequestError) as refused:
            await conn.set_session_mode(session_id=session.session_id, mode_id="developer")
        assert "not yours here" in str(refused.value.data)
        await conn.set_session_mode(session_id=session.session_id, mode_id="analyst")
