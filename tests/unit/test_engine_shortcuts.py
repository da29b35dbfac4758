"""The engine's shortcuts change its speed, never its findings: searching only the lines that
hold a rule's keyword (for patterns that stay on one line), or only the windows around them, finds
exactly what a scan of the whole text finds."""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wave_lsp.config.workspace import load_workspace
from wave_lsp.validation.engine import CompiledRule, Engine, Finding, LineIndex, Snapshot
from wave_lsp.validation.keywords import KeywordSearch
from wave_lsp.validation.regex_lines import stays_on_one_line

RULES = list(load_workspace(None).rules.values())


def _whole_text(rule: CompiledRule) -> CompiledRule:
    """The rule without its keywords: every pattern scans the whole text."""
    plain = copy.copy(rule)
    plain.keywords = []
    return plain


ENGINE = Engine(RULES)
REFERENCE = Engine([_whole_text(r) for r in RULES])

LINES = [
    "def handler(request, items):",
    "    async def method(self):",
    "    for item in items:",
    "        total += len(str(item))",
    "        out += f'{item},'",
    "        pattern = re.compile(r'x+')",
    "    if request == None:  # TODO: log this",
    "x = 1  // FIXME broken",
    "# XXX",
    "password = 'hunter2hunter2hunter2'",
    'token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"',
    "aws = 'AKIAIOSFODNN7EXAMPLE'",
    "data = yaml.load(stream)",
    "obj = pickle.loads(blob)",
    "requests.get(url, verify=False)",
    "subprocess.run(cmd, shell=True)",
    "url = 'http://example.com/api'",
    'cursor.execute(f"SELECT * FROM t WHERE id = {x}")',
    "try:",
    "except:",
    "    eval(user_input)",
    "x = 'İstanbul'  # todo: unicode",
    "trailing   ",
    "\t",
    "",
    "    return total  " + "y" * 120,
]


@st.composite
def documents(draw: st.DrawFn) -> str:
    filler = st.sampled_from(["value = compute(1)", "    return value", "class Thing:"])
    lines = draw(st.lists(st.sampled_from(LINES) | filler | filler | filler, max_size=80))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = ending.join(lines)
    return text + (ending if draw(st.booleans()) else "")


def _key(findings: list[Finding]) -> list[tuple[object, ...]]:
    return [(f.rule_id, f.span, f.message, f.fix) for f in findings]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(documents(), st.sampled_from(["python", "javascript", "go", "yaml"]))
def test_shortcuts_find_what_a_whole_scan_finds(text: str, language: str) -> None:
    snapshot = Snapshot.of(f"src/file.{language}", text, language)
    found = ENGINE.check(snapshot, "developer", [])
    expected = REFERENCE.check(snapshot, "developer", [])
    assert found.failures == expected.failures
    assert _key(found.findings) == _key(expected.findings)


def test_sparse_keywords_are_searched_line_by_line() -> None:
    text = "value = 1\n" * 40 + "def handler():  # TODO: x\n" + "value = 2\n" * 40
    index = LineIndex(text)
    rule = next(r for r in RULES if r.rule.id == "quality.function-too-long")
    assert rule._block_on_one_line
    assert rule._keyword_lines(index) == [(400, 425)]
    assert text[400:425] == "def handler():  # TODO: x"


