"""`kill -9` at random moments of a 300-file `wave apply`, 30 times: after the next `wave` start
on the workspace every run is all old or all new, no temp file is left, every backup is good."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

FILES = 300
RUNS = 30


def _tree(root: Path) -> dict[str, str]:
    texts = {}
    for n in range(FILES):
        text = "".join(f"line {i} of module {n}\n" for i in range(20))
        path = root / "pkg" / f"m{n:03d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        texts[path.relative_to(root).as_posix()] = text
    return texts


def _patch(texts: dict[str, str]) -> tuple[str, dict[str, str]]:
    pieces, new = [], {}
    for path, text in texts.items():
        pieces.append(
            f"--- a/{path}\n+++ b/{path}\n@@ -10,3 +10,3 @@\n"
            f" line 9 of module {path[5:8].lstrip('0') or '0'}\n"
            f"-line 10 of module {path[5:8].lstrip('0') or '0'}\n"
            f"+line ten of module {path[5:8].lstrip('0') or '0'}\n"
            f" line 11 of module {path[5:8].lstrip('0') or '0'}\n"
        )
        new[path] = text.replace("line 10 of", "line ten of")
    return "".join(pieces), new


def _apply(root: Path, patch: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "wave_lsp", "apply", "--root", str(root), str(patch)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "HOME": str(root.parent)},
    )  # fmt: skip


def _journal_appears(root: Path, process: subprocess.Popen[bytes]) -> float:
    """Seconds until the apply's journal appears (or the process ended)."""
    began = time.perf_counter()
    journal = root / ".wave" / "journal"
    while process.poll() is None and not (journal.is_dir() and any(journal.iterdir())):
        time.sleep(0.002)
    return time.perf_counter() - began


def test_kill_9_midway_is_rolled_back_at_the_next_start(tmp_path: Path) -> None:
    original = tmp_path / "original"
    old = _tree(original)
    text, new = _patch(old)
    patch = tmp_path / "change.diff"
    patch.write_text(text)

    calibration = tmp_path / "calibration"
    shutil.copytree(original, calibration)
    began = time.perf_counter()
    process = _apply(calibration, patch)
    journaled = _journal_appears(calibration, process)
    assert process.wait(timeout=120) == 0, process.stderr.read() if process.stderr else ""
    duration = time.perf_counter() - began
    writing = max(0.05, duration - journaled)

    rng = random.Random(20261202)
    midway = 0
    for attempt in range(RUNS):
        root = tmp_path / f"run{attempt}"
        shutil.copytree(original, root)
        process = _apply(root, patch)
        if attempt % 3 == 0:  # anywhere from the start to past the end
            time.sleep(rng.uniform(0.0, 1.1 * duration))
        else:  # while it backs up and writes (start-up is most of a short run)
            _journal_appears(root, process)
            time.sleep(rng.uniform(0.0, writing))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        journals = list((root / ".wave" / "journal").glob("*.json"))
        midway += bool(journals)
        if attempt % 3:  # the load changes over a run of the suite: follow it, so that the
            # window stays about the writing time now, not the calibration run's
            writing = writing * 1.25 if journals else max(0.02, writing * 0.5)
        recovery = subprocess.run(
            [sys.executable, "-m", "wave_lsp", "config", "check", "--root", str(root)],
            capture_output=True, text=True, timeout=120, check=False,
            env={**os.environ, "HOME": str(tmp_path)},
        )  # fmt: skip
        if journals:
            assert "was rolled back" in recovery.stderr, recovery.stderr
        now = {p: (root / p).read_text() for p in old}
        assert now in (old, new), f"run {attempt}: a mix of old and new files"
        temps = [p for p in root.rglob("*") if p.name.endswith(".tmp")]
        assert temps == [], f"run {attempt}: temp files left: {temps[:3]}"
        assert not list((root / ".wave" / "journal").glob("*.json"))
        for backup in (root / ".wave" / "backups").glob("apply-*/**/*.py"):
            relative = "/".join(backup.parts[-2:])
            assert backup.read_text() == old[relative], f"run {attempt}: a bad backup"
    print(f"\n{RUNS} kills over a {duration:.2f} s apply ({writing:.2f} s writing): "
          f"{midway} midway (journal found)")  # fmt: skip
    assert midway >= 10  # the kills did land while files were being written
