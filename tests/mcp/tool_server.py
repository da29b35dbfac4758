"""A Python MCP server on the `mcp` SDK for the tests: tools that answer, crash, sleep or send
50 MB; started with a mode that misbehaves at start (garbage, silence). Every call is appended
to the file named by WAVE_TEST_MCP_LOG as one JSON line (what the server received)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

MODE = os.environ.get("WAVE_TEST_MCP_MODE", "")
if MODE == "garbage":
    sys.stdout.write("this is not JSON-RPC\n{broken json\n\x00\x01 binary\n")
    sys.stdout.flush()
    time.sleep(3600)
if MODE == "silent":
    time.sleep(3600)
if MODE == "exit":
    print("cannot start: no database", file=sys.stderr)
    sys.exit(4)

from mcp.server.mcpserver import MCPServer  # noqa: E402
from mcp_types import ToolAnnotations  # noqa: E402

server = MCPServer("wave-test-tools")


def _log(tool: str, arguments: dict[str, object]) -> None:
    target = os.environ.get("WAVE_TEST_MCP_LOG")
    if target:
        with Path(target).open("a", encoding="utf-8") as log:
            log.write(json.dumps({"tool": tool, "arguments": arguments, "pid": os.getpid()}) + "\n")


@server.tool(description="Say the text back.", annotations=ToolAnnotations(read_only_hint=True))
def echo(text: str) -> str:
    _log("echo", {"text": text})
    return f"echo: {text}"


@server.tool(description="Add two integers and remember the sum.")
def add(a: int, b: int) -> str:
    _log("add", {"a": a, "b": b})
    return str(a + b)


@server.tool(
    description="Answer a text of the given size in megabytes.",
    annotations=ToolAnnotations(read_only_hint=True),
)
def big(megabytes: int) -> str:
    _log("big", {"megabytes": megabytes})
    return "x" * (megabytes * 1024 * 1024)


@server.tool(
    description="Wait the given seconds.", annotations=ToolAnnotations(read_only_hint=True)
)
def sleep(seconds: float) -> str:
    _log("sleep", {"seconds": seconds})
    time.sleep(seconds)
    return "slept"


@server.tool(
    description="Exit the server process at once.", annotations=ToolAnnotations(read_only_hint=True)
)
def crash() -> str:
    _log("crash", {})
    print("tool_server: crashing on purpose", file=sys.stderr, flush=True)
    os._exit(3)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--http":
        server.run("streamable-http", port=int(sys.argv[2]))  # type: ignore[call-overload]
    else:
        server.run("stdio")
