"""The AI actions there are, their titles, and a workspace's own ones: what listing code actions
needs, kept apart from running them (which needs the providers, context and proposals)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from wave_lsp.config.paths import WAVE_DIR

__all__ = ["CUSTOM_DIR", "EDITING", "TITLES", "ActionKind", "custom_actions"]


class ActionKind(StrEnum):
    FIX = "fix"
    EXPLAIN = "explain"
    REFACTOR = "refactor"
    DOCSTRINGS = "docstrings"
    TESTS = "tests"
    REVIEW = "review"
    ASK = "ask"
    CUSTOM = "custom"
    """A workspace's own action: ``.wave/actions/<name>.md`` (its first ``# `` line is the title,
    the rest the prompt); it edits code like a refactor."""


EDITING = frozenset(
    {
        ActionKind.FIX,
        ActionKind.REFACTOR,
        ActionKind.DOCSTRINGS,
        ActionKind.TESTS,
        ActionKind.CUSTOM,
    }
)
CUSTOM_DIR = ("actions",)
"""Where a workspace's own actions live, under ``.wave/``."""


def custom_actions(root: Path) -> list[tuple[str, str]]:
    """``(name, title)`` of every ``.wave/actions/*.md`` (blocking: reads files)."""
    folder = root.joinpath(WAVE_DIR, *CUSTOM_DIR)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.md")):
        try:
            first = path.read_text(encoding="utf-8").lstrip().splitlines()[0]
        except (OSError, UnicodeDecodeError, IndexError):
            continue
        title = first[2:].strip() if first.startswith("# ") else path.stem.replace("-", " ")
        found.append((path.stem, title))
    return found


TITLES = {
    ActionKind.EXPLAIN: "Explain this code",
    ActionKind.REFACTOR: "Refactor selection…",
    ActionKind.DOCSTRINGS: "Add docstrings",
    ActionKind.TESTS: "Write tests for this",
    ActionKind.REVIEW: "Review this file",
}
