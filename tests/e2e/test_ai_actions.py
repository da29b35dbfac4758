"""AI code actions end to end: the real server, the real openai SDK, a loopback server speaking
the OpenAI protocol with scripted answers; resolve in VS Code's and Neovim's capabilities, the
command and workspace/applyEdit in Emacs's. The applied text is asserted exactly."""

from __future__ import annotations

import ast
import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from tests.conftest import WriteFile
from tests.e2e.conftest import RecordingClient, uri
from tests.e2e.test_proposals import apply_text_edits, edits_for, encoding_of
from tests.providers.protocol_server import Fault, ProtocolServer

APP = "def total(items):\n    result = 0\n    for item in items:\n        result += item\n    return result\n\n\nprint(total([1, 2]))\n"
FIXED = APP.replace("result += item", "result += item.price")
FIX_DIFF = (
    "Here is the fix:\n\n```diff\n--- a/app.py\n+++ b/app.py\n@@ -3,3 +3,3 @@\n"
    "     for item in items:\n-        result += item\n+        result += item.price\n"
    "     return result\n```\n"
)


@pytest.fixture
def llm() -> Iterator[ProtocolServer]:
    server = ProtocolServer().start()
    yield server
    server.stop()


@pytest.fixture
def project(write: WriteFile, workspace: Path, llm: ProtocolServer) -> Path:
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
            whole:
              type: openai
              baseUrl: "{llm.url}/v1"
              model: gpt-test
              providerSpecific: {{maxRetries: 0, editFormat: whole}}
            claude:
              type: openai
              baseUrl: "{llm.url}/v1"
              model: claude-sonnet-4-5
              providerSpecific: {{maxRetries: 0}}
            gpt5:
              type: openai
              baseUrl: "{llm.url}/v1"
              model: gpt-5.1
              providerSpecific: {{maxRetries: 0}}
        """,
    )
    (workspace / "app.py").write_text(APP)
    return workspace


def open_app(client: RecordingClient, project: Path, text: str = APP) -> str:
    document_uri = uri(project / "app.py")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document_uri, language_id="python", version=1, text=text
            )
        )
    )
    return document_uri


async def actions(
    client: RecordingClient, document_uri: str, line: int = 3, diagnostics: list[Any] | None = None
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=document_uri),
            range=types.Range(
                start=types.Position(line=line, character=0),
                end=types.Position(line=line, character=0),
            ),
            context=types.CodeActionContext(diagnostics=diagnostics or []),
        )
    )
    return [_action(item) for item in result or []]


def _action(item: types.CodeAction | types.Command) -> types.CodeAction:
    """lsprotocol's client-side converter reads a CodeAction that carries a command as a
    Command (with the action's JSON, stringified, in ``command``); editors tell them apart by
    the type of ``command``, as the protocol says. Undo the misreading."""
    if isinstance(item, types.CodeAction):
        return item
    if isinstance(item.command, str) and item.command.startswith("{"):
        raw = ast.literal_eval(item.command)
        return types.CodeAction(
            title=item.title,
            command=types.Command(
                title=raw["title"], command=raw["command"], arguments=raw.get("arguments")
            ),
        )
    return types.CodeAction(title=item.title, command=item)


def unknown_name() -> types.Diagnostic:
    return types.Diagnostic(
        range=types.Range(start=types.Position(line=3, character=8), end=types.Position(line=3, character=22)),
        message="unsupported operand type(s) for +=: 'int' and 'Item'",
        source="mypy",
    )  # fmt: skip


async def run(client: RecordingClient, action: types.CodeAction) -> tuple[types.WorkspaceEdit, Any]:
    """The edit of an action: from resolve, or from the command's workspace/applyEdit."""
    if action.command is None:
        resolved = await client.code_action_resolve_async(action)
        assert resolved.edit is not None
        return resolved.edit, None
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=action.command.command, arguments=action.command.arguments
        )
    )
    return client.applied_edits[-1].edit, result


