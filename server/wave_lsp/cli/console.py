"""The console scripts (``wave``, ``wave-lsp``, ``wave-acp``, ``wave-mcp``, ``python -m wave_lsp``),
and how their process ends once the command has returned.

Temporal's Python SDK runs its client and worker on a Rust core with threads of its own. When the
interpreter finalizes while one of them still holds a Python thread state, CPython aborts with
"Fatal Python error: PyGILState_Release: thread state … must be current when releasing" (exit
-6, SIGABRT) — after the command's work is done and its output written, but the caller sees a
crash (temporalio/sdk-python#300, open). So a process that loaded that core leaves without
finalizing: its output and logs are flushed, then ``os._exit``. Every other process ends the usual
way, with its ``atexit`` handlers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from wave_lsp.cli import main as commands

# The SDK's native module: present once anything in the process touched a Temporal client.
NATIVE_CORE = "temporalio.bridge.temporal_sdk_bridge"


def leave(command: Callable[[], int]) -> NoReturn:
    """Run ``command`` and exit with its code (or a ``SystemExit``'s from inside it)."""
    try:
        code: int | str | None = command()
    except SystemExit as requested:
        code = requested.code
    if NATIVE_CORE not in sys.modules:
        raise SystemExit(code)
    if isinstance(code, str):  # what SystemExit would do with a message
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing can reach it
            stream.flush()
    os._exit(code or 0)


def wave() -> NoReturn:
    leave(commands.main)


def wave_lsp() -> NoReturn:
    leave(commands.lsp_main)


def wave_acp() -> NoReturn:
    leave(commands.acp_main)


def wave_mcp() -> NoReturn:
    leave(commands.mcp_main)
