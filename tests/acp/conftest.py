"""An ACP client of the Python SDK's own (``acp``'s client side) driving a real ``wave acp``
subprocess: it records every ``session/update``, answers permission requests as scripted, and
serves the editor's buffers for ``fs/read_text_file`` / records ``fs/write_text_file``."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from acp.schema import (
    AllowedOutcome,
    ClientCapabilities,
    CreateTerminalResponse,
    DeniedOutcome,
    FileSystemCapabilities,
    ReadTextFileResponse,
    RequestPermissionResponse,
    TerminalOutputResponse,
    WaitForTerminalExitResponse,
    WriteTextFileResponse,
)

from acp import PROTOCOL_VERSION, spawn_agent_process
from tests.conftest import WriteFile
from tests.e2e.test_session_lsp import config
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn

WAVE = str(Path(sys.executable).with_name("wave"))
APP = "def main():\n    print('hi')\n"
GREET = "def greet(name):\n    return f'hello {name}'\n"
NEW = GREET + "\n\ndef main():"


@pytest.fixture
def project(write: WriteFile, workspace: Path, llm: ProtocolServer) -> Path:
    write(".wave/config.yaml", config(llm))
    (workspace / "src").mkdir()
    (workspace / "src" / "app.py").write_text(APP)
    return workspace


def script_greet(llm: ProtocolServer) -> None:
    llm.state.answers = [
        ToolTurn([("read_file", {"path": "src/app.py"})], text="Looking first. "),
        ToolTurn(
            [("edit_file", {"path": "src/app.py", "old_text": "def main():", "new_text": NEW})]
        ),
        "Added greet.",
    ]


@dataclass
class RecordingClient:
    answers: list[str] = field(default_factory=list)
    """Option ids to answer permission requests with, in order (none left: cancelled)."""
    buffers: dict[str, str] = field(default_factory=dict)
    updates: list[Any] = field(default_factory=list)
    permissions: list[Any] = field(default_factory=list)
    writes: list[tuple[str, str]] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    first_chunk: asyncio.Event = field(default_factory=asyncio.Event)

    async def request_permission(self, session_id: str, tool_call: Any, options: Any,
                                 **kwargs: Any) -> RequestPermissionResponse:  # fmt: skip
        self.permissions.append(tool_call)
        if not self.answers:
            return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
        chosen = self.answers.pop(0)
        return RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected",
                                                                option_id=chosen))  # fmt: skip

    async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
        self.updates.append(update)
        if update.session_update == "agent_message_chunk":
            self.first_chunk.set()

    async def write_text_file(self, session_id: str, path: str, content: str,
                              **kwargs: Any) -> WriteTextFileResponse:  # fmt: skip
        self.writes.append((path, content))
        Path(path).write_text(content)  # as an editor saving the buffer would
        return WriteTextFileResponse()

    async def read_text_file(
        self, session_id: str, path: str, **kwargs: Any
    ) -> ReadTextFileResponse:
        self.reads.append(path)
        if path in self.buffers:
            return ReadTextFileResponse(content=self.buffers[path])
        return ReadTextFileResponse(content=Path(path).read_text())

    # -- a terminal, as an editor runs one -------------------------------------------------------

    terminals: dict[str, tuple[Any, list[bytes], asyncio.Task[None]]] = field(default_factory=dict)
    commands: list[tuple[str, list[str], str]] = field(default_factory=list)
    released: list[str] = field(default_factory=list)

    async def create_terminal(self, session_id: str, command: str, args: Any = None,
                              cwd: Any = None, **kwargs: Any) -> CreateTerminalResponse:  # fmt: skip
        self.commands.append((command, list(args or []), str(cwd)))
        process = await asyncio.create_subprocess_exec(
            command, *(args or []), cwd=cwd, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output: list[bytes] = []

        async def drain() -> None:
            assert process.stdout is not None
            while chunk := await process.stdout.read(4096):
                output.append(chunk)

        terminal = f"t{len(self.terminals) + 1}"
        self.terminals[terminal] = (process, output, asyncio.create_task(drain()))
        return CreateTerminalResponse(terminal_id=terminal)

    async def wait_for_terminal_exit(self, session_id: str, terminal_id: str,
                                     **kwargs: Any) -> WaitForTerminalExitResponse:  # fmt: skip
        process, _, drained = self.terminals[terminal_id]
        code = await process.wait()
        await drained
        return WaitForTerminalExitResponse(exit_code=code)

    async def terminal_output(self, session_id: str, terminal_id: str,
                              **kwargs: Any) -> TerminalOutputResponse:  # fmt: skip
        _, output, _ = self.terminals[terminal_id]
        return TerminalOutputResponse(output=b"".join(output).decode(), truncated=False)

    async def kill_terminal(self, session_id: str, terminal_id: str, **kwargs: Any) -> None:
        process, _, _ = self.terminals[terminal_id]
        if process.returncode is None:
            process.kill()

    async def release_terminal(self, session_id: str, terminal_id: str, **kwargs: Any) -> None:
        self.released.append(terminal_id)

    def on_connect(self, conn: Any) -> None:
        pass

    def kinds(self) -> list[str]:
        return [u.session_update for u in self.updates]

    def text(self) -> str:
        return "".join(u.content.text for u in self.updates
                       if u.session_update == "agent_message_chunk")  # fmt: skip


@asynccontextmanager
async def wave_acp(
    client: RecordingClient, root: Path, *, fs: bool = True, terminal: bool = False
) -> AsyncIterator[Any]:
    env = {**os.environ, "XDG_STATE_HOME": str(root.parent / "state")}
    async with spawn_agent_process(client, WAVE, "acp", cwd=root, env=env) as (conn, _process):
        capabilities = ClientCapabilities(
            fs=FileSystemCapabilities(read_text_file=fs, write_text_file=fs), terminal=terminal
        )
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities)
        yield conn
