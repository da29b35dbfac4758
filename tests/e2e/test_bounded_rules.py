"""A workspace rule whose regex backtracks catastrophically (`^(a+)+$` on a line of a's and a
'!') once froze the whole language server, `wave check` too: Python's `re` cannot be
interrupted and holds the GIL. Workspace patterns are matched with a time bound: the rule is
reported as failed, the other rules run, and the server keeps answering, shutdown included."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

from tests.e2e.conftest import SERVER_COMMAND, RecordingClient, initialize_params, make_client, uri

RULE = """\
rules:
  - id: team.backtracking
    name: A rule with a catastrophic pattern
    type: quality
    severity: warning
    pattern-regex: '^(a|aa)+$'
    message: a line of a's
    examples:
      match: ['aaaa']
      no_match: ['b']
  - id: team.nested
    name: The pattern that froze the server with re
    type: quality
    severity: warning
    pattern-regex: '^(a+)+$'
    message: a line of a's
    examples:
      match: ['aaaa']
      no_match: ['b']
"""
EVIL = "a" * 40 + "!\nx = eval(data)\n"


@pytest.fixture
def project(workspace: Path) -> Path:
    (workspace / ".wave" / "rules").mkdir(parents=True, exist_ok=True)
    (workspace / ".wave" / "rules" / "team.yaml").write_text(RULE)
    (workspace / "evil.py").write_text(EVIL)
    return workspace


def test_wave_check_reports_the_rule_as_failed_and_finishes(project: Path) -> None:
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "wave_lsp", "check", "--root", str(project)],
        capture_output=True, text=True, timeout=120, check=False, env={**os.environ},
    )  # fmt: skip
    took = time.monotonic() - began
    assert "rule team.backtracking failed" in result.stderr and "backtracks" in result.stderr
    assert "security.eval" in result.stdout  # the other rules ran
    assert took < 60  # a hang guard; the bound is 1 s a search
    print(f"\nwave check with a catastrophic rule: {took:.2f} s")


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client)
)
async def lsp(lsp_client: RecordingClient, project: Path):  # type: ignore[no-untyped-def]
    params = initialize_params(client_capabilities("visual-studio-code"), project)
    await lsp_client.initialize_session(params)
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), 30)  # shutdown is answered


async def test_the_server_keeps_answering_while_the_rule_runs(
    lsp: RecordingClient, project: Path
) -> None:
    lsp_client = lsp
    target = uri(project / "evil.py")
    lsp_client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=target, language_id="python", version=1, text=EVIL)
        )
    )
    latencies = []
    for _ in range(10):
        began = time.monotonic()
        await asyncio.wait_for(
            lsp_client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=target),
                    range=types.Range(types.Position(0, 0), types.Position(0, 1)),
                    context=types.CodeActionContext(diagnostics=[]),
                )
            ),
            10,
        )
        latencies.append(time.monotonic() - began)
        await asyncio.sleep(0.1)
    assert max(latencies) < 5  # a hang guard: answered while the bounded search ran
    for _ in range(100):
        found = lsp_client.diagnostics.get(target) or []
        if any(d.code == "security.eval" for d in found):
            break
        await asyncio.sleep(0.1)
    assert any(d.code == "security.eval" for d in found)
    assert any("team.backtracking" in m.message for m in lsp_client.log_messages)
