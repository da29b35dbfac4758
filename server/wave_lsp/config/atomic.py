"""Atomic writes: a temporary file in the same directory, flushed to disk, then renamed over the
target, so a reader sees the old file or the new one and never half of either. The rename also
breaks a hard link instead of writing through it: a file hard-linked to one outside the project
gets a new inode here, and the outside file is left as it was."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

TEMP_SUFFIX = ".tmp"
"""Temp files are ``.<name>.<random>.tmp`` beside their target (what recovery looks for)."""


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """``text`` written atomically; code points that stand for undecodable bytes (surrogate
    escapes, as :mod:`wave_lsp.fileread` reads them) are written back as those bytes."""
    atomic_write_bytes(path, text.encode(encoding, errors="surrogateescape"))


def fsync_directory(directory: Path) -> None:
    """Make a rename or removal in ``directory`` durable (best effort where unsupported)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            Path(temp_name).chmod(mode)
        Path(temp_name).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(temp_name).unlink()
        raise
    fsync_directory(path.parent)
