"""Secrets never leave the machine: every text bound for a provider passes through the validation
engine's secret rules (detect-secrets' patterns, the high-entropy credential rule and any
workspace rule of category ``secrets``) and each secret becomes a stable placeholder such as
``<<secret:aws-access-key:1>>``. The answer's placeholders are restored only in text that goes
back into the file the secret came from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from wave_lsp.validation.engine import CompiledRule, Engine, LineIndex, Snapshot

SECRET_CATEGORY = "secrets"
PLACEHOLDER = re.compile(r"<<secret:([a-z0-9-]+):(\d+)>>")
PEM_BEGIN = re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
PEM_END = re.compile(r"-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
PEM_BODY_LINE = re.compile(r"[ \t]*[A-Za-z0-9+/=:\-, ]*[ \t]*(\r?\n|$)")
TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=.~%")
"""What a token is made of: a finding's span grows over these on both sides, so that a rule
pointing at a prefix (``ghp``), a fixed-length head (long Stripe keys) or a JWT without its
signature still redacts the whole secret."""


_SPACE = re.compile(r"\s")


def _whole_token(text: str, start: int, end: int) -> tuple[int, int]:
    """The secret around a finding's span: cut at the first whitespace (a pattern ending in
    ``.*`` takes the rest of the line), then grown over token characters on both sides."""
    if (space := _SPACE.search(text, start, end)) is not None:
        end = space.start()
    while start > 0 and text[start - 1] in TOKEN_CHARS and text[start - 1] != "=":
        start -= 1  # not over '=': that is an assignment's (base64 pads only at the end)
    while end < len(text) and text[end] in TOKEN_CHARS:
        end += 1
    while end > start and text[end - 1] == ".":
        end -= 1  # a sentence's full stop
    return start, end


def _whole_key(text: str, start: int, end: int) -> tuple[int, int]:
    """A private key's span from its BEGIN line to its END line: the rule finds the header,
    and the key is the body below it."""
    line_start = text.rfind("\n", 0, start) + 1
    begin = PEM_BEGIN.search(text, line_start)
    if begin is None or begin.start() > end:
        return start, end
    close = PEM_END.search(text, begin.end())
    if close is not None:
        return begin.start(), close.end()
    position = begin.end()  # no END line: take the base64-looking lines that follow
    while (
        position < len(text)
        and (body := PEM_BODY_LINE.match(text, position))
        and body.end() > position
    ):
        position = body.end()
    return begin.start(), position


MEMO = 16
MEMO_CHARS = 65536
"""Texts a redactor remembers, and the longest it remembers (see ``Redactor._memo``)."""


def secret_rules(rules: Sequence[CompiledRule]) -> list[CompiledRule]:
    return [
        r
        for r in rules
        if r.rule.enabled
        and (r.rule.category == SECRET_CATEGORY or r.rule.id.startswith("security.secret."))
    ]


@dataclass(frozen=True, slots=True)
class Redaction:
    path: str
    kind: str
    placeholder: str
    line: int
    """1-based line of the secret in the original text."""


@dataclass(slots=True)
class Redactor:
    """One request's redactions: the same secret gets the same placeholder throughout."""

    rules: Sequence[CompiledRule]
    redactions: list[Redaction] = field(default_factory=list)
    _by_secret: dict[str, str] = field(default_factory=dict)
    _secrets: dict[str, tuple[str, set[str]]] = field(default_factory=dict)  # placeholder →
    _counts: dict[str, int] = field(default_factory=dict)
    _engine: Engine | None = None
    _memo: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    """Recent texts redacted, by (path, text): the result, and how many secrets were known
    then (a secret found since may stand in the text too). A long-lived redactor (inline
    completion's) sees the same text after the cursor and the same other documents at each
    keystroke."""

    def __post_init__(self) -> None:
        self._engine = Engine(secret_rules(self.rules))

    def _placeholder(self, secret: str, kind: str, path: str) -> str:
        placeholder = self._by_secret.get(secret)
        if placeholder is None:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            placeholder = f"<<secret:{kind}:{self._counts[kind]}>>"
            self._by_secret[secret] = placeholder
            self._secrets[placeholder] = (secret, set())
        self._secrets[placeholder][1].add(path)
        return placeholder

    def redact(self, text: str, path: str) -> str:
        """``text`` (of the file ``path``, or a prompt) with every secret replaced."""
        known = self._memo.get((path, text))
        if known is not None and known[0] == len(self._by_secret):
            return known[1]  # the same result, and its redactions are already recorded
        redacted = self._redact(text, path)
        if len(text) <= MEMO_CHARS:
            if len(self._memo) >= MEMO:
                self._memo.clear()
            self._memo[(path, text)] = (len(self._by_secret), redacted)
        return redacted

    def _redact(self, text: str, path: str) -> str:
        assert self._engine is not None
        result = self._engine.check(Snapshot.of(path, text))
        if not result.findings and not self._by_secret:
            return text
        index = LineIndex(text)
        spans: list[tuple[int, int, str, int]] = []
        for secret, placeholder in self._by_secret.items():  # found earlier in this request:
            kind = PLACEHOLDER.fullmatch(placeholder).group(1)  # type: ignore[union-attr]
            at = text.find(secret)  # the same placeholder wherever it stands, named or not
            while at >= 0:
                spans.append((at, at + len(secret), kind, index.position(at)[0] + 1))
                at = text.find(secret, at + len(secret))
        for finding in result.findings:
            start = index.starts[finding.span.line] + finding.span.column
            end = index.starts[finding.span.end_line] + finding.span.end_column
            if end <= start:
                continue
            kind = finding.rule_id.removeprefix("security.secret.").removeprefix("security.")
            if kind == "private-key":
                start, end = _whole_key(text, start, end)
            else:
                start, end = _whole_token(text, start, end)
            spans.append((start, end, kind, finding.span.line + 1))
        if not spans:
            return text
        spans.sort(key=lambda span: (span[0], -span[1]))
        merged: list[list[Any]] = []  # overlapping findings become one secret, never a tail
        for start, end, kind, line in spans:
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end, kind, line])
        pieces: list[str] = []
        cursor = 0
        for start, end, kind, line in merged:
            secret = text[start:end]
            placeholder = self._placeholder(secret, kind, path)
            self.redactions.append(Redaction(path, kind, placeholder, line))
            pieces += [text[cursor:start], placeholder]
            cursor = end
        pieces.append(text[cursor:])
        return "".join(pieces)

    def restore(self, answer: str, path: str) -> str:
        """``answer`` with the placeholders of secrets that came from ``path`` put back; others
        stay placeholders (a secret never moves to another file)."""

        def back(match: re.Match[str]) -> str:
            known = self._secrets.get(match.group(0))
            if known is not None and path in known[1]:
                return known[0]
            return match.group(0)

        return PLACEHOLDER.sub(back, answer)
