"""Validation-rule findings on open documents: checked on a worker thread of their own after a
short pause in edits (half the document's last check time; a burst sent at once costs one
check), with edits that arrive during a check folded into one more check after it; after an
edit only what it touched is re-checked; versioned so that a stale result is never published;
served by push or by pull. Quick fixes and "fix all" read the stored findings; they never run
the engine."""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.workspace import PositionCodec, TextDocument

from wave_lsp.asyncutil import Coalescer, Debouncer
from wave_lsp.lsp.convert import (
    finding_json,
    finding_to_diagnostic,
    fix_to_edit,
    path_of,
    workspace_edit,
)
from wave_lsp.lsp.documents import LineArrayDocument
from wave_lsp.lsp.features.base import Feature

if TYPE_CHECKING:
    from wave_lsp.lsp.server import WaveLanguageServer
    from wave_lsp.validation.engine import CheckState, Finding

logger = logging.getLogger(__name__)

SOURCE = "wave-rules"
MAX_QUIET = 0.15
"""The longest pause in edits a check waits for, unless the settings fix one (debounceMs)."""
RECHECK_GUESS = 0.002
"""What a re-check after an edit is taken to cost until one has been timed (seconds)."""
FIX_ALL_KIND = "source.fixAll.wave"
KEPT_STATES = 8


@dataclass(frozen=True)
class Checked:
    """What a check leaves for the next check of the same document: the engine's state, and
    each finding's diagnostic as JSON text by the finding's id (the state keeps the findings
    alive, so an id names one finding)."""

    state: CheckState
    wire: dict[int, str]


@dataclass(frozen=True)
class StoredFindings:
    version: int | None
    findings: list[Finding]


def _check(
    server: WaveLanguageServer,
    path: Path,
    text: str,
    language_id: str | None,
    codec: PositionCodec,
    *,
    previous: Checked | None,
) -> tuple[list[Finding], str, Checked | None]:
    """On a worker thread: find the workspace, load its rules if needed, run the engine
    (re-checking only what changed since ``previous``); the findings (paths relative to the
    root, as `wave check` prints them), their diagnostics, and the state for the next check."""
    from wave_lsp.validation.engine import Snapshot

    configs = server.workspace_configs
    root = configs.root_for(path)
    loaded = configs.get_blocking(root)
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        relative = path.as_posix()
    persona, permissions = loaded.persona(server.persona_of(root))
    snapshot = Snapshot.of(relative, text, language_id or None)
    result = loaded.engine.check(
        snapshot, persona, permissions, previous.state if previous is not None else None
    )
    for failure in result.failures:
        logger.warning("rule %s failed on %s: %s", failure.rule_id, failure.path, failure.message)
    client_codec = None if text.isascii() else codec
    # A finding a re-check kept is the same object, on unchanged lines: its text is reused.
    known = previous.wire if previous is not None else {}
    wire: dict[int, str] = {}
    lines: list[Sequence[str]] = []
    for finding in result.findings:
        fragment = known.get(id(finding))
        if fragment is None:
            if not lines:
                lines.append(text.splitlines(keepends=True))
            fragment = finding_json(finding, lines[0], client_codec)
        wire[id(finding)] = fragment
    encoded = ",".join(wire.values())
    checked = Checked(result.state, wire) if result.state is not None else None
    return result.findings, encoded, checked


def _preimport() -> None:
    import wave_lsp.config.client_settings
    import wave_lsp.config.workspace
    import wave_lsp.validation.engine  # noqa: F401


