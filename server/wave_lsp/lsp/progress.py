"""``$/progress`` around a long run: begun with the client's token (or one of ours), the
streamed text in its reports (at most ten a second; the newest is sent when the interval ends,
never dropped), a cancel from the client cancelling the run, and always ended — done, cancelled
or failed."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from wave_lsp.lsp.features.base import CommandError

if TYPE_CHECKING:
    from wave_lsp.lsp.server import WaveLanguageServer


def on_cancel(
    server: WaveLanguageServer, token: types.ProgressToken | None, callback: Callable[[], Any]
) -> Callable[[], None]:
    """Call ``callback`` on the event loop when the client cancels the progress ``token`` (no
    polling: pygls cancels the token's future); the function returned stops listening."""
    future = server.work_done_progress.tokens.get(token) if token is not None else None
    if future is None:
        return lambda: None
    loop = asyncio.get_running_loop()
    listening = [True]

    def done(_: object) -> None:
        if future.cancelled():
            loop.call_soon_threadsafe(lambda: callback() if listening[0] else None)

    future.add_done_callback(done)

    def stop() -> None:
        listening[0] = False

    return stop


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
    sent = [0]
    """How many pieces the last report showed."""
    later: list[asyncio.TimerHandle] = []
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()

    def send() -> None:
        later.clear()
        last[0], sent[0] = time.monotonic(), len(streamed)
        tail = "".join(streamed)[-120:].replace("\n", " ")
        server.work_done_progress.report(token, types.WorkDoneProgressReport(message=tail))

    def report(text: str) -> None:
        streamed.append(text)
        wait = 0.1 - (time.monotonic() - last[0])
        if wait <= 0:
            send()
        elif not later:  # the newest text goes out when the interval ends, never dropped
            later.append(loop.call_later(wait, send))

    by_client = [False]

    def cancel() -> None:
        if task is not None:
            by_client[0] = True
            task.cancel()

    stop = on_cancel(server, token, cancel)
    outcome = "done"
    try:
        yield report
    except asyncio.CancelledError:
        outcome = "cancelled"
        if by_client[0] and task is not None and task.uncancel() == 0:
            # answered as a failed request (pygls answers a cancelled command task with no
            # response at all): the user's cancel, said as such
            raise CommandError(f"{title}: cancelled") from None
        raise
    except Exception:
        outcome = "failed"
        raise
    finally:
        stop()
        for handle in later:
            handle.cancel()
        if sent[0] < len(streamed):
            send()
        server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=outcome))
