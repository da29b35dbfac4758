"""The edit formats models write besides unified diffs, read into the same :class:`FilePatch` /
:class:`Hunk` as diffs, so that every format is placed by the same safe search
(:mod:`wave_lsp.edits.apply`: exact, whitespace, unique fuzzy; never a guess).

- **SEARCH/REPLACE** (Aider's): a path line, then blocks ``<<<<<<< SEARCH`` / ``=======`` /
  ``>>>>>>> REPLACE`` (fenced or not, several per file). Each block is a hunk: lines the two
  sides share are context, the others are removed or added. An empty SEARCH creates the file.
- **apply_patch** (OpenAI's envelope, what GPT-4.1 and later and Codex write): ``*** Begin
  Patch``, ``*** Update File: P`` / ``*** Add File: P`` / ``*** Delete File: P``, ``*** Move to:
  Q``, ``@@`` sections (an optional anchor line after ``@@``), lines prefixed by space, ``-`` or
  ``+``, ``*** End of File``, ``*** End Patch``. The anchor is kept as the hunk's hint: where
  the hunk's old lines occur right after it, that place is taken.
"""

from __future__ import annotations

import difflib
import re

from wave_lsp.edits.patch import FilePatch, Hunk, PatchSyntaxError, split_elisions

SEARCH = re.compile(r"^[ \t]*<{5,9} ?SEARCH[ \t]*$", re.MULTILINE)
DIVIDER = re.compile(r"^[ \t]*={5,9}[ \t]*$")
REPLACE = re.compile(r"^[ \t]*>{5,9} ?REPLACE[ \t]*$")
BEGIN_PATCH = re.compile(r"^\*\*\* Begin Patch[ \t]*$", re.MULTILINE)
FENCE_LINE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
PATH_LINE = re.compile(
    r"^\s*(?:#+\s*)?(?:\*\*)?(?:file(?:name)?|path)?:?\s*`?(?P<path>[\w.\-/]+\.[\w]+|[\w.\-/]*/[\w.\-]+)`?(?:\*\*)?:?\s*$",
    re.IGNORECASE,
)
"""A line that only names a file ("src/app.py:", "`app.py`", "**File: app.py**")."""


def path_in_info(info: str) -> str | None:
    """A path in a fence's info string (```python src/app.py, ```path=app.py)."""
    for raw in info.split()[::-1]:
        token = raw.strip("`'\"")
        if token.startswith(("path=", "file=")):
            return token.split("=", 1)[1]
        if "/" in token or re.fullmatch(r"[\w.\-]+\.\w+", token):
            return token
    return None


def has_search_replace(text: str) -> bool:
    """Whether ``text`` holds a SEARCH marker (a malformed block is an error, never a file)."""
    return bool(SEARCH.search(text))


def has_apply_patch(text: str) -> bool:
    return bool(BEGIN_PATCH.search(text))


def between(old: list[str], new: list[str], header: str = "@@") -> Hunk:
    """The hunk that turns ``old`` lines into ``new`` ones (shared lines become context)."""
    lines: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            lines += [(" ", line) for line in old[a1:a2]]
        else:
            lines += [("-", line) for line in old[a1:a2]]
            lines += [("+", line) for line in new[b1:b2]]
    return Hunk(lines, None, None, header)


# -- SEARCH/REPLACE ------------------------------------------------------------------------------


def parse_search_replace(text: str, default_path: str | None = None) -> list[FilePatch]:
    """Every SEARCH/REPLACE block in ``text``, grouped per file (in the order written)."""
    lines = text.replace("\r\n", "\n").split("\n")
    patches: dict[str, FilePatch] = {}
    path = default_path
    index = 0
    number = 0
    while index < len(lines):
        line = lines[index]
        if not SEARCH.match(line):
            fence = FENCE_LINE.match(line)
            named = path_in_info(line[fence.end() :]) if fence else None
            if named:  # ```python src/app.py
                path = named
            elif not fence and (found := PATH_LINE.match(line)) is not None:
                path = found.group("path")
            index += 1
            continue
        number += 1
        search, replace, index = _block(lines, index + 1, number)
        if path is None:
            raise PatchSyntaxError(
                f"SEARCH/REPLACE block {number} names no file: put the file's path on the line "
                "before its fence"
            )
        patch = patches.setdefault(path, FilePatch(path, path, headers=True))
        header = f"SEARCH/REPLACE block {number}"
        if not search:
            if patch.hunks:
                raise PatchSyntaxError(f"{header} of {path}: an empty SEARCH after other blocks")
            patch.old_path = None  # an empty SEARCH creates the file
            patch.hunks.append(Hunk([("+", r) for r in replace], None, None, header))
            continue
        patch.hunks.extend(split_elisions(between(search, replace, header)))
    if not patches:
        raise PatchSyntaxError("no SEARCH/REPLACE block found")
    return list(patches.values())


