"""Where the cursor is in a YAML file that is being written (so often not valid YAML): the path
of keys and list indices that leads to it, whether it stands where a key or a value goes, the
word typed so far, and the keys (with their values) of the mapping it is in — read from the
lines' indentation, as a user reads them, not from a parser that gives up on the first fault.

Block style is understood (``key:``, ``- item``, ``- key: value``), and a flow list on one line
(``dependencies: [a, b``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import regex

PathPart = str | int

LINE = regex.compile(
    r"^(?P<indent>[ ]*)(?P<dashes>(?:-(?:[ ]+|$))*)(?:(?P<key>[A-Za-z_$][\w.$-]*)[ ]*:(?=[ ]|$)"
    r"[ ]*(?P<value>.*?)|(?P<scalar>[^#].*?))?[ ]*(?:[ ]#.*)?$"
)
WORD = regex.compile(r"[\w.:$/*-]*$")


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


def parse_line(number: int, text: str) -> Line | None:
    stripped = text.strip()
    if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
        return None
    match = LINE.match(text.rstrip("\r\n"))
    if match is None:
        return None
    indent = len(match["indent"])
    dashes = match["dashes"] or ""
    columns, column = [], indent
    for part in regex.findall(r"-(?:[ ]+|$)", dashes):
        columns.append(column)
        column += len(part)
    return Line(number, text, tuple(columns), column, match["key"], (match["value"] or "").strip())


def parse_lines(text: str) -> list[Line | None]:
    return [parse_line(number, line) for number, line in enumerate(text.split("\n"))]


def place_at(text: str, line: int, column: int) -> Place:
    lines = text.split("\n")
    current = lines[line] if line < len(lines) else ""
    head = current[:column]
    parsed = [parse_line(n, t) for n, t in enumerate(lines)]
    match = LINE.match(head)
    word_match = WORD.search(head)
    word = word_match.group(0) if word_match else ""
    word_start = column - len(word)
    dashes = regex.match(r"^[ ]*(?:-[ ]+)*", head)
    content_column = dashes.end() if dashes else 0
    path: list[PathPart]
    in_list = False
    if match is not None and match["key"] is not None and head.rstrip().endswith(":") is False:
        # "key: valu|" — a value of `key` (or an item of its flow list)
        key = match["key"]
        value = match["value"] or ""
        key_column = content_column
        path = [*parents(parsed, line, key_column, bool(match["dashes"])), key]
        if "[" in value and "]" not in value[value.rfind("[") :]:
            in_list = True
            word_match = regex.search(r"[^\[,\s]*$", head)
            word = word_match.group(0) if word_match else ""
            word_start = column - len(word)
        place = Place(path, False, word, word_start, in_list=in_list)
        place.siblings = siblings(parsed, line, key_column, bool(match["dashes"]))
        place.siblings.pop(key, None)
        return place
    if match is not None and match["key"] is not None:
        # "key:|" — as good as a value position for the key
        key = match["key"]
        path = [*parents(parsed, line, content_column, bool(match["dashes"])), key]
        return Place(path, False, "", column, siblings(parsed, line, content_column, False))
    in_item = content_column > len(head) - len(head.lstrip(" ")) and head.strip().startswith("-")
    starts_item = bool(dashes and "-" in head[: dashes.end()])
    word_is_value = starts_item and _parent_is_list(parsed, line, content_column, lines)
    if word_is_value:  # "- valu|" in a list of scalars
        base = parents(parsed, line, content_column, True)
        return Place(base[:-1], False, word, word_start, in_list=True)
    # a key goes here: "  ke|" or "  - ke|"
    key_column = content_column if head.strip() else column
    path = parents(parsed, line, key_column, in_item or starts_item)
    place = Place(path, True, word, word_start, siblings(parsed, line, key_column, starts_item))
    place.item_start = starts_item and not place.siblings
    return place


def _parent_is_list(parsed: list[Line | None], line: int, column: int, lines: list[str]) -> bool:
    """Whether the ``- `` item at ``line`` is an item of a list of scalars (its siblings have
    no keys), rather than the first key of a mapping in a list."""
    dash = column - 2
    for other in (*reversed(parsed[:line]), *parsed[line + 1 :]):
        if other is None or other.number == line:
            continue
        if other.dash_columns and other.dash_columns[-1] == dash:
            return other.key is None
        if other.key_column < column and not other.dash_columns:
            break
    return False


def parents(parsed: list[Line | None], line: int, column: int, item: bool) -> list[PathPart]:
    """The path to the mapping (or list) whose key or item starts at ``column`` on ``line``;
    ``item``: the line itself starts a list item."""
    path: list[PathPart] = []
    want = column
    in_item = item
    if in_item:
        want = column - 2 if column >= 2 else 0
        path.insert(0, _index(parsed, line, want))
    for other in reversed(parsed[:line]):
        if other is None:
            continue
        if in_item and other.key is None and not other.dash_columns:
            continue
        if other.dash_columns and other.key_column == want and other.dash_columns[-1] < want:
            # the first key of the list item we are in
            dash = other.dash_columns[-1]
            path.insert(0, _index(parsed, other.number, dash))
            want, in_item = dash, True
            continue
        if other.key_column < want or (in_item and other.key_column == want and other.key
                                       and not other.dash_columns and not other.value):  # fmt: skip
            if other.key is None:
                continue
            path.insert(0, other.key)
            want, in_item = other.key_column, False
            if other.dash_columns and other.dash_columns[-1] < want:
                dash = other.dash_columns[-1]
                path.insert(0, _index(parsed, other.number, dash))
                want, in_item = dash, True
    return path


def _index(parsed: list[Line | None], line: int, dash: int) -> int:
    """The index of the list item whose ``-`` is at column ``dash`` on ``line``."""
    index = 0
    for other in reversed(parsed[:line]):
        if other is None:
            continue
        if dash in other.dash_columns:
            index += 1
        elif other.key_column <= dash:
            break
    return index


def siblings(parsed: list[Line | None], line: int, column: int, item: bool) -> dict[str, str]:
    """The keys written at ``column`` in the same mapping as ``line`` (above and below it)."""
    found: dict[str, str] = {}
    for direction in (1,) if item else (-1, 1):  # a new item has nothing above it
        number = line + direction
        started_item = item
        while 0 <= number < len(parsed):
            other = parsed[number]
            number += direction
            if other is None:
                continue
            if other.key_column < column:
                if direction < 0 and other.dash_columns and other.key is not None:
                    found.setdefault(other.key, other.value)  # the item's first key
                break
            new_item = other.dash_columns and other.dash_columns[-1] < column
            if other.key_column == column and new_item and other.number != line:
                if direction < 0 and not started_item:
                    found.setdefault(other.key or "", other.value)
                break  # another item of the list begins
            if other.key_column == column and other.key is not None and other.number != line:
                found.setdefault(other.key, other.value)
            started_item = False
    found.pop("", None)
    return found
