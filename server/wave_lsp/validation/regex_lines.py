"""Whether a regular expression stays on one line: none of its parts (lookarounds included) can
match a newline, and it does not test the end of the whole text (``\\Z``). Such a pattern finds
the same matches when searched line by line (each line without its newline) as when searched
over the whole text, which lets the engine search only the lines that hold a rule's keyword.

The answer comes from the standard library's own parse of the pattern (``re._parser``); anything
this module does not know answers "may span lines", the safe side."""

from __future__ import annotations

import functools
import importlib
import re
from typing import Any

_NEWLINE = ord("\n")
_parser: Any = importlib.import_module("re._parser")  # Python >= 3.11, as the project requires
_c: Any = importlib.import_module("re._constants")


@functools.lru_cache(maxsize=4096)  # patterns are remade when rules reload
def stays_on_one_line(pattern: re.Pattern[str]) -> bool:
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
        return not _may_cross(list(parsed), pattern.flags)
    except Exception:  # an unknown construct or a parser change: the safe answer
        return False


def _class_has_newline(items: list[tuple[Any, Any]]) -> bool:
    negated = False
    found = False
    for op, value in items:
        if op is _c.NEGATE:
            negated = True
        elif op is _c.LITERAL:
            found = found or value == _NEWLINE
        elif op is _c.RANGE:
            found = found or value[0] <= _NEWLINE <= value[1]
        elif op is _c.CATEGORY:
            found = found or value in (
                _c.CATEGORY_SPACE,
                _c.CATEGORY_NOT_WORD,
                _c.CATEGORY_NOT_DIGIT,
                _c.CATEGORY_LINEBREAK,
            )
        else:
            return True  # unknown member: assume it may
    return found != negated


def _may_cross(items: list[tuple[Any, Any]], flags: int) -> bool:
    for op, value in items:
        if op is _c.LITERAL:
            if value == _NEWLINE:
                return True
        elif op is _c.NOT_LITERAL:
            if value != _NEWLINE:
                return True
        elif op is _c.ANY:
            if flags & re.DOTALL:
                return True
        elif op is _c.IN:
            if _class_has_newline(list(value)):
                return True
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            if _may_cross(list(value[2]), flags):
                return True
        elif op is _c.SUBPATTERN:
            _group, add_flags, del_flags, inner = value
            if _may_cross(list(inner), (flags | add_flags) & ~del_flags):
                return True
        elif op is _c.ATOMIC_GROUP:
            if _may_cross(list(value), flags):
                return True
        elif op is _c.BRANCH:
            if any(_may_cross(list(branch), flags) for branch in value[1]):
                return True
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            if _may_cross(list(value[1]), flags):
                return True
        elif op is _c.AT:
            if value is _c.AT_END_STRING or (value is _c.AT_END and not flags & re.MULTILINE):
                return True  # \Z, and $ without MULTILINE: the end of the whole text
        else:  # back-references, conditionals, anything new: assume it may
            return True
    return False
