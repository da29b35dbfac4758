"""Inline completions (`textDocument/inlineCompletion`) through the real server over stdio, in the
three recorded clients' capabilities, against the recording provider server: fill-in-the-middle
(Ollama's generate with the unsaved prefix and suffix, redacted), a chat prompt for a provider
without it, the next keystroke cancelling the call in flight (the provider sees its request
closed), the cache answering while the user types the predicted text, and the persona's
directory rules keeping a file out."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from lsprotocol import types

from tests.agents.conftest import SECRET
from tests.conftest import WriteFile
from tests.e2e.conftest import RecordingClient, uri
from tests.providers.protocol_server import ProtocolServer

SOURCE = (
    f'KEY = "{SECRET}"\n\n\ndef total(items):\n    result = 0\n    for item in items:\n'
    "        result += item\n    return result\n\n\ndef average(items):\n    return \n"
)
CURSOR = types.Position(line=11, character=11)  # after "    return "
OTHER = "def median(values):\n    ordered = sorted(values)\n    return ordered[len(values) // 2]\n"


def configure(write: WriteFile, llm: ProtocolServer, provider: str, extra: str = "") -> None:
    kind = (
        f'type: ollama\n              baseUrl: "{llm.url}"\n              model: llama3:8b'
        if provider == "ollama"
        else f'type: openai\n              baseUrl: "{llm.url}/v1"\n              model: gpt-test'
    )
    write(
        ".wave/config.yaml",
        f"""
        providers:
          defaultProvider: llm
          providers:
            llm:
              {kind}
              providerSpecific: {{maxRetries: 0}}
        completion: {{debounce_ms: 0}}
        {extra}
        """,
    )


def open_file(client: RecordingClient, path: Path, text: str, version: int = 1) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    document = uri(path)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document, language_id="python", version=version, text=text
            )
        )
    )
    return document


async def inline(
    client: RecordingClient, document: str, position: types.Position, *, invoked: bool = False
) -> list[str]:
    kind = types.InlineCompletionTriggerKind
    result = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            context=types.InlineCompletionContext(
                trigger_kind=kind.Invoked if invoked else kind.Automatic
            ),
            text_document=types.TextDocumentIdentifier(uri=document),
            position=position,
        )
    )
    if result is None:
        return []
    items = result.items if isinstance(result, types.InlineCompletionList) else result
    for item in items:
        assert item.range is not None and item.range.start == position == item.range.end
    return [str(item.insert_text) for item in items]


def type_text(client: RecordingClient, document: str, at: types.Position, text: str, version: int):
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=document, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(range=types.Range(at, at), text=text)
            ],
        )
    )


async def test_fill_in_the_middle_from_the_unsaved_text(
    client: RecordingClient, write: WriteFile, workspace: Path, llm: ProtocolServer
) -> None:
    configure(write, llm, "ollama")
    open_file(client, workspace / "stats.py", OTHER)
    document = open_file(client, workspace / "app.py", SOURCE)
    llm.state.answers = ["sum(items) / len(items)\n    # and more"]
    assert await inline(client, document, CURSOR, invoked=True) == ["sum(items) / len(items)"]
    [request] = [r for r in llm.requests if r.path == "/api/generate"]
    body = request.body
    assert body["prompt"].endswith("def average(items):\n    return ")
    assert body["suffix"] == "\n"
    assert body["options"]["stop"] == ["\n"]  # mid-line: one line
    assert SECRET not in json.dumps(body) and "<<secret:" in body["prompt"]
    # the other open document most like the code before the cursor, as comments
    assert "# Path: stats.py\n# def median(values):" in body["prompt"]
    assert "# Path: app.py\n" in body["prompt"]


async def test_a_chat_prompt_without_fim_and_a_block_gets_lines(
    client: RecordingClient, write: WriteFile, workspace: Path, llm: ProtocolServer
) -> None:
    configure(write, llm, "openai")
    text = "def greet(name):\n"
    document = open_file(client, workspace / "app.py", text)
    llm.state.answers = ['```python\n    message = f"hi {name}"\n    return message\n```']
    at = types.Position(line=1, character=0)
    assert await inline(client, document, at, invoked=True) == [
        '    message = f"hi {name}"\n    return message'
    ]
    [request] = [r for r in llm.requests if r.path.endswith("/chat/completions")]
    user = request.body["messages"][-1]["content"]
    assert "def greet(name):\n<CURSOR>" in user and "several lines" in user


async def test_the_next_keystroke_cancels_the_call_in_flight(
    client: RecordingClient, write: WriteFile, workspace: Path, llm: ProtocolServer
) -> None:
    configure(write, llm, "ollama")
    document = open_file(client, workspace / "app.py", SOURCE)
    llm.state.piece_delay = 0.8  # 12 pieces: about 10 s for the first answer
    llm.state.answers = ["slow answer that never arrives", "len(items)"]
    first = asyncio.ensure_future(inline(client, document, CURSOR))
    for _ in range(100):
        if llm.requests:
            break
        await asyncio.sleep(0.05)
    assert len(llm.requests) == 1
    type_text(client, document, CURSOR, "s", 2)
    later = asyncio.ensure_future(inline(client, document, types.Position(line=11, character=12)))
    for _ in range(200):  # the first call's HTTP request is closed, not left to finish
        if llm.state.disconnects:
            break
        await asyncio.sleep(0.05)
    llm.state.piece_delay = 0.0  # (only now: the first answer must not finish meanwhile)
    second = await later
    assert await first == []  # superseded: nothing shown
    assert second == ["len(items)"]
    assert llm.state.disconnects == 1


async def test_typing_the_prediction_is_served_from_cache(
    client: RecordingClient, write: WriteFile, workspace: Path, llm: ProtocolServer
) -> None:
    configure(write, llm, "ollama")
    document = open_file(client, workspace / "app.py", SOURCE)
    llm.state.answers = ["sum(items) / len(items)"]
    assert await inline(client, document, CURSOR) == ["sum(items) / len(items)"]
    type_text(client, document, CURSOR, "sum(", 2)
    after = types.Position(line=11, character=15)
    assert await inline(client, document, after) == ["items) / len(items)"]
    assert len(llm.requests) == 1  # no second model call
    type_text(client, document, after, "x", 3)  # off the prediction: the model is asked
    llm.state.answers = [") / 2"]
    assert await inline(client, document, types.Position(line=11, character=16)) == [") / 2"]
    assert len(llm.requests) == 2
    stats = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="wave.inline.stats", arguments=[])
    )
    assert {k: stats[k] for k in ("requests", "fromCache", "asked", "superseded")} == {
        "requests": 3, "fromCache": 1, "asked": 2, "superseded": 0,
    }  # fmt: skip
    assert stats["ownMs"]["count"] == stats["modelMs"]["count"] == 2
    assert stats["cachedMs"]["count"] == 1
    assert 0 < stats["ownMs"]["p50"] <= stats["ownMs"]["p95"]


@pytest.mark.parametrize("setting", ["enabled: false", "languages: [rust]"])
async def test_settings_turn_it_off(
    client: RecordingClient, write: WriteFile, workspace: Path, llm: ProtocolServer, setting: str
) -> None:
    configure(write, llm, "ollama")
    (workspace / ".wave" / "config.yaml").write_text(
        (workspace / ".wave" / "config.yaml")
        .read_text()
        .replace("completion: {debounce_ms: 0}", f"completion: {{debounce_ms: 0, {setting}}}")
    )
    document = open_file(client, workspace / "app.py", SOURCE)
    assert await inline(client, document, CURSOR, invoked=True) == []
    assert llm.requests == []


async def test_the_personas_directory_rules_keep_files_out(
    client: RecordingClient, write: WriteFile, workspace: Path, llm: ProtocolServer
) -> None:
    configure(write, llm, "ollama")
    write(
        ".wave/personas/careful.yaml",
        """
        persona:
          name: careful
          description: Keeps away from private code.
          security_context:
            permissions: ["code:read"]
            constraints:
              - type: directory_access
                allowed_paths: ["."]
                denied_paths: ["private"]
        """,
    )
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="wave.persona.select", arguments=[{"name": "careful"}])
    )
    hidden = open_file(client, workspace / "private" / "keys.py", "def total_secret(items):\n")
    assert await inline(client, hidden, types.Position(line=1, character=0), invoked=True) == []
    assert llm.requests == []  # a denied file is never sent
    document = open_file(client, workspace / "app.py", SOURCE)
    llm.state.answers = ["0"]
    assert await inline(client, document, CURSOR, invoked=True) == ["0"]
    assert "total_secret" not in llm.requests[0].body["prompt"]  # nor quoted from


async def test_typed_requests_wait_for_the_next_keystroke(
    client: RecordingClient, write: WriteFile, workspace: Path, llm: ProtocolServer
) -> None:
    configure(write, llm, "ollama")
    config = workspace / ".wave" / "config.yaml"
    config.write_text(config.read_text().replace("debounce_ms: 0", "debounce_ms: 2000"))
    document = open_file(client, workspace / "app.py", SOURCE)
    llm.state.answers = ["len(items)"]
    first = asyncio.ensure_future(inline(client, document, CURSOR))
    await asyncio.sleep(0.05)  # sent (it waits 2 s at the server)
    type_text(client, document, CURSOR, "s", 2)  # the next keystroke, within the debounce
    # invoked (no debounce): answered at once, and it takes over from the waiting one
    second = await inline(client, document, types.Position(line=11, character=12), invoked=True)
    assert await first == [] and second == ["len(items)"]
    assert len(llm.requests) == 1  # the first never reached the model
    llm.state.answers = ["0"]
    assert await inline(client, document, CURSOR, invoked=True) == ["0"]
    assert len(llm.requests) == 2
