"""Subprocesses read as they run: each output line handed over as it comes, and a cancelled
read kills the process, so a cancelled task or tool call leaves nothing running."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def read_lines(process: asyncio.subprocess.Process, on_line: Callable[[str], None]) -> int:
    """Hand each line of the process's output to ``on_line`` as it comes; its exit code."""
    assert process.stdout is not None
    try:
        async for raw in process.stdout:
            on_line(raw.decode("utf-8", errors="replace"))
        return await process.wait()
    except asyncio.CancelledError:
        await kill(process)
        raise


async def kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await process.wait()
