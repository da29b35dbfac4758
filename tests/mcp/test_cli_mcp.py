"""`wave mcp list` starts the configured servers and shows their state and tools; `wave config
check` reports includeTools with excludeTools, a command not found, and an `mcp:` entry that
names no configured server, each at its file, line and column."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import WriteFile
from tests.mcp.conftest import tool_server_yaml

WAVE = str(Path(sys.executable).with_name("wave"))


def wave(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([WAVE, *arguments], capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip


def test_wave_mcp_list_shows_servers_state_and_tools(
    write: WriteFile, workspace: Path, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    write(".wave/config.yaml", f"""
        providers:
          defaultProvider: none
          providers:
            none: {{type: openai, baseUrl: "http://127.0.0.1:9/v1"}}
          mcpServers:
        {tool_server_yaml(log, indent=4, excludeTools=["crash"])}
            gone: {{command: "{sys.executable}", args: ["-c", "import sys; sys.exit(3)"]}}
            paused: {{command: "{sys.executable}", enabled: false}}
        """)  # fmt: skip
    shown = wave("mcp", "list", "--root", str(workspace))
    assert shown.returncode == 1  # a server failed
    assert "tools: running (stdio " in shown.stdout
    assert (
        "tools__echo (read-only)" in shown.stdout
        and "tools__crash (read-only, excluded)" in shown.stdout
    )
    assert "tools__add  Add two integers" in shown.stdout
    assert "gone: failed" in shown.stdout and "could not start" in shown.stdout
    assert "paused: disabled" in shown.stdout
    listed = json.loads(wave("mcp", "list", "--root", str(workspace), "--json").stdout)
    by_name = {s["name"]: s for s in listed}
    assert by_name["tools"]["state"] == "running" and by_name["paused"]["state"] == "disabled"
    assert {t["name"] for t in by_name["tools"]["tools"]} >= {"echo", "add", "big", "crash"}


def test_config_check_reports_mcp_mistakes(write: WriteFile, workspace: Path) -> None:
    write(".wave/config.yaml", """
        providers:
          defaultProvider: none
          providers:
            none: {type: openai, baseUrl: "http://127.0.0.1:9/v1"}
          mcpServers:
            files: {command: no-such-mcp-server}
        """)  # fmt: skip
    write(".wave/personas/helper.yaml", """
        persona:
          name: helper
          description: helps
          tools_allowed: [git, "mcp:fils"]
        """)  # fmt: skip
    checked = wave("config", "check", "--root", str(workspace))
    out = checked.stdout + checked.stderr
    assert checked.returncode == 1
    assert (
        "config.yaml:6:22: the command 'no-such-mcp-server' of MCP server 'files' is not found"
        in out
    )
    assert "helper.yaml:4:24: 'mcp:fils' of persona 'helper' names the MCP server 'fils'" in out
    assert "did you mean 'files'?" in out
    write(".wave/config.yaml", """
        providers:
          defaultProvider: none
          providers:
            none: {type: openai, baseUrl: "http://127.0.0.1:9/v1"}
          mcpServers:
            both: {command: python3, includeTools: [a], excludeTools: [b]}
        """)  # fmt: skip
    both = wave("config", "check", "--root", str(workspace))
    assert both.returncode == 1
    assert (
        "config.yaml:6:11: providers.mcpServers.both: includeTools and excludeTools cannot both be given"
        in both.stdout + both.stderr
    )
