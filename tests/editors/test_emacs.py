"""Emacs with eglot (Debian's Emacs 28 + elpa-eglot 1.9, in batch mode) and wave-eglot.el:
registration in eglot-server-programs, flymake diagnostics, a quick fix from eglot's code-action
menu, M-x wave-run-pipeline, and an AI action as a command with its workspace/applyEdit."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.editors.conftest import APP, CLIENTS, DOCUMENTED, FIXED, WAVE_COMMAND, tool
from tests.providers.protocol_server import ProtocolServer

EMACS = tool("emacs")
DRIVER = Path(__file__).with_name("emacs_driver.el")

pytestmark = pytest.mark.skipif(EMACS is None, reason="emacs is installed by scripts/setup.sh")


def test_the_emacs_client_end_to_end(project: Path, llm: ProtocolServer, tmp_path: Path) -> None:
    assert EMACS is not None
    result = tmp_path / "emacs-result.json"
    env = {
        **os.environ,
        "WAVE_ROOT": str(project),
        "WAVE_RESULT": str(result),
        "WAVE_CMD": json.dumps(WAVE_COMMAND),
        "HOME": str(tmp_path / "home"),  # no user init, no ~/.emacs.d of the user's
    }
    # No -Q: Debian's site start file is what puts elpa-eglot on the load path.
    run = subprocess.run(
        [EMACS, "--batch", "-l", str(CLIENTS / "emacs" / "wave-eglot.el"), "-l", str(DRIVER)],
        cwd=project, env=env, capture_output=True, text=True, timeout=180, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.exists(), run.stderr[-3000:]
    seen = json.loads(result.read_text())
    assert run.returncode == 0 and seen.get("failure") is None, (seen, run.stderr[-3000:])

    assert seen["mode"] == "python-mode" and seen["server"] == "wave-lsp"
    [finding] = [d for d in seen["diagnostics"] if "yaml.safe_load" in d["text"]]
    assert (finding["line"], finding["column"]) == (5, 11)

    assert seen["fixed"] == FIXED != APP

    assert any(p.startswith("hello — Say hello") for p in seen["pipelines"])
    assert seen["run"]["state"] == "succeeded"
    assert any(m.startswith("Wave: run ") and m.endswith("of hello: succeeded")
               for m in seen["messages"])  # fmt: skip

    assert seen["documented"] == DOCUMENTED
    assert "Parse one YAML document" in seen["documented"]
    assert (project / "app.py").read_text() == APP  # edited in the buffer, not on disk


def test_wave_eglot_byte_compiles_without_warnings(tmp_path: Path) -> None:
    assert EMACS is not None
    source = tmp_path / "wave-eglot.el"
    source.write_text((CLIENTS / "emacs" / "wave-eglot.el").read_text())
    run = subprocess.run(
        [EMACS, "--batch", "--eval", "(setq byte-compile-error-on-warn t)",
         "--eval", f'(kill-emacs (if (byte-compile-file "{source}") 0 1))'],
        capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
