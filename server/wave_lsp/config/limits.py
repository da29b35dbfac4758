"""The limits a configuration file is read under, and the problem when one is passed."""

from __future__ import annotations

import re

from wave_lsp.config.problems import FILE_START, Problem, Span

MAX_CONFIG_BYTES = 5_000_000
"""A configuration file larger than this is refused unread."""
_LONG_NUMBER = re.compile(r"-?\d{1000,}")


def json_limit_problem(shown: str, text: str, error: Exception) -> Problem:
    """A JSON file Python's parser refuses for its size rather than its syntax, located."""
    found = _LONG_NUMBER.search(text)
    if found is not None and not isinstance(error, RecursionError):
        line = text.count("\n", 0, found.start())
        column = found.start() - (text.rfind("\n", 0, found.start()) + 1)
        digits = len(found.group().lstrip("-"))
        return Problem(
            shown,
            Span(line, column, line, column + len(found.group())),
            f"invalid JSON Schema: a number with {digits} digits (at most 4300 are read)",
            "json-syntax",
            fix="write a smaller number",
        )
    what = "nested too deeply" if isinstance(error, RecursionError) else str(error)
    return Problem(shown, FILE_START, f"invalid JSON: {what}", "json-syntax")
