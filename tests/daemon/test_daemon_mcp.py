"""`wave mcp serve --connect` (what an agent's MCP settings start): Wave's MCP server on a
`wave serve` daemon's machine, as the token's user and the persona asked for (one of the user's,
else the first), driven by the `mcp` SDK's own client. A persona that is not the user's is
refused before anything is served, and audited; `wave chat --connect --persona` is the same, and
its answers are carried to their end after its input has ended."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp.client.stdio import StdioServerParameters

from mcp import Client
from tests.conftest import WriteFile
from tests.daemon.test_daemon import TOKENS, WAVE, project, start  # noqa: F401  (fixture)
from tests.daemon.test_daemon_chat import chat_through, with_provider
from tests.mcp.test_server import APP, DIFF, text
from tests.providers.protocol_server import ProtocolServer

SLOW = "As the analyst: all is well here."


@asynccontextmanager
async def daemon_mcp(port: int, user: str, *extra: str) -> AsyncIterator[Client]:
    server = StdioServerParameters(
        command=WAVE[0], args=[*WAVE[1:], "mcp", "serve", "--connect", f"127.0.0.1:{port}",
                               "--user", user, *extra],
        env={**os.environ, "WAVE_TOKEN": TOKENS[user]},
    )  # fmt: skip
    async with Client(server, read_timeout_seconds=60) as client:
        yield client


def answer(result: Any) -> dict[str, Any]:
    assert not result.is_error, text(result)
    parsed: dict[str, Any] = json.loads(text(result))
    return parsed


async def test_the_daemons_mcp_server_acts_as_the_user_and_the_persona_asked_for(
    write: WriteFile,
    project: Path,  # noqa: F811
    llm: ProtocolServer,
) -> None:
    with_provider(write, llm)
    (project / "app.py").write_text(APP)
    process, port = start(project)
    try:
        async with daemon_mcp(port, "bob") as bob:
            first = answer(await bob.call_tool("context", {"paths": ["app.py"]}))
            refused = await bob.call_tool("propose_edit", {"diff": DIFF})
        async with daemon_mcp(port, "bob", "--persona", "analyst") as analyst:
            chosen = answer(await analyst.call_tool("context", {"paths": ["app.py"]}))
        async with daemon_mcp(port, "alice") as alice:
            proposed = answer(await alice.call_tool("propose_edit", {"diff": DIFF}))
            listed = answer(await alice.call_tool("proposals", {}))
        not_his = await asyncio.to_thread(
            subprocess.run,
            [*WAVE, "mcp", "serve", "--connect", f"127.0.0.1:{port}", "--user", "bob",
             "--persona", "developer"],
            input="", capture_output=True, text=True, timeout=60, check=False,
            env={**os.environ, "WAVE_TOKEN": TOKENS["bob"]},
        )  # fmt: skip
        # an answer that takes 7 s, after the chat's input has ended: carried to its end
        llm.state.answers, llm.state.pieces, llm.state.piece_delay = [SLOW], 4, 1.75
        said = ["Who am I?", "/quit"]
        chat = await asyncio.to_thread(
            chat_through, port, "bob", TOKENS["bob"], said, project, "--persona", "analyst"
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert first["persona"] == "reviewer"  # bob's first
    assert refused.is_error and "code:write" in text(refused)  # a reviewer may not write
    assert chosen["persona"] == "analyst"
    assert proposed["id"] in json.dumps(listed)  # alice is a developer: a proposal, not a write
    assert (project / "app.py").read_text() == APP
    assert not_his.returncode == 2
    assert "refused the connection: persona 'developer' is not yours here" in not_his.stderr
    assert "you may use reviewer, analyst" in not_his.stderr
    assert chat.returncode == 0, chat.stderr
    assert SLOW in chat.stdout
    assert "analyst" in llm.requests[-1].body["messages"][0]["content"].lower()
    audit = [
        json.loads(line) for line in (project / ".wave" / "audit.log").read_text().splitlines()
    ]
    connects = [e for e in audit if e.get("action") == "daemon connect"]
    assert {(e["user"], e.get("persona"), e["decision"]) for e in connects} >= {
        ("bob", "reviewer", "allowed"), ("bob", "analyst", "allowed"),
        ("alice", "developer", "allowed"), ("bob", None, "refused"),
    }  # fmt: skip
