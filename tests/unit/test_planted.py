"""The planted project: `wave check` finds exactly the planted issues, in every output format,
with the specified exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import DATA
from wave_lsp.validation.models import ValidationReport

PLANTED = Path(__file__).parents[2] / "examples" / "planted"

EXPECTED = {
    ("api.ts", "security.plain-http", 3, 21),
    ("api.ts", "performance.regex-compile-in-loop-js", 5, 16),
    ("api.ts", "security.sql-string-formatting", 8, 19),
    ("app.py", "security.hardcoded-credential", 9, 12),
    ("app.py", "security.secret.aws-access-key", 10, 22),
    ("app.py", "security.subprocess-shell", 14, 25),
    ("app.py", "security.pickle-loads", 15, 12),
    ("app.py", "security.yaml-load", 16, 14),
    ("app.py", "security.plain-http", 17, 19),
    ("app.py", "security.tls-verify-disabled", 17, 47),
    ("app.py", "security.eval", 18, 14),
    ("app.py", "security.sql-string-formatting", 19, 20),
    ("app.py", "quality.bare-except", 22, 5),
    ("app.py", "performance.string-concat-in-loop", 26, 9),
    ("app.py", "quality.trailing-whitespace", 26, 26),
    ("app.py", "quality.todo", 27, 27),
    ("deploy.yaml", "security.plain-http", 4, 14),
    ("deploy.yaml", "security.hardcoded-credential", 5, 17),
    ("deploy.yaml", "security.secret.slack-token", 6, 11),
    ("server.go", "security.hardcoded-credential", 9, 22),
    ("server.go", "security.secret.github-token", 9, 22),
    ("server.go", "security.tls-verify-disabled-go", 12, 21),
    ("server.go", "security.sql-string-formatting", 14, 9),
    ("server.go", "quality.todo", 14, 65),
    ("web.js", "security.hardcoded-credential", 4, 20),
    ("web.js", "performance.string-concat-in-loop-js", 9, 5),
    ("web.js", "security.eval-js", 11, 17),
    ("web.js", "security.tls-verify-disabled-js", 12, 44),
    ("web.js", "quality.todo", 13, 27),
}


def wave(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wave_lsp", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def test_text_output_has_exactly_the_planted_findings() -> None:
    result = wave("check", "--root", str(PLANTED))
    assert result.returncode == 1, result.stderr
    found = set()
    for line in result.stdout.splitlines():
        location, severity, rule, _ = line.split(" ", 3)
        path, row, column, _ = location.split(":")
        assert severity in {"info", "warning", "error", "critical"}
        found.add((path, rule.strip("[]"), int(row), int(column)))
    assert found == EXPECTED


def test_json_output_is_the_seed_report() -> None:
    result = wave("check", "--root", str(PLANTED), "--format", "json")
    report = ValidationReport.model_validate_json(result.stdout)
    failed = {
        (r.details["path"], r.rule_id, r.details["line"], r.details["column"])
        for r in report.results
        if not r.passed
    }
    assert failed == EXPECTED
    assert report.status == "failed"
    assert report.type == "security"
    assert report.summary.failed == len(EXPECTED)
    assert report.summary.critical == 3
    assert report.summary.total == report.summary.passed + report.summary.failed
    assert report.duration.total_seconds() > 0


def test_sarif_validates_against_the_oasis_schema() -> None:
    result = wave("check", "--root", str(PLANTED), "--format", "sarif")
    sarif = json.loads(result.stdout)
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(sarif)
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    found = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"],
        )
        for r in run["results"]
    }
    assert found == EXPECTED
    for result_ in run["results"]:
        assert rules[result_["ruleIndex"]]["id"] == result_["ruleId"]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["quality.todo"] == "note"
    assert levels["security.secret.aws-access-key"] == "error"
    with_fix = [r for r in run["results"] if "fixes" in r]
    assert {r["ruleId"] for r in with_fix} >= {"quality.trailing-whitespace", "security.yaml-load"}


@pytest.mark.parametrize(("fail_on", "code"), [("critical", 1), ("error", 1), ("info", 1)])
def test_fail_on_thresholds(fail_on: str, code: int) -> None:
    assert wave("check", "--root", str(PLANTED), "--fail-on", fail_on).returncode == code


def test_exit_codes(tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "ok.py").write_text("def add(a, b):\n    return a + b\n")
    assert wave("check", "--root", str(clean)).returncode == 0
    (clean / "todo.py").write_text("x = 1  # TODO: later\n")
    assert wave("check", "--root", str(clean)).returncode == 0  # info is below the default
    assert wave("check", "--root", str(clean), "--fail-on", "info").returncode == 1
    assert wave("check", "--root", str(clean / "missing")).returncode == 2
    assert wave("check", "nope.py", "--root", str(clean)).returncode == 2
    assert wave("check", "--format", "xml", "--root", str(clean)).returncode == 2
    (clean / ".wave").mkdir()
    (clean / ".wave" / "config.yaml").write_text(
        "rules:\n  - {id: bad, name: Bad, type: quality, pattern-regex: '(unclosed'}\n"
    )
    broken = wave("check", "--root", str(clean))
    assert broken.returncode == 2
    assert ".wave/config.yaml:2:56: rule 'bad' refused: invalid regular expression" in broken.stderr


def test_gitignore_binary_files_and_paths(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(PLANTED, root)
    (root / ".gitignore").write_text("web.js\nbuild/\n")
    (root / "build").mkdir()
    (root / "build" / "gen.py").write_text("x = eval(y)\n")
    (root / "blob.py").write_bytes(b"eval(x)\0\0binary")
    text = wave("check", "--root", str(root)).stdout
    assert "web.js" not in text
    assert "build/" not in text
    assert "blob.py" not in text
    only = wave("check", "server.go", "--root", str(root)).stdout
    assert {line.split(":")[0] for line in only.splitlines()} == {"server.go"}
