"""Bounded reads of files a user or a model names: the file's type and size are checked before
anything is read, and never more than the limit is read.

A FIFO would block the reader forever, a character device (``/dev/zero``, ``/dev/urandom``) never
ends, and a sparse file can claim gigabytes it does not hold: each is refused with a message that
says what it is and what to do. The file is opened non-blocking (opening a FIFO does not wait
for a writer) and checked with ``fstat`` on the open descriptor, so a file swapped between the
check and the read is checked as what was opened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DEFAULT_LIMIT = 10_000_000
"""Bytes read at most when the caller names no limit (10 MB)."""


class FileRefused(OSError):
    """A file that is not read: not a regular file, too large, or unreadable. ``str()`` is the
    whole message, with the path and what to do."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe): reading it could wait forever"
    if stat.S_ISCHR(mode):
        return "a character device: reading it may never end"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular(path: Path, limit: int | None = DEFAULT_LIMIT) -> os.stat_result:
    """The file's status when it is a regular file within ``limit`` bytes; else a refusal.
    ``FileNotFoundError`` passes through (callers tell a missing file from a refused one)."""
    try:
        info = Path(path).stat()
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as error:
        raise _refused(path, error) from error
    _check(path, info, limit)
    return info


def _refused(path: Path, error: BaseException) -> FileRefused:
    if isinstance(error, PermissionError):
        return FileRefused(path, "permission denied: it cannot be read")
    return FileRefused(path, f"cannot be read ({_reason(error)})")


def _check(path: Path, info: os.stat_result, limit: int | None) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused(path, f"{_kind(info.st_mode)}; only regular files are read")
    if limit is not None and info.st_size > limit:
        raise FileRefused(
            path, f"{info.st_size} bytes, over the limit of {limit} bytes: it is not read"
        )


def read_bytes(path: Path, limit: int | None = DEFAULT_LIMIT) -> bytes:
    """The file's bytes, after checking it is a regular file of at most ``limit`` bytes; at most
    ``limit`` bytes are read even if it grows meanwhile. ``FileNotFoundError`` when missing."""
    check_regular(path, limit)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as error:
        raise _refused(path, error) from error
    try:
        _check(path, os.fstat(fd), limit)  # what was opened, not what was looked at
        chunks: list[bytes] = []
        left = limit if limit is not None else -1
        while left != 0:
            chunk = os.read(fd, 1 << 20 if left < 0 else min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            if left > 0:
                left -= len(chunk)
        if left == 0 and os.read(fd, 1):
            raise FileRefused(path, f"grew over the limit of {limit} bytes while read")
        return b"".join(chunks)
    except FileRefused:
        raise
    except OSError as error:
        raise _refused(path, error) from error
    finally:
        os.close(fd)


def read_text(path: Path, limit: int | None = DEFAULT_LIMIT) -> str:
    """The file as text: UTF-8, with bytes that are not UTF-8 kept as surrogate escapes (so a
    Latin-1 file is written back byte for byte, see :func:`encode`)."""
    return read_bytes(path, limit).decode("utf-8", errors="surrogateescape")


def encode(text: str) -> bytes:
    """Text read by :func:`read_text` back to its bytes (surrogate escapes become the original
    bytes again)."""
    return text.encode("utf-8", errors="surrogateescape")


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error)