async def test_fix_with_ai_applies_exactly(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    document_uri = open_app(client, project)
    offered = await actions(client, document_uri, diagnostics=[unknown_name()])
    [fix] = [a for a in offered if a.title.startswith("Fix with AI")]
    name = client.client_name  # type: ignore[attr-defined]
    assert (fix.command is None) == (name != "emacs")  # resolve where the client resolves edits
    llm.state.answers = [FIX_DIFF]
    edit, _ = await run(client, fix)
    assert apply_text_edits(APP, edits_for(edit, document_uri), encoding_of(client)) == FIXED
    sent = json.dumps(llm.requests[-1].body)
    assert "unsupported operand type" in sent and "result += item" in sent
    if name == "visual_studio_code":
        assert (
            edit.change_annotations
            and next(iter(edit.change_annotations.values())).needs_confirmation
        )


async def test_a_wrong_diff_goes_back_to_the_model_once(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    document_uri = open_app(client, project)
    [fix] = [a for a in await actions(client, document_uri, diagnostics=[unknown_name()])
             if a.title.startswith("Fix with AI")]  # fmt: skip
    wrong = FIX_DIFF.replace("-        result += item\n", "-        result = result + item\n")
    llm.state.answers = [wrong, FIX_DIFF]
    edit, _ = await run(client, fix)
    assert apply_text_edits(APP, edits_for(edit, document_uri), encoding_of(client)) == FIXED
    assert len(llm.requests) == 2
    retry = json.dumps(llm.requests[1].body)
    assert "could not be applied" in retry and "result = result + item" in retry


async def test_a_whole_file_answer_for_a_weak_model(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    config = project / ".wave" / "config.yaml"
    config.write_text(config.read_text().replace("defaultProvider: llm", "defaultProvider: whole"))
    document_uri = open_app(client, project)
    [docs] = [a for a in await actions(client, document_uri) if a.title == "Add docstrings"]
    documented = APP.replace(
        "def total(items):\n", 'def total(items):\n    """The sum of items."""\n'
    )
    llm.state.answers = [f"```app.py\n{documented}```\n"]
    edit, _ = await run(client, docs)
    assert apply_text_edits(APP, edits_for(edit, document_uri), encoding_of(client)) == documented
    assert len(edits_for(edit, document_uri)) == 1  # one inserted line, not the whole file


async def test_explain_answers_without_an_edit(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    document_uri = open_app(client, project)
    [explain] = [a for a in await actions(client, document_uri) if a.title == "Explain this code"]
    assert explain.command is not None
    llm.state.answers = ["It adds up the items."]
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=explain.command.command, arguments=explain.command.arguments
        )
    )
    assert result["text"] == "It adds up the items." and result["shown"]
    assert client.applied_edits == []
    await asyncio.sleep(0.1)
    assert any("adds up" in m.message for m in client.messages)


async def test_review_publishes_diagnostics_and_clears_them(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    document_uri = open_app(client, project)
    [review] = [a for a in await actions(client, document_uri) if a.title == "Review this file"]
    report = {
        "summary": "One bug.", "verdict": "request_changes",
        "findings": [{"file": "app.py", "line": 4, "severity": "error", "category": "quality",
                      "message": "adds items, not prices", "suggestion": "use item.price"}],
    }  # fmt: skip
    llm.state.answers = [json.dumps(report)]
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=review.command.command, arguments=review.command.arguments
        )  # type: ignore[union-attr]
    )
    assert result["review"]["verdict"] == "request_changes"
    assert llm.requests[-1].body.get("response_format") == {"type": "json_object"}
    assert "Reviewer" in json.dumps(llm.requests[-1].body) or "review" in json.dumps(
        llm.requests[-1].body
    )
    from tests.e2e.conftest import wait_for_diagnostics

    found = await wait_for_diagnostics(
        client, document_uri, lambda ds: any(d.source == "wave-review" for d in ds)
    )
    [finding] = [d for d in found if d.source == "wave-review"]
    assert finding.range.start.line == 3 and "use item.price" in finding.message
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="wave.review.clear", arguments=[{}])
    )
    await wait_for_diagnostics(
        client, document_uri, lambda ds: not any(d.source == "wave-review" for d in ds)
    )


