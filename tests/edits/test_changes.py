"""Model answers to file plans: several files, whole files, new/deleted/renamed files, binary
patches and paths that leave the workspace; and `wave apply` on a real directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wave_lsp.edits.changes import plan_changes, write_changes
from wave_lsp.edits.extract import extract_patches
from wave_lsp.edits.models import ChangeType
from wave_lsp.edits.patch import PatchSyntaxError


def read(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("import os\n\n\ndef main():\n    return 1\n")
    (tmp_path / "README.md").write_text("# Demo\n")
    (tmp_path / "old.txt").write_text("bye\n")
    return tmp_path


ANSWER = """Here is the fix.

```diff
--- a/src/app.py
+++ b/src/app.py
@@ -4,2 +4,2 @@
 def main():
-    return 1
+    return 2
```

And a new file:

```diff
--- /dev/null
+++ b/src/util.py
@@ -0,0 +1,2 @@
+def helper():
+    return 3
```
"""


def test_an_answer_with_several_fenced_diffs(root: Path) -> None:
    changes = plan_changes(root, extract_patches(ANSWER), read)
    assert changes.ok, changes.errors()
    app, util = changes.files
    assert app.change_type is ChangeType.MODIFY and app.new_text is not None
    assert app.new_text.endswith("    return 2\n")
    assert util.change_type is ChangeType.ADD and util.new_text == "def helper():\n    return 3\n"
    assert "+++ b/src/util.py" in util.unified_diff()


def test_a_whole_file_answer_is_diffed_locally(root: Path) -> None:
    answer = "Updated:\n\n```markdown README.md\n# Demo\n\nMore text.\n```\n"
    [change] = plan_changes(root, extract_patches(answer), read).files
    assert change.change_type is ChangeType.MODIFY
    assert change.new_text == "# Demo\n\nMore text.\n"
    assert "+More text." in change.unified_diff()
    answer = "src/new_module.py:\n```python\nX = 1\n```\n"
    [change] = plan_changes(root, extract_patches(answer), read).files
    assert change.change_type is ChangeType.ADD and change.path == "src/new_module.py"


def test_a_bare_diff_without_fences(root: Path) -> None:
    bare = "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# Demo\n+# Wave demo\n"
    [change] = plan_changes(root, extract_patches(bare), read).files
    assert change.new_text == "# Wave demo\n"


def test_no_edit_in_the_answer_is_a_clear_error() -> None:
    with pytest.raises(PatchSyntaxError, match="no edit found"):
        extract_patches("I think you should rename the variable.")


def test_delete_and_rename(root: Path) -> None:
    diff = (
        "diff --git a/old.txt b/old.txt\ndeleted file mode 100644\n--- a/old.txt\n+++ /dev/null\n"
        "@@ -1 +0,0 @@\n-bye\n"
        "diff --git a/README.md b/docs/README.md\nsimilarity index 100%\n"
        "rename from README.md\nrename to docs/README.md\n"
    )
    deleted, renamed = plan_changes(root, extract_patches(diff), read).files
    assert deleted.change_type is ChangeType.DELETE and deleted.ok
    assert renamed.path == "README.md" and renamed.new_path == "docs/README.md"
    assert renamed.new_text == "# Demo\n"


@pytest.mark.parametrize(
    "path", ["../outside.txt", "src/../../outside.txt", "/etc/passwd", "link/passwd"]
)
def test_paths_outside_the_workspace_are_refused(root: Path, path: str) -> None:
    (root / "link").symlink_to("/etc")
    diff = f"--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-x\n+y\n"
    [change] = plan_changes(root, extract_patches(diff), read).files
    assert not change.ok and "refused" in change.error


def test_binary_patches_are_refused(root: Path) -> None:
    diff = "diff --git a/logo.png b/logo.png\nBinary files a/logo.png and b/logo.png differ\n"
    [change] = plan_changes(root, extract_patches(diff), read).files
    assert "binary patches are not supported" in change.error


def test_a_new_file_that_exists_and_a_missing_file(root: Path) -> None:
    diff = "--- /dev/null\n+++ b/README.md\n@@ -0,0 +1 @@\n+x\n"
    [change] = plan_changes(root, extract_patches(diff), read).files
    assert "already exists" in change.error
    diff = "--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-x\n+y\n"
    [change] = plan_changes(root, extract_patches(diff), read).files
    assert "no such file" in change.error


def test_writing_backs_up_and_restores_everything_on_failure(root: Path) -> None:
    changes = plan_changes(root, extract_patches(ANSWER), read)
    before = (root / "src" / "app.py").read_text()
    (root / "src" / "util.py").mkdir()  # the second write will fail: a directory is in the way
    changes.files[1].change_type = ChangeType.MODIFY  # (the plan predates the directory)
    with pytest.raises(OSError):
        write_changes(root, changes, root / ".backups")
    assert (root / "src" / "app.py").read_text() == before


def wave_apply(root: Path, *arguments: str, patch: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wave_lsp", "apply", "--root", str(root), *arguments],
        input=patch, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ},
    )  # fmt: skip


def test_wave_apply_writes_and_keeps_backups(root: Path) -> None:
    result = wave_apply(root, patch=ANSWER)
    assert result.returncode == 0, result.stderr
    assert "changed src/app.py (modify): hunk 1: exact at line 4" in result.stdout
    assert (root / "src" / "app.py").read_text().endswith("return 2\n")
    assert (root / "src" / "util.py").exists()
    [backup] = (root / ".wave" / "backups").glob("apply-*/src/app.py")
    assert backup.read_text().endswith("return 1\n")


def test_wave_apply_dry_run_and_json(root: Path) -> None:
    result = wave_apply(root, "--dry-run", "--json", patch=ANSWER)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["files"][0]["hunks"][0]["method"] == "exact"
    assert (root / "src" / "app.py").read_text().endswith("return 1\n")  # nothing written


def test_wave_apply_a_failing_hunk_writes_nothing(root: Path) -> None:
    broken = ANSWER.replace("-    return 1", "-    return 42")
    result = wave_apply(root, "--json", patch=broken)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert not report["ok"]
    assert "'    return 42'" in report["files"][0]["error"]
    assert not (root / "src" / "util.py").exists()  # all or none
    assert "nothing was written" in result.stderr


def test_wave_apply_bad_input_is_exit_2(root: Path) -> None:
    result = wave_apply(root, patch="not a diff at all")
    assert result.returncode == 2 and "no edit found" in result.stderr
