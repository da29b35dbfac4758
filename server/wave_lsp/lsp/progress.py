"""``$/progress`` around a long run: begun with the client's token (or one of ours), the
streamed text in its reports (at most ten a second), a cancel from the client cancelling the
run, and always ended — done, cancelled or failed."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from wave_lsp.lsp.server import WaveLanguageServer


@contextlib.asynccontextmanager
async def streamed_progress(server: WaveLanguageServer, title: str) -> Any:
    """``$/progress`` around a run, with the streamed text in its reports; a cancel from the
    client cancels the run."""
    token = await server.begin_progress(f"Wave: {title}")
    if token is None:
        yield lambda text: None
        return
    streamed: list[str] = []
    last = [0.0]
    task = asyncio.current_task()

    def report(text: str) -> None:
        streamed.append(text)
        now = time.monotonic()
        if now - last[0] > 0.1:
            last[0] = now
            tail = "".join(streamed)[-120:].replace("\n", " ")
            server.work_done_progress.report(token, types.WorkDoneProgressReport(message=tail))

    async def watch() -> None:
        while True:
            await asyncio.sleep(0.05)
            if server.progress_cancelled(token) and task is not None:
                task.cancel()
                return

    watcher = asyncio.create_task(watch())
    outcome = "done"
    try:
        yield report
    except asyncio.CancelledError:
        outcome = "cancelled"
        raise
    except Exception:
        outcome = "failed"
        raise
    finally:
        watcher.cancel()
        server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=outcome))
