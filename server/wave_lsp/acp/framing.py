"""The lines the editor sends, checked before the SDK reads them: ACP is newline-delimited
JSON-RPC, and the SDK only logs a line that is not JSON (the client waits for ever). Here such a
line, or one over the size limit, is answered with JSON-RPC's parse error (``-32700``, id
``null``) and reading goes on with the next line; every other line is passed on as it came."""

from __future__ import annotations

import asyncio
import json
import logging

log = logging.getLogger(__name__)
MAX_LINE_BYTES = 64 * 2**20


def parse_error(why: str) -> bytes:
    message = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": why}}
    return json.dumps(message).encode() + b"\n"


def check_line(line: bytes) -> str | None:
    """Why ``line`` is not a JSON-RPC message, or ``None``."""
    try:
        message = json.loads(line)
    except (ValueError, UnicodeDecodeError) as error:
        return f"Parse error: not JSON ({error})"
    if not isinstance(message, (dict, list)):
        return "Parse error: a message is a JSON object"
    return None


async def pump(source: asyncio.StreamReader, sink: asyncio.StreamReader,
               writer: asyncio.StreamWriter) -> None:  # fmt: skip
    """Copy checked lines from ``source`` to ``sink`` (the SDK's reader) until end of input."""
    try:
        while True:
            try:
                line = await source.readline()
            except ValueError:  # over the limit: asyncio dropped what it had buffered
                log.warning("a message over %d bytes was refused", MAX_LINE_BYTES)
                writer.write(parse_error(f"Parse error: a message over {MAX_LINE_BYTES} bytes"))
                continue
            if not line:
                return
            if not line.strip():
                continue
            why = check_line(line)
            if why is None:
                sink.feed_data(line if line.endswith(b"\n") else line + b"\n")
            else:
                log.warning("refused a line from the client: %s", why)
                writer.write(parse_error(why))
    finally:
        sink.feed_eof()
