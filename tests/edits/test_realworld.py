"""`wave apply` on a real change: packaging 24.1 → 24.2 (9 changed modules, one new, 56 hunks,
as GNU diff wrote it). The diff applies exactly as released, with its line numbers removed, and
with them shifted; the same change written as SEARCH/REPLACE blocks, as an apply_patch envelope,
and with the unchanged lines between neighbouring hunks elided applies exactly; and a mangled
copy never leaves a file that is neither the old text nor the new one.

The other formats are rendered from the diff as the unidiff library reads it, not by Wave's own
parser."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import unidiff

DATA = Path(__file__).parents[1] / "data" / "realworld" / "packaging"
OLD, NEW = DATA / "24.1", DATA / "24.2"
DIFF = (DATA / "packaging-24.1-to-24.2.diff").read_text(encoding="utf-8")
ELISION = "# ... existing code ..."


def files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*.py"))
        if ".wave" not in p.parts
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(OLD, root)
    return root


def wave_apply(root: Path, answer: str) -> subprocess.CompletedProcess[str]:
    patch = root.parent / "answer.txt"
    patch.write_text(answer, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "wave_lsp", "apply", "--root", str(root), str(patch)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def assert_applied_exactly(root: Path, answer: str) -> None:
    done = wave_apply(root, answer)
    assert done.returncode == 0, done.stdout + done.stderr
    assert files(root) == files(NEW)


def hunks() -> list[tuple[unidiff.PatchedFile, unidiff.Hunk]]:
    return [(f, h) for f in unidiff.PatchSet(DIFF) for h in f]


def path_of(patched: unidiff.PatchedFile) -> str:
    return patched.target_file.removeprefix("b/")


def sides(hunk: unidiff.Hunk) -> tuple[list[str], list[str]]:
    old = [line.value.rstrip("\n") for line in hunk if not line.is_added]
    new = [line.value.rstrip("\n") for line in hunk if not line.is_removed]
    return old, new


def search_replace(elide: bool = False) -> str:
    """The change as SEARCH/REPLACE blocks; ``elide``: neighbouring hunks of a file in one
    block, the unchanged lines between them written as an elision comment."""
    out: list[str] = []
    for patched in unidiff.PatchSet(DIFF):
        blocks = [sides(h) for h in patched]
        if elide:
            merged: list[tuple[list[str], list[str]]] = []
            for index in range(0, len(blocks), 2):
                pair = blocks[index : index + 2]
                if len(pair) == 2:
                    (old_a, new_a), (old_b, new_b) = pair
                    merged.append(([*old_a, ELISION, *old_b], [*new_a, ELISION, *new_b]))
                else:
                    merged.extend(pair)
            blocks = merged
        for old, new in blocks:
            search = [] if patched.is_added_file else old
            out += [path_of(patched), "````python", "<<<<<<< SEARCH", *search, "=======",
                    *new, ">>>>>>> REPLACE", "````", ""]  # fmt: skip
    return "\n".join(out)


def apply_patch() -> str:
    out = ["*** Begin Patch"]
    for patched in unidiff.PatchSet(DIFF):
        if patched.is_added_file:
            out.append(f"*** Add File: {path_of(patched)}")
            out += [f"+{line.value.rstrip(chr(10))}" for h in patched for line in h]
            continue
        out.append(f"*** Update File: {path_of(patched)}")
        for hunk in patched:
            out.append("@@")
            out += [f"{line.line_type}{line.value.rstrip(chr(10))}" for line in hunk]
    out.append("*** End Patch")
    return "\n".join(out) + "\n"


def test_the_release_diff_applies_exactly(project: Path) -> None:
    assert len(hunks()) == 56
    assert_applied_exactly(project, DIFF)


def test_without_line_numbers(project: Path) -> None:
    stripped = re.sub(r"^@@ -\d+(,\d+)? \+\d+(,\d+)? @@", "@@ @@", DIFF, flags=re.MULTILINE)
    assert stripped.count("@@ @@") == 56
    assert_applied_exactly(project, stripped)


def test_with_shifted_line_numbers(project: Path) -> None:
    rng = random.Random(17)

    def shift(match: re.Match[str]) -> str:
        if match.group(1) == "0":  # a new file's hunk: "-0,0" says so
            return match.group(0)
        moved = rng.choice([-40, -12, -3, 5, 9, 30])
        old, new = max(1, int(match.group(1)) + moved), max(1, int(match.group(3)) + moved)
        return f"@@ -{old}{match.group(2) or ''} +{new}{match.group(4) or ''} @@"

    shifted = re.sub(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@", shift, DIFF, flags=re.MULTILINE)
    assert shifted != DIFF
    assert_applied_exactly(project, shifted)


def test_as_search_replace_blocks(project: Path) -> None:
    answer = search_replace()
    assert answer.count("<<<<<<< SEARCH") == 56
    assert_applied_exactly(project, answer)


def test_as_an_apply_patch_envelope(project: Path) -> None:
    assert_applied_exactly(project, apply_patch())


def test_with_elided_context_between_hunks(project: Path) -> None:
    answer = search_replace(elide=True)
    assert answer.count(ELISION) >= 40  # 2 per merged block
    assert_applied_exactly(project, answer)


@pytest.mark.parametrize("seed", range(6))
def test_a_mangled_copy_writes_old_or_new_text_only(project: Path, seed: int) -> None:
    """Context lines of a few hunks garbled (what a careless model does): whatever `wave
    apply` decides, every file is either as it was or exactly as released."""
    rng = random.Random(seed)
    lines = DIFF.split("\n")
    context = [i for i, line in enumerate(lines) if line.startswith(" ") and len(line) > 8]
    for index in rng.sample(context, 12):
        line = lines[index]
        cut = rng.randrange(1, len(line) - 1)
        lines[index] = line[:cut] + rng.choice(["", "x", "  ", "#"]) + line[cut + 1 :]
    wave_apply(project, "\n".join(lines))
    old, new, now = files(OLD), files(NEW), files(project)
    for path, text in now.items():
        assert text in (old.get(path), new.get(path)), path
