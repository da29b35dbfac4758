"""Small asyncio helpers shared by the protocol layer and the core (no protocol knowledge)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable

logger = logging.getLogger(__name__)


async def _guarded(key: Hashable, job: Callable[[], Awaitable[None]]) -> None:
    """Run ``job``; a failure is logged (cancellation still propagates)."""
    try:
        await job()
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("background job for %s failed", key)


async def _cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel ``tasks`` and wait until each has finished."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


class Debouncer:
    """Run a job for a key only once a burst of requests for that key has been quiet for
    ``delay`` seconds: 50 edits in a row cause one run, for the last one.

    A job that has started is not cancelled by a newer request (its work would be lost half
    done); the newer request runs after its own delay, and the caller discards stale results.
    """

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._waiting: dict[Hashable, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()

    def schedule(
        self, key: Hashable, job: Callable[[], Awaitable[None]], delay: float | None = None
    ) -> None:
        """Run ``job`` after ``delay`` (default: the debouncer's) unless rescheduled first."""
        pending = self._waiting.pop(key, None)
        if pending is not None:
            pending.cancel()
        wait = self.delay if delay is None else delay
        task = asyncio.get_running_loop().create_task(self._run(key, job, wait))
        self._waiting[key] = task

    async def _run(self, key: Hashable, job: Callable[[], Awaitable[None]], delay: float) -> None:
        await asyncio.sleep(delay)
        current = asyncio.current_task()
        if self._waiting.get(key) is current:
            del self._waiting[key]
        if current is not None:
            self._running.add(current)
        try:
            await _guarded(key, job)
        finally:
            if current is not None:
                self._running.discard(current)

    async def close(self) -> None:
        tasks = [*self._waiting.values(), *self._running]
        self._waiting.clear()
        await _cancel_all(tasks)


class Coalescer:
    """Run a job for a key at once when none is running; requests that arrive while it runs
    are folded into one more run after it. A burst of 50 edits costs at most two runs, and the
    first starts without waiting (no debounce delay on the result)."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Task[None]] = {}
        self._again: dict[Hashable, Callable[[], Awaitable[None]]] = {}

    def schedule(self, key: Hashable, job: Callable[[], Awaitable[None]]) -> None:
        if key in self._running:
            self._again[key] = job
            return
        self._running[key] = asyncio.get_running_loop().create_task(self._run(key, job))

    async def _run(self, key: Hashable, job: Callable[[], Awaitable[None]]) -> None:
        try:
            while True:
                await _guarded(key, job)
                next_job = self._again.pop(key, None)
                if next_job is None:
                    return
                job = next_job
        finally:
            self._running.pop(key, None)

    async def close(self) -> None:
        tasks = list(self._running.values())
        self._again.clear()
        await _cancel_all(tasks)
