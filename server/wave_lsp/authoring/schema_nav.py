"""The JSON Schema of a Wave file (the one ``schemas/`` holds, generated from the models) walked
along a path: the schemas a value at that place may follow (``$ref``, ``anyOf``/``oneOf``/
``allOf`` unfolded), their properties, allowed values and documentation."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from wave_lsp.authoring.place import PathPart

Schema = dict[str, Any]

DURATION = "^(\\d+(\\.\\d+)?(ms|s|m|h|d))+$"
EXAMPLES = {
    DURATION: ["30s", "5m", "1h", "500ms"],
    "^\\s*\\d+(\\.\\d+)?\\s*([KMGT]i?B|B)?\\s*$": ["512KB", "10MB", "1GiB"],
    "^\\s*\\d+(\\.\\d+)?\\s*%\\s*$": ["50%", "80%"],
}


@functools.cache
def file_schema(kind: str) -> Schema:
    from wave_lsp.config.schema_export import schema_for

    return schema_for(kind)


def unfold(root: Schema, node: Schema, depth: int = 0) -> list[Schema]:
    """``node`` as the plain schemas it stands for."""
    if depth > 20:
        return []
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = root.get("$defs", {}).get(ref[len("#/$defs/") :])
        merged = {**(target or {}), **{k: v for k, v in node.items() if k != "$ref"}}
        return unfold(root, merged, depth + 1)
    for union in ("anyOf", "oneOf"):
        if union in node:
            rest = {k: v for k, v in node.items() if k != union}
            found = []
            for option in node[union]:
                found.extend(unfold(root, {**rest, **option}, depth + 1))
            return found
    if "allOf" in node:
        merged = {k: v for k, v in node.items() if k != "allOf"}
        for part in node["allOf"]:
            for plain in unfold(root, part, depth + 1):
                merged = {**plain, **merged}
        return [merged]
    return [node]


def at_path(root: Schema, path: Sequence[PathPart]) -> list[Schema]:
    """The schemas of the value at ``path`` (an int part: a list's item)."""
    nodes = unfold(root, root)
    for part in path:
        following: list[Schema] = []
        for node in nodes:
            if isinstance(part, int):
                if "items" in node:
                    following.extend(unfold(root, node["items"]))
                continue
            properties = node.get("properties", {})
            if part in properties:
                following.extend(unfold(root, properties[part]))
            elif isinstance(node.get("additionalProperties"), dict):
                following.extend(unfold(root, node["additionalProperties"]))
        nodes = following
    return nodes


def items_of(root: Schema, nodes: list[Schema]) -> list[Schema]:
    found: list[Schema] = []
    for node in nodes:
        if "items" in node:
            found.extend(unfold(root, node["items"]))
    return found


def properties(root: Schema, nodes: list[Schema]) -> dict[str, Schema]:
    """Every property the value may have, with its schema (unfolded), in the schema's order."""
    found: dict[str, Schema] = {}
    for node in nodes:
        for name, value in node.get("properties", {}).items():
            if name not in found:
                unfolded = unfold(root, value)
                found[name] = {**value, **(unfolded[0] if len(unfolded) == 1 else {})}
                found[name]["_alternatives"] = unfolded
    return found


def values(nodes: list[Schema]) -> list[Any]:
    """The values the schemas allow or suggest: enums, consts, booleans, examples of units."""
    found: list[Any] = []
    for node in nodes:
        consts = [node["const"]] if "const" in node else []
        for value in (*node.get("enum", ()), *consts):
            if value not in found:
                found.append(value)
        if node.get("type") == "boolean":
            found.extend(v for v in (True, False) if v not in found)
        for example in EXAMPLES.get(node.get("pattern", ""), ()):
            if example not in found:
                found.append(example)
    return found


def type_name(nodes: list[Schema]) -> str:
    names = []
    for node in nodes:
        kind = node.get("type")
        if kind == "array":
            inner = node.get("items", {})
            name = f"list of {inner.get('type') or inner.get('title') or 'values'}"
        elif kind == "object" or "properties" in node:
            name = node.get("title") or "mapping"
        elif "enum" in node:
            name = " | ".join(str(v) for v in node["enum"])
        elif "const" in node:
            name = repr(node["const"])
        else:
            name = str(kind or node.get("title") or "value")
        if kind == "string" and node.get("pattern") == DURATION:
            name = "duration (30s, 5m, 1h)"
        if name not in names:
            names.append(name)
    return " or ".join(n for n in names if n != "null") + (" (optional)" if "null" in names else "")


def description(nodes: list[Schema]) -> str:
    for node in nodes:
        text = node.get("description")
        if text:
            return str(text).replace("``", "`")
    return ""


def default_of(nodes: list[Schema]) -> Any:
    for node in nodes:
        if "default" in node:
            return node["default"]
    return None
