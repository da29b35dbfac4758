"""Which of a rule set's keywords occur in a text, found in one pass.

Every rule with keywords is skipped unless one of them is in the text. Asking `keyword in text`
for each scans the whole text for every absent keyword: 75 keywords, mostly absent (secrets'
prefixes), took 35 ms on a 50,000-line file. An Aho-Corasick automaton of all of them (the
`pyahocorasick` C extension) finds every keyword in one scan, ~4x faster."""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

import ahocorasick  # type: ignore[import-not-found,unused-ignore]

_KEYWORD = operator.itemgetter(1)


class KeywordSearch:
    def __init__(self, keywords: Iterable[str]) -> None:
        self.keywords = frozenset(k for k in keywords if k)
        self._automaton: Any = None
        if self.keywords:
            automaton = ahocorasick.Automaton()
            for keyword in self.keywords:
                automaton.add_word(keyword, keyword)
            automaton.make_automaton()
            self._automaton = automaton

    def found_in(self, text: str) -> frozenset[str]:
        """The keywords that occur in ``text``."""
        if self._automaton is None:
            return frozenset()
        return frozenset(map(_KEYWORD, self._automaton.iter(text)))
