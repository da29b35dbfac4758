"""The validation engine: compiled rules run over an immutable document snapshot and return
findings. It never raises on bad input: a rule that fails on a document is reported as a
``RuleFailure`` and the other rules still run. The parts: :mod:`~wave_lsp.validation.findings`
(snapshots and findings), :mod:`~wave_lsp.validation.compiled` (a rule and its matching),
:mod:`~wave_lsp.validation.text_index` (positions, keywords, blocks)."""

from __future__ import annotations

import operator
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wave_lsp.config.problems import Span
from wave_lsp.validation.compiled import CompiledRule
from wave_lsp.validation.conditions import ConditionError
from wave_lsp.validation.findings import (
    Finding,
    Fix,
    Locality,
    RuleError,
    RuleFailure,
    Snapshot,
)
from wave_lsp.validation.incremental import chunk_lines, line_change
from wave_lsp.validation.keywords import KeywordSearch
from wave_lsp.validation.languages import INDENT_BLOCKS, applies
from wave_lsp.validation.rule_parts import file_variables
from wave_lsp.validation.text_index import LineIndex

__all__ = [
    "CheckResult",
    "CheckState",
    "CompiledRule",
    "Engine",
    "Finding",
    "Fix",
    "LineIndex",
    "Locality",
    "RuleError",
    "RuleFailure",
    "Snapshot",
    "file_variables",
]


@dataclass
class CheckResult:
    findings: list[Finding]
    failures: list[RuleFailure]
    duration: float
    state: CheckState | None = None
    """What a later check of the next version can start from (``Engine.check``'s
    ``previous``)."""
    rechecked: tuple[int, int] | None = None
    """The lines (new numbering, end excluded) whose local findings were re-made, when the check
    started from a previous one; None for a full check."""


@dataclass(frozen=True)
class CheckState:
    """A checked version: its text, line index and findings, and who it was checked for."""

    engine: Engine
    path: str
    language: str
    text: str
    index: LineIndex
    persona: str | None
    permissions: tuple[str, ...]
    findings: list[Finding]


def _moved(finding: Finding, delta: int) -> Finding:
    """``finding`` on lines ``delta`` further down (its columns unchanged: whole lines moved)."""
    span = finding.span
    fix = finding.fix
    if fix is not None:
        fix = Fix(
            Span(
                fix.span.line + delta,
                fix.span.column,
                fix.span.end_line + delta,
                fix.span.end_column,
            ),
            fix.replacement,
            fix.applicability,
            fix.title,
        )
    return Finding(
        finding.rule_id,
        finding.rule_name,
        finding.severity,
        finding.type,
        finding.message,
        Span(span.line + delta, span.column, span.end_line + delta, span.end_column),
        finding.path,
        fix,
        finding.url,
        finding.captures,
    )


FINDING_ORDER = operator.attrgetter("span.line", "span.column", "rule_id")
"""Findings in the order of the text (a C-level key: thousands of findings sort in ~1 ms)."""


