"""Workspaces: ephemeral (removed after the delay, swept if the process ended first),
persistent (kept), shared (one per pipeline, reused); mounts copied, read-only ones unwritable,
sources outside the project refused; every state change recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wave_lsp.pipelines.models import WorkspaceMount
from wave_lsp.workspaces.manager import RECORD, WorkspaceError, WorkspaceManager
from wave_lsp.workspaces.models import WorkspaceState, WorkspaceType
from wave_lsp.workspaces.snapshot import Snapshot


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("x = 1\n")
    (root / "docs").mkdir()
    (root / "docs" / "guide.md").write_text("# guide\n")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref\n")
    return root


def test_an_ephemeral_workspace_is_a_copy_removed_after_the_delay(
    project: Path, tmp_path: Path
) -> None:
    manager = WorkspaceManager(tmp_path / "base", timedelta(milliseconds=200))
    workspace = manager.create(project, WorkspaceType.EPHEMERAL, "p")
    path = Path(workspace.path)
    assert (path / "src" / "app.py").read_text() == "x = 1\n"
    assert not (path / ".git").exists()  # no VCS in a task's copy
    assert workspace.state is WorkspaceState.ACTIVE
    timer = manager.release(workspace)
    assert timer is not None and path.exists()  # not before the delay
    timer.join(5)
    assert not path.exists()
    assert manager.history[workspace.id] == ["creating", "active", "cleaning", "deleted"]


def test_a_workspace_left_cleaning_is_swept_by_the_next_run(project: Path, tmp_path: Path) -> None:
    now = [datetime(2026, 11, 23, 12, 0, tzinfo=UTC)]
    manager = WorkspaceManager(tmp_path / "base", timedelta(minutes=5), clock=lambda: now[0])
    old = manager.create(project, WorkspaceType.EPHEMERAL, "p")
    manager.release(old).cancel()  # type: ignore[union-attr]  # the process "ended" first
    record = json.loads((Path(old.path) / RECORD).read_text())
    assert record["state"] == "cleaning" and record["history"][-1] == "cleaning"
    now[0] += timedelta(minutes=6)
    manager.create(project, WorkspaceType.EPHEMERAL, "p")
    assert not Path(old.path).exists()


def test_persistent_stays_and_shared_is_reused(project: Path, tmp_path: Path) -> None:
    manager = WorkspaceManager(tmp_path / "base", timedelta(0))
    kept = manager.create(project, WorkspaceType.PERSISTENT, "p")
    assert manager.release(kept) is None and Path(kept.path).exists()
    first = manager.create(project, WorkspaceType.SHARED, "p")
    (Path(first.path) / "notes.txt").write_text("from run 1\n")
    second = manager.create(project, WorkspaceType.SHARED, "p")
    assert second.path == first.path
    assert (Path(second.path) / "notes.txt").read_text() == "from run 1\n"


def test_mounts_are_copied_and_read_only_ones_protected(project: Path, tmp_path: Path) -> None:
    manager = WorkspaceManager(tmp_path / "base", timedelta(0))
    mounts = [
        WorkspaceMount(source="./docs", destination="/workspace/reference", read_only=True),
        WorkspaceMount(source="./src", destination="/workspace/code"),
    ]
    workspace = manager.create(project, WorkspaceType.EPHEMERAL, "p", mounts=mounts)
    path = Path(workspace.path)
    assert (path / "reference" / "guide.md").read_text() == "# guide\n"
    assert (path / "reference" / "guide.md").stat().st_mode & 0o222 == 0  # no write bits
    (path / "code" / "app.py").write_text("x = 2\n")  # writable
    assert (project / "src" / "app.py").read_text() == "x = 1\n"  # the project is untouched
    manager.release(workspace)
    assert not path.exists()  # read-only files do not stop the cleanup


def test_a_mount_from_outside_the_project_is_refused(project: Path, tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    manager = WorkspaceManager(tmp_path / "base", timedelta(0))
    with pytest.raises(WorkspaceError, match="outside the project"):
        manager.create(project, WorkspaceType.EPHEMERAL, "p",
                       mounts=[WorkspaceMount(source="../secrets", destination="/workspace/s")])  # fmt: skip


def test_a_snapshot_puts_back_changed_created_deleted_and_linked_files(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "src").mkdir(parents=True)
    (work / "src" / "app.py").write_text("print('app')\n")
    (work / "gone.txt").write_text("keep me\n")
    (work / "link").symlink_to("src/app.py")
    locked = work / "locked.txt"
    locked.write_text("read-only\n")
    locked.chmod(0o444)
    (work / "workspace.json").write_text("{}")
    before = {p.relative_to(work): p.read_bytes() for p in work.rglob("*") if p.is_file()}

    snapshot = Snapshot.take(work, tmp_path / "base")
    (work / "src" / "app.py").write_text("print('changed')\n")
    (work / "gone.txt").unlink()
    (work / "new" / "deep").mkdir(parents=True)
    (work / "new" / "deep" / "file.txt").write_text("made by the run\n")
    (work / "link").unlink()
    (work / "link").symlink_to("gone.txt")
    locked.chmod(0o644)
    locked.write_text("changed anyway\n")
    (work / "workspace.json").write_text('{"state": "active"}')  # the manager's, not the run's

    touched = snapshot.restore()
    snapshot.discard()
    assert touched == ["gone.txt", "link", "locked.txt", "new/deep/file.txt", "src/app.py"]
    after = {p.relative_to(work): p.read_bytes() for p in work.rglob("*") if p.is_file()}
    assert after == {**before, Path("workspace.json"): b'{"state": "active"}'}
    assert (work / "link").readlink() == Path("src/app.py")
    assert not (work / "new").exists()
    assert not any((tmp_path / "base").iterdir())  # the copy is gone
