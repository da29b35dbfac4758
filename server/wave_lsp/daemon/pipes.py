"""Bytes carried between two streams (the daemon's and the bridge's both directions), and when
carrying them is over."""

from __future__ import annotations

import asyncio

CHUNK = 65536
LINGER_SECONDS = 600.0
"""How long the answers may go on once the input has ended (a piped ``wave chat`` asks its last
question and then waits for the answers)."""


async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, end: bool) -> None:
    """Copy until ``source`` ends; ``end``: then end ``sink`` too (its half of the pipe)."""
    while chunk := await source.read(CHUNK):
        sink.write(chunk)
        await sink.drain()
    if end:
        if sink.can_write_eof():
            sink.write_eof()
        else:
            sink.close()


async def carried(
    inbound: asyncio.Task[None], outbound: asyncio.Task[None], linger: float = LINGER_SECONDS
) -> None:
    """Until the far side has said its last (``outbound`` ends: it closed, or the connection is
    gone). Input that ends cleanly is no reason to stop: what it asked is still being answered.
    Input that fails (the connection reset) is, and so is ``linger`` seconds after its end."""
    await asyncio.wait([inbound, outbound], return_when=asyncio.FIRST_COMPLETED)
    if outbound.done() or inbound.exception() is not None:
        return
    await asyncio.wait([outbound], timeout=linger)
