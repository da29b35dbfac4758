"""Help at a position of a Wave file: completion (the keys valid there and not yet written, the
values the schema allows, the things a reference may name), hover (the field's documentation
and type; on a reference, what it names), definition, the occurrences of a task id (for
references and rename) and the document's outline."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import regex

from wave_lsp.authoring import schema_nav as nav
from wave_lsp.authoring.place import Place, parse_line, place_at
from wave_lsp.authoring.referents import Referents, Target, reference_kind
from wave_lsp.authoring.task_index import Span, TaskIndex, index_tasks

if TYPE_CHECKING:
    from wave_lsp.config.workspace import WaveWorkspace

WORD_AROUND = regex.compile(r"[\w.:$/*-]+")


@dataclass(frozen=True, slots=True)
class Item:
    label: str
    kind: Literal["property", "value", "reference"]
    detail: str = ""
    documentation: str = ""
    insert_text: str = ""
    start: int = 0
    """The column from which the item replaces what is typed (to the cursor)."""


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str
    detail: str
    kind: Literal["module", "function", "field"]
    line: int
    start: int
    end: int
    children: list[Symbol] = field(default_factory=list)


class Assistant:
    def __init__(self, kind: str, text: str, workspace: WaveWorkspace | None) -> None:
        self.kind = kind
        self.text = text
        self.lines = text.split("\n")
        self.schema = nav.file_schema(kind)
        self.tasks: TaskIndex = index_tasks(text) if kind == "pipeline" else TaskIndex()
        self.referents = Referents(workspace, self.tasks)

    # -- completion ----------------------------------------------------------------------------

    def complete(self, line: int, column: int) -> list[Item]:
        place = place_at(self.text, line, column)
        if place.item_start and place.path and isinstance(place.path[-1], int):
            items = nav.at_path(self.schema, place.path)
            if items and not nav.properties(self.schema, items):  # a list of scalars
                place.path, place.at_key, place.in_list = place.path[:-1], False, True
                place.siblings = {}
        if place.at_key:
            return self._keys(place)
        return self._values(place, line)

    def _keys(self, place: Place) -> list[Item]:
        nodes = nav.at_path(self.schema, place.path)
        items = []
        for name, schema in nav.properties(self.schema, nodes).items():
            if name in place.siblings:
                continue
            alternatives = schema.get("_alternatives", [schema])
            container = any(a.get("type") in ("object", "array") or "properties" in a
                            for a in alternatives)  # fmt: skip
            insert = f"{name}:" if container else f"{name}: "
            items.append(Item(name, "property", nav.type_name(alternatives),
                              nav.description(alternatives), insert, place.word_start))  # fmt: skip
        return items

    def _values(self, place: Place, line: int) -> list[Item]:
        nodes = nav.at_path(self.schema, place.path)
        if place.in_list:
            nodes = nav.items_of(self.schema, nodes)
        items = []
        kind = reference_kind(place.path, self.kind)
        if kind is not None:
            listed = _listed(place, self.lines, line)
            for target in self.referents.candidates(kind, place):
                if target.name not in listed:
                    items.append(Item(target.name, "reference", target.detail, target.documentation,
                                      target.name, place.word_start))  # fmt: skip
        for value in nav.values(nodes):
            text = json.dumps(value) if not isinstance(value, str) else value
            items.append(Item(text, "value", nav.type_name(nodes), "", text, place.word_start))
        return items

    # -- hover and definition ------------------------------------------------------------------

    def hover(self, line: int, column: int) -> tuple[str, Span] | None:
        found = self._at(line, column)
        if found is None:
            return None
        path, word, span, on_key = found
        if not on_key:
            kind = reference_kind(path, self.kind)
            target = self.referents.lookup(kind, word) if kind else None
            if target is not None and target.documentation:
                return target.documentation, span
        nodes = nav.at_path(self.schema, path)
        if not nodes or not path:
            return None
        text = f"**{path[-1]}**: {nav.type_name(nodes)}"
        description = nav.description(nodes)
        if description:
            text += f"\n\n{description}"
        default = nav.default_of(nodes)
        if default not in (None, [], {}):
            text += f"\n\ndefault: `{json.dumps(default)}`"
        return text, span

    def definition(self, line: int, column: int) -> Target | None:
        found = self._at(line, column)
        if found is None or found[3]:
            return None
        path, word, _, _ = found
        kind = reference_kind(path, self.kind)
        return self.referents.lookup(kind, word) if kind else None

    def task_at(self, line: int, column: int) -> str | None:
        return self.tasks.at(line, column)

    def _at(self, line: int, column: int) -> tuple[list[Any], str, Span, bool] | None:
        """The path of the key or value under the cursor, its word, where it is, and whether
        it is the key."""
        if line >= len(self.lines):
            return None
        text = self.lines[line]
        parsed = parse_line(line, text)
        if parsed is None:
            return None
        if parsed.key is not None and parsed.key_column <= column <= parsed.key_column + len(
            parsed.key
        ):
            place = place_at(self.text, line, parsed.key_column + len(parsed.key) + 1)
            end = parsed.key_column + len(parsed.key)
            return place.path, parsed.key, Span(line, parsed.key_column, end), True
        for match in WORD_AROUND.finditer(text):
            if match.start() <= column <= match.end() and match.start() >= parsed.key_column:
                place = place_at(self.text, line, match.end())
                span = Span(line, match.start(), match.end())
                return place.path, match.group(0).strip("'\""), span, False
        return None

    # -- outline -------------------------------------------------------------------------------

    def symbols(self) -> list[Symbol]:
        top: list[Symbol] = []
        for number, text in enumerate(self.lines):
            parsed = parse_line(number, text)
            if parsed is None or parsed.key is None or parsed.dash_columns:
                continue
            if parsed.key_column == 0:
                top.append(Symbol(parsed.key, parsed.value, "module", number, 0, len(text)))
            elif parsed.key_column == 2 and top:
                top[-1].children.append(Symbol(parsed.key, parsed.value[:60], "field", number,
                                               2, len(text)))  # fmt: skip
        if self.kind == "pipeline" and top:
            tasks = [Symbol(t.id, t.name, "function", t.span.line, t.span.start, t.span.end)
                     for t in self.tasks.tasks.values()]  # fmt: skip
            for child in top[0].children:
                if child.name == "tasks":
                    child.children.extend(tasks)
        return top


def _listed(place: Place, lines: list[str], line: int) -> set[str]:
    """The values already in the list at the cursor (not offered again): the other entries of
    a flow list on its line, or the other ``- item`` lines of a block list."""
    if not place.in_list:
        return set()
    text = lines[line]
    if "[" in text:
        inside = text[text.find("[") + 1 :].split("]", 1)[0]
        return {v.strip().strip("'\"") for v in inside.split(",")} - {place.word, ""}
    column = len(text) - len(text.lstrip(" "))
    found: set[str] = set()
    for direction in (-1, 1):
        number = line + direction
        while 0 <= number < len(lines):
            other = lines[number]
            indent = len(other) - len(other.lstrip(" "))
            if not other.strip():
                number += direction
                continue
            if indent != column or not other.lstrip().startswith("-"):
                break
            found.add(other.strip()[1:].strip().strip("'\""))
            number += direction
    return found


def path_of_source(target: Target, document: Path) -> Path:
    return Path(target.path) if target.path else document
