"""`wave mcp serve` driven by the `mcp` SDK's own client over stdio: `check` answers findings and
SARIF, `propose_edit` makes a proposal and leaves the file (then `wave apply --proposal` writes
it), the server's persona is enforced, a pipeline runs with progress notifications and ends in a
proposal, the `.wave/` files are resources; bad input is a clear error and the server goes on."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp.client.stdio import StdioServerParameters

from mcp import Client
from tests.conftest import WriteFile
from tests.e2e.test_session_lsp import config
from tests.providers.protocol_server import ProtocolServer

WAVE = str(Path(sys.executable).with_name("wave"))
FAKE = Path(__file__).parents[1] / "pipelines" / "fake_claude.py"
APP = "import os\n\n\ndef run(text):\n    return eval(text)\n"
FIXED = APP.replace("eval(text)", "int(text)")
DIFF = """--- a/app.py
+++ b/app.py
@@ -4,2 +4,2 @@
 def run(text):
-    return eval(text)
+    return int(text)
"""


@pytest.fixture
def project(write: WriteFile, workspace: Path, llm: ProtocolServer, tmp_path: Path) -> Path:
    extra = (
        f'claude: {{binary_path: "{FAKE}"}}\n        workspace: {{base_dir: "{tmp_path / "runs"}"}}'
    )
    write(".wave/config.yaml", config(llm, extra))
    (workspace / "app.py").write_text(APP)
    return workspace


@asynccontextmanager
async def wave_mcp(root: Path, *extra: str) -> AsyncIterator[Client]:
    server = StdioServerParameters(
        command=WAVE, args=["mcp", "serve", "--root", str(root), *extra], env=dict(os.environ)
    )
    async with Client(server, read_timeout_seconds=60) as client:
        yield client


def text(result: Any) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)


async def test_check_answers_findings_and_sarif(project: Path) -> None:
    async with wave_mcp(project) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {"check", "rules", "propose_edit", "proposals", "context",
                              "pipelines"}  # fmt: skip
        for name in ("check", "rules", "proposals", "context"):
            assert tools[name].annotations and tools[name].annotations.read_only_hint
        assert not tools["propose_edit"].annotations.read_only_hint  # type: ignore[union-attr]
        result = await client.call_tool("check", {"paths": ["app.py"]})
        by_text = await client.call_tool(
            "check", {"text": "x = eval(input())\n", "path": "other.py"}
        )
        rules = await client.call_tool("rules", {})
    assert not result.is_error
    found = result.structured_content
    assert found is not None
    (finding,) = [f for f in found["findings"] if f["rule"] == "security.eval"]
    assert (finding["path"], finding["line"], finding["column"]) == ("app.py", 5, 12)
    sarif = found["sarif"]
    assert sarif["version"] == "2.1.0"
    (located,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "security.eval"]
    assert located["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert "security.eval" in text(result)  # the text content carries the same findings
    assert by_text.structured_content is not None
    assert [f["path"] for f in by_text.structured_content["findings"]] == ["other.py"]
    listed = rules.structured_content
    assert listed is not None
    (rule,) = [r for r in listed["rules"] if r["id"] == "security.eval"]
    assert rule["severity"] == "error" and rule["examples"]


async def test_propose_edit_makes_a_proposal_and_writes_nothing(project: Path) -> None:
    async with wave_mcp(project) as client:
        made = await client.call_tool("propose_edit", {"diff": DIFF, "description": "no eval"})
        whole = await client.call_tool("propose_edit", {"path": "new.py", "content": "x = 1"})
        listed = await client.call_tool("proposals", {})
    assert not made.is_error, text(made)
    proposal = made.structured_content
    assert proposal is not None and proposal["status"] == "pending"
    assert proposal["files"] == ["app.py"] and "+    return int(text)" in proposal["diff"]
    assert (project / "app.py").read_text() == APP  # nothing written
    assert not (project / "new.py").exists() and whole.structured_content is not None
    assert listed.structured_content is not None
    ids = [p["id"] for p in listed.structured_content["proposals"]]
    assert proposal["id"] in ids and whole.structured_content["id"] in ids
    applied = await asyncio.create_subprocess_exec(
        WAVE, "apply", "--root", str(project), "--proposal", proposal["id"],
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await applied.communicate()
    assert applied.returncode == 0, stderr.decode()
    assert (project / "app.py").read_text() == FIXED


async def test_the_servers_persona_is_enforced(project: Path) -> None:
    async with wave_mcp(project, "--persona", "reviewer") as client:
        refused = await client.call_tool("propose_edit", {"diff": DIFF})
        outside = await client.call_tool("check", {"paths": ["../../etc"]})
        still = await client.call_tool("check", {"paths": ["app.py"]})
    assert refused.is_error and "code:write" in text(refused)
    assert outside.is_error and "outside the workspace" in text(outside)
    assert not still.is_error  # the server goes on
    assert (project / "app.py").read_text() == APP
    audit = (project / ".wave" / "audit.log").read_text()
    assert '"persona": "reviewer"' in audit and '"decision": "refused"' in audit


async def test_bad_input_is_a_clear_error(project: Path) -> None:
    async with wave_mcp(project) as client:
        unknown = await client.call_tool("nope", {})
        wrong = await client.call_tool("check", {"paths": "app.py"})
        neither = await client.call_tool("propose_edit", {"path": "app.py"})
        broken = await client.call_tool("propose_edit", {"diff": "@@ nonsense\n-a\n+b\n"})
        missing = await client.call_tool("proposals", {"id": "p-00000000"})
        alive = await client.call_tool("rules", {})
    assert unknown.is_error and "nope" in text(unknown)
    assert wrong.is_error and "paths" in text(wrong)
    assert neither.is_error and "give diff" in text(neither)
    assert broken.is_error
    assert missing.is_error and "no proposal 'p-00000000'" in text(missing)
    assert not alive.is_error


async def test_a_pipeline_runs_with_progress_and_ends_in_a_proposal(project: Path) -> None:
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    async with wave_mcp(project) as client:
        listed = await client.call_tool("pipelines", {"action": "list"})
        run = await client.call_tool(
            "pipelines",
            {"action": "run", "pipeline": "feature-development",
             "inputs": {"requirements": "Add greet()"}},
            progress_callback=on_progress,
        )  # fmt: skip
        assert run.structured_content is not None, text(run)
        status = await client.call_tool(
            "pipelines", {"action": "status", "run_id": run.structured_content["runId"]}
        )
    assert listed.structured_content is not None
    assert "feature-development" in [p["id"] for p in listed.structured_content["pipelines"]]
    result = run.structured_content
    assert result["state"] == "succeeded", result
    assert result["proposal"]["files"] == ["src/greet.py"]
    assert not (project / "src" / "greet.py").exists()  # proposed, not written
    messages = [m for _, _, m in progress]
    assert "implement-feature: running" in messages and progress[-1][:2] == (3.0, 3.0)
    assert status.structured_content is not None
    assert status.structured_content["state"] == "succeeded"


async def test_the_configuration_is_served_as_resources(project: Path) -> None:
    async with wave_mcp(project) as client:
        listed = await client.list_resources()
        uris = [str(r.uri) for r in listed.resources]
        read = await client.read_resource("wave://workspace/.wave/config.yaml")
    assert "wave://workspace/.wave/config.yaml" in uris
    assert "defaultProvider: llm" in read.contents[0].text  # type: ignore[union-attr]


def test_an_unknown_persona_is_refused_at_start(project: Path) -> None:
    done = subprocess.run(
        [WAVE, "mcp", "serve", "--root", str(project), "--persona", "nobody"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "--persona nobody: no such persona" in done.stderr
