"""Unified diffs as Wave reads them: parsed with ``unidiff`` when well formed, and otherwise by a
lenient reader that tolerates what models get wrong.

Tolerated: missing or wrong line numbers in ``@@`` headers, wrong hunk counts, missing
``---``/``+++`` headers (the caller supplies the path), ``a/``/``b/`` prefixes and timestamps,
CRLF, a missing ``\\ No newline at end of file`` marker, context lines without their leading
space (blank ones above all), and ``...`` elisions (the hunk is split there). Nothing here looks at
the file: locating hunks is :mod:`wave_lsp.edits.apply`'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HUNK_HEADER = re.compile(r"^@@+\s*(?:-(\d+)(?:,(\d+))?)?\s*(?:\+(\d+)(?:,(\d+))?)?\s*@@+(.*)$")
ELISION = re.compile(
    r"^\s*(?:#|//|--|;+|/\*|<!--|\*)?\s*(?:\.{3}|…)\s*(?:[A-Za-z][\w\s,'()-]{0,60}?)?"
    r"\s*(?:\.{3}|…)?\s*(?:\*/|-->)?\s*$"
)
"""A line that is only an elision: ``...``, ``# ...``, ``// ... existing code ...``,
``/* ... rest of the function ... */``, ``<!-- ... -->``."""


def is_elision(text: str) -> bool:
    return ("..." in text or "…" in text) and ELISION.match(text) is not None


def is_elision_comment(text: str) -> bool:
    """An elision that is a comment or has words (``# ...``, ``// ... existing code ...``): as
    an added line it would replace code with a note. A bare ``...`` is Python's Ellipsis."""
    return is_elision(text) and text.strip() not in ("...", "…")


DEV_NULL = "/dev/null"


class PatchSyntaxError(ValueError):
    """The text holds no diff that can be read (the message says what is wrong and where)."""


@dataclass(slots=True)
class Hunk:
    lines: list[tuple[str, str]]
    """(tag, text): tag is ' ' (context), '-' (removed) or '+' (added); text has no newline."""
    old_start: int | None = None
    """1-based first line in the old file, from the header (``None``: the model gave none)."""
    old_count: int | None = None
    header: str = "@@"
    old_no_newline: bool = False
    """The old side's last line had no newline (a ``\\ No newline`` marker after it)."""
    new_no_newline: bool = False
    anchor: str | None = None
    """A line the hunk comes after (apply_patch's ``@@ def f():``): a hint, never a requirement."""

    def before(self) -> list[str]:
        return [text for tag, text in self.lines if tag != "+"]

    def removed(self) -> list[int]:
        """Indexes into :meth:`before` of the lines the hunk removes."""
        old = [tag for tag, _ in self.lines if tag != "+"]
        return [index for index, tag in enumerate(old) if tag == "-"]

    def after(self) -> list[str]:
        return [text for tag, text in self.lines if tag != "-"]

    def changes(self) -> bool:
        return any(tag != " " for tag, _ in self.lines)


@dataclass(slots=True)
class FilePatch:
    """The changes to one file: hunks, or the whole new text (a whole-file answer)."""

    old_path: str | None
    """``None``: the file is new (``--- /dev/null``)."""
    new_path: str | None
    """``None``: the file is deleted (``+++ /dev/null``)."""
    hunks: list[Hunk] = field(default_factory=list)
    whole_text: str | None = None
    binary: bool = False
    headers: bool = True
    """Whether the diff named the file (a headerless diff takes the caller's path)."""

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    @property
    def is_new(self) -> bool:
        return self.old_path is None and self.new_path is not None

    @property
    def is_delete(self) -> bool:
        return self.new_path is None and self.old_path is not None

    @property
    def is_rename(self) -> bool:
        return (
            self.old_path is not None
            and self.new_path is not None
            and self.old_path != self.new_path
        )


def clean_path(raw: str) -> str | None:
    """A header's path without ``a/``/``b/``, quotes and a trailing timestamp; ``None`` for
    ``/dev/null``."""
    path = raw.strip()
    if "\t" in path:
        path = path.split("\t", 1)[0]
    path = re.sub(r"\s+\d{4}-\d\d-\d\d[ T][\d:.]+(?:\s*[+-]\d{4})?$", "", path)
    if len(path) >= 2 and path[0] == path[-1] == '"':
        path = path[1:-1]
    if path == DEV_NULL:
        return None
    if path.startswith(("a/", "b/")):
        path = path[2:]
    return path


_EPOCH = re.compile(r"(?:1970-01-01|1969-12-31)[ T]")


def _epoch(timestamp: str | None) -> bool:
    """Whether a file header's timestamp is the epoch: what `diff -N` (GNU diff, and GNU
    patch reading it) dates a file that does not exist on that side."""
    return timestamp is not None and _EPOCH.match(timestamp.strip()) is not None


def _header_epoch(line: str) -> bool:
    """Whether a ``---``/``+++`` line is dated the epoch (after a tab, as diff writes it)."""
    return "\t" in line and _epoch(line.split("\t", 1)[1])


def parse_patch(text: str, default_path: str | None = None) -> list[FilePatch]:
    """Every file's changes in ``text``. Well-formed diffs go through ``unidiff``; anything it
    refuses is read leniently. Hunks without file headers belong to ``default_path``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    strict = _parse_strict(text)
    patches = strict if strict is not None else _parse_lenient(text, default_path)
    if not patches:
        raise PatchSyntaxError("no diff found: expected '--- path', '+++ path' and '@@' hunks")
    for patch in patches:
        if not patch.path:
            raise PatchSyntaxError(
                "a diff without '--- a/PATH' / '+++ b/PATH' headers: say which file it changes"
            )
    return patches


def _parse_strict(text: str) -> list[FilePatch] | None:
    """``unidiff``'s reading, or ``None`` when it refuses the text or reads nothing of it."""
    from unidiff.errors import UnidiffParseError
    from unidiff.patch import PatchSet

    try:
        patch_set = PatchSet(text)
    except (UnidiffParseError, ValueError, IndexError):
        return None
    if not len(patch_set):
        return None
    patches: list[FilePatch] = []
    parsed = 0  # hunk lines unidiff read, to compare with the text's
    for patched in patch_set:
        # new and deleted files are the ones with /dev/null on a side (unidiff also calls an
        # edit of an empty file "added", which would make it a creation)
        source = clean_path(patched.source_file or "")
        target = clean_path(patched.target_file or "")
        patch = FilePatch(source, target, binary=bool(patched.is_binary_file))
        if (
            len(patched)
            and _epoch(patched.source_timestamp)
            and all(h.source_start == 0 and h.source_length == 0 for h in patched)
        ):
            patch.old_path = None  # `diff -N`: an absent file, dated the epoch
        if (
            len(patched)
            and _epoch(patched.target_timestamp)
            and all(h.target_length == 0 for h in patched)
        ):
            patch.new_path = None
        for unihunk in patched:
            hunk = Hunk([], unihunk.source_start, unihunk.source_length, "@@")
            hunk.header = (
                f"@@ -{unihunk.source_start},{unihunk.source_length} "
                f"+{unihunk.target_start},{unihunk.target_length} @@"
            )
            previous = " "
            for line in unihunk:
                if line.line_type == "\\":
                    if previous in " -":
                        hunk.old_no_newline = True
                    if previous in " +":
                        hunk.new_no_newline = True
                    continue
                previous = line.line_type
                hunk.lines.append((line.line_type, line.value.rstrip("\n")))
            parsed += len(hunk.lines)
            patch.hunks.extend(split_elisions(hunk))
        patches.append(patch)
    body_lines = sum(
        1
        for line in text.split("\n")
        if line[:1] in (" ", "-", "+") and not line.startswith(("--- ", "+++ "))
    )
    if parsed < body_lines:  # counts too small: unidiff would drop the lines past them
        return None
    if any(p.binary for p in patches) or all(p.hunks or p.is_delete or p.is_new for p in patches):
        return patches
    return None


def _parse_lenient(text: str, default_path: str | None) -> list[FilePatch]:
    lines = text.split("\n")
    patches: list[FilePatch] = []
    current: FilePatch | None = None
    hunk: Hunk | None = None
    git_paths: tuple[str | None, str | None] | None = None
    epochs: list[tuple[FilePatch, tuple[bool, bool]]] = []

    def close_hunk() -> None:
        nonlocal hunk
        if hunk is not None and current is not None:
            while hunk.lines and hunk.lines[-1] == (" ", ""):  # blank lines after the diff
                hunk.lines.pop()
            current.hunks.extend(split_elisions(hunk))
        hunk = None

    index = 0
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.startswith("diff --git "):
            close_hunk()
            match = re.match(r"diff --git (\S+) (\S+)", line)
            git_paths = (clean_path(match.group(1)), clean_path(match.group(2))) if match else None
            current = FilePatch(*(git_paths or (None, None)))
            patches.append(current)
        elif line.startswith(("diff ", "Index: ", "Only in ")):
            close_hunk()  # `diff -ruN a b`'s line before each file: not a line of the hunk
        elif line.startswith("--- ") and following.startswith("+++ "):
            close_hunk()
            old, new = clean_path(line[4:]), clean_path(following[4:])
            absent = (_header_epoch(line), _header_epoch(following))
            if current is not None and not current.hunks and git_paths is not None:
                current.old_path, current.new_path = old, new
            else:
                current = FilePatch(old, new)
                patches.append(current)
                epochs.append((current, absent))
            git_paths = None
            index += 1
        elif current is not None and hunk is None and line.startswith("rename from "):
            current.old_path = line[len("rename from ") :].strip()
        elif current is not None and hunk is None and line.startswith("rename to "):
            current.new_path = line[len("rename to ") :].strip()
        elif current is not None and hunk is None and line.startswith("new file mode"):
            current.old_path = None
        elif current is not None and hunk is None and line.startswith("deleted file mode"):
            current.new_path = None
        elif line.startswith(("Binary files ", "GIT binary patch")):
            if current is None:
                current = FilePatch(default_path, default_path, headers=False)
                patches.append(current)
            current.binary = True
        elif match := HUNK_HEADER.match(line):
            close_hunk()
            if current is None:
                current = FilePatch(default_path, default_path, headers=False)
                patches.append(current)
            start = int(match.group(1)) if match.group(1) else None
            count = int(match.group(2)) if match.group(2) else (1 if start is not None else None)
            hunk = Hunk([], start, count, line.strip())
        elif hunk is not None:
            if line.startswith("\\"):
                tag = hunk.lines[-1][0] if hunk.lines else " "
                hunk.old_no_newline |= tag in " -"
                hunk.new_no_newline |= tag in " +"
            elif line[:1] in (" ", "-", "+"):
                hunk.lines.append((line[0], line[1:]))
            else:  # a context line the model did not prefix with a space (or a blank one)
                hunk.lines.append((" ", line))
        index += 1
    close_hunk()
    for patch, (old_absent, new_absent) in epochs:  # `diff -N`: the absent side dated the epoch
        if old_absent and all(t == "+" for h in patch.hunks for t, _ in h.lines):
            patch.old_path = None
        elif new_absent and all(t == "-" for h in patch.hunks for t, _ in h.lines):
            patch.new_path = None
    return [p for p in patches if p.hunks or p.binary or p.is_new or p.is_delete or p.is_rename]


def split_elisions(hunk: Hunk) -> list[Hunk]:
    """A hunk with ``...`` lines (the model skipped unchanged lines) as separate hunks; the parts
    after the first have no line number of their own."""
    if not any(tag == " " and is_elision(text) for tag, text in hunk.lines):
        return [hunk]
    parts: list[Hunk] = []
    current = Hunk([], hunk.old_start, hunk.old_count, hunk.header)
    for tag, text in hunk.lines:
        if tag == " " and is_elision(text):
            if current.lines:
                parts.append(current)
            current = Hunk([], None, None, hunk.header + " (after '...')")
            continue
        current.lines.append((tag, text))
    if current.lines:
        parts.append(current)
    if parts:
        parts[-1].old_no_newline = hunk.old_no_newline
        parts[-1].new_no_newline = hunk.new_no_newline
    if len(parts) > 1:
        parts = [p for p in parts if p.changes()]  # pure-context pieces change nothing
    return parts or [hunk]
