"""The files an agent works on: what it writes is held here, over the workspace, until the run
ends and becomes one proposal (or, in a pipeline's copy of the project, is also written through
to that copy so the commands it runs see it). Nothing is written to the user's workspace behind
their back, and a cancelled run leaves no partial edit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from wave_lsp.config.atomic import atomic_write_text
from wave_lsp.edits.changes import inside
from wave_lsp.edits.patch import FilePatch

ReadFile = Callable[[Path], str | None]
"""The current text of a file (the editor's unsaved buffer, else the disk); ``None`` when it
does not exist. Blocking: called from worker threads."""


class AgentFiles:
    def __init__(self, root: Path, read: ReadFile, *, write_through: bool = False) -> None:
        self.root = root.resolve()
        self._read = read
        self.write_through = write_through
        self._texts: dict[str, str | None] = {}
        """Relative path → the agent's text (``None``: deleted)."""
        self._originals: dict[str, str | None] = {}

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix()

    def read(self, path: Path) -> str | None:
        """The text as the agent sees it: its own writes first."""
        relative = self.relative(path)
        if relative in self._texts:
            return self._texts[relative]
        return self._read(path)

    def write(self, path: Path, text: str | None) -> None:
        relative = self.relative(path)
        if relative not in self._originals:
            self._originals[relative] = self._read(path)
        self._texts[relative] = text
        if self.write_through:
            target = inside(self.root, relative)
            if text is None:
                target.unlink(missing_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_text(target, text)

    def snapshot(self) -> tuple[dict[str, str | None], dict[str, str | None]]:
        """The held texts now (an edit staged for approval is undone with ``restore``)."""
        return dict(self._texts), dict(self._originals)

    def restore(self, state: tuple[dict[str, str | None], dict[str, str | None]]) -> None:
        self._texts, self._originals = dict(state[0]), dict(state[1])

    def since(
        self, state: tuple[dict[str, str | None], dict[str, str | None]]
    ) -> dict[str, tuple[str | None, str | None]]:
        """Each file whose held text changed after ``state``: (before, after)."""
        texts, _ = state
        changed: dict[str, tuple[str | None, str | None]] = {}
        for relative, text in sorted(self._texts.items()):
            before = texts[relative] if relative in texts else self._originals[relative]
            if text != before:
                changed[relative] = (before, text)
        return changed

    def created(self) -> list[str]:
        """Files the agent made that the workspace did not have (listed with the rest)."""
        return [r for r, text in self._texts.items() if text is not None and not self._originals[r]]

    def changed(self) -> dict[str, tuple[str | None, str | None]]:
        """Each file whose text differs from what it was: (before, after)."""
        return {
            relative: (self._originals[relative], text)
            for relative, text in sorted(self._texts.items())
            if text != self._originals[relative]
        }

    def patches(self) -> list[FilePatch]:
        """The agent's changes as whole-file patches (a proposal is planned from them)."""
        return [
            FilePatch(relative, relative, whole_text=after)
            for relative, (_, after) in self.changed().items()
            if after is not None
        ]
