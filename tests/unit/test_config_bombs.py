"""Configuration files built to exhaust the loader: a 1.2 KB "billion laughs" YAML, 10,000
levels of nesting, a JSON Schema holding a 100,000-digit number. Each is a located problem from
`wave config check` (exit 1, never "internal error"), in well under a second of work."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from wave_lsp.config.workspace import load_workspace

LAUGHS = "\n".join(
    ["a: &a ['lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol']"]
    + [f"{chr(98 + n)}: &{chr(98 + n)} [*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, "
       f"*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, "
       f"*{chr(97 + n)}]" for n in range(8)]
) + "\n"  # fmt: skip


def config_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wave_lsp", "config", "check", "--root", str(root)],
        capture_output=True, text=True, timeout=120, check=False, env={**os.environ},
    )  # fmt: skip


def test_billion_laughs_is_refused_at_its_alias(workspace: Path) -> None:
    assert len(LAUGHS) < 1300
    (workspace / ".wave" / "config.yaml").write_text(LAUGHS)
    began = time.monotonic()
    result = config_check(workspace)
    took = time.monotonic() - began
    assert result.returncode == 1, result.stderr
    assert "aliases expand to more than 100000 values" in result.stdout
    assert ".wave/config.yaml:" in result.stdout and "internal error" not in result.stderr
    assert took < 30  # a hang guard
    problems = load_workspace(workspace).problems
    [problem] = [p for p in problems if p.code == "yaml-too-large"]
    assert problem.span.line >= 4  # at the alias where the expansion passed the bound


def test_deep_nesting_is_refused_with_a_location(workspace: Path) -> None:
    (workspace / ".wave" / "config.yaml").write_text("x: " + "[" * 10_000 + "]" * 10_000 + "\n")
    result = config_check(workspace)
    assert result.returncode == 1
    assert "nested more than 100 levels deep" in result.stdout
    assert "RecursionError" not in result.stdout + result.stderr


def test_a_hundred_thousand_digit_number_in_a_schema(workspace: Path) -> None:
    schemas = workspace / ".wave" / "schemas"
    schemas.mkdir()
    (schemas / "big.json").write_text(
        '{\n  "type": "integer",\n  "maximum": ' + "9" * 100_000 + "\n}\n"
    )
    result = config_check(workspace)
    assert result.returncode == 1, result.stderr
    assert "big.json:3:14: invalid JSON Schema: a number with 100000 digits" in result.stdout
    assert "internal error" not in result.stderr
