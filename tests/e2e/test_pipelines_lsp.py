"""Pipelines through the server: list, run (inputs from the document), progress, status, the
proposal, review diagnostics and report; cancel leaves nothing running and no file changed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from tests.conftest import WriteFile
from tests.e2e.conftest import RecordingClient, uri

FAKE = Path(__file__).parents[1] / "pipelines" / "fake_claude.py"


@pytest.fixture
def project(write: WriteFile, workspace: Path, tmp_path: Path) -> Path:
    write(
        ".wave/config.yaml",
        f"""
        claude:
          binary_path: "{FAKE}"
        workspace:
          base_dir: "{tmp_path / "runs"}"
        """,
    )
    write("REQUIREMENTS.md", "Add a greeting helper.\n")
    return workspace


def running_agents(runs: Path) -> list[int]:
    """Stand-in coding agents still alive in this test's run directories."""
    alive = []
    for process in Path("/proc").glob("[0-9]*"):
        try:
            if b"fake_claude.py" in (process / "cmdline").read_bytes() and str(
                (process / "cwd").resolve()
            ).startswith(str(runs)):
                alive.append(int(process.name))
        except OSError:  # it ended while we looked
            continue
    return alive


async def command(client: RecordingClient, name: str, argument: Any = None) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=[argument or {}])
    )


async def wait_until_done(client: RecordingClient, run_id: str) -> dict[str, Any]:
    for _ in range(400):
        status = await command(client, "wave.pipeline.status", {"runId": run_id})
        if status["state"] not in ("queued", "running") and status["report"]:
            return status  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    pytest.fail(f"run {run_id} did not finish: {status}")


async def test_the_seed_pipeline_runs_from_the_editor(
    client: RecordingClient, project: Path
) -> None:
    [pipeline] = [
        p for p in await command(client, "wave.pipeline.list") if p["id"] == "feature-development"
    ]
    assert pipeline["inputs"] == [{"name": "requirements", "type": "text", "required": True}]
    document_uri = uri(project / "REQUIREMENTS.md")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document_uri, language_id="markdown", version=1,
                text="Add a greeting helper, unsaved.\n",
            )
        )
    )  # fmt: skip
    started = await command(
        client, "wave.pipeline.run", {"pipeline": "feature-development", "uri": document_uri}
    )
    status = await wait_until_done(client, started["runId"])
    assert status["state"] == "succeeded", status
    assert [t["state"] for t in status["tasks"]] == ["succeeded"] * 3
    assert status["proposal"].startswith("p-")
    assert not (project / "src" / "greet.py").exists()  # a proposal, not a silent write
    applied = await command(client, "wave.proposal.apply", {"id": status["proposal"]})
    assert applied["status"] == "applied"
    assert (project / "src" / "greet.py").read_text().startswith("def greet(name):")
    report = Path(status["report"].removeprefix("file://"))
    assert "succeeded" in report.read_text()
    reports = [r for rs in client.progress_reports.values() for r in rs]
    assert any(isinstance(r, types.WorkDoneProgressReport) and r.message
               and "implement-feature" in r.message for r in reports)  # fmt: skip
    if client.client_name != "neovim":  # type: ignore[attr-defined] # push clients
        greet = uri(project / "src" / "greet.py")
        for _ in range(100):
            found = [
                d
                for d in client.diagnostics.get(greet, [])
                if d.source and d.source.startswith("wave-pipeline:")
            ]
            if found:
                break
            await asyncio.sleep(0.05)
        assert found and found[0].message == "greet() has no tests"


async def test_cancel_leaves_nothing_running_and_nothing_changed(
    client: RecordingClient, project: Path
) -> None:
    (project / "fake-mode").write_text("slow")
    started = await command(
        client, "wave.pipeline.run",
        {"pipeline": "feature-development", "inputs": {"requirements": "x"}},
    )  # fmt: skip
    await asyncio.sleep(0.5)
    await command(client, "wave.pipeline.cancel", {"runId": started["runId"]})
    status = await wait_until_done(client, started["runId"])
    assert status["state"] == "cancelled"
    assert {t["state"] for t in status["tasks"]} == {"cancelled"}
    assert status["proposal"] is None
    agents = running_agents(project.parent / "runs")
    assert agents == []  # the coding agent was killed, not left running
    assert sorted(p.name for p in project.iterdir()) == [".wave", "REQUIREMENTS.md", "fake-mode"]


