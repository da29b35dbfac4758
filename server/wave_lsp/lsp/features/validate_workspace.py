"""`wave.validate.workspace`: the validation rules over every file of a workspace (the same
run as `wave check`), with cancellable $/progress, results published as diagnostics."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from wave_lsp.lsp.convert import finding_to_diagnostic, path_of, uri_of
from wave_lsp.lsp.features.base import Feature

if TYPE_CHECKING:
    from wave_lsp.lsp.workspaces import Loaded
    from wave_lsp.validation.runner import RunResult

COMMAND = "wave.validate.workspace"
SOURCE = "wave-workspace"
REPORT_EVERY = 10


class ValidateWorkspace(Feature):
    name = "validate-workspace"

    def commands(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        return {COMMAND: self.run}

    async def run(self, *arguments: Any) -> dict[str, Any]:
        server = self.server
        root = self._root(arguments)
        if root is None:
            raise ValueError(f"{COMMAND}: no workspace folder; pass a folder URI")
        token = await server.begin_progress("Wave: validating the workspace", percentage=0)
        loop = asyncio.get_running_loop()
        stop = threading.Event()
        texts = {
            path: document.source
            for uri, document in list(server.workspace.text_documents.items())
            if (path := path_of(uri)) is not None
        }

        def report(done: int, total: int, relative: str) -> None:
            if token is not None and (done % REPORT_EVERY == 0 or done == total):
                server.work_done_progress.report(
                    token,
                    types.WorkDoneProgressReport(
                        message=f"{done}/{total} {relative}",
                        percentage=int(done * 100 / max(total, 1)),
                    ),
                )

        def cancelled() -> bool:
            return stop.is_set() or server.progress_cancelled(token)

        def work() -> tuple[Loaded, RunResult, dict[str, list[str]]]:
            from wave_lsp.validation.files import collect_files
            from wave_lsp.validation.runner import check_files

            loaded = server.workspace_configs.get_blocking(root)
            files = list(collect_files(root))
            persona, permissions = loaded.persona(server.persona_of(root))

            def on_file(done: int, relative: str) -> None:
                loop.call_soon_threadsafe(report, done, len(files), relative)

            result = check_files(
                root,
                loaded.engine,
                files,
                persona=persona,
                permissions=permissions,
                texts=texts,
                progress=on_file,
                cancelled=cancelled,
            )
            lines = {}
            for relative in {f.path for f in result.findings}:
                path = root / relative
                text = texts.get(path) or path.read_text(encoding="utf-8", errors="replace")
                lines[relative] = text.splitlines(keepends=True)
            return loaded, result, lines

        from wave_lsp.validation.runner import Cancelled

        try:
            loaded, result, lines = await asyncio.to_thread(work)
        except (asyncio.CancelledError, Cancelled):
            stop.set()
            if token is not None:
                server.work_done_progress.end(token, types.WorkDoneProgressEnd(message="cancelled"))
            raise asyncio.CancelledError from None
        self._publish(root, result, lines)
        from wave_lsp.validation.report import build_report

        report_ = build_report(
            str(root),
            list(loaded.workspace.rules.values()),
            result.findings,
            result.failures,
            timedelta(seconds=result.duration),
        )
        summary = report_.summary
        message = (
            f"{len(result.files)} files, {len(result.findings)} findings "
            f"({summary.critical} critical, {summary.errors} errors, {summary.warnings} warnings)"
        )
        if token is not None:
            server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
        return {
            "root": str(root),
            "files": len(result.files),
            "findings": len(result.findings),
            "status": report_.status.value,
            "summary": summary.model_dump(),
        }

    def _root(self, arguments: tuple[Any, ...]) -> Path | None:
        if arguments and isinstance(arguments[0], str):
            return path_of(arguments[0])
        folders = self.server.folder_paths()
        return folders[0] if folders else None

    def _publish(self, root: Path, result: RunResult, lines_of: dict[str, list[str]]) -> None:
        """Findings of files that are not open (open ones have live diagnostics)."""
        by_path: dict[str, list[Any]] = {}
        for finding in result.findings:
            by_path.setdefault(finding.path, []).append(finding)
        store = self.server.diagnostics
        open_uris = set(self.server.workspace.text_documents)
        for uri in store.uris(SOURCE):
            if uri not in open_uris:
                store.clear(SOURCE, uri)
        for relative, findings in by_path.items():
            uri = uri_of(root / relative)
            if uri in open_uris:
                continue
            lines = lines_of[relative]
            codec = self.server.workspace.position_codec
            store.set(SOURCE, uri, [finding_to_diagnostic(f, lines, codec) for f in findings])
