"""The journal of a multi-file write: what will change and where its backups are, kept on disk
while the files are written, so that a write interrupted by anything (``kill -9``, a power cut)
is rolled back by the next ``wave`` start on that workspace: every file as it was, no temp file
left behind.

A write goes: journal (phase ``backup``) → backups, each atomic → journal (phase ``write``) →
the files, each atomic → journal removed. Recovery of a ``backup``-phase journal only removes
temp files (no file was touched yet); of a ``write``-phase one, it restores every journaled file
from its backup (or removes it when it did not exist before), then removes temp files. Each step
is an atomic rename, fsynced with its directory, so the journal says no more than what is true.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wave_lsp.config.atomic import TEMP_SUFFIX, atomic_write_bytes, fsync_directory
from wave_lsp.config.paths import WAVE_DIR

logger = logging.getLogger(__name__)

JOURNAL_DIRECTORY = Path(WAVE_DIR) / "journal"
"""Under the workspace root."""


@dataclass(frozen=True, slots=True)
class Entry:
    path: Path
    """The file that changes (absolute)."""
    backup: Path | None
    """Its copy from before the change; ``None``: it did not exist."""


class Journal:
    """One write's journal file."""

    def __init__(self, directory: Path, entries: Iterable[Entry], backups: Path) -> None:
        self.directory = directory
        self.entries = list(entries)
        self.backups = backups
        stamp = time.strftime("%Y%m%dT%H%M%S")
        self.path = directory / f"write-{stamp}-{secrets.token_hex(3)}.json"
        self._lock: int | None = None

    def _record(self, phase: str) -> None:
        body = {
            "phase": phase,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "backups": str(self.backups),
            "files": [
                {"path": str(e.path), "backup": str(e.backup) if e.backup else None}
                for e in self.entries
            ],
        }
        body["signature"] = _sign(body)
        atomic_write_bytes(self.path, json.dumps(body, indent=1).encode())

    def begin(self) -> None:
        """Record the write, holding a lock that says it is alive: another ``wave`` starting
        meanwhile leaves a live write alone (the OS drops the lock when the process dies)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = os.open(self.path.with_suffix(".lock"), os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self._record("backup")

    def writing(self) -> None:
        self._record("write")

    def done(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        fsync_directory(self.directory)
        if self._lock is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.with_suffix(".lock").unlink()
            os.close(self._lock)
            self._lock = None


def _key() -> bytes:
    """This user's key for journals (made once, readable by the user only): a journal that
    came with a cloned repository or was written by someone else does not verify, and is never
    carried out (it would restore files of its choosing)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    path = Path(base) / "wave" / "journal.key"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key


def _sign(body: dict[str, Any]) -> str:
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    text = json.dumps(unsigned, sort_keys=True).encode()
    return hmac.new(_key(), text, hashlib.sha256).hexdigest()


def _trusted(body: dict[str, Any], root: Path) -> str:
    """Why ``body`` may not be carried out ("" when it may): it must be signed with this user's
    key, and name only files inside ``root`` and backups inside its ``.wave/``."""
    if not hmac.compare_digest(str(body.get("signature", "")), _sign(body)):
        return "it is not signed by this user's Wave (copied from elsewhere?)"
    base = root.resolve()
    for item in body["files"]:
        if not Path(item["path"]).resolve().is_relative_to(base):
            return f"it names {item['path']}, outside the workspace"
        backup = item["backup"]
        if backup and not Path(backup).resolve().is_relative_to(base / WAVE_DIR):
            return f"its backup {backup} is not in the workspace's .wave/"
    return ""


