"""The parts a compiled rule is made of: its patterns compiled (parameters substituted), its
message templates, a match and what a fix of it replaces, and the variables a condition sees."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wave_lsp.validation.findings import RuleError, Snapshot
from wave_lsp.validation.models import ValidationRule
from wave_lsp.validation.text_index import LineIndex

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")
HEAD_LINES = 10
KEYWORD_WINDOW = 8
"""Lines around a keyword that a rule's patterns search (see CompiledRule._keyword_regions)."""


@dataclass(slots=True)
class RuleMatch:
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


def substitute_parameters(pattern: str, parameters: Mapping[str, Any], key: str) -> str:
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


def pattern_of(
    pattern: str, parameters: Mapping[str, Any], key: str, trusted: bool = True
) -> re.Pattern[str]:
    """``trusted``: a pattern of Wave's own packs (``re``); else the workspace's, matched with a
    time bound (:mod:`wave_lsp.validation.bounded_regex`)."""
    source = substitute_parameters(pattern, parameters, key)
    try:
        if not trusted:
            from wave_lsp.validation.bounded_regex import compile_bounded

            return compile_bounded(source, re.MULTILINE)
        return re.compile(source, re.MULTILINE)
    except re.error as error:
        raise RuleError(key, f"invalid regular expression: {error}") from error


def render(template: str, values: Mapping[str, str]) -> str:
    return Template.of(template).render(values)


class Template:
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
    def of(template: str) -> Template:
        return Template(template)

    def render(self, values: Mapping[str, str]) -> str:
        if not self.parts:
            return self.tail
        pieces = []
        for literal, name, written in self.parts:
            pieces.append(literal)
            pieces.append(values.get(name, written) if name is not None else written)
        pieces.append(self.tail)
        return "".join(pieces)


def freeze(values: Mapping[str, Any]) -> tuple[Any, ...]:
    """A hashable form of a match's variables, to reuse a condition's result."""
    return tuple(
        (k, tuple(sorted(v.items())) if isinstance(v, dict) else v) for k, v in values.items()
    )


def regex_match(match: re.Match[str], shift: int = 0) -> RuleMatch:
    """``match`` as the engine keeps it; ``shift``: how far its text was moved from its place."""
    start, end = match.span()
    focus, fix_range = focus_and_fix(match)
    if shift:
        return RuleMatch(
            start + shift,
            end + shift,
            (focus[0] + shift, focus[1] + shift),
            (fix_range[0] + shift, fix_range[1] + shift),
            captures(match),
        )
    return RuleMatch(start, end, focus, fix_range, captures(match))


def fix_title(old: str, new: str) -> str:
    if not new:
        return f"Remove {old.strip()!r}" if old.strip() else "Remove the whitespace"
    return f"Replace {old!r} with {new!r}" if len(old) + len(new) < 60 else "Apply the fix"


def captures(match: re.Match[str]) -> dict[str, str]:
    if not match.re.groupindex:
        return {}
    return {name: value for name, value in match.groupdict().items() if value is not None}


@functools.lru_cache(maxsize=4096)  # patterns are remade when rules reload
def groups(pattern: re.Pattern[str]) -> tuple[int | None, int | None, bool]:
    """A pattern's ``focus`` and ``fix`` group numbers, and whether group 1 is the focus
    (detect-secrets' convention, for patterns without named groups)."""
    names = pattern.groupindex
    return names.get("focus"), names.get("fix"), pattern.groups >= 1 and not names


def focus_and_fix(match: re.Match[str]) -> tuple[tuple[int, int], tuple[int, int]]:
    """What a finding points at (the ``focus`` group, else ``fix``, else group 1 by
    detect-secrets' convention, else the match) and what its fix replaces (``fix``, else the
    focus)."""
    focus_group, fix_group, group_one = groups(match.re)
    fix = match.span(fix_group) if fix_group is not None else (-1, -1)
    focus = match.span(focus_group) if focus_group is not None else (-1, -1)
    if focus[0] < 0:
        focus = fix
    if focus[0] < 0 and group_one:
        focus = match.span(1)
    if focus[0] < 0:
        focus = match.span()
    return focus, fix if fix[0] >= 0 else focus


def file_variables(snapshot: Snapshot, index: LineIndex) -> dict[str, Any]:
    head = "\n".join(index.line_text(i) for i in range(min(HEAD_LINES, index.line_count)))
    return {
        "path": snapshot.path,
        "language": snapshot.language,
        "size": len(snapshot.text.encode("utf-8", "surrogatepass")),
        "line_count": index.line_count,
        "head": head,
    }


KNOWN_VALUES = frozenset(
    {
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
)
"""The values a rule's message and fix may name besides its captures and parameters."""


def check_placeholders(rule: ValidationRule, captures: set[str], *, file_level: bool) -> None:
    """Every ``{{name}}`` of the message and the fix is a capture, a parameter or a known
    value; a fix needs a pattern to replace."""
    allowed = captures | {f"parameters.{k}" for k in rule.parameters} | KNOWN_VALUES
    for key, template in (("message", rule.message), ("fix", rule.fix or "")):
        for name in PLACEHOLDER.findall(template):
            if name not in allowed and not (
                name.startswith("match.captures.") and name.split(".", 2)[2] in allowed
            ):
                raise RuleError(
                    key,
                    f"{key} uses {{{{{name}}}}}, which is not a capture, a parameter or a "
                    "known value (" + ", ".join(sorted(allowed)) + ")",
                )
    if rule.fix is not None and file_level:
        raise RuleError("fix", "a rule without a pattern has nothing to replace: remove fix")
