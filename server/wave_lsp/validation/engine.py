"""The validation engine: compiled rules run over an immutable document snapshot and return
findings. It never raises on bad input: a rule that fails on a document is reported as a
``RuleFailure`` and the other rules still run."""

from __future__ import annotations

import bisect
import enum
import functools
import itertools
import operator
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pathspec

from wave_lsp.config.problems import Span
from wave_lsp.validation import detectors
from wave_lsp.validation.conditions import Condition, ConditionError
from wave_lsp.validation.incremental import chunk_lines, line_change
from wave_lsp.validation.keywords import KeywordSearch
from wave_lsp.validation.languages import INDENT_BLOCKS, applies, language_of
from wave_lsp.validation.models import Applicability, RuleScope, ValidationRule
from wave_lsp.validation.regex_lines import stays_on_one_line

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")
HEAD_LINES = 10
KEYWORD_WINDOW = 8
"""Lines around a keyword that a rule's patterns search (see CompiledRule._keyword_regions)."""


class Locality(enum.Enum):
    """What a rule's findings depend on, which decides what an edit makes it re-check."""

    LINE = "line"
    """Only the line each is on: patterns that stay on one line, nothing about the file."""
    STATEMENT = "statement"
    """Only the top-level statement each is in: blocks found by indentation (Python, YAML)."""
    TEXT = "text"
    """The whole text: whole-file rules, patterns that span lines, conditions or messages
    about the file or a finding's line number."""


class RuleError(ValueError):
    """A rule that cannot be compiled; ``key`` names the field at fault."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An immutable document: what the engine checks."""

    path: str
    text: str
    language: str
    version: int | None = None

    @classmethod
    def of(
        cls, path: str, text: str, language_id: str | None = None, version: int | None = None
    ) -> Snapshot:
        return cls(path, text, language_of(path, language_id), version)


