"""A rule compiled to run: its patterns, condition and templates, and how it finds its matches
(near its keywords, in blocks, in the lines an edit touched)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pathspec

from wave_lsp.config.problems import Span
from wave_lsp.validation import detectors
from wave_lsp.validation.conditions import Condition
from wave_lsp.validation.findings import Finding, Fix, Locality, RuleError, Snapshot
from wave_lsp.validation.languages import applies
from wave_lsp.validation.models import RuleScope, ValidationRule
from wave_lsp.validation.regex_lines import stays_on_one_line
from wave_lsp.validation.rule_parts import (
    KEYWORD_WINDOW,
    PLACEHOLDER,
    RuleMatch,
    Template,
    check_placeholders,
    fix_title,
    freeze,
    pattern_of,
    regex_match,
)
from wave_lsp.validation.text_index import LineIndex, block_end, search_lines


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
            self.patterns.append(
                pattern_of(rule.pattern_regex, parameters, "pattern-regex", trusted)
            )
        self.patterns += [
            pattern_of(p, parameters, "pattern-either", trusted) for p in rule.pattern_either
        ]
        if rule.detector is not None:
            try:
                self.patterns += detectors.patterns(rule.detector)
            except KeyError as error:
                raise RuleError("detector", str(error.args[0])) from error
        self.block = (
            pattern_of(rule.pattern_block, parameters, "pattern-block", trusted)
            if rule.pattern_block
            else None
        )
        self.not_patterns = [
            pattern_of(p, parameters, "pattern-not-regex", trusted) for p in rule.pattern_not_regex
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
        check_placeholders(self.rule, self._capture_names(), file_level=self.file_level)

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
    ) -> Iterator[RuleMatch]:
        """The rule's matches in the whole text, or (``region``: a re-check after an edit) those
        of its lines or top-level statements there (see ``locality``)."""
        text = snapshot.text
        if self.file_level:
            yield RuleMatch(0, 0, (0, 0), (0, 0), {}, index.line_count)
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
                found = regex_match(header, shift)
                found.end = block_end(text, found.start, header.end() + shift, language, index)
                found.lines = index.lines_between(found.start, max(found.end - 1, found.start))
                yield found
            return
        yield from self._pattern_matches(text, index, region)

    def _pattern_matches(
        self, text: str, index: LineIndex, region: tuple[int, int] | None
    ) -> Iterator[RuleMatch]:
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
                    yield regex_match(match)

    def _keyword_line_matches(self, text: str, index: LineIndex) -> Iterator[RuleMatch]:
        """Matches of patterns that stay on one line, in the lines holding a keyword."""
        seen: set[tuple[int, int]] = set()
        for match, shift in search_lines(self.patterns, text, self._keyword_lines(index)):
            if match.end() == match.start() and not match.groupdict():
                continue
            found = regex_match(match, shift)
            if len(self.patterns) > 1:
                if (found.start, found.end) in seen:
                    continue
                seen.add((found.start, found.end))
            yield found

    def _matches_in_blocks(
        self, snapshot: Snapshot, index: LineIndex, region: tuple[int, int] | None
    ) -> Iterator[RuleMatch]:
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
            end = block_end(text, header.start(), start, snapshot.language, index)
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
        yield from search_lines([self.block], text, self._keyword_lines(index))

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
        self, snapshot: Snapshot, index: LineIndex, match: RuleMatch, line: int, column: int
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

    def _excluded(self, match: RuleMatch, index: LineIndex) -> bool:
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
        message_parts = Template.of(message_template)
        fix_parts = Template.of(rule.fix) if rule.fix is not None else None
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
                    key = freeze(match_vars)
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
                    fix_title(text[start:end], replacement),
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


__all__ = ["CompiledRule"]
