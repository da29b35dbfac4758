"""schemas/ is generated from the models; this test fails when the two drift apart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from wave_lsp.config import schema_export

SCHEMAS = Path(__file__).parents[2] / "schemas"


def test_schemas_match_the_models() -> None:
    assert schema_export.drift(SCHEMAS) == [], "run `wave schema --write` and commit schemas/"


def test_drift_is_detected(tmp_path: Path) -> None:
    schema_export.write_schemas(tmp_path)
    assert schema_export.drift(tmp_path) == []
    (tmp_path / "persona.schema.json").write_text("{}\n")
    (tmp_path / "old.schema.json").write_text("{}\n")
    assert len(schema_export.drift(tmp_path)) == 2


def test_wave_schema_check_command(tmp_path: Path) -> None:
    wave = [sys.executable, "-m", "wave_lsp", "schema"]
    ok = subprocess.run(
        [*wave, "--check", "--dir", str(SCHEMAS)], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    drifted = subprocess.run(
        [*wave, "--check", "--dir", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert drifted.returncode == 1
    printed = subprocess.run([*wave, "pipeline"], capture_output=True, text=True, check=True)
    assert printed.stdout == (SCHEMAS / "pipeline.schema.json").read_text()


def test_the_cli_knows_every_schema_name() -> None:
    from wave_lsp.cli.main import SCHEMA_NAMES
    from wave_lsp.config.files import FILE_MODELS

    assert list(FILE_MODELS) == SCHEMA_NAMES
