"""The proposal store: proposals and backups on disk survive a restart; old ones are pruned; a
backup never lands outside the workspace's state."""

from __future__ import annotations

from pathlib import Path

import pytest

from wave_lsp.edits.changes import PathError, plan_changes
from wave_lsp.edits.extract import extract_patches
from wave_lsp.edits.proposals import ProposalStatus, ProposalStore, make_proposal, replan

DIFF = "--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n"


def proposal_in(root: Path) -> ProposalStore:
    (root / "a.txt").write_text("one\ntwo\nthree\n")
    return ProposalStore(root, root.parent / "state")


def make(root: Path):  # type: ignore[no-untyped-def]
    changes = plan_changes(root, extract_patches(DIFF), lambda p: p.read_text())
    return make_proposal(changes, "test", lambda _: None)


def test_proposals_and_backups_survive_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    store = proposal_in(root)
    proposal = make(root)
    proposal.files[0].backup_path = store.back_up(proposal, "a.txt", "one\ntwo\nthree\n")
    proposal.status = ProposalStatus.APPLIED
    store.save(proposal)
    again = ProposalStore(root, tmp_path / "state")  # a new server process
    loaded = again.get(proposal.id)
    assert loaded is not None and loaded.status is ProposalStatus.APPLIED
    assert loaded.files[0].unified_diff == proposal.files[0].unified_diff
    assert again.read_backup(loaded.files[0]) == "one\ntwo\nthree\n"
    assert [p.id for p in again.all()] == [proposal.id]


def test_retention_prunes_the_oldest(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    store = proposal_in(root)
    store.retention = 3
    ids = []
    for _ in range(5):
        proposal = make(root)
        store.back_up(proposal, "a.txt", "x")
        store.save(proposal)
        ids.append(proposal.id)
    kept = [p.id for p in store.all()]
    assert len(kept) == 3 and set(kept) <= set(ids)
    assert len(list((tmp_path / "state" / "backups").iterdir())) == 3


def test_backups_stay_inside(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    store = proposal_in(root)
    with pytest.raises(PathError):
        store.back_up(make(root), "../../etc/passwd", "x")
    assert store.get("../../etc/passwd") is None


def test_replanning_against_a_changed_text(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    proposal_in(root)
    [file] = make(root).files
    assert replan(file, "one\ntwo\nthree\n") == ("one\nTWO\nthree\n", "")
    assert replan(file, "zero\none\ntwo\nthree\n") == ("zero\none\nTWO\nthree\n", "")
    text, reason = replan(file, "something else\n")
    assert text is None and "no longer applies" in reason and "'two'" in reason
    assert replan(file, None) == (None, "a.txt no longer exists")