def _alive(journal: Path) -> bool:
    """Whether the write of ``journal`` is still going on (its process holds the lock)."""
    try:
        fd = os.open(journal.with_suffix(".lock"), os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@contextlib.contextmanager
def journaled(root: Path, paths: Iterable[Path]) -> Iterator[None]:
    """Files written as one, for writers with no backups of their own (a proposal's files the
    editor does not have open): each is copied into the journal's folder first; an exception
    puts every file back, a kill is rolled back by :func:`recover`; the copies go once all is
    written."""
    base = root.resolve()
    directory = (base / JOURNAL_DIRECTORY).resolve()
    if not directory.is_relative_to(base):
        raise OSError(f"{JOURNAL_DIRECTORY} resolves outside the workspace (a symlink?)")
    made = [d for d in (directory.parent, directory) if not d.exists()]  # left as found
    copies = directory / f"copies-{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
    entries = [
        Entry(path, copies / str(n) if path.exists() else None)
        for n, path in enumerate(dict.fromkeys(paths))
    ]
    journal = Journal(directory, entries, copies)
    journal.begin()
    writing = False
    try:
        for entry in entries:
            if entry.backup is not None:
                atomic_write_bytes(entry.backup, entry.path.read_bytes())
        journal.writing()
        writing = True
        yield
    except BaseException:
        for entry in entries if writing else ():
            _restore(entry)
        raise
    finally:
        journal.done()
        shutil.rmtree(copies, ignore_errors=True)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()


def _remove_temps(directory: Path, name: str | None = None) -> int:
    """Temp files of atomic writes in ``directory`` (of the file ``name``, or all)."""
    removed = 0
    try:
        listing = [item.name for item in directory.iterdir()]
    except OSError:
        return 0
    prefix = f".{name}." if name is not None else "."
    for item in listing:
        if item.startswith(prefix) and item.endswith(TEMP_SUFFIX):
            with contextlib.suppress(OSError):
                (directory / item).unlink()
                removed += 1
    return removed


def _restore(entry: Entry) -> None:
    if entry.backup is None:
        with contextlib.suppress(FileNotFoundError):
            entry.path.unlink()
        return
    data = entry.backup.read_bytes()
    with contextlib.suppress(FileNotFoundError):
        if entry.path.is_file() and entry.path.read_bytes() == data:
            return
    atomic_write_bytes(entry.path, data)


def recover(root: Path) -> list[str]:
    """Roll back every interrupted write under ``root``; one message per write rolled back
    (empty when there was none). A journal that cannot be carried out is kept, and said."""
    directory = root / JOURNAL_DIRECTORY
    if not directory.is_dir():
        return []
    messages: list[str] = []
    journals = [j for j in sorted(directory.glob("write-*.json")) if not _alive(j)]
    if not any(_alive(lock.with_suffix(".json")) for lock in directory.glob("write-*.lock")):
        _remove_temps(directory)  # (a live write's journal may be being written)
    for journal in journals:
        try:
            body: dict[str, Any] = json.loads(journal.read_text(encoding="utf-8"))
            entries = [
                Entry(Path(f["path"]), Path(f["backup"]) if f["backup"] else None)
                for f in body["files"]
            ]
            phase = body["phase"]
            distrust = _trusted(body, root)
        except (OSError, ValueError, KeyError, TypeError) as error:
            messages.append(f"{journal}: an unreadable journal of an interrupted write ({error})")
            continue
        if distrust:
            messages.append(f"{journal}: not carried out: {distrust}; remove it")
            continue
        try:
            for entry in entries:
                if phase == "write":
                    _restore(entry)
                _remove_temps(entry.path.parent, entry.path.name)
                if entry.backup is not None:
                    _remove_temps(entry.backup.parent, entry.backup.name)
        except OSError as error:
            messages.append(
                f"an interrupted write (started {body.get('started')}) could not be rolled "
                f"back: {error}; its journal is kept at {journal} and its backups at "
                f"{body.get('backups')}"
            )
            continue
        journal.unlink()
        with contextlib.suppress(FileNotFoundError):
            journal.with_suffix(".lock").unlink()
        copies = Path(str(body.get("backups", "")))
        if copies.name.startswith("copies-") and copies.parent == directory:
            shutil.rmtree(copies, ignore_errors=True)  # a journaled write's own copies
        fsync_directory(directory)
        what = (
            f"{len(entries)} file(s) restored from {body.get('backups')}"
            if phase == "write"
            else "no file had been changed yet"
        )
        messages.append(
            f"an interrupted write (started {body.get('started')}) was rolled back: {what}"
        )
    return messages
