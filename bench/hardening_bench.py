"""The bounds of issue 16, measured: how long Wave takes on the inputs built to hang it, each
beside a baseline measured in the same run (this machine is noisy: read the ratios).

- a 400-line hunk that matches nowhere in a 20,000-line file (the near-miss search), against
  GNU patch refusing the same hunk;
- a drifted 40-line hunk found fuzzily in a 10,000-line file, against GNU patch's fuzz;
- adversarial answers in every format (tests/edits/adversarial.py: repeated lines, elisions,
  1 MB patches, a thousand hunks of the same context), each against the 2 s target;
- the framer on 3 MB of random bytes, a 2 MB header line, and 10,000 small messages, against
  ``json.loads`` of the same messages;
- a billion-laughs YAML refused, against loading the built-in configuration's YAML;
- a catastrophic workspace regex stopped by its bound.

    .venv/bin/python bench/hardening_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT))

from wave_lsp.edits.apply import apply_hunks  # noqa: E402
from wave_lsp.edits.patch import parse_patch  # noqa: E402
from wave_lsp.lsp.framing import Framer  # noqa: E402


def best(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def big_file(lines: int) -> str:
    rng = random.Random(16)
    return "".join(
        f"value_{n} = compute({rng.randint(0, 10**6)}, {n % 13})\n" for n in range(lines)
    )


def gnu_patch(text: str, diff: str, *extra: str) -> float:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "big.py"
        target.write_text(text)
        (Path(folder) / "change.diff").write_text(diff)
        began = time.perf_counter()
        subprocess.run(
            ["patch", "--dry-run", "-s", *extra, str(target), str(Path(folder) / "change.diff")],
            capture_output=True, check=False,
        )  # fmt: skip
        return time.perf_counter() - began


def row(name: str, ours: float, base: float, base_name: str) -> None:
    print(f"{name:<48} {ours * 1000:9.1f} ms   {base_name} {base * 1000:8.1f} ms   "
          f"{ours / base if base else float('nan'):6.2f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs

    text = big_file(20_000)
    hunk = "".join(f"-other_{n} = something({n})\n" for n in range(400))
    miss = f"--- a/big.py\n+++ b/big.py\n@@ -1,400 +1 @@\n{hunk}+gone = True\n"
    [patch] = parse_patch(miss, "big.py")
    ours = best(runs, lambda: apply_hunks(text, patch.hunks))
    assert apply_hunks(text, patch.hunks).text is None
    row("400-line near miss, 20k-line file", ours, gnu_patch(text, miss), "GNU patch")

    ten = big_file(10_000)
    lines = ten.splitlines()[5000:5040]
    drifted = [line.replace("compute", "computed") for line in lines]
    body = "".join(f" {line}\n" for line in drifted[:20]) + f"-{lines[20]}\n+changed = 1\n"
    body += "".join(f" {line}\n" for line in drifted[21:])
    fuzzy = f"--- a/big.py\n+++ b/big.py\n@@ -5001,40 +5001,40 @@\n{body}"
    [patch] = parse_patch(fuzzy, "big.py")
    assert apply_hunks(ten, patch.hunks).text is not None
    ours = best(runs, lambda: apply_hunks(ten, patch.hunks))
    row("drifted 40-line hunk found fuzzily, 10k lines", ours,
        gnu_patch(ten, fuzzy, "--fuzz=3"), "GNU patch")  # fmt: skip

    from tests.edits import adversarial

    print(f"adversarial answers, planned as the proposal path does (target < "
          f"{adversarial.TARGET_SECONDS:.0f} s each):")  # fmt: skip
    worst = ("", 0.0)
    for name, (source, answer) in adversarial.cases().items():
        took = best(1, lambda source=source, answer=answer: adversarial.plan(source, answer))
        worst = max(worst, (name, took), key=lambda item: item[1])
        print(f"  {name:58} {took * 1000:9.1f} ms", flush=True)
    print(f"  worst: {worst[0]}, {worst[1]:.2f} s = {worst[1] / adversarial.TARGET_SECONDS:.2f}"
          " of the target")  # fmt: skip
    messages = [
        json.dumps({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"n": n}})
        .encode() for n in range(10_000)
    ]  # fmt: skip
    framed = b"".join(b"Content-Length: %d\r\n\r\n" % len(m) + m for m in messages)
    ours = best(runs, lambda: Framer().feed(framed))
    base = best(runs, lambda: [json.loads(m) for m in messages])
    row("framer: 10,000 messages", ours, base, "json.loads")
    noise = random.Random(3).randbytes(3_000_000)
    ours = best(runs, lambda: Framer().feed(noise))
    row("framer: 3 MB of random bytes", ours, base, "json.loads")
    line = b"X-Junk: " + b"a" * 2_000_000 + b"\r\n"
    ours = best(runs, lambda: Framer().feed(line))
    row("framer: a 2 MB header line", ours, base, "json.loads")

    from tests.unit.test_config_bombs import LAUGHS

    from wave_lsp.config.yaml_source import YamlSyntaxError, parse_yaml

    def laughs() -> None:
        try:
            parse_yaml(LAUGHS, "config.yaml")
        except YamlSyntaxError:
            return
        raise AssertionError("billion laughs accepted")

    builtin = (ROOT / "server/wave_lsp/builtin/config.yaml").read_text()
    row("billion-laughs YAML refused", best(runs, laughs),
        best(runs, lambda: parse_yaml(builtin, "config.yaml")), "built-in config")  # fmt: skip

    from wave_lsp.validation.bounded_regex import BoundedPattern

    evil = BoundedPattern("^(a|aa)+$", 8)
    subject = "a" * 40 + "!"

    def catastrophic() -> None:
        try:
            list(evil.finditer(subject))
        except ValueError:
            return

    took = best(1, catastrophic)
    plain = best(runs, lambda: list(BoundedPattern("^a+$", 8).finditer(subject)))
    row("catastrophic workspace regex, stopped", took, plain, "a plain one")
    print(f"(machine: {os.cpu_count()} cores; medians of {runs} runs)")


if __name__ == "__main__":
    main()
