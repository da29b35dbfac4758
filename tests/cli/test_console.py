"""How a ``wave`` process ends (cli/console.py): with its command's code and all its output,
whether or not Temporal's native core was loaded (the crash that skip avoids is
tests/temporal/test_exit.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import atexit, sys
{load}
from wave_lsp.cli.console import leave
atexit.register(lambda: print("atexit ran", file=sys.stderr))
def command():
    print("x" * 100_000)  # more than a pipe's buffer: all of it must arrive
    print("to stderr", file=sys.stderr)
    {end}
leave(command)
"""
NATIVE = "import temporalio.bridge.temporal_sdk_bridge"


def _run(load: str, end: str) -> subprocess.CompletedProcess[str]:
    script = SCRIPT.format(load=load, end=end)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip


@pytest.mark.parametrize("load", ["", NATIVE], ids=["plain", "temporal-loaded"])
def test_the_commands_code_and_every_line_of_output_come_out(load: str) -> None:
    done = _run(load, "return 3")
    assert done.returncode == 3
    assert done.stdout == "x" * 100_000 + "\n"
    assert "to stderr" in done.stderr


@pytest.mark.parametrize("load", ["", NATIVE], ids=["plain", "temporal-loaded"])
def test_a_system_exit_inside_the_command_gives_its_code_or_message(load: str) -> None:
    assert _run(load, "raise SystemExit(4)").returncode == 4
    assert _run(load, "raise SystemExit(None)").returncode == 0
    done = _run(load, "raise SystemExit('wave: gone')")
    assert done.returncode == 1
    assert "wave: gone" in done.stderr


def test_atexit_handlers_run_unless_the_temporal_core_was_loaded() -> None:
    assert "atexit ran" in _run("", "return 0").stderr
    assert "atexit ran" not in _run(NATIVE, "return 0").stderr


def test_python_dash_m_and_the_console_scripts_go_through_it() -> None:
    done = subprocess.run([sys.executable, "-m", "wave_lsp", "--version"], capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0
    assert done.stdout.startswith("wave ")
    from importlib.metadata import entry_points

    scripts = {e.name: e.value for e in entry_points(group="console_scripts")}
    assert scripts["wave"] == "wave_lsp.cli.console:wave"
    assert scripts["wave-lsp"] == "wave_lsp.cli.console:wave_lsp"
