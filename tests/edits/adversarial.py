"""Answers built to make the edit engine slow: many repeated lines, elisions everywhere,
1 MB patches, a thousand hunks with the same context, in each format models write. Shared by
the test (which bounds each generously) and bench/hardening_bench.py (which prints each figure
against the 2 s target)."""

from __future__ import annotations

import time
from pathlib import Path

from wave_lsp.edits.changes import ChangeSet, plan_changes
from wave_lsp.edits.extract import extract_patches
from wave_lsp.edits.patch import PatchSyntaxError

PATH = "big.py"
TARGET_SECONDS = 2.0


def _ten_thousand() -> str:
    return "".join(f"value_{n} = compute({n}, factor={n % 7})  # line {n}\n" for n in range(10_000))


def _unified(body: str) -> str:
    return f"--- a/{PATH}\n+++ b/{PATH}\n{body}"


def _search_replace(search: list[str], replace: list[str]) -> str:
    return "\n".join([PATH, "```", "<<<<<<< SEARCH", *search, "=======", *replace,
                      ">>>>>>> REPLACE", "```", ""])  # fmt: skip


def cases() -> dict[str, tuple[str, str]]:
    """Each case's name: (the file's text, the model's answer)."""
    same = "x = 1\n" * 20_000
    alternating = "a = 1\nb = 2\n" * 10_000
    ten = _ten_thousand()
    lines = ten.splitlines()
    misses = [f"nothing_{n} = {n}" for n in range(60_000)]  # ~1 MB
    return {
        "every line the same (diff)": (
            same, _unified("@@ @@\n" + " x = 1\n" * 300 + "-x = 1\n+x = 3\n")),
        "every line the same (SEARCH/REPLACE)": (
            same, _search_replace(["x = 1"] * 300, ["x = 1"] * 299 + ["x = 3"])),
        "two lines alternating, 500-line hunk": (
            alternating, _unified("@@ @@\n" + " a = 1\n b = 2\n" * 250 + "-a = 1\n+a = 9\n")),
        "elided context (diff)": (
            ten, _unified("@@ @@\n" + "".join(f" {s}\n # ... existing code ...\n"
                                              for s in lines[5000:5030])
                          + f"-{lines[5031]}\n+y = 2\n")),
        "elisions between repeated lines (SEARCH/REPLACE)": (
            same, _search_replace(["x = 1", "# ..."] * 200 + ["x = 1"],
                                  ["x = 1", "# ..."] * 200 + ["x = 2"])),
        "1 MB diff of misses": (ten, _unified("@@ @@\n" + "".join(f"-{m}\n" for m in misses)
                                              + "+z = 0\n")),
        "1 MB SEARCH of misses": (ten, _search_replace(misses, ["z = 0"])),
        "1000 hunks of repeated context (apply_patch)": (
            same, "*** Begin Patch\n*** Update File: big.py\n"
            + "@@\n x = 1\n x = 1\n-x = 1\n+x = 2\n x = 1\n" * 1000 + "*** End Patch\n"),
        "1000 hunks, same context, no line numbers": (
            ten.replace("factor=3", "factor=0"),
            _unified("".join(f"@@ @@\n value_{n} = compute({n}, factor=0)  # line {n}\n"
                             f"-value_{n + 1} = compute({n + 1}, factor={(n + 1) % 7})  # line "
                             f"{n + 1}\n+changed_{n} = 1\n" for n in range(0, 10_000, 10)))),
        "400-line near miss": (
            ten, _unified("@@ -1,400 +1 @@\n" + "".join(
                f"-{line.replace('compute', 'compuet')}\n" for line in lines[:400])
                + "+gone = True\n")),
    }  # fmt: skip


def plan(text: str, answer: str) -> tuple[float, ChangeSet | str]:
    """How long reading and planning ``answer`` against ``text`` takes, and the plan (or the
    syntax error), as the proposal path does it."""
    began = time.perf_counter()
    try:
        patches = extract_patches(answer, default_path=PATH)
    except PatchSyntaxError as error:
        return time.perf_counter() - began, str(error)
    changes = plan_changes(Path("/project"), patches, lambda path: text)
    return time.perf_counter() - began, changes
