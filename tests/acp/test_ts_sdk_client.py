"""`wave acp` checked by an ACP client that is not ours: a Node script on the protocol's
TypeScript SDK (npm @agentclientprotocol/sdk, installed by scripts/setup-agents.sh) prompts
"add a greet function to src/app.py" against the recording provider, which scripts the tool
calls. A `reject_once` leaves the file, an `allow_once` writes it through fs/write_text_file,
and a cancel mid-answer ends the turn `cancelled` within a second."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.acp.conftest import APP, NEW, script_greet
from tests.providers.protocol_server import ProtocolServer

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / ".tools" / "agents" / "node_modules"
NODE = shutil.which("node")
WAVE = str(Path(sys.executable).with_name("wave"))

pytestmark = pytest.mark.skipif(
    NODE is None or not (MODULES / "@agentclientprotocol" / "sdk").is_dir(),
    reason="the ACP TypeScript SDK is installed by scripts/setup-agents.sh",
)


def run_client(tmp_path: Path, project: Path, answer: str, prompt: str) -> dict[str, Any]:
    here = tmp_path / "client"
    here.mkdir()
    (here / "node_modules").symlink_to(MODULES)
    shutil.copy(Path(__file__).with_name("ts_client.mjs"), here / "ts_client.mjs")
    assert NODE is not None
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    run = subprocess.run(
        [NODE, str(here / "ts_client.mjs"), str(project), answer, prompt, WAVE, "acp"],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("answer", ["reject_once", "allow_once"])
def test_the_typescript_sdk_client_prompts_and_approves(
    tmp_path: Path, project: Path, llm: ProtocolServer, answer: str
) -> None:
    script_greet(llm)
    app = project / "src" / "app.py"
    seen = run_client(tmp_path, project, answer, "add a greet function to src/app.py")
    assert seen["stopReason"] == "end_turn" and seen["agent"]["name"] == "wave"
    assert {"developer", "reviewer"} <= set(seen["modes"])
    kinds = {u["sessionUpdate"] for u in seen["updates"]}
    assert {"agent_message_chunk", "plan", "tool_call", "tool_call_update"} <= kinds
    assert seen["text"].endswith("Added greet.")
    (asked,) = seen["permissions"]
    assert seen["options"] == ["allow_once", "allow_always", "reject_once", "reject_always"]
    (diff,) = [c for c in asked["content"] if c["type"] == "diff"]
    assert diff["path"] == str(app) and diff["oldText"] == APP and "def greet" in diff["newText"]
    assert str(app) in seen["reads"]
    assert "add a greet function" in llm.requests[0].body["messages"][-1]["content"]
    if answer == "reject_once":
        assert seen["writes"] == [] and app.read_text() == APP
    else:
        written = APP.replace("def main():", NEW)
        assert seen["writes"] == [[str(app), written]] and app.read_text() == written


def test_the_typescript_sdk_client_cancels_mid_answer(
    tmp_path: Path, project: Path, llm: ProtocolServer
) -> None:
    llm.state.answers = ["slow " * 400]
    llm.state.piece_delay = 0.05
    seen = run_client(tmp_path, project, "cancel", "write a lot")
    assert seen["stopReason"] == "cancelled" and seen["cancelMs"] < 1000
    assert len(seen["text"]) < len("slow " * 400)
    assert llm.state.disconnects == 1  # the provider's request was closed, not left streaming
