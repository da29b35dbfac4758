"""The server limits glibc malloc to one arena (fragmentation: see wave_lsp.malloc); the
figure is bench/lsp_bench.py's peak RSS with 1,000 documents."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="mallopt is glibc's",
)
def test_one_arena_is_taken_on_glibc() -> None:
    # In a fresh interpreter: the setting holds for the whole process.
    done = subprocess.run(
        [sys.executable, "-c", "from wave_lsp.malloc import use_one_arena; print(use_one_arena())"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.strip() == "True"
