"""`wave ask` as a user runs it: a real process, configured by .wave/config.yaml, against each
provider type's protocol server, and with no configuration against the embedded model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import WriteFile
from tests.providers.protocol_server import ANSWER, Fault, ProtocolServer

PROVIDERS = {
    "openai": {"type": "openai", "model": "gpt-test", "apiKey": "env:ASK_KEY"},
    "deepseek": {"type": "deepseek", "model": "deepseek-chat", "apiKey": "env:ASK_KEY"},
    "qwen": {"type": "qwen", "model": "qwen-plus", "apiKey": "env:ASK_KEY"},
    "ollama": {"type": "ollama", "model": "llama3:8b"},
    "gemini": {"type": "gemini", "model": "gemini-test", "apiKey": "env:ASK_KEY"},
    "vertex": {"type": "googleCloud", "model": "gemini-test", "apiKey": "env:ASK_TOKEN"},
}


def wave(
    root: Path, *arguments: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wave_lsp", "ask", "--root", str(root), *arguments],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
        check=False,
    )


def configure(write: WriteFile, server: ProtocolServer, default: str) -> None:
    providers = {}
    for name, settings in PROVIDERS.items():
        entry = dict(settings)
        if name == "vertex":
            entry["providerSpecific"] = {"projectId": "p", "region": "r", "endpoint": server.url}
        elif name in ("openai", "deepseek", "qwen"):
            entry["baseUrl"] = f"{server.url}/v1"
        else:
            entry["baseUrl"] = server.url
        providers[name] = entry
    config = {"providers": {"defaultProvider": default, "providers": providers}}
    write(".wave/config.yaml", json.dumps(config))  # JSON is YAML


@pytest.fixture
def server() -> ProtocolServer:
    running = ProtocolServer().start()
    yield running  # type: ignore[misc]
    running.stop()


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_ask_each_configured_provider_type(
    name: str, write: WriteFile, workspace: Path, server: ProtocolServer
) -> None:
    configure(write, server, default="ollama")
    env = {"ASK_KEY": "k-123", "ASK_TOKEN": "ya29.test-access-token"}
    result = wave(
        workspace, "--model", f"{name}:{PROVIDERS[name]['model']}", "What", "now?", env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ANSWER + "\n"
    assert f"wave: {name}:" in result.stderr and "finish: stop" in result.stderr
    assert "k-123" not in result.stderr + result.stdout
    assert "What now?" in json.dumps(server.requests[-1].body)


def test_ask_reads_the_question_from_stdin(
    write: WriteFile, workspace: Path, server: ProtocolServer
) -> None:
    configure(write, server, default="ollama")
    result = subprocess.run(
        [sys.executable, "-m", "wave_lsp", "ask", "--root", str(workspace)],
        input="piped question\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "piped question" in json.dumps(server.requests[-1].body)


def test_a_provider_failure_is_a_message_and_exit_1(
    write: WriteFile, workspace: Path, server: ProtocolServer
) -> None:
    configure(write, server, default="ollama")
    result = wave(workspace, "--model", "missing-model", "hi")
    assert result.returncode == 1
    assert "unknown model 'missing-model'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_key_variable_that_is_not_set_is_named(
    write: WriteFile, workspace: Path, server: ProtocolServer
) -> None:
    configure(write, server, default="openai")
    env = {k: v for k, v in os.environ.items() if k != "ASK_KEY"}
    result = subprocess.run(
        [sys.executable, "-m", "wave_lsp", "ask", "--root", str(workspace), "hi"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "$ASK_KEY, which is not set" in result.stderr
    assert server.requests == []


def test_retries_are_invisible_when_they_succeed(
    write: WriteFile, workspace: Path, server: ProtocolServer
) -> None:
    configure(write, server, default="ollama")
    server.fail(Fault(status=503))
    result = wave(workspace, "hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ANSWER + "\n"


def test_with_no_configuration_the_embedded_model_answers(workspace: Path) -> None:
    # offline: no proxy, no provider, no key; the model runs in the process
    result = wave(workspace, "--max-tokens", "16", "Say hello.", env={"NO_PROXY": "*"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "wave: local:smollm2-135m-instruct" in result.stderr
