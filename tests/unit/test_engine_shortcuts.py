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
