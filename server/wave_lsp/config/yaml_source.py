"""YAML parsed together with the position of every key and value.

PyYAML's composer gives each node its start and end mark; we keep those by path (the tuple of
keys and indices that leads to a value) so that an error found later, by pydantic or by a
cross-reference check, can be reported at the exact line and column of the offending key.

Before anything is composed, the event stream is checked against two bounds, with a located
error: nesting deeper than :data:`MAX_DEPTH` (the composer recurses; 10k levels would overflow
the stack) and aliases that expand past :data:`MAX_NODES` nodes (a kilobyte of nested anchors,
"billion laughs", stands for 10^9 values that every later walk would visit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from wave_lsp.config.problems import FILE_START, Problem, ProblemSeverity, Span

try:  # libyaml is an order of magnitude faster; fall back to pure Python where it is missing.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path_ = tuple[str | int, ...]

MAX_DEPTH = 100
"""Mappings and lists nested at most this deep."""
MAX_NODES = 100_000
"""Values a document may stand for once its aliases are expanded."""


@dataclass
class YamlDocument:
    """The data of one YAML file and where each part of it was written."""

    path: str
    data: Any
    key_spans: dict[Path_, Span] = field(default_factory=dict)
    value_spans: dict[Path_, Span] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def has(self, loc: Path_) -> bool:
        return loc in self.value_spans

    def key_span(self, loc: Path_) -> Span:
        """The span of the key that holds ``loc`` (or of the item, in a list)."""
        return self.key_spans.get(loc) or self.value_spans.get(loc) or FILE_START

    def value_span(self, loc: Path_) -> Span:
        return self.value_spans.get(loc) or self.key_spans.get(loc) or FILE_START

    def deepest(self, loc: tuple[Any, ...]) -> Path_:
        """The longest prefix of ``loc`` that exists in the file, skipping parts that are not
        keys or indices of the data (pydantic adds union tags and model names to its paths)."""
        found: Path_ = ()
        for part in loc:
            candidate = (*found, part)
            if candidate in self.value_spans:
                found = candidate
        return found


class YamlSyntaxError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.format())
        self.problem = problem


TAB_HINT = "YAML does not allow tabs for indentation: use spaces"
_HINTS = (
    ("mapping values are not allowed here", "", "put a space after ':' or quote the value"),
    ("could not find expected ':'", "", "each key needs a ':' after it"),
    ("did not find expected key", "", "check the indentation of this line"),
    ("found undefined alias", "", "define the anchor (&name) before using it (*name)"),
    ("did not find expected '-' indicator", "", "items of a list must line up"),
    ("found unexpected end of stream", "", "close the quote or bracket that was opened"),
)


def _char_at(text: str, span: Span) -> str:
    lines = text.splitlines()
    if span.line < len(lines) and span.column < len(lines[span.line]):
        return lines[span.line][span.column]
    return ""


def _syntax_problem(path: str, error: yaml.YAMLError, text: str) -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    span = Span.point(mark.line, mark.column) if mark is not None else FILE_START
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = f"invalid YAML: {problem}"
    if context:
        message += f" ({context})"
    fix = TAB_HINT if _char_at(text, span) == "\t" else None
    for needle, extra, hint in _HINTS:
        if fix is None and needle in problem and extra in problem:
            fix = hint
            break
    return Problem(path, span, message, "yaml-syntax", ProblemSeverity.ERROR, fix)


def _span(node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(start.line, start.column, end.line, end.column)


def _key_of(node: yaml.Node) -> str | int:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:int":
            try:
                return int(node.value, 0)
            except ValueError:
                return str(node.value)
        return str(node.value)
    return str(node.start_mark)


def _walk(node: yaml.Node, path: Path_, doc: YamlDocument) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str | int, Span] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = _key_of(key_node)
            child = (*path, key)
            key_span = _span(key_node)
            if key in seen:
                first = seen[key]
                doc.problems.append(
                    Problem(
                        doc.path,
                        key_span,
                        f"duplicate key '{key}' (first written on line {first.line + 1}); "
                        "the later value silently wins",
                        "duplicate-key",
                        ProblemSeverity.ERROR,
                        "remove one of the two",
                    )
                )
            seen[key] = key_span
            doc.key_spans[child] = key_span
            doc.value_spans[child] = _span(value_node)
            _walk(value_node, child, doc)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            doc.value_spans[child] = _span(item)
            doc.key_spans[child] = _span(item)
            _walk(item, child, doc)


def _bounded(text: str, path: str) -> None:
    """Refuse a document nested too deep or whose aliases expand too far (before composing)."""
    sizes: dict[str, int] = {}  # anchor -> values it stands for
    frames: list[list[Any]] = []  # [anchor, values so far] of each open collection
    total = 0
    loader = _Loader(text)
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, yaml.CollectionStartEvent):
                if len(frames) >= MAX_DEPTH:
                    raise _bound_error(
                        path,
                        event.start_mark,
                        f"nested more than {MAX_DEPTH} levels deep",
                        "flatten the structure",
                    )
                frames.append([event.anchor, 1])
                total += 1
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                anchor, count = frames.pop()
                if anchor:
                    sizes[anchor] = count
                if frames:
                    frames[-1][1] += count
                continue
            if isinstance(event, yaml.AliasEvent):
                count = sizes.get(event.anchor or "", 1)
            elif isinstance(event, yaml.ScalarEvent):
                count = 1
                if event.anchor:
                    sizes[event.anchor] = 1
            else:
                continue
            total += count
            if frames:
                frames[-1][1] += count
            if total > MAX_NODES:
                raise _bound_error(
                    path,
                    event.start_mark,
                    f"its aliases expand to more than {MAX_NODES} values",
                    "write the values out instead of nesting anchors (&name) and aliases (*name)",
                )
    except yaml.YAMLError:
        return  # composing reports the syntax error, with its position
    finally:
        loader.dispose()


def _bound_error(path: str, mark: Any, what: str, fix: str) -> YamlSyntaxError:
    span = Span.point(mark.line, mark.column) if mark is not None else FILE_START
    return YamlSyntaxError(
        Problem(path, span, f"refused YAML: {what}", "yaml-too-large", ProblemSeverity.ERROR, fix)
    )


def parse_yaml(text: str, path: str) -> YamlDocument:
    """Parse one YAML document; raise :class:`YamlSyntaxError` with its position when the text
    is not YAML, holds more than one document, or is nested or aliased beyond the bounds."""
    _bounded(text, path)
    loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        except yaml.composer.ComposerError as error:
            if "expected a single document" in str(error):
                mark = error.problem_mark
                span = Span.point(mark.line, mark.column) if mark else FILE_START
                raise YamlSyntaxError(
                    Problem(
                        path,
                        span,
                        "expected one YAML document, found a second ('---')",
                        "yaml-syntax",
                        fix="put each document in its own file",
                    )
                ) from error
            raise YamlSyntaxError(_syntax_problem(path, error, text)) from error
        except yaml.YAMLError as error:
            raise YamlSyntaxError(_syntax_problem(path, error, text)) from error
        except (ValueError, TypeError, RecursionError) as error:
            # e.g. an unhashable key such as `? [a, b]`, or a timestamp out of range.
            raise YamlSyntaxError(
                Problem(path, FILE_START, f"invalid YAML: {error}", "yaml-syntax")
            ) from error
    finally:
        loader.dispose()
    doc = YamlDocument(path=path, data=data)
    if root is not None:
        doc.value_spans[()] = _span(root)
        _walk(root, (), doc)
    return doc
