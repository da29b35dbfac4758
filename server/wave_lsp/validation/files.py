"""The files `wave check` and `wave.validate.workspace` look at: the paths given, minus what
`.gitignore` ignores, version-control and tool directories, and binary files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pathspec

ALWAYS_SKIPPED = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tox",
    }
)
BINARY_PROBE = 8192
MAX_BYTES = 10_000_000


def _ignore_spec(root: Path) -> pathspec.GitIgnoreSpec:
    lines: list[str] = []
    for name in (".gitignore", ".git/info/exclude"):
        path = root / name
        if path.is_file():
            lines.extend(path.read_text(encoding="utf-8", errors="replace").splitlines())
    return pathspec.GitIgnoreSpec.from_lines(lines)


def read_text_file(path: Path) -> str | None:
    """The file's text, or None for a binary, undecodable or huge file, or one that is not a
    regular file (a FIFO would block, a device never end)."""
    from wave_lsp import fileread

    try:
        data = fileread.read_bytes(path, MAX_BYTES)
    except OSError:
        return None
    if b"\0" in data[:BINARY_PROBE]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def collect_files(root: Path, paths: list[Path] | None = None) -> Iterator[Path]:
    """Files under ``paths`` (default: ``root``), in a stable order, honouring .gitignore
    (nested .gitignore files apply to their directory)."""
    root = root.resolve()
    specs: dict[Path, pathspec.GitIgnoreSpec] = {root: _ignore_spec(root)}

    def ignored(path: Path, is_dir: bool) -> bool:
        for base, spec in specs.items():
            if path.is_relative_to(base) and path != base:
                relative = path.relative_to(base).as_posix() + ("/" if is_dir else "")
                if spec.match_file(relative):
                    return True
        return False

    for given in paths or [root]:
        start = (given if given.is_absolute() else root / given).resolve()
        if start.is_file():
            yield start
            continue
        for directory, dirnames, filenames in os.walk(start):
            current = Path(directory)
            gitignore = current / ".gitignore"
            if current != root and gitignore.is_file():
                specs[current] = pathspec.GitIgnoreSpec.from_lines(
                    gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
                )
            dirnames[:] = sorted(
                d for d in dirnames if d not in ALWAYS_SKIPPED and not ignored(current / d, True)
            )
            for name in sorted(filenames):
                path = current / name
                if not ignored(path, False) and not path.is_symlink():
                    yield path
