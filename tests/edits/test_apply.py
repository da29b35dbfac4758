"""Hunks located by their text: every mistake models make with diffs, and the failures that must
never be guessed."""

from __future__ import annotations

import pytest

from wave_lsp.edits.apply import Method, apply_hunks
from wave_lsp.edits.patch import PatchSyntaxError, parse_patch
from wave_lsp.edits.textdiff import unified_diff

OLD = "".join(f"line {n}\n" for n in range(1, 21))
NEW = OLD.replace("line 5\n", "line five\n").replace("line 15\n", "line 15\nline 15.5\n")


def udiff(old: str, new: str, path: str = "f.txt") -> str:
    return unified_diff(old, new, f"a/{path}", f"b/{path}")


def apply(diff: str, text: str = OLD, default_path: str | None = "f.txt") -> str | None:
    [patch] = parse_patch(diff, default_path)
    return apply_hunks(text, patch.hunks, patch.path).text


def test_a_clean_diff_applies_exactly_at_its_lines() -> None:
    [patch] = parse_patch(udiff(OLD, NEW))
    result = apply_hunks(OLD, patch.hunks)
    assert result.text == NEW
    assert [h.method for h in result.hunks] == [Method.EXACT, Method.EXACT]
    assert [h.line for h in result.hunks] == [2, 13]


def test_wrong_line_numbers_are_only_hints() -> None:
    diff = udiff(OLD, NEW).replace("@@ -2,7 +2,7 @@", "@@ -9,7 +9,7 @@")
    [patch] = parse_patch(diff)
    result = apply_hunks(OLD, patch.hunks)
    assert result.text == NEW
    assert result.hunks[0].method is Method.MOVED and result.hunks[0].line == 2


def test_missing_line_numbers_and_wrong_counts() -> None:
    diff = udiff(OLD, NEW)
    no_numbers = "\n".join("@@ @@" if s.startswith("@@") else s for s in diff.split("\n"))
    assert apply(no_numbers) == NEW
    wrong_counts = diff.replace("@@ -2,7 +2,7 @@", "@@ -2,99 +2,3 @@")
    assert apply(wrong_counts) == NEW


def test_missing_file_headers_take_the_given_path() -> None:
    body = udiff(OLD, NEW).split("\n", 2)[2]  # without --- / +++
    [patch] = parse_patch(body, "given.txt")
    assert patch.path == "given.txt"
    assert apply_hunks(OLD, patch.hunks).text == NEW
    with pytest.raises(PatchSyntaxError, match="say which file"):
        parse_patch(body, None)


def test_prefixes_and_timestamps_are_removed_from_paths() -> None:
    diff = udiff(OLD, NEW).replace("--- a/f.txt", "--- a/src/f.txt\t2026-11-23 10:00:00.000 +0000")
    diff = diff.replace("+++ b/f.txt", "+++ b/src/f.txt\t2026-11-23 10:00:01.000 +0000")
    [patch] = parse_patch(diff)
    assert patch.old_path == patch.new_path == "src/f.txt"


def test_whitespace_drift_in_context_keeps_the_files_own_text() -> None:
    old = "def f():\n\tif x:\n\t\treturn 1\n\treturn 2\n"
    new = "def f():\n\tif x:\n\t\treturn 3\n\treturn 2\n"
    drifted = "@@ -1,4 +1,4 @@\n def f():\n     if x:   \n-        return 1\n+\t\treturn 3\n     return 2\n"
    [patch] = parse_patch(drifted, "f.py")
    result = apply_hunks(old, patch.hunks)
    assert result.text == new  # tabs kept where the model wrote spaces
    assert result.hunks[0].method is Method.WHITESPACE


def test_crlf_files_and_crlf_diffs() -> None:
    crlf_old = OLD.replace("\n", "\r\n")
    crlf_new = NEW.replace("\n", "\r\n")
    assert apply(udiff(OLD, NEW), crlf_old) == crlf_new  # LF diff on a CRLF file
    assert apply(udiff(OLD, NEW).replace("\n", "\r\n"), OLD) == NEW  # CRLF diff on an LF file


