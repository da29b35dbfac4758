"""The workspaces a worker reads, kept while their files are unchanged. Every run asks for a
slot, makes its working copy and builds its runners from the workspace: loading it parses every
persona, pipeline, schema and rule file (a pipeline of 1,000 tasks: hundreds of milliseconds),
so a worker reading it for each of 100 queued runs spent its time parsing. A kept workspace is
used while every file it read, and each ``.wave/`` directory (a file added or removed), has the
same modification time and size; a change is read at the next use. Called in a thread."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from wave_lsp.config.workspace import WaveWorkspace, load_workspace

KEPT = 8
_kept: dict[str, tuple[tuple[Any, ...], WaveWorkspace]] = {}
_lock = threading.Lock()
_loading: dict[str, threading.Lock] = {}


def _stamp(root: Path, files: list[str]) -> tuple[Any, ...]:
    wave = root / ".wave"
    directories = [wave, *(p for p in wave.iterdir() if p.is_dir())] if wave.is_dir() else [wave]
    seen: list[tuple[str, int | None, int | None]] = []
    for path in [*directories, *(Path(f) for f in files)]:
        try:
            status = (path if path.is_absolute() else root / path).stat()
        except OSError:
            seen.append((str(path), None, None))
            continue
        seen.append((str(path), status.st_mtime_ns, status.st_size))
    return tuple(seen)


def workspace_of(root: str) -> WaveWorkspace:
    """The workspace at ``root`` as its files are now. One load at a time per root: runs that
    ask together (a hundred queued at once) wait for that load instead of each parsing it."""
    with _lock:
        loading = _loading.setdefault(root, threading.Lock())
    with loading:
        kept = _kept.get(root)
        if kept is not None and _stamp(Path(root), kept[1].files) == kept[0]:
            return kept[1]
        workspace = load_workspace(Path(root))
        stamp = _stamp(Path(root), workspace.files)
        with _lock:
            _kept[root] = (stamp, workspace)
            while len(_kept) > KEPT:
                _loading.pop(gone := next(iter(_kept)), None)
                _kept.pop(gone)
        return workspace
