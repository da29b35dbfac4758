"""Properties, over random texts: the diff we compute applies back exactly; a diff mangled the
way models mangle them applies to the same text or fails clearly, never to a different text."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wave_lsp.edits.apply import apply_hunks
from wave_lsp.edits.patch import PatchSyntaxError, parse_patch
from wave_lsp.edits.textdiff import apply_line_edits, line_edits, unified_diff

# few distinct lines, so that repeats (and ambiguity) are common
LINE = st.sampled_from(
    ["a", "b", "c", "def f():", "    return 1", "\tindented", "x = 1  # note", "", "ünï 𝄞", "}"]
)
TEXT = st.builds(
    lambda lines, final, crlf: (
        (("\r\n" if crlf else "\n").join(lines))
        + (("\r\n" if crlf else "\n") if final and lines else "")
    ),
    st.lists(LINE, max_size=25),
    st.booleans(),
    st.booleans(),
)


def edit(text: str, data: st.DataObject) -> str:
    lines = text.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(lines)))
        action = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        line = data.draw(LINE) + ("\r\n" if "\r\n" in text else "\n")
        if action == "insert" or not lines:
            lines.insert(position, line)
        elif action == "delete":
            del lines[min(position, len(lines) - 1)]
        else:
            lines[min(position, len(lines) - 1)] = line
    return "".join(lines)


MANGLINGS = {
    "no line numbers": lambda d: re.sub(r"^@@ .* @@", "@@ @@", d, flags=re.MULTILINE),
    "wrong line numbers": lambda d: re.sub(
        r"^@@ -(\d+)", lambda m: f"@@ -{int(m.group(1)) + 7}", d, flags=re.MULTILINE
    ),
    "wrong counts": lambda d: re.sub(r",\d+ \+", ",99 +", d),
    "no file headers": lambda d: re.sub(r"^(---|\+\+\+) .*\n", "", d, flags=re.MULTILINE),
    "trailing whitespace on context": lambda d: re.sub(r"^( .*)$", r"\1  ", d, flags=re.MULTILINE),
    "tabs as spaces": lambda d: re.sub(
        r"^( .*)$", lambda m: m.group(1).replace("\t", "    "), d, flags=re.MULTILINE
    ),
    "CRLF": lambda d: d.replace("\n", "\r\n"),
    "no newline marker": lambda d: d.replace("\\ No newline at end of file\n", ""),
    "unprefixed context": lambda d: re.sub(r"^ ([^-+ \\@].*|)$", r"\1", d, flags=re.MULTILINE),
}


def apply_text(diff: str, text: str) -> str | None:
    patches = parse_patch(diff, "f.txt")
    assert len(patches) == 1
    return apply_hunks(text, patches[0].hunks).text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT, st.data())
def test_our_diff_applies_back_exactly(old: str, data: st.DataObject) -> None:
    new = edit(old, data)
    diff = unified_diff(old, new, "a/f.txt", "b/f.txt")
    if not diff:
        assert old == new
        return
    assert apply_text(diff, old) == new


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT, st.data(), st.sampled_from(sorted(MANGLINGS)))
def test_a_mangled_diff_gives_the_same_text_or_fails(
    old: str, data: st.DataObject, mangling: str
) -> None:
    new = edit(old, data)
    diff = unified_diff(old, new, "a/f.txt", "b/f.txt")
    if not diff:
        return
    mangled = MANGLINGS[mangling](diff)
    try:
        result = apply_text(mangled, old)
    except PatchSyntaxError:
        return
    if result is None:
        return
    if mangling == "no newline marker":  # only the marker said whether the last line ends
        assert result.rstrip("\r\n") == new.rstrip("\r\n")
    else:
        assert result == new, mangling


@settings(max_examples=300, deadline=None)
@given(TEXT, st.data())
def test_line_edits_are_minimal_and_exact(old: str, data: st.DataObject) -> None:
    new = edit(old, data)
    edits = line_edits(old, new)
    assert apply_line_edits(old, edits) == new
    changed_lines = sum(e.end - e.start for e in edits)
    assert changed_lines <= len(old.splitlines()) + 1
    if old == new:
        assert edits == []


def test_an_insertion_among_identical_lines_applies_where_its_header_says() -> None:
    """Found by the round trip on a clean clone: the new lines of a hunk that inserts a line
    into a file of identical lines are "already there" whatever happens; at the header's line
    the hunk applies, as GNU patch's does (it was refused as already applied)."""
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,4 @@\n+a\n a\n a\n a\n"
    assert apply_text(diff, "a\na\na\na") == "a\na\na\na\na"
