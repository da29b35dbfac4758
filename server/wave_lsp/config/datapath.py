"""Paths into parsed data: tuples of mapping keys and list indices."""

from __future__ import annotations

from typing import Any

MISSING = object()


def child(node: Any, part: Any) -> Any:
    """``node[part]`` when ``part`` is a key of a mapping or an index of a list; MISSING when
    it is neither (pydantic puts union tags and model names into its error locations)."""
    if isinstance(node, dict) and part in node:
        return node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return MISSING
