"""The tasks of a pipeline file as written, with positions: each task's id (where it is defined),
name, type and outputs, and every use of a task id (``dependencies``, block or flow list, and
``from_task``) — for completion, hover, definition, references and rename. Read from the lines
(see :mod:`wave_lsp.authoring.place`), so a file with a fault elsewhere still has its tasks."""

from __future__ import annotations

from dataclasses import dataclass, field

import regex

from wave_lsp.authoring.place import Line, parse_lines, walk

NAME = regex.compile(r"[\w.-]+")


@dataclass(frozen=True, slots=True)
class Span:
    line: int
    start: int
    end: int


@dataclass(slots=True)
class TaskEntry:
    id: str
    index: int
    span: Span
    name: str = ""
    type: str = ""
    outputs: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TaskIndex:
    tasks: dict[str, TaskEntry] = field(default_factory=dict)
    uses: list[tuple[str, Span]] = field(default_factory=list)
    """(task id, where it is named) for every dependency and ``from_task``."""

    def occurrences(self, task_id: str) -> list[Span]:
        """The definition first, then every use."""
        found = [self.tasks[task_id].span] if task_id in self.tasks else []
        return found + [span for name, span in self.uses if name == task_id]

    def at(self, line: int, column: int) -> str | None:
        """The task id at a position (its definition or a use)."""
        for name, span in [*((t.id, t.span) for t in self.tasks.values()), *self.uses]:
            if span.line == line and span.start <= column <= span.end:
                return name
        return None


def _value_span(line: Line) -> Span | None:
    text = line.text
    colon = text.find(":", line.key_column)
    found = NAME.search(text, colon + 1) if colon >= 0 else None
    if found is None:
        return None
    return Span(line.number, found.start(), found.end())


def index_tasks(text: str) -> TaskIndex:
    index = TaskIndex()
    parsed = parse_lines(text)
    by_index: dict[int, TaskEntry] = {}
    pending: list[tuple[int, str, Line]] = []
    for line, found in walk(parsed):
        if line.key is None:  # "- name" in a block list
            word = NAME.match(line.text, line.key_column)
            if found[-2:-1] == ["dependencies"] and word is not None:
                index.uses.append((word.group(0), Span(line.number, word.start(), word.end())))
            continue
        path = found[:-1]
        if len(path) < 3 or path[:2] != ["pipeline", "tasks"] or not isinstance(path[2], int):
            continue
        task = path[2]
        rest = [*path[3:], line.key]
        if rest == ["id"]:
            span = _value_span(line)
            if span is not None:
                entry = TaskEntry(line.text[span.start : span.end], task, span)
                by_index[task] = entry
                index.tasks[entry.id] = entry
        elif rest in (["name"], ["type"]) or (len(rest) == 3 and rest[0] == "outputs"
                                                and rest[2] == "name"):  # fmt: skip
            pending.append((task, str(rest[0]), line))
        elif rest == ["dependencies"]:
            start = line.text.find("[", line.key_column)
            if start >= 0:
                end = line.text.find("]", start)
                inside = line.text[start + 1 : end if end >= 0 else len(line.text)]
                for word in NAME.finditer(inside):
                    span = Span(line.number, start + 1 + word.start(), start + 1 + word.end())
                    index.uses.append((word.group(0), span))
        elif len(rest) == 3 and rest[0] == "inputs" and rest[2] == "from_task":
            span = _value_span(line)
            if span is not None:
                index.uses.append((line.text[span.start : span.end], span))
    for task, key, line in pending:
        owner = by_index.get(task)
        if owner is None:
            continue
        entry = owner
        value = line.value.strip("'\"")
        if key == "name":
            entry.name = value
        elif key == "type":
            entry.type = value
        else:
            entry.outputs.append(value)
    return index
