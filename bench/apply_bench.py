"""Applying a large patch: a ~1 MB unified diff of 1,000 hunks to a 50,000-line file, through
Wave's engine (parse + locate + apply), against GNU patch on the same files in the same run
(target: <= 100 ms for Wave). Also the same patch with its line numbers stripped, which makes
every hunk be found by its text.

    .venv/bin/python bench/apply_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from wave_lsp.edits.apply import apply_hunks  # noqa: E402
from wave_lsp.edits.patch import parse_patch  # noqa: E402
from wave_lsp.edits.textdiff import unified_diff  # noqa: E402


def make_files(lines: int, hunks: int, seed: int = 7) -> tuple[str, str]:
    rng = random.Random(seed)  # a stable file, the same in every run
    old = [
        f"    value_{n} = compute(alpha={rng.randint(0, 10**6)}, "
        f"beta='{rng.random():.12f}')  # line {n} of the module"
        for n in range(lines)
    ]
    new = list(old)
    stride = lines // hunks  # far enough apart that hunks do not merge
    for index in range(lines - stride // 2, 0, -stride)[:hunks]:
        new[index] = new[index].replace("compute", "compute_fast") + " # changed"
        new[index + 1] = new[index + 1].replace("beta", "gamma")
        new[index - 1] = new[index - 1].replace("alpha", "delta")
        if index % 3 == 0:
            new.insert(index + 1, f"    extra_{index} = {index}")
    return "\n".join(old) + "\n", "\n".join(new) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--hunks", type=int, default=1_000)
    arguments = parser.parse_args()
    old, new = make_files(arguments.lines, arguments.hunks)
    diff = unified_diff(old, new, "a/big.py", "b/big.py")
    stripped = re.sub(r"^@@ .* @@", "@@ @@", diff, flags=re.MULTILINE)
    [patch] = parse_patch(diff)
    print(
        f"file: {arguments.lines} lines, {len(old) / 1e6:.2f} MB; patch: {len(diff) / 1e6:.2f} MB,"
        f" {len(patch.hunks)} hunks"
    )

    def ours(text: str) -> float:
        started = time.perf_counter()
        [parsed] = parse_patch(text)
        result = apply_hunks(old, parsed.hunks)
        elapsed = time.perf_counter() - started
        assert result.text == new, result.errors()[:1]
        return elapsed

    def gnu_patch(workdir: Path) -> float:
        target = workdir / "big.py"
        target.write_text(old)
        started = time.perf_counter()
        subprocess.run(
            ["patch", "--silent", "-p1", "-d", str(workdir)],
            input=diff, text=True, check=True,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        assert target.read_text() == new
        return elapsed

    timings: dict[str, list[float]] = {"wave": [], "wave, no line numbers": [], "GNU patch": []}
    has_patch = shutil.which("patch") is not None
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(arguments.runs):
            timings["wave"].append(ours(diff))
            timings["wave, no line numbers"].append(ours(stripped))
            if has_patch:
                timings["GNU patch"].append(gnu_patch(Path(folder)))
    baseline = statistics.median(timings["GNU patch"]) if has_patch else None
    for name, values in timings.items():
        if not values:
            print(f"  {name:24} (not installed)")
            continue
        median = statistics.median(values)
        ratio = f"  {median / baseline:5.2f}x GNU patch" if baseline else ""
        print(f"  {name:24} median {median * 1000:8.1f} ms  (min {min(values) * 1000:.1f}){ratio}")
    print("  target: wave <= 100 ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
