"""YAML with positions: spans of keys and values, syntax errors located, and a fuzzer that
checks the parser never raises anything but its own located error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wave_lsp.config.problems import Span
from wave_lsp.config.workspace import load_workspace
from wave_lsp.config.yaml_source import YamlSyntaxError, parse_yaml


def test_spans_of_keys_and_values() -> None:
    doc = parse_yaml("a:\n  b: [1, 2]\n  c: hello\n", "f.yaml")
    assert doc.data == {"a": {"b": [1, 2], "c": "hello"}}
    assert doc.key_span(("a", "c")) == Span(2, 2, 2, 3)
    assert doc.value_span(("a", "c")) == Span(2, 5, 2, 10)
    assert doc.value_span(("a", "b", 1)) == Span(1, 9, 1, 10)


def test_deepest_skips_parts_that_are_not_in_the_file() -> None:
    doc = parse_yaml("list:\n  - type: x\n    foo: 1\n", "f.yaml")
    assert doc.deepest(("list", 0, "directory_access", "foo")) == ("list", 0, "foo")
    assert doc.deepest(("nothing", "here")) == ()


def test_syntax_error_is_located() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml("a: 1\nb: [1, 2\n", "f.yaml")
    problem = caught.value.problem
    assert problem.code == "yaml-syntax"
    assert problem.path == "f.yaml"
    assert problem.line >= 2


def test_second_document_is_refused() -> None:
    with pytest.raises(YamlSyntaxError, match="expected one YAML document"):
        parse_yaml("a: 1\n---\nb: 2\n", "f.yaml")


def test_duplicate_keys_are_problems() -> None:
    doc = parse_yaml("a: 1\nb: 2\na: 3\n", "f.yaml")
    (problem,) = doc.problems
    assert problem.code == "duplicate-key"
    assert problem.line == 3
    assert "first written on line 1" in problem.message


def test_empty_document() -> None:
    doc = parse_yaml("# only a comment\n", "f.yaml")
    assert doc.data is None


yaml_like = st.text(
    alphabet=st.sampled_from(list("abc:- \n\t[]{}'\",#&*!|>%@`?0123456789é🚀")), max_size=200
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_like)
def test_fuzz_parser_only_raises_located_errors(text: str) -> None:
    try:
        doc = parse_yaml(text, "fuzz.yaml")
    except YamlSyntaxError as error:
        assert error.problem.line >= 1 and error.problem.column >= 1
        return
    for span in doc.value_spans.values():
        assert span.line >= 0 and span.column >= 0


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.sampled_from(["pipelines/p.yaml", "personas/p.yaml", "config.yaml", "rules/r.yaml"]),
    yaml_like,
)
def test_fuzz_loader_never_raises(
    tmp_path_factory: pytest.TempPathFactory, where: str, text: str
) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    path = root / ".wave" / where
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    workspace = load_workspace(root)
    for problem in workspace.problems:
        assert problem.line >= 1 and problem.column >= 1
        assert problem.message


_KEYS = [
    "pipeline",
    "persona",
    "id",
    "name",
    "type",
    "tasks",
    "dependencies",
    "inputs",
    "outputs",
    "from_task",
    "output_name",
    "prompt_template",
    "timeout",
    "retry_count",
    "security_context",
    "constraints",
    "allowed_hours",
    "execution",
    "notifications",
    "providers",
    "defaultProvider",
    "apiKey",
    "server",
    "port",
    "rules",
    "schema",
    "x",
]
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10),
    st.sampled_from(["llm", "30m", "a", "9-17", ""]),
)
_shapes = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(_KEYS), children, max_size=4),
    ),
    max_leaves=12,
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.sampled_from(["pipelines/p.yaml", "personas/p.yaml", "config.yaml", "rules/r.yaml"]), _shapes
)
def test_fuzz_loader_with_config_shaped_data(
    tmp_path_factory: pytest.TempPathFactory, where: str, data: object
) -> None:
    import yaml

    root = tmp_path_factory.mktemp("shaped")
    path = root / ".wave" / where
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    workspace = load_workspace(root)
    for problem in workspace.problems:
        assert problem.line >= 1 and problem.column >= 1
        assert problem.message


@st.composite
def _mutated_seed(draw: st.DrawFn) -> tuple[str, object]:
    import copy

    import yaml

    from tests.conftest import SEED

    name, where = draw(
        st.sampled_from(
            [
                ("pipeline.yaml", "pipelines/p.yaml"),
                ("persona.yaml", "personas/p.yaml"),
                ("system-config.yaml", "config.yaml"),
            ]
        )
    )
    data = copy.deepcopy(yaml.safe_load((SEED / name).read_text()))
    for _ in range(draw(st.integers(1, 3))):
        node = data
        while True:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            if isinstance(node[key], dict | list) and draw(st.booleans()):
                node = node[key]
                continue
            action = draw(st.sampled_from(["set", "delete", "unknown"]))
            if action == "set":
                node[key] = draw(_scalars)
            elif action == "delete" and isinstance(node, dict):
                del node[key]
            elif isinstance(node, dict):
                node[draw(st.sampled_from(_KEYS)) + "_"] = draw(_scalars)
            break
    return where, data


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(_mutated_seed())
def test_fuzz_loader_with_mutated_seed_examples(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[str, object]
) -> None:
    import yaml

    where, data = case
    root = tmp_path_factory.mktemp("mutated")
    path = root / ".wave" / where
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    workspace = load_workspace(root)
    lines = path.read_text().count("\n") + 1
    for problem in workspace.problems:
        assert 1 <= problem.line <= max(lines, 1)
        assert problem.column >= 1
        assert problem.message