async def test_a_provider_error_is_a_clear_message(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    document_uri = open_app(client, project)
    [explain] = [a for a in await actions(client, document_uri) if a.title == "Explain this code"]
    llm.fail(Fault(status=500))
    with pytest.raises(Exception, match=r"the server failed \(500\)"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=explain.command.command, arguments=explain.command.arguments
            )  # type: ignore[union-attr]
        )


async def test_cancelling_mid_stream_leaves_no_edit(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    document_uri = open_app(client, project)
    [fix] = [a for a in await actions(client, document_uri, diagnostics=[unknown_name()])
             if a.title.startswith("Fix with AI")]  # fmt: skip
    llm.state.answers = [FIX_DIFF]
    llm.state.pieces = 40
    llm.state.piece_delay = 0.1
    msg_id = "cancel-me"
    if fix.command is None:  # the edit comes from resolve
        method, params = types.CODE_ACTION_RESOLVE, fix
    else:
        method = types.WORKSPACE_EXECUTE_COMMAND
        params = types.ExecuteCommandParams(
            command=fix.command.command, arguments=fix.command.arguments
        )
    request = asyncio.ensure_future(
        client.protocol.send_request_async(method, params, msg_id=msg_id)
    )
    for _ in range(100):  # wait for the stream to start
        if llm.requests:
            break
        await asyncio.sleep(0.05)
    # listing actions stays answered while the model call is in flight
    assert await asyncio.wait_for(actions(client, document_uri), 5)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
    with pytest.raises(Exception, match="cancel"):
        await asyncio.wait_for(request, 10)
    for _ in range(100):
        if llm.state.disconnects:
            break
        await asyncio.sleep(0.05)
    assert llm.state.disconnects == 1  # the provider call was stopped, not left running
    assert client.applied_edits == []
    assert (project / "app.py").read_text() == APP


async def test_wave_ask_answers_text_or_a_proposal(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    document_uri = open_app(client, project)
    llm.state.answers = ["Use sum().", FIX_DIFF]
    text = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="wave.ask", arguments=[{"prompt": "Simpler?", "uri": document_uri}]
        )
    )
    assert text["text"] == "Use sum()."
    proposed = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="wave.ask", arguments=[{"prompt": "Fix it", "uri": document_uri}]
        )
    )
    assert (
        proposed["proposal"].startswith("p-")
        and "+        result += item.price" in proposed["diff"]
    )
    assert client.applied_edits == []  # proposed, not applied
    # the conversation carries on: the second request held the first exchange, before the
    # new question (which carries the files again)
    first, second = (r.body["messages"] for r in llm.requests)
    assert [m["role"] for m in second] == [*(m["role"] for m in first[:-1]), "user",
                                           "assistant", "user"]  # fmt: skip
    assert second[-3]["content"] == "Simpler?" and second[-2]["content"] == "Use sum()."
    assert "Fix it" in second[-1]["content"] and "def total" in second[-1]["content"]
    assert proposed["context"]["history"]["messages"] == 2
    shown = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="wave.conversation.show", arguments=[])
    )
    assert [(m["role"], m["content"][:9]) for m in shown["messages"]] == [
        ("user", "Simpler?"), ("assistant", "Use sum()"), ("user", "Fix it"),
        ("assistant", FIX_DIFF[:9]),
    ]  # fmt: skip
    cleared = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="wave.conversation.clear", arguments=[])
    )
    assert cleared == {"cleared": 4}
    llm.state.answers = ["Fresh."]
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="wave.ask", arguments=[{"prompt": "Again?", "uri": document_uri}]
        )
    )
    assert [m["role"] for m in llm.requests[-1].body["messages"]] == [
        m["role"] for m in first
    ]  # after clear, no history


async def test_progress_reports_the_streamed_text(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    document_uri = open_app(client, project)
    [explain] = [a for a in await actions(client, document_uri) if a.title == "Explain this code"]
    llm.state.answers = ["It adds up the items, one by one, and returns the total. " * 3]
    llm.state.piece_delay = 0.05
    assert explain.command is not None
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=explain.command.command, arguments=explain.command.arguments
        )
    )
    [(token, reports)] = list(client.progress_reports.items())
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
    assert any(
        isinstance(r, types.WorkDoneProgressReport) and r.message and "adds up" in r.message
        for r in reports
    )
    assert isinstance(reports[-1], types.WorkDoneProgressEnd) and reports[-1].message == "done"
    assert token


