"""A worker's kept workspaces (`pipelines/temporal/loaded.py`): one load for the runs that ask
together, the same workspace while its files are unchanged, a fresh one after an edit, a new
file or a removed one."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import WriteFile
from wave_lsp.pipelines.temporal.loaded import workspace_of

ONE = "pipeline:\n  id: one\n  name: One\n  tasks:\n    - {id: t, type: shell, command: [x]}\n"


def test_runs_that_ask_together_share_one_load(write: WriteFile, workspace: Path) -> None:
    write(".wave/pipelines/one.yaml", ONE)
    with ThreadPoolExecutor(8) as pool:
        loaded = list(pool.map(lambda _: workspace_of(str(workspace)), range(16)))
    assert len({id(w) for w in loaded}) == 1  # one parse, not sixteen
    assert workspace_of(str(workspace)) is loaded[0]  # unchanged files: kept


def test_a_changed_file_is_read_at_the_next_use(write: WriteFile, workspace: Path) -> None:
    write(".wave/pipelines/one.yaml", ONE)
    first = workspace_of(str(workspace))
    path = workspace / ".wave/pipelines/one.yaml"
    path.write_text(ONE.replace("name: One", "name: Renamed"))
    os.utime(path, ns=(time.time_ns() + 10**9,) * 2)  # a later time, however coarse the clock
    edited = workspace_of(str(workspace))
    assert edited is not first and edited.pipelines["one"].value.name == "Renamed"
    write(".wave/pipelines/two.yaml", ONE.replace("id: one", "id: two"))
    added = workspace_of(str(workspace))
    assert sorted(p for p in added.pipelines if p in ("one", "two")) == ["one", "two"]
    (workspace / ".wave/pipelines/two.yaml").unlink()
    assert "two" not in workspace_of(str(workspace)).pipelines
