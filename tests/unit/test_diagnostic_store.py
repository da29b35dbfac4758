"""The diagnostics store keeps each source's diagnostics as JSON text: what it publishes must be
exactly what pygls would have sent for the same protocol objects, merged per (source, uri)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types
from pygls.protocol import default_converter

from wave_lsp.lsp.diagnostics import DiagnosticStore, compact, encode

CONVERTER = default_converter()

_json_scalars = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(max_size=8)
_json = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)

diagnostics = st.builds(
    types.Diagnostic,
    range=st.builds(
        types.Range,
        start=st.builds(types.Position, line=st.integers(0, 10**6), character=st.integers(0, 999)),
        end=st.builds(types.Position, line=st.integers(0, 10**6), character=st.integers(0, 999)),
    ),
    message=st.text(),
    severity=st.none() | st.sampled_from(list(types.DiagnosticSeverity)),
    code=st.none() | st.text(max_size=20) | st.integers(0, 999),
    code_description=st.none()
    | st.builds(types.CodeDescription, href=st.just("https://example.com/r#1")),
    source=st.none() | st.text(max_size=10),
    data=_json,
)


def _wire(diagnostic: types.Diagnostic) -> Any:
    return CONVERTER.unstructure(diagnostic)


@given(st.lists(diagnostics, max_size=5))
def test_encoded_diagnostics_are_what_pygls_sends(items: list[types.Diagnostic]) -> None:
    encoded = encode(compact(d) for d in items)
    assert encoded.isascii()
    assert json.loads(f"[{encoded}]") == [_wire(d) for d in items]


def _diagnostic(line: int, message: str, source: str) -> types.Diagnostic:
    position = types.Position(line=line, character=0)
    return types.Diagnostic(
        range=types.Range(start=position, end=position), message=message, source=source
    )


def test_sources_are_merged_and_kept_apart() -> None:
    sent: list[dict[str, Any]] = []
    store = DiagnosticStore(lambda text: sent.append(json.loads(text)))
    uri = "file:///tmp/a%20b/é.py"
    store.set("rules", uri, [_diagnostic(1, "one", "rules")], version=3)
    store.set("review", uri, [_diagnostic(2, "two", "review")])
    store.set("rules", uri, [_diagnostic(4, "four", "rules")], version=4)
    assert [m["method"] for m in sent] == ["textDocument/publishDiagnostics"] * 3
    assert sent[0]["params"]["version"] == 3 and "version" not in sent[1]["params"]
    assert sent[-1]["params"]["uri"] == uri
    assert [d["message"] for d in sent[-1]["params"]["diagnostics"]] == ["four", "two"]
    assert [d.message for d in store.get(uri)] == ["four", "two"]
    assert [d.message for d in store.get(uri, "review")] == ["two"]
    store.clear("rules", uri)
    assert [d["message"] for d in sent[-1]["params"]["diagnostics"]] == ["two"]
    assert store.uris("rules") == [] and store.uris("review") == [uri]
    store.clear("review", uri)
    assert sent[-1]["params"]["diagnostics"] == []


def test_pull_mode_keeps_without_publishing() -> None:
    sent: list[str] = []
    changes: list[int] = []
    store = DiagnosticStore(sent.append)
    store.pull = True
    store.on_pull_change = lambda: changes.append(1)
    store.set("rules", "file:///x", [_diagnostic(0, "kept", "rules")])
    assert sent == [] and changes == [1]
    assert store.get("file:///x")[0] == _diagnostic(0, "kept", "rules")


def test_a_finding_is_encoded_as_its_diagnostic() -> None:
    from wave_lsp.config.problems import Span
    from wave_lsp.lsp.convert import finding_compact, finding_json, finding_to_diagnostic
    from wave_lsp.validation.engine import Finding, Fix

    lines = ["x = 1  # TODO: é later\n", "y = 2\n"]
    fix = Fix(Span(0, 0, 0, 1), "z", "safe", "Replace 'x' with 'z'")
    for finding in (
        Finding("quality.todo", "TODO", "info", "quality", "TODO: é", Span(0, 9, 0, 13), "a.py"),
        Finding("r.fix", "R", "critical", "security", 'say "hi"', Span(1, 0, 1, 0), "a.py", fix,
                "https://example.com/r"),
    ):  # fmt: skip
        expected = _wire(finding_to_diagnostic(finding, lines, None))
        assert json.loads(finding_json(finding, lines, None)) == expected
        assert json.loads(encode([finding_compact(finding, lines, None)])) == expected
