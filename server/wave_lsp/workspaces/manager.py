"""The Wave seed's workspaces: where a pipeline's tasks work, apart from the user's files.

``ephemeral``: a fresh copy of the project under ``workspace.base_dir``, removed
``cleanup_delay`` after the run; ``persistent``: a fresh copy that is kept; ``shared``: one per
pipeline, created once and reused by its runs. Task mounts are copied in at their destination
(``/workspace/src`` → ``src``), read-only ones without write permission; a mount's source must be
inside the project. Every state change (creating → active → cleaning → deleted) is recorded in
the workspace's ``workspace.json``.
"""

from __future__ import annotations

import json
import shutil
import stat
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wave_lsp.config.atomic import atomic_write_text
from wave_lsp.pipelines.models import WorkspaceMount
from wave_lsp.workspaces.models import (
    MountPoint,
    Workspace,
    WorkspaceState,
    WorkspaceType,
)

SKIPPED = frozenset({".git", ".wave", ".venv", "node_modules", "__pycache__"})
RECORD = "workspace.json"


class WorkspaceError(ValueError):
    pass


def _copy_tree(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.name in SKIPPED:
            continue
        if item.is_dir() and not item.is_symlink():
            shutil.copytree(item, target / item.name, symlinks=True, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(*SKIPPED))  # fmt: skip
        else:
            shutil.copy2(item, target / item.name, follow_symlinks=False)


def _read_only(path: Path) -> None:
    paths = [path, *path.rglob("*")] if path.is_dir() else [path]
    for item in paths:
        if item.is_symlink():
            continue
        mode = item.stat().st_mode
        item.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


class WorkspaceManager:
    def __init__(
        self,
        base_dir: Path,
        cleanup_delay: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base_dir = base_dir.expanduser()
        self.cleanup_delay = cleanup_delay
        self.clock = clock
        self.history: dict[str, list[str]] = {}

    def _set(self, workspace: Workspace, state: WorkspaceState) -> None:
        workspace.state = state
        workspace.updated_at = self.clock()
        self.history.setdefault(workspace.id, []).append(state.value)
        record = Path(workspace.path) / RECORD
        if Path(workspace.path).is_dir():
            data = json.loads(workspace.model_dump_json())
            data["history"] = self.history[workspace.id]
            atomic_write_text(record, json.dumps(data, indent=2))

    def sweep(self) -> list[str]:
        """Remove ephemeral workspaces left cleaning past their delay (by a process that ended
        before its timer fired). Returns their ids."""
        folder = self.base_dir / WorkspaceType.EPHEMERAL.value
        removed = []
        for record in folder.glob(f"*/{RECORD}") if folder.is_dir() else []:
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
                data.pop("history", None)
                workspace = Workspace.model_validate(data)
            except (OSError, ValueError):
                continue
            due = workspace.updated_at + self.cleanup_delay
            if workspace.state is WorkspaceState.CLEANING and due <= self.clock():
                self._remove(workspace)
                removed.append(workspace.id)
        return removed

    def create(
        self,
        root: Path,
        kind: WorkspaceType,
        pipeline: str,
        persona: str = "",
        mounts: Sequence[WorkspaceMount] = (),
    ) -> Workspace:
        self.sweep()
        now = self.clock()
        if kind is WorkspaceType.SHARED:
            path = self.base_dir / "shared" / pipeline
            identifier = f"shared-{pipeline}"
        else:
            identifier = f"{kind.value}-{uuid.uuid4().hex[:10]}"
            path = self.base_dir / kind.value / identifier
        workspace = Workspace(
            id=identifier,
            type=kind,
            created_at=now,
            updated_at=now,
            path=str(path),
            persona=persona,
            pipeline=pipeline,
            mounts=[
                MountPoint(source=m.source, destination=m.destination, type=m.type,
                           read_only=m.read_only)
                for m in mounts
            ],
        )  # fmt: skip
        reused = kind is WorkspaceType.SHARED and path.is_dir()
        self._set(workspace, WorkspaceState.CREATING)
        if not reused:
            _copy_tree(root, path)
        for mount in mounts:
            self._mount(root, path, mount)
        self._set(workspace, WorkspaceState.ACTIVE)
        return workspace

    def _mount(self, root: Path, path: Path, mount: WorkspaceMount) -> None:
        source = (root / mount.source).resolve()
        if not source.is_relative_to(root.resolve()):
            raise WorkspaceError(f"mount source {mount.source!r} is outside the project")
        destination = mount.destination.removeprefix("/workspace").strip("/")
        target = (path / destination).resolve()
        if not target.is_relative_to(path.resolve()):
            raise WorkspaceError(f"mount destination {mount.destination!r} leaves the workspace")
        if source.is_dir():
            _copy_tree(source, target)
        elif source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        else:
            raise WorkspaceError(f"mount source {mount.source!r} does not exist")
        if mount.read_only:
            _read_only(target)

    def release(self, workspace: Workspace) -> threading.Timer | None:
        """After a run: an ephemeral workspace is removed after ``cleanup_delay`` (at once when
        it is zero); the others stay active. Returns the pending removal, if any."""
        if workspace.type is not WorkspaceType.EPHEMERAL:
            return None
        self._set(workspace, WorkspaceState.CLEANING)
        delay = self.cleanup_delay.total_seconds()
        if delay <= 0:
            self._remove(workspace)
            return None
        timer = threading.Timer(delay, self._remove, args=(workspace,))
        timer.daemon = True
        timer.start()
        return timer

    def _remove(self, workspace: Workspace) -> None:
        path = Path(workspace.path)
        for item in [path, *path.rglob("*")] if path.exists() else []:
            if not item.is_symlink():  # read-only mounts must become removable
                item.chmod(item.stat().st_mode | stat.S_IWUSR)
        shutil.rmtree(path, ignore_errors=True)
        workspace.state = WorkspaceState.DELETED
        self.history.setdefault(workspace.id, []).append(WorkspaceState.DELETED.value)
