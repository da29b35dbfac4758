"""The files a user added to the context (``wave.context.add``): in the order added, each read
when a request is built (an edit made since is what is sent), sent with every request and shown
by the context report. The front ends change it; the actions read it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path


class ContextFiles:
    def __init__(self) -> None:
        self._paths: dict[Path, None] = {}

    def add(self, path: Path) -> None:
        self._paths[path] = None

    def remove(self, path: Path) -> bool:
        """Whether ``path`` was there."""
        return self._paths.pop(path, 0) is None

    def clear(self) -> None:
        self._paths.clear()

    def replace(self, paths: Iterable[Path]) -> None:
        self._paths = dict.fromkeys(paths)

    def __iter__(self) -> Iterator[Path]:
        return iter(list(self._paths))

    def __contains__(self, path: object) -> bool:
        return path in self._paths

    def __len__(self) -> int:
        return len(self._paths)
