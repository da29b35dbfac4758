"""Bytes carried one way between two streams (the daemon's and the bridge's both directions)."""

from __future__ import annotations

import asyncio

CHUNK = 65536


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