@pytest.mark.parametrize(
    ("pattern", "one_line"),
    [
        (r"^[ \t]*(?:async[ \t]+)?def[ \t]+(?P<focus>\w+)", True),
        (r"[A-Za-z0-9+/]{20,}", True),
        (r"x$", True),
        (r"(?<=a)b(?!c)\b", True),
        (r"[^x]", False),  # a negated class matches the newline
        (r"[^\n]*", True),
        (r"a\s*b", False),
        (r"a[ \t]*b", True),
        (r"a\Wb", False),
        (r"a\Db", False),
        (r"a\Sb", True),
        (r"a.b", True),
        (r"(?s:a.b)", False),
        (r"a(?=\n)", False),
        (r"a\Z", False),
        (r"(?-m:a$)", False),
        (r"(a)\1", False),  # a back-reference: unknown, so "may cross"
        (r"[\x00-\x20]", False),
        (r"(?:foo|bar\nbaz)", False),
        (r"(?>a+)b", True),
    ],
)
def test_which_patterns_stay_on_one_line(pattern: str, one_line: bool) -> None:
    assert stays_on_one_line(re.compile(pattern, re.MULTILINE)) is one_line


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, str]:
    """A document and an edited version of it: lines replaced, or characters typed or deleted
    somewhere (a newline among them, sometimes)."""
    filler = st.sampled_from(["value = compute(1)", "    return value", "class Thing:"])
    pool = st.sampled_from(LINES) | filler | filler
    lines = draw(st.lists(pool, max_size=60))
    text = "\n".join(lines) + ("\n" if draw(st.booleans()) else "")
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + draw(st.sampled_from([0, 3, 40])))))
    inserted = draw(
        st.sampled_from(["", "x", "\n", " TODO: y", "def f():\n    pass\n", "    "])
        | st.lists(pool, max_size=4).map(lambda ls: "\n".join(ls) + "\n")
    )
    return text, text[:start] + inserted + text[end:]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(edits(), st.sampled_from(["python", "javascript", "yaml"]))
def test_a_recheck_after_an_edit_finds_what_a_full_check_finds(
    versions: tuple[str, str], language: str
) -> None:
    old, new = versions
    path = f"src/file.{language}"
    first = ENGINE.check(Snapshot.of(path, old, language), "developer", [])
    assert first.state is not None
    again = ENGINE.check(Snapshot.of(path, new, language), "developer", [], first.state)
    full = ENGINE.check(Snapshot.of(path, new, language), "developer", [])
    assert again.rechecked is not None
    assert _key(again.findings) == _key(full.findings)


def test_a_recheck_re_runs_only_near_the_edit() -> None:
    unit = "def handler_{n}(items):\n    total = 0  # TODO: {n}\n    return total\n\n\n"
    old = "".join(unit.format(n=n) for n in range(2000))
    line = 5 * 1000 + 1
    lines = old.splitlines(keepends=True)
    lines[line] = lines[line].replace("total = 0", "total = 1\n    extra = 2")
    new = "".join(lines)
    first = ENGINE.check(Snapshot.of("a.py", old, "python"))
    assert first.state is not None
    again = ENGINE.check(Snapshot.of("a.py", new, "python"), previous=first.state)
    assert again.rechecked is not None
    begin, end = again.rechecked
    assert begin <= line and end - begin <= 10  # one function, not 10,000 lines
    assert _key(again.findings) == _key(ENGINE.check(Snapshot.of("a.py", new, "python")).findings)
    assert [f.span.line for f in again.findings if f.rule_id == "quality.todo"][-1] == 5 * 1999 + 2


def test_what_each_builtin_rule_depends_on() -> None:
    locality = {r.rule.id: r.locality.value for r in RULES}
    assert locality["quality.todo"] == "line"
    assert locality["quality.function-too-long"] == "statement"
    assert locality["performance.string-concat-in-loop"] == "statement"
    assert locality["resource.large-file"] == "text"


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="akisw_-+= \n\tAKé\U0001f600", max_size=200),
    st.lists(st.text(alphabet="akisw_-+= \n\U0001f600", min_size=1, max_size=4), max_size=8),
)
def test_the_keyword_search_finds_what_in_finds(text: str, keywords: list[str]) -> None:
    assert KeywordSearch(keywords).found_in(text) == {k for k in keywords if k in text}


def test_a_pattern_inside_blocks_is_found_inside_one_only() -> None:
    """string-concat-in-loop: its matches are looked for first; only those inside a loop
    (nested or not) are findings, each once."""
    text = (
        "s += 'a'\n"
        "for x in xs:\n"
        "    for y in ys:\n"
        "        s += 'b'\n"
        "    s += 'c'\n"
        "s += 'd'\n"
        "while True:\n"
        "    t += str(x)\n"
    )
    engine = Engine([r for r in RULES if r.rule.id == "performance.string-concat-in-loop"])
    found = engine.check(Snapshot.of("loop.py", text, "python")).findings
    assert [(f.span.line, f.captures["name"]) for f in found] == [(3, "s"), (4, "s"), (7, "t")]
    assert engine.check(Snapshot.of("flat.py", "s += 'a'\n" * 50, "python")).findings == []
