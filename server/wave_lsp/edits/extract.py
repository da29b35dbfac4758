"""Edits in a model's answer, in every format models write, detected without being told:
OpenAI's apply_patch envelope and Aider's SEARCH/REPLACE blocks (:mod:`wave_lsp.edits.formats`),
fenced ```diff blocks and bare unified diffs (several files in one answer), and whole-file
answers (a fenced block whose info string or preceding line names a path; weak and local models
write whole files far more reliably than diffs). A fenced block is a whole file only when
nothing in it is another format's syntax: a SEARCH/REPLACE answer once became the files'
content."""

from __future__ import annotations

import re

from wave_lsp.edits.formats import (
    PATH_LINE,
    has_apply_patch,
    has_search_replace,
    parse_apply_patch,
    parse_search_replace,
    path_in_info,
)
from wave_lsp.edits.patch import FilePatch, PatchSyntaxError, parse_patch

FORMATS = (
    "a unified diff (in a ```diff block), SEARCH/REPLACE blocks (a path line, then "
    "<<<<<<< SEARCH / ======= / >>>>>>> REPLACE), an apply_patch envelope (*** Begin Patch), "
    "or the whole new file in a fenced block whose first line names its path"
)

FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                   re.MULTILINE | re.DOTALL)  # fmt: skip
DIFF_LANGUAGES = frozenset({"diff", "patch", "udiff", "git"})


def looks_like_diff(text: str) -> bool:
    return (
        bool(re.search(r"^@@.*@@", text, re.MULTILINE))
        or bool(re.search(r"^--- .*\n\+\+\+ ", text, re.MULTILINE))
        or "diff --git " in text
    )


def _path_before(text: str, position: int) -> str | None:
    """A path on the last non-empty line before ``position`` ("src/app.py:", "`app.py`")."""
    for line in reversed(text[:position].splitlines()[-2:]):
        if line.strip():
            match = PATH_LINE.match(line)
            return match.group("path") if match else None
    return None


def extract_patches(answer: str, default_path: str | None = None) -> list[FilePatch]:
    """Every file change in ``answer``. Raises :class:`PatchSyntaxError` when it holds none."""
    if has_apply_patch(answer):
        return parse_apply_patch(answer)
    if has_search_replace(answer):
        return parse_search_replace(answer, default_path)
    patches: list[FilePatch] = []
    blocks = list(FENCE.finditer(answer))
    for block in blocks:
        info = block.group("info").strip()
        body = block.group("body")
        language = info.split()[0].lower() if info else ""
        path = path_in_info(info) or _path_before(answer, block.start())
        if language in DIFF_LANGUAGES or looks_like_diff(body):
            patches.extend(parse_patch(body, path or default_path))
        elif path is not None and not _other_syntax(body):
            patches.append(FilePatch(path, path, whole_text=body, headers=True))
    if not blocks and looks_like_diff(answer):
        patches.extend(parse_patch(answer, default_path))
    if not patches:
        raise PatchSyntaxError(f"no edit found: the formats understood are {FORMATS}")
    return patches


def _other_syntax(body: str) -> bool:
    """Whether a fenced block holds another format's markers (never a whole file, then)."""
    return bool(
        re.search(r"^(<{7} ?SEARCH|={7}$|>{7} ?REPLACE|\*\*\* (Begin|End) Patch)", body, re.M)
    )