class LineIndex:
    """Offsets of line starts, to turn a character offset into (line, column) in O(log n)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._has: dict[tuple[str, ...], bool] = {}
        self.keyword_search: KeywordSearch | None = None
        """All the keywords of the rules that will ask (set by the engine): found in one pass,
        when first asked about the whole text; else each is looked for when asked."""
        self._present: frozenset[str] | None = None
        self.cr = "\r" in text
        if self.cr:
            self.starts = [0]
            self.starts.extend(m.end() for m in re.finditer(r"\r\n|\n|\r", text))
        else:  # the common case, at C speed: LSP lines end at \n only (not at \x0c, \u2028, ...)
            lengths = map(operator.add, map(len, text.split("\n")), itertools.repeat(1))
            self.starts = list(itertools.accumulate(lengths, initial=0))[:-1]

    @functools.cached_property
    def lowered(self) -> str:
        """The text in lower case, for the rules' keyword pre-filter (computed once). It ends
        with a newline even when the text does not, so that "\n" in a keyword also matches at
        the end of the text, where `$` does."""
        lowered = self.text.lower()
        if len(lowered) != len(self.text):  # a few characters lower to two ('İ'): keep offsets
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in self.text)
        return lowered + "\n"

    def has_any(self, keywords: Sequence[str], region: tuple[int, int] | None = None) -> bool:
        """Whether one of ``keywords`` (lower case) is in the text, or in ``region`` of it."""
        lowered = self.lowered
        if region is None and self.keyword_search is not None:
            if self._present is None:
                self._present = self.keyword_search.found_in(self.lowered)
            return not self._present.isdisjoint(keywords)
        if region is None:
            key = tuple(keywords)
            found = self._has.get(key)
            if found is None:
                found = self._has[key] = any(k in lowered for k in keywords)
            return found
        start, end = region
        return any(lowered.find(k, start, end + len(k)) >= 0 for k in keywords)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line, offset - self.starts[line]

    def span(self, start: int, end: int) -> Span:
        starts = self.starts
        line = bisect.bisect_right(starts, start) - 1
        line_start = starts[line]
        if line + 1 == len(starts) or end < starts[line + 1]:  # on one line: no second search
            return Span(line, start - line_start, line, end - line_start)
        end_line, end_column = self.position(end)
        return Span(line, start - line_start, end_line, end_column)

    def lines_between(self, start: int, end: int) -> int:
        """How many lines the text from ``start`` to ``end`` touches."""
        if not self.cr:
            return self.text.count("\n", start, end) + 1
        return self.position(end)[0] - self.position(start)[0] + 1

    def line_text(self, line: int) -> str:
        start = self.starts[line]
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    @property
    def line_count(self) -> int:
        return len(self.starts)


@dataclass(slots=True)
class Fix:
    span: Span
    replacement: str
    applicability: Applicability
    title: str


@dataclass(slots=True)
class Finding:
    """What a rule found: where, what, and how to fix it. Not to be changed once made (not
    frozen: thousands are made per check, and a frozen dataclass is four times slower to make).
    """

    rule_id: str
    rule_name: str
    severity: str
    type: str
    message: str
    span: Span
    path: str
    fix: Fix | None = None
    url: str | None = None
    captures: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RuleFailure:
    """A rule that raised on a document (a bad condition, say): reported, never fatal."""

    rule_id: str
    path: str
    message: str


@dataclass(slots=True)
class _Match:
    start: int
    end: int
    focus: tuple[int, int]
    fix_range: tuple[int, int]
    captures: dict[str, str]
    lines: int | None = None
    """How many lines the match touches (counted when asked for: most rules never do)."""

    def line_count(self, index: LineIndex) -> int:
        if self.lines is None:
            self.lines = index.lines_between(self.start, self.end)
        return self.lines


def _substitute_parameters(pattern: str, parameters: Mapping[str, Any], key: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if not name.startswith("parameters."):
            return match.group(0)
        value = parameters.get(name.removeprefix("parameters."))
        if value is None:
            raise RuleError(
                key, f"the pattern uses {{{{{name}}}}} but the rule has no such parameter"
            )
        return re.escape(str(value)) if isinstance(value, str) else str(value)

    return PLACEHOLDER.sub(replace, pattern)


def _compile(
    pattern: str, parameters: Mapping[str, Any], key: str, trusted: bool = True
) -> re.Pattern[str]:
    """``trusted``: a pattern of Wave's own packs (``re``); else the workspace's, matched with a
    time bound (:mod:`wave_lsp.validation.bounded_regex`)."""
    source = _substitute_parameters(pattern, parameters, key)
    try:
        if not trusted:
            from wave_lsp.validation.bounded_regex import compile_bounded

            return compile_bounded(source, re.MULTILINE)
        return re.compile(source, re.MULTILINE)
    except re.error as error:
        raise RuleError(key, f"invalid regular expression: {error}") from error


def _render(template: str, values: Mapping[str, str]) -> str:
    return _Template.of(template).render(values)


class _Template:
    """A message or fix template split once into its literal text and ``{{name}}`` holes; an
    unknown name stays as written."""

    def __init__(self, template: str) -> None:
        self.parts: list[tuple[str, str | None, str]] = []
        position = 0
        for match in PLACEHOLDER.finditer(template):
            self.parts.append((template[position : match.start()], match.group(1), match.group(0)))
            position = match.end()
        self.tail = template[position:]

    @staticmethod
    @functools.lru_cache(maxsize=1024)
    def of(template: str) -> _Template:
        return _Template(template)

    def render(self, values: Mapping[str, str]) -> str:
        if not self.parts:
            return self.tail
        pieces = []
        for literal, name, written in self.parts:
            pieces.append(literal)
            pieces.append(values.get(name, written) if name is not None else written)
        pieces.append(self.tail)
        return "".join(pieces)


class CompiledRule:
    """A rule ready to run: regexes compiled, condition compiled, placeholders checked."""

    def __init__(self, rule: ValidationRule, trusted: bool = True) -> None:
        """``trusted``: the rule's patterns are Wave's own (else they are matched with a time
        bound: a workspace's regex may backtrack forever)."""
        self.rule = rule
        self.trusted = trusted
        parameters = rule.parameters
        self.patterns: list[re.Pattern[str]] = []
        if rule.pattern_regex is not None:
            self.patterns.append(_compile(rule.pattern_regex, parameters, "pattern-regex", trusted))
        self.patterns += [
            _compile(p, parameters, "pattern-either", trusted) for p in rule.pattern_either
        ]
        if rule.detector is not None:
            try:
                self.patterns += detectors.patterns(rule.detector)
            except KeyError as error:
                raise RuleError("detector", str(error.args[0])) from error
        self.block = (
            _compile(rule.pattern_block, parameters, "pattern-block", trusted)
            if rule.pattern_block
            else None
        )
        self.not_patterns = [
            _compile(p, parameters, "pattern-not-regex", trusted) for p in rule.pattern_not_regex
        ]
        self.file_level = not self.patterns and self.block is None
        self._window = 0 if all(stays_on_one_line(p) for p in self.patterns) else KEYWORD_WINDOW
        self._block_on_one_line = self.block is not None and stays_on_one_line(self.block)
        self.keywords = [k.lower() for k in rule.keywords]
        self._template_names = sorted(
            set(PLACEHOLDER.findall(rule.message or "")) | set(PLACEHOLDER.findall(rule.fix or ""))
        )
        self._templated = bool(self._template_names)
        self.condition = Condition(rule.condition) if rule.condition.strip() else None
        if self.file_level and self.condition is None:
            raise RuleError(
                "id",
                "a rule needs something to match: pattern-regex, pattern-either, pattern-block, "
                "detector, or (for a whole-file rule) a condition",
            )
        self._include = (
            pathspec.GitIgnoreSpec.from_lines(rule.paths.include) if rule.paths.include else None
        )
        self._exclude = (
            pathspec.GitIgnoreSpec.from_lines(rule.paths.exclude) if rule.paths.exclude else None
        )
        self._check_placeholders()
        self.locality = self._locality()

    def _locality(self) -> Locality:
        """What a finding of this rule depends on (see Locality)."""
        names = self._template_names
        uses_file = any(name.startswith("file.") for name in names) or (
            self.condition is not None and "file" in self.condition.variables
        )
        if self.file_level or uses_file or "match.line" in names:
            return Locality.TEXT
        if self.block is None:
            return Locality.LINE if self._window == 0 else Locality.TEXT
        return Locality.STATEMENT if self._block_on_one_line else Locality.TEXT

    def _capture_names(self) -> set[str]:
        names: set[str] = set()
        for pattern in [*self.patterns, *([self.block] if self.block else [])]:
            names |= set(pattern.groupindex)
        return names

    def _check_placeholders(self) -> None:
        allowed = self._capture_names() | {f"parameters.{k}" for k in self.rule.parameters}
        allowed |= {
            "match.text",
            "match.lines",
            "match.line",
            "file.path",
            "file.language",
            "file.size",
            "file.line_count",
            "rule.name",
            "rule.id",
        }
        for key, template in (("message", self.rule.message), ("fix", self.rule.fix or "")):
            for name in PLACEHOLDER.findall(template):
                if name not in allowed and not (
                    name.startswith("match.captures.") and name.split(".", 2)[2] in allowed
                ):
                    raise RuleError(
                        key,
                        f"{key} uses {{{{{name}}}}}, which is not a capture, a parameter or a "
                        "known value (" + ", ".join(sorted(allowed)) + ")",
                    )
        if self.rule.fix is not None and self.file_level:
            raise RuleError("fix", "a rule without a pattern has nothing to replace: remove fix")

    # -- where the rule applies ----------------------------------------------------------

    def applies_to(self, path: str, language: str, persona: str | None) -> bool:
        rule = self.rule
        if not rule.enabled or not applies(rule.languages, language):
            return False
        if rule.scope is RuleScope.PERSONA and (persona is None or persona not in rule.personas):
            return False
        relative = path.lstrip("/")
        if self._include is not None and not self._include.match_file(relative):
            return False
        return not (self._exclude is not None and self._exclude.match_file(relative))

    # -- matching ------------------------------------------------------------------------

    def _matches(
        self, snapshot: Snapshot, index: LineIndex, region: tuple[int, int] | None = None
    ) -> Iterator[_Match]:
        """The rule's matches in the whole text, or (``region``: a re-check after an edit) those
        of its lines or top-level statements there (see ``locality``)."""
        text = snapshot.text
        if self.file_level:
            yield _Match(0, 0, (0, 0), (0, 0), {}, index.line_count)
            return
        if self.block is not None and self.patterns:
            yield from self._matches_in_blocks(snapshot, index, region)
            return
        if self.block is not None:
            headers = (
                self._headers(text, index)
                if region is None
                else ((header, 0) for header in self.block.finditer(text, *region))
            )
            language = snapshot.language
            for header, shift in headers:
                found = _regex_match(header, shift)
                found.end = _block_end(text, found.start, header.end() + shift, language, index)
                found.lines = index.lines_between(found.start, max(found.end - 1, found.start))
                yield found
            return
        yield from self._pattern_matches(text, index, region)

    def _pattern_matches(
        self, text: str, index: LineIndex, region: tuple[int, int] | None
    ) -> Iterator[_Match]:
        """The patterns' matches in ``region`` (else the whole text), searched only near the
        keywords; each once."""
        if region is None and self.keywords and self._window == 0:
            yield from self._keyword_line_matches(text, index)
            return
        if region is not None:
            regions = [region]
        elif self.keywords:
            regions = self._keyword_regions(index, self._window)
        else:
            regions = [(0, len(text))]
        seen: set[tuple[int, int]] = set()
        deduplicate = len(regions) > 1 or len(self.patterns) > 1
        for pattern in self.patterns:
            for region_start, region_end in regions:
                for match in pattern.finditer(text, region_start, region_end):
                    if match.end() == match.start() and not match.groupdict():
                        continue
                    if deduplicate:
                        if match.span() in seen:
                            continue
                        seen.add(match.span())
                    yield _regex_match(match)

    def _keyword_line_matches(self, text: str, index: LineIndex) -> Iterator[_Match]:
        """Matches of patterns that stay on one line, in the lines holding a keyword."""
        seen: set[tuple[int, int]] = set()
        for match, shift in _search_lines(self.patterns, text, self._keyword_lines(index)):
            if match.end() == match.start() and not match.groupdict():
                continue
            found = _regex_match(match, shift)
            if len(self.patterns) > 1:
                if (found.start, found.end) in seen:
                    continue
                seen.add((found.start, found.end))
            yield found

    def _matches_in_blocks(
        self, snapshot: Snapshot, index: LineIndex, region: tuple[int, int] | None
    ) -> Iterator[_Match]:
        """Patterns inside blocks (`+=` inside a loop): the patterns' matches (found as any
        rule's), each kept when it lies inside a block, nested or not. Blocks are looked for
        only when there is a match: a file of a thousand loops and no `s += '...'` costs one
        search near the keywords."""
        assert self.block is not None
        text = snapshot.text
        found = list(self._pattern_matches(text, index, region))
        if not found:
            return
        headers = self.block.finditer(text, *(region or (0, len(text))))
        blocks: list[tuple[int, int]] = []  # the outermost blocks' bodies, in order
        for header in headers:
            start = header.end()
            end = _block_end(text, header.start(), start, snapshot.language, index)
            if blocks and start <= blocks[-1][1]:  # nested in the previous one
                blocks[-1] = (blocks[-1][0], max(blocks[-1][1], end))
            else:
                blocks.append((start, end))
        starts = [start for start, _ in blocks]
        for match in sorted(found, key=lambda m: m.start):
            inside = bisect.bisect_right(starts, match.start) - 1
            if inside >= 0 and match.end <= blocks[inside][1]:
                yield match

    def _headers(self, text: str, index: LineIndex) -> Iterator[tuple[re.Match[str], int]]:
        """The block pattern's matches, each with how far it is from its place (see
        _search_lines): in a rule whose keywords are the header's (it has no inner patterns),
        only the keywords' lines are searched when the pattern stays on one line."""
        assert self.block is not None
        if self.patterns or not self.keywords or not self._block_on_one_line:
            for header in self.block.finditer(text):
                yield header, 0
            return
        yield from _search_lines([self.block], text, self._keyword_lines(index))

    def _keyword_lines(self, index: LineIndex) -> list[tuple[int, int]]:
        """Each line holding a keyword, without its newline (found by the C string methods
        alone: this runs for every keyword of every rule). Lines end at ``\n`` here, as for `$`
        (a lone ``\r`` does not end one)."""
        lowered = index.lowered  # ends with a newline: every find of one succeeds
        spans: set[tuple[int, int]] = set()
        for keyword in self.keywords:
            position = lowered.find(keyword)
            while position >= 0:
                end = lowered.find("\n", position)
                spans.add((lowered.rfind("\n", 0, position) + 1, end))
                position = lowered.find(keyword, end + 1)
        if len(spans) > index.line_count // 2:
            return [(0, len(index.text))]  # keywords everywhere: one scan is cheaper
        return sorted(spans)

    def _keyword_regions(self, index: LineIndex, window: int) -> list[tuple[int, int]]:
        """The parts of the text near a keyword: the only places a match can be (every match
        contains a keyword), so the patterns never scan the rest. Lines within ``window`` of a
        keyword are included, for patterns that span lines; with no window, each keyword's
        line without its newline (for patterns that stay on one line, which then find there
        what they would find in the whole text)."""
        lowered = index.lowered
        if window == 0:
            return self._keyword_lines(index)
        lines: list[int] = []
        for keyword in self.keywords:
            position = lowered.find(keyword)
            while position >= 0:
                line, _ = index.position(position)
                lines.append(line)
                next_line = line + 1
                position = (
                    lowered.find(keyword, index.starts[next_line])
                    if next_line < index.line_count
                    else -1
                )
        if not lines:
            return []
        regions: list[tuple[int, int]] = []
        last = index.line_count - 1
        for line in sorted(set(lines)):
            first_line = max(0, line - window)
            end_line = min(last, line + window)
            start = index.starts[first_line]
            end = index.starts[end_line + 1] if end_line < last else len(index.text)
            if regions and start <= regions[-1][1]:
                regions[-1] = (regions[-1][0], max(regions[-1][1], end))
            else:
                regions.append((start, end))
        if sum(end - start for start, end in regions) > len(index.text) // 2:
            return [(0, len(index.text))]  # keywords everywhere: one scan is cheaper
        return regions

    def _match_vars(
        self, snapshot: Snapshot, index: LineIndex, match: _Match, line: int, column: int
    ) -> dict[str, Any]:
        assert self.condition is not None
        wanted = self.condition.match_fields
        values: dict[str, Any] = {}
        if wanted is None or "text" in wanted:
            values["text"] = snapshot.text[match.start : match.end]
        if wanted is None or "line" in wanted:
            values["line"] = line + 1
        if wanted is None or "column" in wanted:
            values["column"] = column + 1
        if wanted is None or "lines" in wanted:
            values["lines"] = match.line_count(index)
        if wanted is None or "captures" in wanted:
            values["captures"] = match.captures
        return values

    def _excluded(self, match: _Match, index: LineIndex) -> bool:
        if not self.not_patterns:
            return False
        first, _ = index.position(match.start)
        last, _ = index.position(match.end)
        start = index.starts[first]
        end = index.starts[last + 1] if last + 1 < len(index.starts) else len(index.text)
        region = index.text[start:end]
        return any(p.search(region) for p in self.not_patterns)

    def run(
        self,
        snapshot: Snapshot,
        index: LineIndex,
        file_vars: Mapping[str, Any],
        persona_vars: Mapping[str, Any],
        region: tuple[int, int] | None = None,
    ) -> Iterator[Finding]:
        rule = self.rule
        if self.keywords and not index.has_any(self.keywords, region):
            return
        message_template = rule.message or rule.name
        templated = self._templated
        static: dict[str, str] = {}
        if templated:
            static = {f"parameters.{k}": str(v) for k, v in rule.parameters.items()}
            static.update({f"file.{k}": str(v) for k, v in file_vars.items() if k != "head"})
            static.update({"rule.name": rule.name, "rule.id": rule.id})
        context: dict[str, Any] = {}
        if self.condition is not None:
            available = {"file": file_vars, "persona": persona_vars, "parameters": rule.parameters}
            context = {k: v for k, v in available.items() if k in self.condition.variables}
        memo: dict[Any, bool] = {}
        condition = self.condition
        uses_match = condition is not None and "match" in condition.variables
        needs_line = uses_match or "match.line" in self._template_names
        message_parts = _Template.of(message_template)
        fix_parts = _Template.of(rule.fix) if rule.fix is not None else None
        text = snapshot.text
        rule_id, rule_name, rule_url = rule.id, rule.name, rule.url
        severity, rule_type, path = rule.severity.value, rule.type.value, snapshot.path
        excluding = bool(self.not_patterns)
        values: dict[str, str] = {}
        for match in self._matches(snapshot, index, region):
            if excluding and self._excluded(match, index):
                continue
            line, column = index.position(match.start) if needs_line else (0, 0)
            if condition is not None:
                key: Any = None
                if uses_match:
                    match_vars = self._match_vars(snapshot, index, match, line, column)
                    context["match"] = match_vars
                    key = _freeze(match_vars)
                keep = memo.get(key) if key is not None else None
                if keep is None:
                    keep = condition.evaluate(context)
                    if key is not None:
                        memo[key] = keep
                if not keep:
                    continue
            if templated:
                values = {}
                captures = match.captures
                for name in self._template_names:
                    if name in captures:
                        values[name] = captures[name]
                    elif name in static:
                        values[name] = static[name]
                    elif name.startswith("match.captures."):
                        values[name] = captures.get(name[15:], "")
                    elif name == "match.text":
                        values[name] = text[match.start : match.end]
                    elif name == "match.lines":
                        values[name] = str(match.line_count(index))
                    elif name == "match.line":
                        values[name] = str(line + 1)
                message = message_parts.render(values)
            else:
                message = message_template
            fix = None
            if fix_parts is not None:
                replacement = fix_parts.render(values)
                start, end = match.fix_range
                fix = Fix(
                    index.span(start, end),
                    replacement,
                    rule.applicability,
                    _fix_title(text[start:end], replacement),
                )
            if self.file_level:
                span = Span(0, 0, 0, len(index.line_text(0)))
            else:
                span = index.span(*match.focus)
            yield Finding(
                rule_id,
                rule_name,
                severity,
                rule_type,
                message,
                span,
                path,
                fix,
                rule_url,
                match.captures,
            )


def _freeze(values: Mapping[str, Any]) -> tuple[Any, ...]:
    """A hashable form of a match's variables, to reuse a condition's result."""
    return tuple(
        (k, tuple(sorted(v.items())) if isinstance(v, dict) else v) for k, v in values.items()
    )


def _search_lines(
    patterns: Sequence[re.Pattern[str]], text: str, lines: list[tuple[int, int]]
) -> Iterator[tuple[re.Match[str], int]]:
    """Matches of patterns that stay on one line in ``lines`` (spans of ``text`` without their
    newline), each with the offset to add to its positions: the lines joined by newlines are
    searched at once (a search per line costs its setup, ~4 us, thousands of times in a file
    with a keyword on every tenth line), which finds what a search of each line finds."""
    if not lines:
        return
    if lines == [(0, len(text))]:
        joined, offsets = text, [0]
    else:
        joined = "\n".join([text[start:end] for start, end in lines])
        offsets = list(
            itertools.accumulate((end - start + 1 for start, end in lines[:-1]), initial=0)
        )
    for pattern in patterns:
        for match in pattern.finditer(joined):
            line = bisect.bisect_right(offsets, match.start()) - 1
            yield match, lines[line][0] - offsets[line]


def _regex_match(match: re.Match[str], shift: int = 0) -> _Match:
    """``match`` as the engine keeps it; ``shift``: how far its text was moved from its place."""
    start, end = match.span()
    focus, fix_range = _focus_and_fix(match)
    if shift:
        return _Match(
            start + shift,
            end + shift,
            (focus[0] + shift, focus[1] + shift),
            (fix_range[0] + shift, fix_range[1] + shift),
            _captures(match),
        )
    return _Match(start, end, focus, fix_range, _captures(match))


def _fix_title(old: str, new: str) -> str:
    if not new:
        return f"Remove {old.strip()!r}" if old.strip() else "Remove the whitespace"
    return f"Replace {old!r} with {new!r}" if len(old) + len(new) < 60 else "Apply the fix"


def _captures(match: re.Match[str]) -> dict[str, str]:
    if not match.re.groupindex:
        return {}
    return {name: value for name, value in match.groupdict().items() if value is not None}


@functools.lru_cache(maxsize=4096)  # patterns are remade when rules reload
def _groups(pattern: re.Pattern[str]) -> tuple[int | None, int | None, bool]:
    """A pattern's ``focus`` and ``fix`` group numbers, and whether group 1 is the focus
    (detect-secrets' convention, for patterns without named groups)."""
    names = pattern.groupindex
    return names.get("focus"), names.get("fix"), pattern.groups >= 1 and not names


def _focus_and_fix(match: re.Match[str]) -> tuple[tuple[int, int], tuple[int, int]]:
    """What a finding points at (the ``focus`` group, else ``fix``, else group 1 by
    detect-secrets' convention, else the match) and what its fix replaces (``fix``, else the
    focus)."""
    focus_group, fix_group, group_one = _groups(match.re)
    fix = match.span(fix_group) if fix_group is not None else (-1, -1)
    focus = match.span(focus_group) if focus_group is not None else (-1, -1)
    if focus[0] < 0:
        focus = fix
    if focus[0] < 0 and group_one:
        focus = match.span(1)
    if focus[0] < 0:
        focus = match.span()
    return focus, fix if fix[0] >= 0 else focus


@functools.cache
def _block_ender(indent: int) -> re.Pattern[str]:
    deeper = "{" + str(indent + 1) + "}"
    return re.compile(r"\n(?![ \t]" + deeper + r")(?=[ \t]*[^\s)\]}])")


_LEADING_BLANKS = re.compile(r"[ \t]*")


def _block_end(text: str, start: int, header_end: int, language: str, index: LineIndex) -> int:
    """Where the block that the header from ``start`` to ``header_end`` opens ends: by
    indentation (Python, YAML) or at the brace matching the first '{' after the header."""
    if language in INDENT_BLOCKS:
        first, _ = index.position(start)
        line_start = index.starts[first]
        base = _LEADING_BLANKS.match(text, line_start).end() - line_start  # type: ignore[union-attr]
        # The block ends before the first later line that has content, is indented no deeper
        # than the header, and is not a closing bracket of a long header.
        ender = _block_ender(base)
        found = ender.search(
            text, index.starts[first + 1] - 1 if first + 1 < index.line_count else len(text)
        )
        end = found.start() if found else len(text)
        return header_end + len(text[header_end:end].rstrip())
    opening = text.find("{", header_end)
    if opening < 0:
        return header_end
    depth = 0
    position = opening
    quote: str | None = None
    while position < len(text):
        char = text[position]
        if quote is not None:
            if char == "\\":
                position += 1
            elif char == quote:
                quote = None
        elif char in "\"'`":
            quote = char
        elif text.startswith("//", position):
            newline = text.find("\n", position)
            position = len(text) if newline < 0 else newline
            continue
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return position + 1
        position += 1
    return len(text)


def file_variables(snapshot: Snapshot, index: LineIndex) -> dict[str, Any]:
    head = "\n".join(index.line_text(i) for i in range(min(HEAD_LINES, index.line_count)))
    return {
        "path": snapshot.path,
        "language": snapshot.language,
        "size": len(snapshot.text.encode("utf-8", "surrogatepass")),
        "line_count": index.line_count,
        "head": head,
    }


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
