"""The built-in agent with MCP servers' tools, scripted by the recording OpenAI-protocol server
(through the openai SDK): real server processes — the Python tool server on the `mcp` SDK and
the npm reference filesystem server. What the model was offered and told, what the MCP server
received, and what the governance refused."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.agents.conftest import SECRET, persona
from tests.mcp.conftest import calls, tool_server
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn
from wave_lsp.agents.build import make_agent
from wave_lsp.agents.files import AgentFiles
from wave_lsp.agents.loop import Agent
from wave_lsp.agents.tools import PendingCall
from wave_lsp.config.system import AgentSettings
from wave_lsp.config.workspace import load_workspace
from wave_lsp.mcp import connection
from wave_lsp.mcp.hub import McpHub
from wave_lsp.personas.guard import PersonaGuard
from wave_lsp.providers.models import MCPServerConfiguration, ProviderConfiguration
from wave_lsp.providers.registry import provider_class

Build = Callable[..., Agent]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("def main():\n    return 1\n")
    return root


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "mcp-calls.jsonl"


@pytest.fixture
async def hubs() -> AsyncIterator[list[McpHub]]:
    made: list[McpHub] = []
    yield made
    await asyncio.gather(*(hub.aclose() for hub in made))


@pytest.fixture
def agent_with(llm: ProtocolServer, project: Path, hubs: list[McpHub]) -> Build:
    def build(
        servers: dict[str, MCPServerConfiguration],
        who: Any = None,
        *,
        ask: Any = None,
        tools_allowed: list[str] | None = None,
        settings: AgentSettings | None = None,
    ) -> Agent:
        hub = McpHub(servers, project)
        hubs.append(hub)
        config = ProviderConfiguration.model_validate({
            "name": "openai", "type": "openai", "baseUrl": f"{llm.url}/v1",
            "model": "gpt-test", "apiKey": "sk-test",
        })  # fmt: skip
        files = AgentFiles(project, lambda p: p.read_text() if p.is_file() else None)
        return make_agent(
            provider_class(config.type)(config), "gpt-test", files,
            PersonaGuard(who or persona(), project),
            rules=list(load_workspace(project).rules.values()),
            settings=settings or AgentSettings(), ask=ask, tools_allowed=tools_allowed,
            external=hub,
        )  # fmt: skip

    return build


def offered(llm: ProtocolServer, index: int = 0) -> list[str]:
    return [t["function"]["name"] for t in llm.requests[index].body.get("tools", [])]


def told(llm: ProtocolServer, index: int = -1) -> list[str]:
    return [m["content"] for m in llm.requests[index].body["messages"] if m["role"] == "tool"]


async def test_a_tool_result_returns_to_the_model(
    agent_with: Build, llm: ProtocolServer, log: Path
) -> None:
    llm.state.answers = [ToolTurn([("tools__echo", {"text": "hello"})]), "It said hello."]
    result = await agent_with({"tools": tool_server(log)}).run("ask the echo tool")
    assert result.text == "It said hello." and result.denials == []
    names = offered(llm)
    assert {"read_file", "tools__echo", "tools__add", "tools__crash"} <= set(names)
    spec = next(t for t in llm.requests[0].body["tools"] if t["function"]["name"] == "tools__echo")
    assert spec["function"]["parameters"]["properties"]["text"]["type"] == "string"
    assert spec["function"]["description"] == "[tools MCP server] Say the text back."
    assert told(llm) == ["echo: hello"]
    assert [c["tool"] for c in calls(log)] == ["echo"]


async def test_a_tool_not_marked_read_only_is_asked_for(
    agent_with: Build, llm: ProtocolServer, log: Path
) -> None:
    llm.state.answers = [ToolTurn([("tools__add", {"a": 1, "b": 2})]), "no one to ask"]
    result = await agent_with({"tools": tool_server(log)}).run("add")
    assert "needs approval and no one can be asked here" in told(llm)[0]
    assert result.denials and calls(log) == []  # never reached the server

    asked: list[PendingCall] = []

    async def yes(call: PendingCall) -> bool:
        asked.append(call)
        return True

    llm.state.answers = [ToolTurn([("tools__add", {"a": 1, "b": 2})]), "3"]
    await agent_with({"tools": tool_server(log)}, ask=yes).run("add")
    assert [(c.tool, c.arguments) for c in asked] == [("tools__add", {"a": 1, "b": 2})]
    assert told(llm) == ["3"] and calls(log)[-1] == {**calls(log)[-1], "tool": "add"}


async def test_a_rule_allows_or_denies_an_mcp_tool_by_claude_codes_name(
    agent_with: Build, llm: ProtocolServer, log: Path
) -> None:
    allowed = persona(tool_rules={"allow": ["mcp__tools__add"], "deny": ["mcp__tools__echo"]})
    llm.state.answers = [ToolTurn([("tools__add", {"a": 2, "b": 2}),
                                   ("tools__echo", {"text": "x"})]), "ok"]  # fmt: skip
    await agent_with({"tools": tool_server(log)}, allowed).run("go")
    assert told(llm)[0] == "4"
    assert "denied by the rule mcp__tools__echo" in told(llm)[1]
    assert [c["tool"] for c in calls(log)] == ["add"]


@pytest.mark.parametrize(
    ("fields", "hidden"),
    [({"includeTools": ["echo"]}, "tools__add"), ({"excludeTools": ["add", "cr*"]}, "tools__add")],
)
async def test_include_and_exclude_hide_tools(
    agent_with: Build, llm: ProtocolServer, log: Path, fields: dict[str, Any], hidden: str
) -> None:
    llm.state.answers = [ToolTurn([(hidden, {"a": 1, "b": 1})]), "ok"]
    await agent_with({"tools": tool_server(log, **fields)}).run("go")
    names = offered(llm)
    assert "tools__echo" in names and hidden not in names
    if "excludeTools" in fields:
        assert "tools__crash" not in names and "tools__big" in names
    else:
        assert names.count("tools__echo") == 1 and "tools__big" not in names
    assert told(llm) == [f"error: there is no tool '{hidden}'"] and calls(log) == []


async def test_a_persona_or_a_task_narrows_the_tools(
    agent_with: Build, llm: ProtocolServer, log: Path
) -> None:
    narrow = persona(tools_allowed=["python3", "mcp:tools__echo"])
    llm.state.answers = ["ok"]
    await agent_with({"tools": tool_server(log)}, narrow).run("go")
    assert [n for n in offered(llm) if "__" in n] == ["tools__echo"]

    llm.state.answers = ["ok"]
    await agent_with({"tools": tool_server(log)}, tools_allowed=["mcp:other"]).run("go")
    assert [n for n in offered(llm, -1) if "__" in n] == []

    llm.state.answers = ["ok"]
    await agent_with({"tools": tool_server(log)}, tools_allowed=["git"]).run("go")  # programs only
    assert "tools__add" in offered(llm, -1)


async def test_arguments_and_results_are_redacted(
    agent_with: Build, llm: ProtocolServer, log: Path
) -> None:
    llm.state.answers = [ToolTurn([("tools__echo", {"text": f"key={SECRET}"})]), "done"]
    await agent_with({"tools": tool_server(log)}).run("echo the key")
    (received,) = calls(log)
    assert SECRET not in received["arguments"]["text"]
    (result,) = told(llm)  # the model's own call is sent back as it was; its result is redacted
    assert result.startswith("echo: key=") and SECRET not in result


async def test_arguments_against_the_schema_and_unknown_tools_are_errors(
    agent_with: Build, llm: ProtocolServer, log: Path
) -> None:
    llm.state.answers = [
        ToolTurn([("tools__echo", {"text": 5}), ("tools__nope", {}), ("tools__echo", {})]),
        "ok",
    ]
    await agent_with({"tools": tool_server(log)}).run("go")
    wrong, unknown, missing = told(llm)
    assert wrong.startswith("error: text: 5 is not of type 'string'")
    assert unknown == "error: there is no tool 'tools__nope'"
    assert "'text' is a required property" in missing
    assert calls(log) == []


async def test_a_crashing_server_is_restarted_once_then_reported(
    agent_with: Build, llm: ProtocolServer, log: Path
) -> None:
    llm.state.answers = [
        ToolTurn([("tools__crash", {})]), ToolTurn([("tools__echo", {"text": "again"})]),
        ToolTurn([("tools__crash", {})]), ToolTurn([("tools__echo", {"text": "later"})]),
        "done",
    ]  # fmt: skip
    result = await agent_with({"tools": tool_server(log)}).run("go")
    first, again, second, later = told(llm)
    assert "stopped during the call" in first and "crashing on purpose" in first
    assert "started again" in first
    assert again == "echo: again"
    assert "stopped again" in second and "not started a third time" in second
    assert "not started a third time" in later and result.text == "done"
    pids = [c["pid"] for c in calls(log)]
    assert len(pids) == 3 and pids[0] != pids[1] == pids[2]  # crash, echo (restarted), crash


async def test_oversized_results_are_cut_or_refused_and_slow_calls_time_out(
    agent_with: Build, llm: ProtocolServer, log: Path
) -> None:
    llm.state.answers = [
        ToolTurn([("tools__big", {"megabytes": 1})]),
        ToolTurn([("tools__big", {"megabytes": 50})]),
        ToolTurn([("tools__sleep", {"seconds": 30})]),
        ToolTurn([("tools__echo", {"text": "still here"})]),
        "done",
    ]
    settings = AgentSettings(max_result_chars=5000)
    started = time.monotonic()
    await agent_with({"tools": tool_server(log, timeout=2)}, settings=settings).run("go")
    elapsed = time.monotonic() - started
    cut, refused, slow, alive = told(llm)
    assert len(cut) < 5200 and "[cut: " in cut
    assert "over the 16 MiB limit" in refused and "ask for less" in refused
    assert "did not answer within 2 s" in slow
    assert alive == "echo: still here"
    assert elapsed < 25  # the 50 MB answer is dropped as it streams, the sleep abandoned


@pytest.mark.parametrize(
    ("mode", "command", "said"),
    [
        ("garbage", None, "did not answer within 3 s"),
        ("silent", None, "did not answer within 3 s"),
        ("exit", None, "cannot start: no database"),
        ("", "no-such-mcp-server", "is not found"),
    ],
)
async def test_a_server_that_cannot_start_is_left_out_and_said(
    agent_with: Build, llm: ProtocolServer, log: Path, monkeypatch: pytest.MonkeyPatch,
    mode: str, command: str | None, said: str,
) -> None:  # fmt: skip
    monkeypatch.setattr(connection, "START_SECONDS", 3.0)
    bad = tool_server(log, mode, **({"command": command} if command else {}))
    llm.state.answers = ["fine without it"]
    agent = agent_with({"bad": bad, "tools": tool_server(log)})
    started = time.monotonic()
    result = await agent.run("go")
    assert time.monotonic() - started < 15
    assert result.text == "fine without it"
    names = offered(llm)
    assert "tools__echo" in names and not any(n.startswith("bad__") for n in names)
    hub = agent.toolbox.external
    assert isinstance(hub, McpHub)
    state = hub.connections["bad"]
    assert state.state.value == "failed" and said in state.error


async def test_every_server_is_stopped_with_the_session(project: Path, log: Path) -> None:
    hub = McpHub({"a": tool_server(log), "b": tool_server(log)}, project)
    await hub.tools()
    await asyncio.gather(hub.call("a__echo", {"text": "1"}), hub.call("b__echo", {"text": "2"}))
    pids = {c["pid"] for c in calls(log)}
    assert len(pids) == 2
    await hub.aclose()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


async def test_the_npm_filesystem_server_reads_for_the_agent(
    agent_with: Build, llm: ProtocolServer, project: Path, filesystem_server: Path
) -> None:
    fs = MCPServerConfiguration(command=str(filesystem_server), args=[str(project)])
    app = str(project / "src" / "app.py")
    llm.state.answers = [
        ToolTurn(
            [
                ("fs__read_text_file", {"path": app}),
                ("fs__write_file", {"path": app, "content": "gone"}),
            ]
        ),
        "read it",
    ]
    result = await agent_with({"fs": fs}).run("read src/app.py through the fs server")
    assert "fs__read_text_file" in offered(llm) and "fs__list_directory" in offered(llm)
    content, write = told(llm)
    assert content == "def main():\n    return 1\n"
    assert "needs approval" in write  # write_file is not read-only: asked, and no one can say yes
    assert (project / "src" / "app.py").read_text() == "def main():\n    return 1\n"
    assert result.text == "read it"
