"""The ACP editors' snippets name a command that works: Zed's `agent_servers` entry (and the
Lua and Emacs ones, which carry the same command and arguments) starts an agent that answers
`initialize` as Wave, with sessions loadable and listable."""

from __future__ import annotations

import json
import re
from pathlib import Path

from acp.schema import ClientCapabilities

from acp import PROTOCOL_VERSION, spawn_agent_process
from tests.acp.conftest import WAVE, RecordingClient

SNIPPETS = Path(__file__).parents[2] / "editor-clients" / "acp"
PLACEHOLDER = "/path/to/wave-lsp/.venv/bin/wave"


def test_every_snippet_starts_wave_acp_the_same_way() -> None:
    zed = json.loads((SNIPPETS / "zed-settings.json").read_text())["agent_servers"]["Wave"]
    assert (zed["command"], zed["args"]) == (PLACEHOLDER, ["acp"])
    lua = (SNIPPETS / "codecompanion.lua").read_text()
    assert re.search(r'\{ "' + re.escape(PLACEHOLDER) + r'", "acp" \}', lua)
    elisp = (SNIPPETS / "agent-shell-wave.el").read_text()
    assert f':command "{PLACEHOLDER}"' in elisp and ':command-params \'("acp")' in elisp
    readme = (SNIPPETS / "README.md").read_text()
    assert lua.split("\n", 1)[1] in readme  # the files are the README's snippets


async def test_zeds_entry_starts_an_agent(tmp_path: Path) -> None:
    zed = json.loads((SNIPPETS / "zed-settings.json").read_text())["agent_servers"]["Wave"]
    command = zed["command"].replace(PLACEHOLDER, WAVE)
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "PATH": "/usr/bin:/bin", **zed["env"]}
    async with spawn_agent_process(RecordingClient(), command, *zed["args"], cwd=tmp_path,
                                   env=env) as (conn, _):  # fmt: skip
        answer = await conn.initialize(
            protocol_version=PROTOCOL_VERSION, client_capabilities=ClientCapabilities()
        )
    assert answer.agent_info is not None and answer.agent_info.name == "wave"
    assert answer.agent_capabilities.load_session is True
    assert answer.agent_capabilities.session_capabilities.list is not None