async def test_the_embedded_model_runs_an_action_end_to_end(
    client: RecordingClient, workspace: Path
) -> None:
    (workspace / "app.py").write_text(APP)  # no providers configured: the local model answers
    document_uri = open_app(client, workspace)
    [explain] = [a for a in await actions(client, document_uri) if a.title == "Explain this code"]
    assert explain.command is not None
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=explain.command.command, arguments=explain.command.arguments
        )
    )
    assert isinstance(result["text"], str) and result["text"].strip()
    assert client.applied_edits == []


async def test_a_workspace_adds_its_own_action(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    actions_dir = project / ".wave" / "actions"
    actions_dir.mkdir(parents=True)
    (actions_dir / "use-price.md").write_text("# Use item prices\nSum the prices, not the items.\n")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(
                    uri=uri(actions_dir / "use-price.md"), type=types.FileChangeType.Created
                )
            ]
        )
    )
    document_uri = open_app(client, project)
    for _ in range(100):
        custom = [a for a in await actions(client, document_uri) if a.title == "Use item prices"]
        if custom:
            break
        await asyncio.sleep(0.05)
    [action] = custom
    llm.state.answers = [FIX_DIFF]
    edit, _ = await run(client, action)
    assert apply_text_edits(APP, edits_for(edit, document_uri), encoding_of(client)) == FIXED
    assert "Sum the prices, not the items." in json.dumps(llm.requests[-1].body)


async def test_actions_can_be_switched_off(project: Path) -> None:
    from tests.e2e.test_settings import start, stop

    client = await start(project, {"disabledActions": ["explain", "review"]})
    try:
        document_uri = open_app(client, project)
        titles = {a.title for a in await actions(client, document_uri)}
        assert "Add docstrings" in titles
        assert not {"Explain this code", "Review this file"} & titles
    finally:
        await stop(client)


async def test_a_model_edit_into_git_is_refused(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    document_uri = open_app(client, project)
    (project / ".git" / "hooks").mkdir(parents=True)
    hook = "--- /dev/null\n+++ b/.git/hooks/pre-commit\n@@ -0,0 +1,2 @@\n+#!/bin/sh\n+touch /tmp/pwned\n"
    llm.state.answers = [f"```diff\n{hook}```\n", f"```diff\n{hook}```\n"]
    with pytest.raises(Exception, match="protected-paths"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="wave.ask", arguments=[{"prompt": "Add a hook", "uri": document_uri}]
            )
        )
    assert not (project / ".git" / "hooks" / "pre-commit").exists()
    assert client.applied_edits == []


def _use(project: Path, provider: str) -> None:
    config = project / ".wave" / "config.yaml"
    config.write_text(
        config.read_text().replace("defaultProvider: llm", f"defaultProvider: {provider}")
    )


