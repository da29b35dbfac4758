"""The built-in agent's journey against a recording provider: what the model asked for, what
went back to it (redacted, refused, bounded), and what ended up held for the proposal — and the
boundaries it must not cross (paths, persona permissions, tools, rules, limits)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.agents.conftest import SECRET, MakeAgent, persona
from tests.providers.protocol_server import ProtocolServer
from tests.providers.tool_wire import ToolTurn
from wave_lsp.agents.tools import PendingCall
from wave_lsp.config.system import AgentSettings
from wave_lsp.personas.models import ToolRules


def tool_results(server: ProtocolServer) -> list[str]:
    """The tool messages of the last request (what went back to the model)."""
    return [m["content"] for m in server.requests[-1].body["messages"] if m["role"] == "tool"]


async def test_reads_edits_and_answers_nothing_written_to_disk(
    agent_on: MakeAgent, llm: ProtocolServer, project: Path
) -> None:
    llm.state.answers = [
        ToolTurn([("read_file", {"path": "src/app.py"}), ("read_file", {"path": "src/config.py"})]),
        ToolTurn(
            [("edit_file", {"path": "src/app.py", "old_text": "return 1", "new_text": "return 2"})]
        ),
        ToolTurn([("write_file", {"path": "src/new.py", "content": "X = 1\n"})]),
        "Changed main() to return 2 and added new.py.",
    ]
    agent = agent_on()
    result = await agent.run("make main return 2")
    assert result.stop_reason == "end_turn" and result.steps == 4
    assert result.text == "Changed main() to return 2 and added new.py."
    assert result.changed == {
        "src/app.py": ("def main():\n    return 1\n", "def main():\n    return 2\n"),
        "src/new.py": (None, "X = 1\n"),
    }
    assert (project / "src" / "app.py").read_text() == "def main():\n    return 1\n"
    assert not (project / "src" / "new.py").exists()
    # what the provider received: the tools, the file (numbered), the secret redacted
    first_results = [m["content"] for m in llm.requests[1].body["messages"] if m["role"] == "tool"]
    assert "    1\tdef main():" in first_results[0]
    assert SECRET not in json.dumps(llm.requests[-1].body)
    assert "<<secret:" in first_results[1]
    offered = [t["function"]["name"] for t in llm.requests[0].body["tools"]]
    assert offered == ["read_file", "list_files", "search_text", "edit_file", "write_file",
                       "run_command", "check"]  # fmt: skip
    assert result.transcript.data["messages"][-1]["content"] == result.text


async def test_paths_outside_the_workspace_and_denied_folders_are_refused(
    agent_on: MakeAgent, llm: ProtocolServer, project: Path
) -> None:
    (project / "src" / "link").symlink_to(project.parent)  # a symlink out of the workspace
    (project.parent / "outside.txt").write_text("outside\n")
    llm.state.answers = [
        ToolTurn([
            ("read_file", {"path": "../outside.txt"}),
            ("read_file", {"path": "src/link/outside.txt"}),
            ("read_file", {"path": "secret/keys.txt"}),
            ("write_file", {"path": "/etc/evil", "content": "x"}),
            ("list_files", {"path": "."}),
        ]),
        "done",
    ]  # fmt: skip
    result = await agent_on().run("look around")
    results = tool_results(llm)
    assert all(r.startswith("refused:") for r in results[:4]), results
    assert "outside the workspace" in results[0] and "outside the workspace" in results[1]
    assert "denied by 'secret'" in results[2]
    assert "secret/keys.txt" not in results[4] and "src/app.py" in results[4]
    assert len(result.denials) == 4 and result.changed == {}
    assert "private" not in json.dumps(llm.requests[-1].body)


async def test_a_persona_without_code_write_cannot_write(
    agent_on: MakeAgent, llm: ProtocolServer, project: Path
) -> None:
    reader = persona(security_context={"permissions": ["code:read"]})
    llm.state.answers = [
        ToolTurn([("write_file", {"path": "src/app.py", "content": "gone"})]),
        "tried",
    ]
    result = await agent_on(reader).run("rewrite app.py")
    assert result.changed == {}
    [denial] = result.denials
    assert denial.startswith("write_file(src/app.py): ") and "code:write" in denial


async def test_deny_beats_allow_and_ask_needs_someone_to_say_yes(
    agent_on: MakeAgent, llm: ProtocolServer, project: Path
) -> None:
    rules = ToolRules(allow=["Edit", "Bash(python3:*)"], deny=["Edit(src/config.py)"],
                      ask=["write_file(src/*)"])  # fmt: skip
    asked: list[PendingCall] = []

    async def say_no(call: PendingCall) -> bool:
        asked.append(call)
        return False

    llm.state.answers = [
        ToolTurn([
            ("edit_file", {"path": "src/config.py", "old_text": "AWS", "new_text": "X"}),
            ("write_file", {"path": "src/other.py", "content": "y"}),
            ("edit_file", {"path": "src/app.py", "old_text": "1", "new_text": "3"}),
        ]),
        "done",
    ]  # fmt: skip
    result = await agent_on(persona(tool_rules=rules), ask=say_no).run("edit")
    results = tool_results(llm)
    assert results[0] == "refused: denied by the rule Edit(src/config.py)"
    assert results[1] == "refused: refused by the user"
    assert [(c.tool, c.target, c.rule) for c in asked] == [
        ("write_file", "src/other.py", "write_file(src/*)")
    ]
    assert results[2] == "edited src/app.py"
    assert list(result.changed) == ["src/app.py"]


async def test_commands_run_only_from_the_allowed_tools_and_ask_by_default(
    agent_on: MakeAgent, llm: ProtocolServer, project: Path
) -> None:
    llm.state.answers = [
        ToolTurn([
            ("run_command", {"command": "python3 -c 'print(6 * 7)'"}),
            ("run_command", {"command": "rm -rf src"}),
        ]),
        ToolTurn([("run_command", {"command": "python3 -c 'print(1)'"})]),
        "done",
    ]  # fmt: skip
    yes: list[str] = []

    async def say_yes(call: PendingCall) -> bool:
        yes.append(call.target)
        return True

    result = await agent_on(ask=say_yes).run("run things")
    assert yes == ["python3 -c 'print(6 * 7)'", "rm -rf src", "python3 -c 'print(1)'"]
    first = [m["content"] for m in llm.requests[1].body["messages"] if m["role"] == "tool"]
    assert first[0] == "exit code 0\n42\n"
    assert first[1].startswith("refused:") and "may not run 'rm'" in first[1]
    assert (project / "src" / "app.py").exists()
    assert any("rm" in d for d in result.denials)
    # with no one to ask, a command is refused, saying so
    llm.state.answers = [ToolTurn([("run_command", {"command": "python3 -V"})]), "done"]
    unasked = await agent_on().run("run")
    assert "no one can be asked here" in unasked.denials[0]
    # the task's own list narrows the persona's
    llm.state.answers = [ToolTurn([("run_command", {"command": "python3 -V"})]), "done"]
    rules = ToolRules(allow=["Bash"])
    narrowed = await agent_on(persona(tool_rules=rules), tools_allowed=["git"]).run("run")
    assert "not among the task's tools_allowed" in tool_results(llm)[0]
    assert narrowed.denials == []


async def test_a_command_that_runs_too_long_is_stopped(
    agent_on: MakeAgent, llm: ProtocolServer
) -> None:
    rules = ToolRules(allow=["Bash"])
    settings = AgentSettings.model_validate({"command_timeout": "1s"})
    command = f"{Path(sys.executable).name} -c 'import time; time.sleep(30)'"
    who = persona(tool_rules=rules, tools_allowed=[Path(sys.executable).name])
    llm.state.answers = [ToolTurn([("run_command", {"command": command})]), "done"]
    await agent_on(who, settings=settings).run("sleep")
    assert tool_results(llm)[0].startswith("stopped after 1 s")


async def test_ambiguous_or_missing_edits_go_back_to_the_model(
    agent_on: MakeAgent, llm: ProtocolServer, project: Path
) -> None:
    (project / "src" / "twice.py").write_text("x = 1\nx = 1\n")
    search_replace = "src/app.py\n```\n<<<<<<< SEARCH\n    return 1\n=======\n    return 5\n>>>>>>> REPLACE\n```\n"
    llm.state.answers = [
        ToolTurn([
            ("edit_file", {"path": "src/twice.py", "old_text": "x = 1", "new_text": "x = 2"}),
            ("edit_file", {"path": "src/app.py", "old_text": "nowhere", "new_text": "y"}),
            ("edit_file", {"path": "src/app.py", "edit": search_replace}),
            ("read_file", {"path": "src/app.py"}),
            ("edit_file", {"path": "src/app.py", "edit": "src/config.py\n```\n<<<<<<< SEARCH\nAWS\n=======\nX\n>>>>>>> REPLACE\n```"}),
        ]),
        "done",
    ]  # fmt: skip
    result = await agent_on().run("edit")
    results = tool_results(llm)
    assert "occurs 2 times" in results[0]
    assert "is not in the file" in results[1]
    assert results[2] == "edited src/app.py"
    assert "return 5" in results[3]  # the agent reads its own edit
    assert "edit_file changes one file" in results[4]
    assert list(result.changed) == ["src/app.py"]


async def test_limits_end_the_run_with_their_reason(
    agent_on: MakeAgent, llm: ProtocolServer
) -> None:
    llm.state.answers = [ToolTurn([("list_files", {})]) for _ in range(5)]
    settings = AgentSettings.model_validate({"max_steps": 3})
    result = await agent_on(settings=settings).run("loop forever")
    assert result.stop_reason == "max_turn_requests" and result.steps == 3
    assert len(llm.requests) == 3
    llm.state.answers = [ToolTurn([("list_files", {})]) for _ in range(5)]
    small = AgentSettings.model_validate({"max_tokens": 20})
    result = await agent_on(settings=small).run("loop")
    assert result.stop_reason == "max_tokens"


async def test_malformed_arguments_and_unknown_tools_are_errors_for_the_model(
    agent_on: MakeAgent, llm: ProtocolServer
) -> None:
    llm.state.answers = [
        ToolTurn(
            [("read_file", {}), ("no_such_tool", {"x": 1}), ("search_text", {"pattern": "("})]
        ),
        "done",
    ]
    result = await agent_on().run("x")
    results = tool_results(llm)
    assert results[0] == "error: read_file needs a path (a string)"
    assert results[1] == "error: there is no tool 'no_such_tool'"
    assert results[2].startswith("error: not a regular expression")
    assert result.stop_reason == "end_turn"