def test_no_newline_at_end_of_file() -> None:
    old, new = "a\nb\nc", "a\nb\nC"
    diff = udiff(old, new)
    assert "No newline" in diff
    assert apply(diff, old) == new
    without_marker = "\n".join(s for s in diff.split("\n") if not s.startswith("\\"))
    assert apply(without_marker, old) == new  # the file's own ending is kept
    adds_newline = udiff("a\nb", "a\nb\n")
    assert apply(adds_newline, "a\nb") == "a\nb\n"


def test_context_lines_without_their_space() -> None:
    diff = (
        "--- a/f.txt\n+++ b/f.txt\n@@ -3,5 +3,5 @@\nline 3\nline 4\n-line 5\n+line five\n\nline 6\n"
    )
    text = OLD.replace("line 6\n", "\nline 6\n")  # a blank line the model left unprefixed
    result = apply(diff, text)
    assert result is not None and "line five\n\nline 6" in result


def test_elisions_split_a_hunk() -> None:
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ -4,13 +4,14 @@\n line 4\n-line 5\n+line five\n line 6\n ...\n line 15\n+line 15.5\n line 16\n"
    assert apply(diff) == NEW


def test_fuzzy_matches_a_unique_near_copy() -> None:
    diff = "@@ @@\n line 3\n line four\n-line 5\n+line five\n line 6\n"  # 'line four' is not in the file
    [patch] = parse_patch(diff, "f.txt")
    result = apply_hunks(OLD, patch.hunks)
    assert result.hunks[0].method is Method.FUZZY
    assert result.text == OLD.replace("line 5\n", "line five\n")


def test_an_ambiguous_hunk_fails_and_names_the_places() -> None:
    text = "a\nx = 1\nb\n" * 2
    diff = "@@ @@\n-x = 1\n+x = 2\n"
    [patch] = parse_patch(diff, "f.py")
    result = apply_hunks(text, patch.hunks, "f.py")
    assert result.text is None
    [error] = result.errors()
    assert "lines 2, 5: ambiguous" in error and "f.py" in error
    assert "Add context lines" in error


def test_lines_not_found_are_named_with_the_nearest_candidate() -> None:
    diff = "@@ -3,3 +3,3 @@\n line 3\n-line 4 was here\n+line 4\n line 5\n"
    [patch] = parse_patch(diff, "f.txt")
    result = apply_hunks(OLD.replace("line 4\n", "completely different\n"), patch.hunks, "f.txt")
    assert result.text is None
    [error] = result.errors()
    assert "'line 4 was here'" in error and "not found" in error
    assert "nearest candidate, line 3 (63% alike)" in error  # shares its context lines


def test_a_failed_hunk_fails_the_whole_file() -> None:
    diff = udiff(OLD, NEW) + "@@ -30,1 +30,1 @@\n-nothing like this\n+x\n"
    [patch] = parse_patch(diff)
    result = apply_hunks(OLD, patch.hunks)
    assert result.text is None
    assert [h.applied for h in result.hunks] == [True, True, False]


def test_hunks_out_of_order_still_apply_without_overlap() -> None:
    diff = udiff(OLD, NEW)
    header, first, second = diff.split("@@ -")
    reordered = header + "@@ -" + second + "@@ -" + first
    assert apply(reordered) == NEW


def test_an_insertion_without_context_needs_a_line_number() -> None:
    assert apply("@@ -2,0 +3,1 @@\n+inserted\n") == OLD.replace("line 2\n", "line 2\ninserted\n")
    [patch] = parse_patch("@@ @@\n+inserted\n", "f.txt")
    result = apply_hunks(OLD, patch.hunks)
    assert result.text is None and "cannot tell where" in result.errors()[0]