class RuleDiagnostics(Feature):
    name = "rule-diagnostics"

    def __init__(self, server: WaveLanguageServer) -> None:
        super().__init__(server)
        self.runner = Coalescer()
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wave-rules")
        """Checks run here, one at a time: they hold the GIL, so more threads would not check
        faster, and each thread's malloc arena would keep memory (a thousand documents opened
        at once grew the server by 30 MiB over six threads)."""
        self.quiet = Debouncer(MAX_QUIET)
        self.durations: dict[str, tuple[float, float]] = {}
        """How long each document's last full check and last re-check (see ``states``) took, in
        seconds: the pause before its next check follows from them."""
        self.stored: dict[str, StoredFindings] = {}
        self.states: dict[str, Checked] = {}
        """The last check of the most recently checked documents, to re-check only what an edit
        changed (a few only: each holds its version's text)."""
        self._settled: dict[str, asyncio.Event] = {}
        self._lines_kept: set[str] = set()
        self._preimport: threading.Thread | None = None
        server.workspace_configs.listeners.append(self._config_changed)
        server.sessions.persona_listeners.append(self._persona_changed)
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- events ----------------------------------------------------------------------------

    def initialize(self, params: types.InitializeParams) -> None:
        # Import the configuration models and the engine while the client reads our answer:
        # the first document otherwise waits for them.
        self._preimport = threading.Thread(target=_preimport, name="wave-preimport", daemon=True)
        self._preimport.start()
        store = self.server.diagnostics
        store.pull = self.server.client_supports("text_document.diagnostic")
        if store.pull and self.server.client_supports("workspace.diagnostics.refresh_support"):
            store.on_pull_change = self._request_refresh

    def before_documents(self) -> None:
        """Wait for the engine's import (begun at ``initialize``, while the client read the
        answer): documents read during it were allocated between the modules' objects, and a
        thousand opened at once then kept 20-30 MiB more (allocator fragmentation)."""
        if self._preimport is not None:
            self._preimport.join(timeout=30)

    def _request_refresh(self) -> None:
        self.server.workspace_diagnostic_refresh(None)

    async def initialized(self) -> None:
        """Load each workspace folder's rules now, on a worker thread, so that the first opened
        document does not wait for them."""
        self._loop = asyncio.get_running_loop()
        for folder in self.server.folder_paths():
            self.server.loop_task(asyncio.to_thread(self._prewarm, folder))

    def _prewarm(self, folder: Path) -> None:
        configs = self.server.workspace_configs
        configs.get_blocking(configs.root_for(folder / "__prewarm__"))

    def did_open(self, document: TextDocument) -> None:
        self.schedule(document.uri, quiet=0.0)

    def did_change(self, document: TextDocument) -> None:
        self.schedule(document.uri, self.quiet_for(document.uri))

    def quiet_for(self, uri: str) -> float:
        """The pause in edits a check waits for: the settings' debounceMs, else half as long as
        the document's last check took (edits sent together then cost one check, and a cheap
        check follows the typing closely), at most MAX_QUIET."""
        fixed = self.server.settings.debounce_ms
        if fixed is not None:
            return fixed / 1000
        full, recheck = self.durations.get(uri, (2 * MAX_QUIET, RECHECK_GUESS))
        return min(MAX_QUIET, (recheck if uri in self.states else full) / 2)

    def did_close(self, uri: str) -> None:
        self.stored.pop(uri, None)
        self.states.pop(uri, None)
        self.durations.pop(uri, None)
        self._settled.pop(uri, None)
        self._lines_kept.discard(uri)
        self.server.diagnostics.clear(SOURCE, uri)

    def settings_changed(self) -> None:
        # The editor's settings are a configuration layer: loaded configurations are stale.
        # Re-checked at once: a settings change is no burst of typing to wait out (the first
        # settings, right after `initialized`, once held the first document's check back by
        # the typing pause, 150 ms).
        self.server.workspace_configs.invalidate()
        for uri in list(self.server.workspace.text_documents):
            self.schedule(uri, quiet=0.0)

    def files_changed(self, uris: list[str]) -> None:
        self.server.workspace_configs.invalidate()

    def _config_changed(self, root: Path) -> None:
        for uri in list(self.server.workspace.text_documents):
            path = path_of(uri)
            if path is not None and path.is_relative_to(root):
                self.schedule(uri, quiet=0.0)

    def _persona_changed(self, root: Path) -> None:
        """Another persona: its rules apply now, checked afresh (no finding of the previous
        persona's check is kept). May be told from a worker thread."""

        def recheck() -> None:
            for uri in list(self.server.workspace.text_documents):
                path = path_of(uri)
                if path is not None and path.resolve().is_relative_to(root):
                    self.states.pop(uri, None)
                    self.schedule(uri, quiet=0.0)

        if self._loop is not None:
            self._loop.call_soon_threadsafe(recheck)

    async def shutdown(self) -> None:
        await self.quiet.close()
        await self.runner.close()
        self.worker.shutdown(wait=False, cancel_futures=True)

    async def settle(self, uri: str) -> None:
        event = self._settled.get(uri)
        if event is not None:
            try:
                await asyncio.wait_for(event.wait(), 30)
            except TimeoutError:
                logger.warning("diagnostics for %s did not settle in 30 s", uri)

    # -- checking --------------------------------------------------------------------------

    def schedule(self, uri: str, quiet: float | None = None) -> None:
        event = self._settled.setdefault(uri, asyncio.Event())
        event.clear()

        async def start() -> None:
            self.runner.schedule(uri, lambda: self.check(uri))

        self.quiet.schedule(uri, start, quiet)

    async def check(self, uri: str) -> None:
        document = self.server.workspace.text_documents.get(uri)
        path = path_of(uri)
        if document is None or path is None:
            self._mark_settled(uri)
            return
        version, text = document.version, document.source
        began = time.perf_counter()
        previous = self.states.pop(uri, None)
        findings, diagnostics, state = await asyncio.get_running_loop().run_in_executor(
            self.worker,
            functools.partial(
                _check,
                self.server,
                path,
                text,
                document.language_id,
                document.position_codec,
                previous=previous,
            ),
        )
        took = time.perf_counter() - began
        full, recheck = self.durations.get(uri, (took, RECHECK_GUESS))
        self.durations[uri] = (full, took) if previous is not None else (took, recheck)
        if state is not None and uri in self.server.workspace.text_documents:
            self.states[uri] = state
            while len(self.states) > KEPT_STATES:
                del self.states[next(iter(self.states))]  # the least recently checked
        current = self.server.workspace.text_documents.get(uri)
        if current is None or current.version != version:
            return  # stale: a newer check is scheduled (or the document closed)
        # Only findings with a fix are kept: code actions need nothing else (memory stays small
        # with a thousand open documents).
        self.stored[uri] = StoredFindings(version, [f for f in findings if f.fix is not None])
        self.server.diagnostics.set_encoded(SOURCE, uri, diagnostics, version)
        self._mark_settled(uri)
        for checked_uri in self._released(uri):
            document = self.server.workspace.text_documents.get(checked_uri)
            if isinstance(document, LineArrayDocument):
                document.release_lines()

    def _released(self, uri: str) -> list[str]:
        """The documents whose line lists to drop after a check of ``uri``: it, unless it is
        among the recently checked (``states``: likely edited next, whose first edit would
        split the whole text again), and any that has left that group."""
        if uri in self.states:
            self._lines_kept.add(uri)
            stale = [kept for kept in self._lines_kept if kept not in self.states]
            self._lines_kept.difference_update(stale)
            return stale
        return [uri]

    def _mark_settled(self, uri: str) -> None:
        event = self._settled.get(uri)
        if event is not None:
            event.set()

    # -- fixes -----------------------------------------------------------------------------

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        stored = self.stored.get(uri)
        document = self.server.workspace.text_documents.get(uri)
        if stored is None or document is None or document.version != stored.version:
            return []
        only = params.context.only
        codec = document.position_codec
        if not stored.findings:
            return []
        # Lines are read only when an edit is built: a checked document has released its line
        # list, and listing actions must not re-split the whole text on every request.
        cached: list[Sequence[str]] = []

        def lines() -> Sequence[str]:
            if not cached:
                cached.append(document.lines)
            return cached[0]

        document_changes = self.server.client_supports("workspace.workspace_edit.document_changes")
        actions: list[types.CodeAction] = []
        wants_quickfix = only is None or any(
            kind == types.CodeActionKind.QuickFix or kind.startswith("quickfix") for kind in only
        )
        if wants_quickfix:
            # Encodings change characters, never lines: the requested lines need no conversion.
            first, last = params.range.start.line, params.range.end.line
            for finding in stored.findings:
                if finding.fix is None or not _overlaps(finding, first, last):
                    continue
                edit = fix_to_edit(finding.fix, lines(), codec)
                unsafe = finding.fix.applicability == "unsafe"
                title = f"{finding.fix.title} ({finding.rule_id})"
                actions.append(
                    types.CodeAction(
                        title=f"{title} [unsafe fix]" if unsafe else title,
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[finding_to_diagnostic(finding, lines(), codec)],
                        edit=workspace_edit(uri, stored.version, [edit], document_changes),
                        is_preferred=not unsafe,
                    )
                )
        wants_fix_all = (
            only is not None and any(FIX_ALL_KIND.startswith(kind) for kind in only)
        ) or only is None
        if wants_fix_all:
            from wave_lsp.validation.fixes import safe_fixes

            fixes = safe_fixes(stored.findings)
            if fixes:
                edits = [fix_to_edit(fix, lines(), codec) for fix in fixes]
                actions.append(
                    types.CodeAction(
                        title=f"Fix all safe Wave problems ({len(fixes)})",
                        kind=FIX_ALL_KIND,
                        edit=workspace_edit(uri, stored.version, edits, document_changes),
                    )
                )
        return actions


def _overlaps(finding: Finding, first_line: int, last_line: int) -> bool:
    span = finding.span
    return span.line <= last_line and span.end_line >= first_line
