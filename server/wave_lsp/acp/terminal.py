"""Commands through the editor's terminal (``terminal/*``) when the client offers one: an
approved, persona-checked command line runs there (the user sees it live in the tool call),
within the persona's time limit; its exit code and output go back to the model (redacted by the
tool box, as every result). The terminal is killed when the limit passes or the turn is
cancelled, and always released."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from acp import Client
    from wave_lsp.acp.turn import Turn
    from wave_lsp.agents.tools import RunCommand

log = logging.getLogger(__name__)
OUTPUT_LIMIT = 1_000_000
"""Bytes of output the editor keeps (it cuts the start of a longer one)."""


def terminal_runner(client: Client, session_id: str, turn: Turn) -> RunCommand:
    async def run(argv: list[str], cwd: Path, limit: float) -> str:
        created = await client.create_terminal(
            session_id=session_id, command=argv[0], args=argv[1:], cwd=str(cwd),
            output_byte_limit=OUTPUT_LIMIT,
        )  # fmt: skip
        terminal = created.terminal_id
        turn.show_terminal(terminal)
        finished = False
        try:
            try:
                exited = await asyncio.wait_for(
                    client.wait_for_terminal_exit(session_id=session_id, terminal_id=terminal),
                    limit,
                )
            except TimeoutError:
                await client.kill_terminal(session_id=session_id, terminal_id=terminal)
                output = await client.terminal_output(session_id=session_id, terminal_id=terminal)
                finished = True
                return f"stopped after {limit:g} s (the time limit)\n{output.output}"
            output = await client.terminal_output(session_id=session_id, terminal_id=terminal)
            finished = True
        finally:
            await asyncio.shield(_release(client, session_id, terminal, kill=not finished))
        code = exited.exit_code if exited.exit_code is not None else f"signal {exited.signal}"
        cut = "\n[the terminal kept only the end of the output]" if output.truncated else ""
        return f"exit code {code}\n{output.output}{cut}"

    return run


async def _release(client: Client, session_id: str, terminal: str, *, kill: bool) -> None:
    with contextlib.suppress(Exception):  # the client may be gone: nothing left to free
        if kill:  # cancelled mid-command
            await client.kill_terminal(session_id=session_id, terminal_id=terminal)
        await client.release_terminal(session_id=session_id, terminal_id=terminal)
