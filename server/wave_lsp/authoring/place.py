"""Where the cursor is in a YAML file that is being written (so often not valid YAML): the path
of keys and list indices that leads to it, whether it stands where a key or a value goes, the
word typed so far, and the keys (with their values) of the mapping it is in — read from the
lines' indentation in one pass, as a user reads them, not from a parser that gives up on the
first fault.

Block style is understood (``key:``, ``- item``, ``- key: value``, block scalars ``key: |``,
whose lines are text), and a flow list on one line (``dependencies: [a, b``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import regex

PathPart = str | int

LINE = regex.compile(
    r"^(?P<indent>[ ]*)(?P<dashes>(?:-(?:[ ]+|$))*)(?:(?P<key>[A-Za-z_$][\w.$-]*)[ ]*:(?=[ ]|$)"
    r"[ ]*(?P<value>.*?)|(?P<scalar>[^#].*?))?[ ]*(?:[ ]#.*)?$"
)
WORD = regex.compile(r"[\w.:$/*-]*$")
BLOCK_SCALAR = regex.compile(r"^[|>][-+0-9]*$")


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    text: str
    dash_columns: tuple[int, ...]
    key_column: int
    """Where the line's key (or its list item's content) starts."""
    key: str | None
    value: str


@dataclass(slots=True)
class Place:
    path: list[PathPart]
    """Keys and indices from the top down to the mapping or list the cursor is in (for a value:
    down to the key whose value it is)."""
    at_key: bool
    """A key goes here (else a value of ``path[-1]``, or an item of the list ``path``)."""
    word: str
    """What is typed of the key or value before the cursor."""
    word_start: int
    """The column where that starts."""
    siblings: dict[str, str] = field(default_factory=dict)
    """The other keys of the mapping the cursor is in, with their values as written."""
    in_list: bool = False
    """A value inside a list (a ``- item`` line or a flow list)."""
    item_start: bool = False
    """At a key that begins a new list item (``- |``): a value instead if the list holds
    scalars (the schema says)."""


@dataclass(slots=True)
class _Frame:
    column: int
    part: PathPart
    item: bool


def parse_line(number: int, text: str) -> Line | None:
    stripped = text.strip()
    if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
        return None
    match = LINE.match(text.rstrip("\r\n"))
    if match is None:
        return None
    indent = len(match["indent"])
    columns, column = [], indent
    for part in regex.findall(r"-(?:[ ]+|$)", match["dashes"] or ""):
        columns.append(column)
        column += len(part)
    return Line(number, text, tuple(columns), column, match["key"], (match["value"] or "").strip())


def parse_lines(text: str) -> list[Line | None]:
    return [parse_line(number, line) for number, line in enumerate(text.split("\n"))]


def _items(stack: list[_Frame], dash: int) -> None:
    while stack and stack[-1].column > dash:
        stack.pop()
    index = 0
    if stack and stack[-1].item and stack[-1].column == dash:
        index = int(stack.pop().part) + 1
    stack.append(_Frame(dash, index, True))


def _keyed(stack: list[_Frame], column: int) -> None:
    while stack and stack[-1].column >= column:
        stack.pop()


def walk(
    parsed: list[Line | None], stop: int | None = None
) -> Iterator[tuple[Line, list[PathPart]]]:
    """Each line with a key (its path, the key last) or a ``- scalar`` item (the path of the
    item), in order, up to line ``stop``; the lines of block scalars are skipped. The stack it
    keeps is the state before ``stop`` (see :func:`state_before`)."""
    stack: list[_Frame] = []
    yield from _walk(parsed, stack, stop)


def _walk(
    parsed: list[Line | None], stack: list[_Frame], stop: int | None
) -> Iterator[tuple[Line, list[PathPart]]]:
    block: int | None = None
    for line in parsed[:stop]:
        if line is None:
            continue
        indent = len(line.text) - len(line.text.lstrip(" "))
        if block is not None:
            if indent > block:
                continue
            block = None
        for dash in line.dash_columns:
            _items(stack, dash)
        if line.key is not None:
            _keyed(stack, line.key_column)
            yield line, [*(f.part for f in stack), line.key]
            stack.append(_Frame(line.key_column, line.key, False))
            if BLOCK_SCALAR.match(line.value):
                block = line.key_column
        elif line.dash_columns:
            yield line, [f.part for f in stack]


def state_before(parsed: list[Line | None], line: int) -> list[_Frame]:
    stack: list[_Frame] = []
    for _ in _walk(parsed, stack, line):
        pass
    return stack


def place_at(text: str, line: int, column: int) -> Place:
    lines = text.split("\n")
    current = lines[line] if line < len(lines) else ""
    head = current[:column]
    parsed = [parse_line(n, t) for n, t in enumerate(lines)]
    stack = state_before(parsed, line)
    word_match = WORD.search(head)
    word = word_match.group(0) if word_match else ""
    match = LINE.match(head)
    here = parse_line(line, head)
    for dash in here.dash_columns if here is not None else ():
        _items(stack, dash)
    if match is not None and match["key"] is not None and here is not None:
        # "key: valu|" (or "key:|"): a value of `key`, or an item of its flow list
        _keyed(stack, here.key_column)
        mapping = [f.part for f in stack]
        value = match["value"] or ""
        in_list = "[" in value and "]" not in value[value.rfind("[") :]
        if in_list:
            word_match = regex.search(r"[^\[,\s]*$", head)
            word = word_match.group(0) if word_match else ""
        found = Place([*mapping, match["key"]], False, word, column - len(word), in_list=in_list)
        found.siblings = siblings(parsed, mapping, line)
        return found
    starts_item = bool(here is not None and here.dash_columns)
    key_column = here.key_column if here is not None else column
    if not starts_item:
        _keyed(stack, key_column)
    # "  ke|", or a new item "- |" / "- ke|" (a key of a mapping item, or a scalar item: the
    # schema tells which, see Place.item_start)
    mapping = [f.part for f in stack]
    found = Place(mapping, True, word, column - len(word), siblings(parsed, mapping, line))
    found.item_start = starts_item
    return found


def siblings(parsed: list[Line | None], mapping: list[PathPart], line: int) -> dict[str, str]:
    """The keys written in the mapping at ``mapping`` (but on ``line``), with their values."""
    found: dict[str, str] = {}
    for other, path in walk(parsed):
        if other.number != line and other.key is not None and path[:-1] == mapping:
            found.setdefault(other.key, other.value)
    return found
