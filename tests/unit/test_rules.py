"""Rules load only when they are sound: their examples pass, their regexes compile, their
conditions use known variables. Workspaces re-configure built-in rules by id."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import WriteFile
from wave_lsp.config.workspace import load_workspace
from wave_lsp.validation.engine import Engine, Snapshot
from wave_lsp.validation.fixes import apply_fixes, safe_fixes


def test_every_builtin_rule_loads_with_its_examples() -> None:
    workspace = load_workspace(None, check_builtins=True)
    assert workspace.problems == []
    rules = workspace.rules
    assert len(rules) >= 35
    for compiled in rules.values():
        rule = compiled.rule
        if not rule.id.startswith("compliance."):
            assert rule.examples.match, f"{rule.id} has no match example"
        assert rule.description, rule.id
    types = {c.rule.type for c in rules.values()}
    assert types == {"security", "quality", "performance", "compliance", "resource"}
    assert not rules["compliance.license-header"].rule.enabled


def rule_file(write: WriteFile, body: str) -> Path:
    return write(".wave/rules/team.yaml", "rules:\n" + body)


@pytest.mark.parametrize(
    ("body", "line", "column", "fragment"),
    [
        (
            "  - id: bad-regex\n    name: x\n    type: quality\n    pattern-regex: '[unclosed'\n",
            5,
            20,
            "invalid regular expression",
        ),
        (
            "  - id: bad-example\n    name: x\n    type: quality\n    pattern-regex: 'foo'\n"
            "    examples:\n      match: ['bar']\n",
            7,
            15,
            "its example finds nothing: 'bar'",
        ),
        (
            "  - id: bad-no-match\n    name: x\n    type: quality\n    pattern-regex: 'foo'\n"
            "    examples:\n      no_match: ['a foo']\n",
            7,
            18,
            "its no_match example is found at line 1",
        ),
        (
            "  - id: bad-cel\n    name: x\n    type: quality\n    pattern-regex: 'foo'\n"
            "    condition: 'mtch.line > 1'\n",
            6,
            16,
            "unknown variable 'mtch'",
        ),
        (
            "  - id: bad-cel-syntax\n    name: x\n    type: quality\n    pattern-regex: 'foo'\n"
            "    condition: 'match.line >'\n",
            6,
            16,
            "condition does not compile",
        ),
        (
            "  - id: bad-placeholder\n    name: x\n    type: quality\n    pattern-regex: 'foo'\n"
            "    message: 'found {{thing}}'\n",
            6,
            14,
            "message uses {{thing}}",
        ),
        (
            "  - id: bad-detector\n    name: x\n    type: security\n    detector: NoSuchDetector\n",
            5,
            15,
            "unknown detector 'NoSuchDetector'",
        ),
        (
            "  - id: nothing-to-match\n    name: x\n    type: quality\n",
            2,
            9,
            "a rule needs something to match",
        ),
        (
            "  - id: new-rule\n    severity: error\n    pattern-regex: x\n",
            2,
            9,
            "is not a built-in rule, so it needs 'name'",
        ),
    ],
)
def test_unsound_rules_are_refused_at_their_place(
    workspace: Path, write: WriteFile, body: str, line: int, column: int, fragment: str
) -> None:
    rule_file(write, body)
    loaded = load_workspace(workspace)
    problems = [p for p in loaded.problems if p.path.endswith("team.yaml")]
    assert problems, loaded.problems
    problem = problems[0]
    assert fragment in problem.message
    assert (problem.line, problem.column) == (line, column)
    rule_id = body.split("id: ")[1].split("\n", maxsplit=1)[0]
    assert rule_id not in loaded.rules
    assert "security.eval" in loaded.rules  # the other rules still load


def test_workspace_reconfigures_a_builtin_rule(workspace: Path, write: WriteFile) -> None:
    write(
        ".wave/config.yaml",
        "rules:\n"
        "  - {id: quality.line-too-long, severity: error, parameters: {max_length: 10}}\n"
        "  - {id: quality.todo, enabled: false}\n",
    )
    rules = load_workspace(workspace).rules
    line_rule = rules["quality.line-too-long"]
    assert line_rule.rule.severity == "error"
    engine = Engine(list(rules.values()))
    findings = engine.check(Snapshot.of("a.py", "x = 'a long line'  # TODO: x\n")).findings
    assert [(f.rule_id, f.severity, f.span.column) for f in findings] == [
        ("quality.line-too-long", "error", 10)
    ]


def test_an_override_that_breaks_the_rule_is_refused(workspace: Path, write: WriteFile) -> None:
    write(".wave/config.yaml", "rules:\n  - {id: quality.todo, pattern-regex: 'nothing-here'}\n")
    loaded = load_workspace(workspace)
    (problem,) = loaded.problems
    assert problem.message.startswith("rule 'quality.todo' refused: ")
    assert problem.line == 2  # on the override, not in the built-in pack


def test_persona_scoped_rules_apply_only_to_their_persona(
    workspace: Path, write: WriteFile
) -> None:
    rule_file(
        write,
        "  - id: reviewer-no-print\n    name: x\n    type: quality\n    scope: persona\n"
        "    personas: [reviewer]\n    pattern-regex: 'print'\n",
    )
    rules = load_workspace(workspace).rules
    engine = Engine([rules["reviewer-no-print"]])
    snapshot = Snapshot.of("a.py", "print(1)\n")
    assert engine.check(snapshot, persona="developer").findings == []
    assert len(engine.check(snapshot, persona="reviewer").findings) == 1


def test_conditions_see_the_persona(workspace: Path, write: WriteFile) -> None:
    rule_file(
        write,
        "  - id: no-write-perm\n    name: x\n    type: security\n    pattern-regex: 'open\\('\n"
        "    condition: \"!('code:write' in persona.permissions)\"\n",
    )
    engine = Engine([load_workspace(workspace).rules["no-write-perm"]])
    snapshot = Snapshot.of("a.py", "open('f', 'w')\n")
    assert engine.check(snapshot, permissions=["code:read"]).findings
    assert engine.check(snapshot, permissions=["code:write"]).findings == []


def test_paths_include_and_exclude(workspace: Path, write: WriteFile) -> None:
    rule_file(
        write,
        "  - id: src-only\n    name: x\n    type: quality\n    pattern-regex: 'x'\n"
        "    paths: {include: ['src/**'], exclude: ['src/gen/**']}\n",
    )
    engine = Engine([load_workspace(workspace).rules["src-only"]])
    assert engine.check(Snapshot.of("src/a.py", "x\n")).findings
    assert engine.check(Snapshot.of("lib/a.py", "x\n")).findings == []
    assert engine.check(Snapshot.of("src/gen/a.py", "x\n")).findings == []


def test_a_rule_that_fails_at_run_time_is_reported_not_raised(
    workspace: Path, write: WriteFile
) -> None:
    rule_file(
        write,
        "  - id: fragile\n    name: x\n    type: quality\n    pattern-regex: '(?P<v>\\d+)'\n"
        "    condition: 'int(match.captures.v) > 0'\n"
        "    examples:\n      match: ['7']\n",
    )
    rules = load_workspace(workspace).rules
    engine = Engine([rules["fragile"], rules["quality.todo"]])
    result = engine.check(Snapshot.of("a.txt", "99999999999999999999999 # TODO: x\n"))
    assert [f.rule_id for f in result.findings] == ["quality.todo"]
    assert [f.rule_id for f in result.failures] == ["fragile"]


def test_fix_all_applies_only_safe_fixes() -> None:
    engine = Engine(list(load_workspace(None).rules.values()))
    text = "import yaml\nconfig = yaml.load(stream)   \nx = 1\t\n"
    findings = engine.check(Snapshot.of("a.py", text)).findings
    unsafe = [f for f in findings if f.fix and f.fix.applicability == "unsafe"]
    assert [f.rule_id for f in unsafe] == ["security.yaml-load"]
    fixed = apply_fixes(text, safe_fixes(findings))
    assert fixed == "import yaml\nconfig = yaml.load(stream)\nx = 1\n"
    assert (
        apply_fixes(text, [unsafe[0].fix])
        == "import yaml\nconfig = yaml.safe_load(stream)   \nx = 1\t\n"
    )  # type: ignore[list-item]


def test_engine_is_fast_enough_to_run_on_every_keystroke_burst() -> None:
    """Not a timing assertion: the engine must scale linearly (no regex backtracking blow-up),
    shown by checking a file 20 times larger taking well under 200 times as long."""
    import time

    engine = Engine(list(load_workspace(None).rules.values()))
    unit = (Path(__file__).parents[2] / "examples" / "planted" / "app.py").read_text()
    small, large = unit * 5, unit * 100

    def cost(text: str) -> float:
        best = float("inf")
        for _ in range(3):
            began = time.perf_counter()
            engine.check(Snapshot.of("a.py", text))
            best = min(best, time.perf_counter() - began)
        return best

    assert cost(large) < cost(small) * 200


def test_detector_patterns_are_cached_per_detect_secrets_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wave_lsp.validation import detectors

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    detectors._sources.cache_clear()
    detectors.patterns.cache_clear()
    fresh = [p.pattern for p in detectors.patterns("AWSKeyDetector")]
    cache = detectors._cache_file()
    assert cache is not None and cache.is_file() and cache.is_relative_to(tmp_path)
    detectors._sources.cache_clear()
    detectors.patterns.cache_clear()
    assert [p.pattern for p in detectors.patterns("AWSKeyDetector")] == fresh
    with pytest.raises(KeyError, match="unknown detector"):
        detectors.patterns("Nope")