async def test_a_claude_model_is_asked_for_search_replace_and_a_failure_answers_in_it(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    """The prompt asks the model family for the format it writes best; a SEARCH that is not
    in the file goes back with the lines not found and that format's instruction; the second
    answer applies exactly."""
    _use(project, "claude")
    document_uri = open_app(client, project)
    [fix] = [a for a in await actions(client, document_uri, diagnostics=[unknown_name()])
             if a.title.startswith("Fix with AI")]  # fmt: skip
    block = "app.py\n```python\n<<<<<<< SEARCH\n{old}\n=======\n{new}\n>>>>>>> REPLACE\n```\n"
    wrong = block.format(old="        result = result + item", new="        result += item.price")
    right = block.format(old="        result += item", new="        result += item.price")
    llm.state.answers = [wrong, right]
    edit, _ = await run(client, fix)
    assert apply_text_edits(APP, edits_for(edit, document_uri), encoding_of(client)) == FIXED
    first, retry = (json.dumps(r.body) for r in llm.requests)
    assert "<<<<<<< SEARCH" in first and "unified diff" not in first
    assert "could not be applied" in retry and "result = result + item" in retry
    assert "SEARCH/REPLACE blocks" in json.dumps(llm.requests[1].body["messages"][-1])
    assert (project / "app.py").read_text() == APP  # a proposal: the disk waits for approval


async def test_a_gpt5_model_is_asked_for_apply_patch(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    _use(project, "gpt5")
    document_uri = open_app(client, project)
    [fix] = [a for a in await actions(client, document_uri, diagnostics=[unknown_name()])
             if a.title.startswith("Fix with AI")]  # fmt: skip
    llm.state.answers = [
        "*** Begin Patch\n*** Update File: app.py\n@@ def total(items):\n"
        "     for item in items:\n-        result += item\n+        result += item.price\n"
        "     return result\n*** End Patch\n"
    ]
    edit, _ = await run(client, fix)
    assert apply_text_edits(APP, edits_for(edit, document_uri), encoding_of(client)) == FIXED
    assert "*** Begin Patch" in json.dumps(llm.requests[0].body)


async def test_a_file_added_to_the_context_reaches_the_model(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    """wave.context.add, then wave.ask and an action: the provider receives the added file's
    text (read when the request is built: the edit made after adding it is what is sent);
    removed, it is sent no more."""
    (project / "helpers.py").write_text("def price_of(item):\n    return item.cost\n")
    document_uri = open_app(client, project)

    async def run_command(name: str, argument: dict[str, Any]) -> Any:
        return await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=[argument])
        )

    added = await run_command("wave.context.add", {"path": "helpers.py"})
    assert added["files"] == ["helpers.py"]
    (project / "helpers.py").write_text("def price_of(item):\n    return item.net_cost\n")
    llm.state.answers = ["Use price_of.", "It sums the items."]
    await run_command("wave.ask", {"prompt": "How do I price an item?", "uri": document_uri})
    asked = json.dumps(llm.requests[-1].body)
    assert "return item.net_cost" in asked and "helpers.py" in asked
    [explain] = [a for a in await actions(client, document_uri) if a.title == "Explain this code"]
    assert explain.command is not None
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=explain.command.command, arguments=explain.command.arguments
        )
    )
    assert "return item.net_cost" in json.dumps(llm.requests[-1].body)
    await run_command("wave.context.remove", {"path": "helpers.py"})
    llm.state.answers = ["Without it."]
    await run_command("wave.ask", {"prompt": "And now?", "uri": document_uri})
    assert "net_cost" not in json.dumps(llm.requests[-1].body)


async def test_wave_ask_without_a_range_is_about_the_whole_file(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    """It once told the model "lines 1-1" when no range was given."""
    document_uri = open_app(client, project)
    llm.state.answers = ["A sum.", "A loop."]
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="wave.ask", arguments=[{"prompt": "What is this?", "uri": document_uri}]
        )
    )
    whole = json.dumps(llm.requests[-1].body)
    assert "the whole file" in whole and "lines 1-1" not in whole
    span = {"start": {"line": 2, "character": 0}, "end": {"line": 3, "character": 0}}
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="wave.ask",
            arguments=[{"prompt": "And this?", "uri": document_uri, "range": span}],
        )
    )
    assert "lines 3-4" in json.dumps(llm.requests[-1].body)


async def test_a_resolved_proposal_stays_pending_until_the_editor_applied_it(
    client: RecordingClient, project: Path, llm: ProtocolServer
) -> None:
    """codeAction/resolve hands the editor an edit: the proposal is pending until the editor
    runs the action's command, which LSP editors do after applying the edit."""
    if client.client_name == "emacs":  # type: ignore[attr-defined]
        pytest.skip("eglot runs the action's command instead of resolving an edit")
    document_uri = open_app(client, project)
    [fix] = [a for a in await actions(client, document_uri, diagnostics=[unknown_name()])
             if a.title.startswith("Fix with AI")]  # fmt: skip
    llm.state.answers = [FIX_DIFF]
    resolved = await client.code_action_resolve_async(fix)
    assert resolved.edit is not None and resolved.command is not None

    async def statuses() -> list[str]:
        listed = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="wave.proposal.list", arguments=[{}])
        )
        return [p["status"] for p in listed]

    assert await statuses() == ["pending"]  # nothing is applied before the editor applies it
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=resolved.command.command, arguments=resolved.command.arguments
        )
    )
    assert await statuses() == ["applied"]
