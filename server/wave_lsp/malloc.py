"""One glibc malloc arena for the long-running server.

glibc gives each thread that allocates its own arena, and memory freed in one is never handed
to another or back to the system while any block in it lives. Under the GIL the threads never
allocate in parallel, so the extra arenas buy nothing and keep memory: a thousand documents
opened at once peaked at 100 MiB with them, 93 with one (bench/lsp_bench.py), at no measurable
cost to a check. Elsewhere than glibc this does nothing."""

from __future__ import annotations

import ctypes
import logging
import sys

logger = logging.getLogger(__name__)

M_ARENA_MAX = -8
"""mallopt's parameter number (glibc malloc.h)."""


def use_one_arena() -> bool:
    """Limit malloc to one arena, before the server starts its threads; whether it took."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own libc
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    taken = bool(mallopt(M_ARENA_MAX, 1))
    logger.debug("malloc arenas limited to one: %s", taken)
    return taken
