"""Workspace rules' patterns, matched with a time bound.

A rule's regex is code from the workspace, and Python's ``re`` can backtrack for longer than
the universe lasts (``^(a+)+$`` against a line of ``a``'s and a ``!``) while holding the GIL: one
such rule froze the whole language server. Patterns of rules that do not come from Wave's own
packs are compiled by the ``regex`` package instead, which takes a timeout per call and releases
the GIL while it matches. A pattern that times out once is spent: every later call fails at
once with the same message (reported as a failed rule; the other rules run) until the rules are
loaded again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, cast

import regex

TIMEOUT_SECONDS = 1.0
"""How long one search of one pattern may take."""


class PatternTimeout(ValueError):
    """A pattern that took longer than :data:`TIMEOUT_SECONDS` (a failed rule, not a crash)."""


class BoundedPattern:
    """The part of ``re.Pattern`` the engine uses, over a ``regex`` pattern with a timeout."""

    __slots__ = ("_compiled", "_spent", "flags", "groupindex", "groups", "pattern", "timeout")

    def __init__(self, source: str, flags: int, timeout: float = TIMEOUT_SECONDS) -> None:
        try:
            self._compiled: Any = regex.compile(source, flags | regex.VERSION0)
        except regex.error as error:
            raise re.error(str(error)) from error
        self.pattern = source
        self.flags = flags
        self.groupindex = dict(self._compiled.groupindex)
        self.groups: int = self._compiled.groups
        self.timeout = timeout
        self._spent = ""

    def _fail(self) -> PatternTimeout:
        return PatternTimeout(self._spent)

    def _timed_out(self) -> PatternTimeout:
        self._spent = (
            f"the pattern {self.pattern!r} took over {self.timeout:g} s on one search "
            "(it backtracks catastrophically, as nested quantifiers like (a+)+ do): the rule is "
            "disabled until the rules are loaded again. Rewrite it without nested repetition"
        )
        return self._fail()

    def _run(self, method: str, text: str, pos: int, endpos: int | None, **extra: Any) -> Any:
        if self._spent:
            raise self._fail()
        end = len(text) if endpos is None else endpos
        try:
            return getattr(self._compiled, method)(text, pos, end, timeout=self.timeout, **extra)
        except TimeoutError:
            raise self._timed_out() from None

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[Any]:
        matches = self._run("finditer", text, pos, endpos)
        try:
            yield from matches  # the search goes on as it is iterated: the bound too
        except TimeoutError:
            raise self._timed_out() from None

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> Any:
        return self._run("search", text, pos, endpos)

    def match(self, text: str, pos: int = 0, endpos: int | None = None) -> Any:
        return self._run("match", text, pos, endpos)


def compile_bounded(source: str, flags: int) -> re.Pattern[str]:
    """A pattern with the time bound, typed as the ``re`` pattern it stands in for."""
    return cast("re.Pattern[str]", BoundedPattern(source, flags))