class Engine:
    """Runs a set of compiled rules; rules are grouped per language once, on first use."""

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self.rules = list(rules)
        self._by_language: dict[str, list[CompiledRule]] = {}
        self._keywords: dict[str, KeywordSearch] = {}

    def _for_language(self, language: str) -> list[CompiledRule]:
        rules = self._by_language.get(language)
        if rules is None:
            rules = [r for r in self.rules if applies(r.rule.languages, language)]
            self._by_language[language] = rules
            self._keywords[language] = KeywordSearch(k for r in rules for k in r.keywords)
        return rules

    def check(
        self,
        snapshot: Snapshot,
        persona: str | None = None,
        permissions: Sequence[str] = (),
        previous: CheckState | None = None,
    ) -> CheckResult:
        """Every applicable rule's findings in ``snapshot``. With ``previous`` (the state of a
        check of an earlier version of the same document), rules whose findings depend only
        on their line or top-level statement re-check just the lines the edit touched, and
        keep (moved) their other findings: the same findings as a full check, found in time
        proportional to the edit. Rules about the whole text always run in full."""
        began = time.perf_counter()
        findings: list[Finding] = []
        failures: list[RuleFailure] = []
        index = LineIndex(snapshot.text)
        rules = self._for_language(snapshot.language)
        if self._keywords[snapshot.language].keywords:
            index.keyword_search = self._keywords[snapshot.language]
        file_vars = file_variables(snapshot, index)
        persona_vars = {"name": persona or "", "permissions": list(permissions)}
        reuse = self._reusable(previous, snapshot, index, persona, permissions)
        plan = _Recheck(previous, snapshot.text, index) if reuse and previous else None
        for compiled in rules:
            if not compiled.applies_to(snapshot.path, snapshot.language, persona):
                continue
            try:
                if plan is not None and compiled.locality is not Locality.TEXT:
                    findings.extend(plan.run(compiled, snapshot, index, file_vars, persona_vars))
                else:
                    findings.extend(compiled.run(snapshot, index, file_vars, persona_vars))
            except (ConditionError, RecursionError, ValueError, TypeError) as error:
                failures.append(RuleFailure(compiled.rule.id, snapshot.path, str(error)))
        findings.sort(key=FINDING_ORDER)
        state = CheckState(
            self,
            snapshot.path,
            snapshot.language,
            snapshot.text,
            index,
            persona,
            tuple(permissions),
            findings,
        )
        return CheckResult(
            findings,
            failures,
            time.perf_counter() - began,
            state if not failures else None,  # a failed rule's findings are not all there
            plan.lines if plan is not None else None,
        )

    def _reusable(
        self,
        previous: CheckState | None,
        snapshot: Snapshot,
        index: LineIndex,
        persona: str | None,
        permissions: Sequence[str],
    ) -> bool:
        return (
            previous is not None
            and previous.engine is self
            and previous.path == snapshot.path
            and previous.language == snapshot.language
            and previous.persona == persona
            and previous.permissions == tuple(permissions)
            and not previous.index.cr
            and not index.cr
        )


class _Recheck:
    """One re-check after an edit: which lines changed, and, per rule, the findings kept."""

    def __init__(self, previous: CheckState, text: str, index: LineIndex) -> None:
        self.change = line_change(previous.text, text, previous.index.starts, index.starts)
        self.text = text
        self.index = index
        self.previous: dict[str, list[Finding]] = {}
        for finding in previous.findings:
            self.previous.setdefault(finding.rule_id, []).append(finding)
        self._statement: tuple[int, int] | None = None
        first, end = self.change.first, self.change.new_end
        self.lines = (first, end)

    def _statement_lines(self) -> tuple[int, int]:
        if self._statement is None:
            change = self.change
            self._statement = chunk_lines(
                self.text, self.index.starts, change.first, change.new_end
            )
            self.lines = (
                min(self.lines[0], self._statement[0]),
                max(self.lines[1], self._statement[1]),
            )
        return self._statement

    def run(
        self,
        compiled: CompiledRule,
        snapshot: Snapshot,
        index: LineIndex,
        file_vars: Mapping[str, Any],
        persona_vars: Mapping[str, Any],
    ) -> list[Finding]:
        if compiled.locality is Locality.STATEMENT:
            if snapshot.language not in INDENT_BLOCKS:
                return list(compiled.run(snapshot, index, file_vars, persona_vars))
            first, end = self._statement_lines()
        else:
            first, end = self.change.first, self.change.new_end
        delta = self.change.delta
        old_end = end - delta
        kept = []
        for finding in self.previous.get(compiled.rule.id, ()):
            line = finding.span.line
            if line < first:
                kept.append(finding)
            elif line >= old_end:
                kept.append(_moved(finding, delta) if delta else finding)
        if end > first:
            starts = index.starts
            region_end = starts[end] - 1 if end < len(starts) else len(self.text)
            kept.extend(
                compiled.run(snapshot, index, file_vars, persona_vars, (starts[first], region_end))
            )
        return kept
