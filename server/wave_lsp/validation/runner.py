"""Check many files at once: what `wave check` and the `wave.validate.workspace` command do."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wave_lsp.validation.engine import Engine, Finding, RuleFailure, Snapshot
from wave_lsp.validation.files import collect_files, read_text_file

Progress = Callable[[int, str], None]
"""Called after each file with the count done so far and the file's relative path."""


class Cancelled(Exception):
    """The run was cancelled before it finished."""


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    failures: list[RuleFailure] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    duration: float = 0.0


def check_files(
    root: Path,
    engine: Engine,
    paths: Sequence[Path] | None = None,
    *,
    persona: str | None = None,
    permissions: Sequence[str] = (),
    texts: dict[Path, str] | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> RunResult:
    """Run ``engine`` over the files under ``paths``. ``texts`` replaces files' content (the
    unsaved text of open documents). Paths in findings are relative to ``root``."""
    began = time.perf_counter()
    root = root.resolve()
    result = RunResult()
    for done, path in enumerate(collect_files(root, list(paths) if paths else None), start=1):
        if cancelled is not None and cancelled():
            raise Cancelled
        text = (texts or {}).get(path)
        if text is None:
            text = read_text_file(path)
        try:
            relative = path.relative_to(root).as_posix()
        except ValueError:
            relative = path.as_posix()
        if text is not None:
            checked = engine.check(Snapshot.of(relative, text), persona, permissions)
            result.findings.extend(checked.findings)
            result.failures.extend(checked.failures)
            result.files.append(relative)
        if progress is not None:
            progress(done, relative)
    result.duration = time.perf_counter() - began
    return result
