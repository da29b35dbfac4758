"""Neovim 0.11 (the real editor, headless) with Wave's client: lsp/wave.lua through
vim.lsp.config / vim.lsp.enable, and the user commands of lua/wave."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.editors.conftest import APP, CLIENTS, DOCUMENTED, FIXED, WAVE_COMMAND, tool
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn

NVIM = tool("nvim")
DRIVER = Path(__file__).with_name("nvim_driver.lua")

pytestmark = pytest.mark.skipif(NVIM is None, reason="nvim is installed by scripts/setup.sh")


def nvim_version() -> tuple[int, ...]:
    assert NVIM is not None
    first = subprocess.run([NVIM, "--version"], capture_output=True, text=True, check=True)
    return tuple(int(p) for p in first.stdout.split()[1].lstrip("v").split(".")[:2])


def test_the_neovim_client_end_to_end(project: Path, llm: ProtocolServer, tmp_path: Path) -> None:
    assert NVIM is not None
    assert nvim_version() >= (0, 11)
    result = tmp_path / "nvim-result.json"
    llm.state.answers += [
        ToolTurn([("write_file", {"path": "NOTES.md", "content": "notes\n"})]),
        "Wrote the notes.",
    ]
    env = {
        **os.environ,
        "WAVE_ROOT": str(project),
        "WAVE_RESULT": str(result),
        "WAVE_CLIENT_DIR": str(CLIENTS / "neovim"),
        "WAVE_CMD": json.dumps(WAVE_COMMAND),
        "XDG_DATA_HOME": str(tmp_path / "nvim-data"),  # no shada, no swap of the user's
    }
    run = subprocess.run(
        [NVIM, "--headless", "-u", "NONE", "-i", "NONE", "-n", "-l", str(DRIVER)],
        cwd=project, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert result.exists(), run.stderr
    seen = json.loads(result.read_text())
    assert run.returncode == 0 and seen.get("failure") is None, (seen, run.stderr)

    assert seen["root_dir"] == str(project)  # found by the .wave marker
    [finding] = [d for d in seen["diagnostics"] if d["code"] == "security.yaml-load"]
    assert (finding["lnum"], finding["col"], finding["source"]) == (4, 11, "wave")

    assert seen["fixed"] == FIXED != APP

    assert "hello — Say hello from a shell task" in seen["pipelines"]
    assert any(p.startswith("feature-development") for p in seen["pipelines"])  # the built-in
    assert "workspace/executeCommand" in seen["methods"]
    assert seen["run"]["state"] == "succeeded"
    assert [t["state"] for t in seen["run"]["tasks"]] == ["succeeded"]

    assert seen["documented"] == DOCUMENTED
    assert "codeAction/resolve" in seen["methods"]  # the edit came from resolve
    prompt = json.dumps(llm.requests[-1].body)
    assert "yaml.safe_load" in prompt  # the model saw the unsaved, fixed buffer
    assert (project / "app.py").read_text() == APP  # edits are in the buffer, not written

    assert "Wrote the notes." in seen["agent"] and "+++ b/NOTES.md" in seen["agent"]
    assert not (project / "NOTES.md").exists()  # a proposal, not a write

    assert seen["server_inline"]
    assert seen["inline_enabled"] == seen["has_inline_api"]  # on where Neovim has it (0.12+)
    assert {"dependencies", "inputs", "timeout"} <= set(seen["completion"])
    assert not {"id", "type", "command"} & set(seen["completion"])  # written already