async def test_progress_uses_the_token_the_client_sent_and_its_cancel_stops_the_run(
    client: RecordingClient, project: Path
) -> None:
    (project / "fake-mode").write_text("slow")
    token = "client-token-7"
    client.progress_reports[token] = []  # the client made it: no window/workDoneProgress/create
    before = set(client.progress_reports)
    started = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="wave.pipeline.run",
            arguments=[{"pipeline": "feature-development", "inputs": {"requirements": "x"}}],
            work_done_token=token,
        )
    )
    for _ in range(100):
        if any(isinstance(r, types.WorkDoneProgressReport) for r in client.progress_reports[token]):
            break
        await asyncio.sleep(0.05)
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    status = await wait_until_done(client, started["runId"])
    assert status["state"] == "cancelled"
    assert set(client.progress_reports) == before  # no token of the server's own
    for _ in range(100):  # the end follows the run's final state
        if isinstance(client.progress_reports[token][-1], types.WorkDoneProgressEnd):
            break
        await asyncio.sleep(0.05)
    kinds = [type(r).__name__ for r in client.progress_reports[token]]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd", kinds
    assert client.progress_reports[token][-1].message == "cancelled"  # type: ignore[union-attr]
    assert running_agents(project.parent / "runs") == []


async def test_a_hundred_runs_queue_under_max_concurrent(
    client: RecordingClient, write: WriteFile, workspace: Path
) -> None:
    from tests.providers.protocol_server import ProtocolServer

    llm = ProtocolServer().start()
    llm.state.piece_delay = 0.01
    try:
        write(
            ".wave/config.yaml",
            f"""
            pipeline:
              max_concurrent: 4
            workspace:
              base_dir: "{workspace.parent / "runs"}"
            providers:
              defaultProvider: llm
              providers:
                llm: {{type: openai, baseUrl: "{llm.url}/v1", model: gpt-test}}
            """,
        )
        write(
            ".wave/pipelines/summarise.yaml",
            """
            pipeline:
              id: summarise
              name: Summarise
              tasks:
                - id: summarise
                  type: llm
                  inputs: [{name: text}]
                  prompt_template: "Summarise: {{text}}"
            """,
        )
        runs = [
            await command(client, "wave.pipeline.run",
                          {"pipeline": "summarise", "inputs": {"text": f"note {n}"}})
            for n in range(100)
        ]  # fmt: skip
        states = [(await wait_until_done(client, r["runId"]))["state"] for r in runs]
        assert states == ["succeeded"] * 100
        assert len(llm.requests) == 100
        assert llm.state.peak <= 4  # never more runs at once than pipeline.max_concurrent
        assert llm.state.peak >= 2  # and they did run side by side
    finally:
        llm.stop()


async def test_a_pipeline_is_offered_as_a_code_action(
    client: RecordingClient, project: Path
) -> None:
    from tests.e2e.test_ai_actions import _action

    document_uri = uri(project / "REQUIREMENTS.md")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document_uri, language_id="markdown", version=1, text="A greeting helper.\n"
            )
        )
    )
    await command(client, "wave.pipeline.list")  # the configuration is loaded (and cached)
    for _ in range(100):
        result = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=document_uri),
                range=types.Range(start=types.Position(line=0, character=0),
                                  end=types.Position(line=0, character=0)),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )  # fmt: skip
        offered = [_action(a) for a in result or []]
        runs = [a for a in offered if a.title.startswith("Run pipeline")]
        if runs:
            break
        await asyncio.sleep(0.05)
    [run] = runs
    assert run.title == "Run pipeline Feature Development Pipeline on this file"
    assert run.command is not None
    started = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=run.command.command, arguments=run.command.arguments)
    )
    status = await wait_until_done(client, started["runId"])
    assert status["state"] == "succeeded"


async def test_running_a_pipeline_needs_the_permission(
    client: RecordingClient, project: Path, write: WriteFile
) -> None:
    write(
        ".wave/personas/reader.yaml",
        """
        persona:
          name: reader
          security_context:
            permissions: ["code:read"]
        """,
    )
    await command(client, "wave.persona.select", {"name": "reader"})
    with pytest.raises(Exception, match="lacks the permission 'pipeline:execute'"):
        await command(
            client, "wave.pipeline.run",
            {"pipeline": "feature-development", "inputs": {"requirements": "x"}},
        )  # fmt: skip
    assert "security.permission_denied" in (project / ".wave" / "audit.log").read_text()
