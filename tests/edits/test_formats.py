"""Every edit format models write, through the same safe placement: SEARCH/REPLACE blocks
(never taken for whole files: that once wrote the markers into the files) and the apply_patch
envelope; round trips of our own diffs rendered in each format apply back exactly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wave_lsp.edits.changes import plan_changes
from wave_lsp.edits.extract import extract_patches
from wave_lsp.edits.models import ChangeType
from wave_lsp.edits.patch import PatchSyntaxError

APP = "import os\n\n\ndef main():\n    return 1\n\n\ndef helper():\n    return 2\n"


def read_from(root: Path):  # type: ignore[no-untyped-def]
    def read(path: Path) -> str | None:
        return path.read_text() if path.is_file() else None

    return read


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(APP)
    (tmp_path / "src" / "old.py").write_text("gone = True\n")
    return tmp_path


SEARCH_REPLACE = """Here are the changes:

src/app.py
```python
<<<<<<< SEARCH
def main():
    return 1
=======
def main():
    return 10
>>>>>>> REPLACE
```

src/app.py
```python
<<<<<<< SEARCH
def helper():
    return 2
=======
def helper():
    \"\"\"Help.\"\"\"
    return 2
>>>>>>> REPLACE
```

src/new.py
```python
<<<<<<< SEARCH
=======
created = True
>>>>>>> REPLACE
```
"""


def test_search_replace_is_applied_never_taken_for_whole_files(root: Path) -> None:
    changes = plan_changes(root, extract_patches(SEARCH_REPLACE), read_from(root))
    assert changes.ok, changes.errors()
    app, new = changes.files
    assert app.new_text == APP.replace("return 1", "return 10").replace(
        "def helper():\n", 'def helper():\n    """Help."""\n'
    )
    assert new.change_type is ChangeType.ADD and new.new_text == "created = True\n"
    assert all("<<<<<<<" not in (c.new_text or "") for c in changes.files)


def test_a_malformed_block_is_an_error_not_a_file() -> None:
    broken = "src/app.py\n```python\n<<<<<<< SEARCH\ndef main():\n=======\nx\n```\n"
    with pytest.raises(PatchSyntaxError, match="REPLACE"):
        extract_patches(broken)


APPLY_PATCH = """*** Begin Patch
*** Update File: src/app.py
@@ def helper():
-    return 2
+    return 3
*** Add File: src/added.py
+one = 1
+
+two = 2
*** Delete File: src/old.py
*** End Patch
"""


def test_apply_patch_update_add_delete(root: Path) -> None:
    changes = plan_changes(root, extract_patches(APPLY_PATCH), read_from(root))
    assert changes.ok, changes.errors()
    update, add, delete = changes.files
    assert update.new_text == APP.replace("return 2", "return 3")
    assert add.change_type is ChangeType.ADD and add.new_text == "one = 1\n\ntwo = 2\n"
    assert delete.change_type is ChangeType.DELETE


def test_apply_patch_anchor_picks_among_equal_places(root: Path) -> None:
    (root / "src" / "twice.py").write_text("def a():\n    pass\n\n\ndef b():\n    pass\n")
    patch = ("*** Begin Patch\n*** Update File: src/twice.py\n*** Move to: src/moved.py\n"
             "@@ def b():\n-    pass\n+    return 'b'\n*** End Patch\n")  # fmt: skip
    changes = plan_changes(root, extract_patches(patch), read_from(root))
    assert changes.ok, changes.errors()
    [moved] = changes.files
    assert moved.new_path == "src/moved.py"
    assert moved.new_text == "def a():\n    pass\n\n\ndef b():\n    return 'b'\n"


def test_no_format_names_the_formats_understood() -> None:
    with pytest.raises(PatchSyntaxError, match=r"SEARCH/REPLACE blocks .* apply_patch envelope"):
        extract_patches("I would change the return value.")


def test_wave_apply_takes_search_replace(root: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wave_lsp", "apply", "--root", str(root)],
        input=SEARCH_REPLACE, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (root / "src" / "app.py").read_text().count("<<<<<<<") == 0
    assert "return 10" in (root / "src" / "app.py").read_text()
    assert (root / "src" / "new.py").read_text() == "created = True\n"


# -- round trips: our own diff of two texts, rendered in each format, applies back exactly ------

texts = st.lists(
    st.sampled_from(["a = 1", "b = 2", "", "def f():", "    return x", "# note", "c = 3"]),
    min_size=1, max_size=14,
).map(lambda lines: "\n".join(lines) + "\n")  # fmt: skip


def _blocks(old: str, new: str) -> list[tuple[list[str], list[str]]]:
    """(search, replace) pairs: each changed region with a line of context on each side."""
    import difflib

    a, b = old.splitlines(), new.splitlines()
    pairs = []
    for group in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_grouped_opcodes(1):
        a1, a2 = group[0][1], group[-1][2]
        b1, b2 = group[0][3], group[-1][4]
        pairs.append((a[a1:a2], b[b1:b2]))
    return pairs


def _apply(root: Path, answer: str) -> str | None:
    """The new text, or None when refused, and then only as ambiguous (never a wrong text)."""
    changes = plan_changes(root, extract_patches(answer), read_from(root))
    if changes.ok:
        return changes.files[0].new_text
    for error in changes.errors():
        assert any(w in error for w in ("ambiguous", "already applied", "cannot tell where")), error
    return None


@settings(max_examples=150, deadline=None)
@given(old=texts, new=texts)
def test_search_replace_round_trip(
    tmp_path_factory: pytest.TempPathFactory, old: str, new: str
) -> None:
    root = tmp_path_factory.mktemp("sr")
    (root / "f.py").write_text(old)
    pairs = _blocks(old, new)
    if not pairs or any(not search for search, _ in pairs):
        return  # nothing to change, or a pure insertion SEARCH/REPLACE cannot anchor
    answer = "".join(
        "f.py\n```\n<<<<<<< SEARCH\n" + "".join(f"{s}\n" for s in search) + "=======\n"
        + "".join(f"{r}\n" for r in replace) + ">>>>>>> REPLACE\n```\n"
        for search, replace in pairs
    )  # fmt: skip
    result = _apply(root, answer)
    assert result is None or result == new  # exactly the intended text, or an honest refusal


@settings(max_examples=150, deadline=None)
@given(old=texts, new=texts)
def test_apply_patch_round_trip(
    tmp_path_factory: pytest.TempPathFactory, old: str, new: str
) -> None:
    root = tmp_path_factory.mktemp("ap")
    (root / "f.py").write_text(old)
    pairs = _blocks(old, new)
    if not pairs:
        return
    body = ""
    for search, replace in pairs:
        body += "@@\n"
        from wave_lsp.edits.formats import between

        body += "".join(f"{tag}{text}\n" for tag, text in between(search, replace).lines)
    result = _apply(root, f"*** Begin Patch\n*** Update File: f.py\n{body}*** End Patch\n")
    assert result is None or result == new


MODULE = "".join(f"def f{n}():\n    return {n}\n\n" for n in range(40))


def test_elided_context_applies_exactly_in_every_format(root: Path) -> None:
    (root / "src" / "mod.py").write_text(MODULE)
    expected = MODULE.replace("    return 3\n", "    return 33\n").replace(
        "    return 30\n", "    return 300\n"
    )
    diff = (
        "--- a/src/mod.py\n+++ b/src/mod.py\n@@ -7,3 +7,3 @@\n def f3():\n-    return 3\n"
        "+    return 33\n # ... existing code ...\n def f30():\n-    return 30\n+    return 300\n"
    )
    search_replace = (
        "src/mod.py\n```python\n<<<<<<< SEARCH\ndef f3():\n    return 3\n"
        "    # ... existing code ...\ndef f30():\n    return 30\n=======\ndef f3():\n"
        "    return 33\n    # ... existing code ...\ndef f30():\n    return 300\n"
        ">>>>>>> REPLACE\n```\n"
    )
    envelope = ("*** Begin Patch\n*** Update File: src/mod.py\n@@\n def f3():\n-    return 3\n"
                "+    return 33\n // ...\n def f30():\n-    return 30\n+    return 300\n"
                "*** End Patch\n")  # fmt: skip
    for answer in (diff, search_replace, envelope):
        changes = plan_changes(root, extract_patches(answer), read_from(root))
        assert changes.ok, changes.errors()
        assert changes.files[0].new_text == expected


def test_an_added_elision_is_refused(root: Path) -> None:
    answer = ("src/app.py\n```\n<<<<<<< SEARCH\ndef main():\n    return 1\n=======\n"
              "def main():\n    # ... existing code ...\n>>>>>>> REPLACE\n```\n")  # fmt: skip
    changes = plan_changes(root, extract_patches(answer), read_from(root))
    [error] = changes.errors()
    assert "stands for code left out" in error and "full text" in error


def test_hunks_are_placed_in_order_when_their_context_repeats(root: Path) -> None:
    """Two hunks of one file without line numbers; the second's context occurs twice, once
    before the first hunk and once after: in order, only one place is meant (GNU patch's rule).
    """
    block = "    if ready:\n        go()\n"
    text = "def a():\n" + block + "\ndef marker():\n    pass\n\ndef b():\n" + block
    (root / "src" / "two.py").write_text(text)
    answer = ("--- a/src/two.py\n+++ b/src/two.py\n@@ @@\n def marker():\n-    pass\n"
              "+    return 1\n@@ @@\n     if ready:\n-        go()\n+        go(now=True)\n")  # fmt: skip
    changes = plan_changes(root, extract_patches(answer), read_from(root))
    assert changes.ok, changes.errors()
    expected = text.replace("    pass", "    return 1")
    head, tail = expected.rsplit("go()", 1)
    assert changes.files[0].new_text == head + "go(now=True)" + tail
    alone = (
        "--- a/src/two.py\n+++ b/src/two.py\n@@ @@\n     if ready:\n-        go()\n+        go(1)\n"
    )
    refused = plan_changes(root, extract_patches(alone), read_from(root))
    assert not refused.ok and "ambiguous" in refused.errors()[0]  # out of order: still refused


def test_fuzzy_hunks_are_placed_in_order_too(root: Path) -> None:
    """The second hunk's context was mistyped by the model and resembles two places equally:
    fuzzily, the one after the first hunk is meant; alone, it stays ambiguous."""
    block = "    if ready_to_go:\n        launch(rocket, pad=39)\n        log('launched')\n"
    text = "def a():\n" + block + "\ndef marker():\n    pass\n\ndef b():\n" + block
    (root / "src" / "fuzzy.py").write_text(text)
    second = ("@@ @@\n     if ready_to_go:\n-        launch(rocket, pad=39)\n"
              "+        launch(rocket, pad=40)\n     log('launch')\n")  # fmt: skip
    answer = ("--- a/src/fuzzy.py\n+++ b/src/fuzzy.py\n@@ @@\n def marker():\n-    pass\n"
              "+    return 1\n" + second)  # fmt: skip
    changes = plan_changes(root, extract_patches(answer), read_from(root))
    assert changes.ok, changes.errors()
    expected = text.replace("    pass", "    return 1")
    head, tail = expected.rsplit("pad=39", 1)
    assert changes.files[0].new_text == head + "pad=40" + tail
    alone = plan_changes(
        root,
        extract_patches("--- a/src/fuzzy.py\n+++ b/src/fuzzy.py\n" + second),
        read_from(root),
    )
    assert not alone.ok and "ambiguous" in alone.errors()[0]
