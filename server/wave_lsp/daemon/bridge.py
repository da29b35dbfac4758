"""``wave lsp --connect HOST:PORT``: what an editor starts to reach a ``wave serve`` daemon. It
says who the user is (``--user``, the token from ``WAVE_TOKEN`` or ``--token-file``), then joins
its stdin and stdout to the connection: the editor speaks LSP over stdio as to a local server."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from wave_lsp.daemon.pipes import carried, pump

EXIT_REFUSED = 2


def token_from(token_file: Path | None) -> str | None:
    if token_file is not None:
        return token_file.read_text(encoding="utf-8").strip() or None
    return os.environ.get("WAVE_TOKEN") or None


async def bridge(
    host: str, port: int, user: str, token: str, protocol: str = "lsp", *,
    persona: str | None = None,
) -> int:  # fmt: skip
    try:
        reader, writer = await asyncio.open_connection(host, port, limit=2**20)
    except OSError as error:
        print(f"wave: cannot reach the daemon at {host}:{port}: {error.strerror or error}",
              file=sys.stderr)  # fmt: skip
        return EXIT_REFUSED
    asked = f" {persona}" if persona else ""
    writer.write(f"WAVE-AUTH 1 {protocol} {user} {token}{asked}\n".encode())
    await writer.drain()
    answer = (await reader.readline()).decode("utf-8", "replace").strip()
    if not answer.startswith("WAVE-OK "):
        reason = answer.removeprefix("WAVE-DENIED ").strip() or "the connection was closed"
        print(f"wave: the daemon at {host}:{port} refused the connection: {reason}",
              file=sys.stderr)  # fmt: skip
        writer.close()
        return EXIT_REFUSED
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader(limit=2**20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin.buffer)
    out_transport, out_protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, sys.stdout.buffer
    )
    stdout = asyncio.StreamWriter(out_transport, out_protocol, None, loop)

    inbound = asyncio.create_task(pump(stdin, writer, end=True))
    outbound = asyncio.create_task(pump(reader, stdout, end=False))
    tasks = [inbound, outbound]
    await carried(inbound, outbound)  # the server's last answers: to `shutdown`, a chat's
    for task in tasks:
        task.cancel()
    writer.close()
    return 0