def _block(lines: list[str], start: int, number: int) -> tuple[list[str], list[str], int]:
    """The SEARCH and REPLACE lines of the block whose body starts at ``start``; the index after
    its ``>>>>>>> REPLACE`` line."""
    search, index = _section(
        lines, start, DIVIDER, stray=(SEARCH, REPLACE), number=number, what="'======='"
    )
    replace, index = _section(
        lines, index + 1, REPLACE, stray=(SEARCH, DIVIDER), number=number,
        what="'>>>>>>> REPLACE'",
    )  # fmt: skip
    return search, replace, index + 1


def _section(
    lines: list[str],
    index: int,
    end: re.Pattern[str],
    *,
    stray: tuple[re.Pattern[str], ...],
    number: int,
    what: str,
) -> tuple[list[str], int]:
    """The lines from ``index`` up to the ``end`` marker, and the marker's index."""
    body: list[str] = []
    while index < len(lines) and not end.match(lines[index]):
        if any(marker.match(lines[index]) for marker in stray):
            break
        body.append(lines[index])
        index += 1
    if index == len(lines) or not end.match(lines[index]):
        raise PatchSyntaxError(f"SEARCH/REPLACE block {number}: no {what} line")
    return body, index


# -- apply_patch ---------------------------------------------------------------------------------

_ACTION = re.compile(r"^\*\*\* (Update|Add|Delete) File: (.+?)[ \t]*$")
_MOVE = re.compile(r"^\*\*\* Move to: (.+?)[ \t]*$")


def parse_apply_patch(text: str) -> list[FilePatch]:
    """The files of every ``*** Begin Patch`` … ``*** End Patch`` envelope in ``text``."""
    lines = text.replace("\r\n", "\n").split("\n")
    patches: list[FilePatch] = []
    inside = False
    current: FilePatch | None = None
    hunk: Hunk | None = None
    blanks = 0
    for number, line in enumerate(lines, start=1):
        if line.startswith(("***", "@@")):
            blanks = 0
        if not inside:
            inside = line.strip() == "*** Begin Patch"
            continue
        if line.strip() == "*** End Patch":
            inside, current, hunk = False, None, None
            continue
        if (action := _ACTION.match(line)) is not None:
            kind, path = action.group(1), action.group(2).strip()
            current = FilePatch(
                None if kind == "Add" else path, None if kind == "Delete" else path, headers=True
            )
            patches.append(current)
            hunk = Hunk([], None, None, "@@") if kind == "Add" else None
            if hunk is not None:
                current.hunks.append(hunk)
            continue
        if current is None:
            if line.strip():
                raise PatchSyntaxError(
                    f"apply_patch line {number}: {line.strip()[:60]!r} before any "
                    "'*** Update File:', '*** Add File:' or '*** Delete File:'"
                )
            continue
        if (move := _MOVE.match(line)) is not None:
            current.new_path = move.group(1).strip()
            continue
        if line.strip() == "*** End of File":
            continue
        if line.startswith("@@"):
            anchor = line[2:].strip()
            hunk = Hunk([], None, None, line.strip() or "@@")
            hunk.anchor = anchor or None
            current.hunks.append(hunk)
            continue
        if current.is_new and hunk is not None:
            if not line.startswith("+") and line:
                raise PatchSyntaxError(
                    f"apply_patch line {number}: a new file's lines start with '+'"
                )
            hunk.lines.append(("+", line[1:]))  # (a bare empty line: a blank one)
            continue
        if hunk is None:
            if line.strip():
                hunk = Hunk([], None, None, "@@")
                current.hunks.append(hunk)
            else:
                continue
        tag = line[:1]
        if tag in (" ", "-", "+"):
            hunk.lines += [(" ", "")] * blanks  # bare empty lines inside a hunk: blank context
            blanks = 0
            hunk.lines.append((tag, line[1:]))
        elif not line:
            blanks += 1  # (its space trimmed; dropped if nothing of the hunk follows)
        else:
            raise PatchSyntaxError(
                f"apply_patch line {number}: {line[:60]!r} starts with neither ' ', '-' nor '+'"
            )
    if inside and not patches:
        raise PatchSyntaxError("apply_patch: '*** Begin Patch' without any file")
    for patch in patches:
        for hunk in patch.hunks:
            while patch.is_new and hunk.lines and hunk.lines[-1] == ("+", ""):
                hunk.lines.pop()  # the bare empty line before the next '***'
    if not patches:
        raise PatchSyntaxError("no '*** Begin Patch' envelope found")
    for patch in patches:
        patch.hunks = [part for hunk in patch.hunks for part in split_elisions(hunk)]
    return patches
