"""A copy of a run's workspace taken before its tasks start, so ``on_failure: rollback`` can put
every file back as it was: changed files rewritten, files the run created removed, files it
deleted re-created. The workspace's own record (``workspace.json``) is left alone."""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from pathlib import Path

from wave_lsp.config.atomic import atomic_write_bytes

KEPT = frozenset({"workspace.json"})
"""Top-level names that belong to the workspace manager, not to the run."""


def _files(directory: Path) -> dict[str, Path]:
    """Every file and symbolic link under ``directory`` (links not followed), by relative path."""
    found: dict[str, Path] = {}
    for parent, folders, names in os.walk(directory, followlinks=False):
        here = Path(parent)
        for name in names + [f for f in folders if (here / f).is_symlink()]:
            path = here / name
            relative = path.relative_to(directory).as_posix()
            if relative not in KEPT:
                found[relative] = path
    return found


def _same(first: Path, second: Path) -> bool:
    if first.is_symlink() or second.is_symlink():
        return first.is_symlink() and second.is_symlink() and first.readlink() == second.readlink()
    return filecmp.cmp(first, second, shallow=False)


def _make_writable(path: Path) -> None:
    """Read-only mounts are copied without write permission; restoring must still write."""
    if path.exists() and not path.is_symlink() and not os.access(path, os.W_OK):
        path.chmod(path.stat().st_mode | 0o200)


class Snapshot:
    def __init__(self, directory: Path, copy: Path) -> None:
        self.directory = directory
        self.copy = copy

    @classmethod
    def take(cls, directory: Path, under: Path) -> Snapshot:
        """Copy ``directory`` into a new folder under ``under`` (same file system, usually)."""
        under.mkdir(parents=True, exist_ok=True)
        copy = Path(tempfile.mkdtemp(prefix=".snapshot-", dir=under)) / "files"
        shutil.copytree(
            directory, copy, symlinks=True, ignore=lambda folder, names: [
                n for n in names if folder == str(directory) and n in KEPT
            ],
        )  # fmt: skip
        return cls(directory, copy)

    def restore(self) -> list[str]:
        """Put the directory back as it was; the relative paths that had to change, sorted."""
        before = _files(self.copy)
        now = _files(self.directory)
        touched: list[str] = []
        for relative, path in now.items():
            if relative not in before:
                _make_writable(path.parent)
                path.unlink()
                touched.append(relative)
        for relative, saved in before.items():
            current = self.directory / relative
            if relative in now and _same(saved, current):
                continue
            current.parent.mkdir(parents=True, exist_ok=True)
            _make_writable(current.parent)
            if current.is_symlink() or saved.is_symlink():
                if current.is_symlink() or current.exists():
                    current.unlink()
                current.symlink_to(saved.readlink())
            else:
                _make_writable(current)
                atomic_write_bytes(current, saved.read_bytes())
                shutil.copystat(saved, current)
            touched.append(relative)
        for parent, folders, _ in os.walk(self.copy, followlinks=False):
            for folder in folders:
                saved = Path(parent) / folder
                current = self.directory / saved.relative_to(self.copy)
                if not saved.is_symlink() and not current.is_dir():
                    current.mkdir(parents=True)
                    shutil.copystat(saved, current)
                    touched.append(current.relative_to(self.directory).as_posix() + "/")
        self._remove_new_folders()
        return sorted(touched)

    def _remove_new_folders(self) -> None:
        """Folders the run created and left empty go too."""
        for parent, folders, _ in os.walk(self.directory, topdown=False):
            for folder in folders:
                path = Path(parent) / folder
                relative = path.relative_to(self.directory)
                if not (self.copy / relative).exists() and not any(path.iterdir()):
                    path.rmdir()

    def discard(self) -> None:
        shutil.rmtree(self.copy.parent, ignore_errors=True)
