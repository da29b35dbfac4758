"""`wave ask` against a provider that answers 200 with something that is not the protocol (an
HTML page, a plain JSON body where a stream belongs), an empty stream, or a stream that never
ends: each is an error with a message (exit 1), never an empty answer with exit 0."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import WriteFile
from tests.providers.protocol_server import Fault, ProtocolServer
from tests.providers.test_cli_ask import wave


@pytest.fixture
def server() -> ProtocolServer:
    running = ProtocolServer().start()
    yield running  # type: ignore[misc]
    running.stop()


def configure(write: WriteFile, server: ProtocolServer, **specific: object) -> None:
    entry = {"type": "openai", "model": "gpt-test", "apiKey": "env:ASK_KEY",
             "baseUrl": f"{server.url}/v1", "providerSpecific": {"maxRetries": 0, **specific}}  # fmt: skip
    config = {"providers": {"defaultProvider": "openai", "providers": {"openai": entry}}}
    write(".wave/config.yaml", json.dumps(config))


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (Fault(html=True), "without a single stream event"),
        (Fault(plain=True), "without a single stream event"),
    ],
)
def test_not_a_stream_is_an_error(
    workspace: Path, write: WriteFile, server: ProtocolServer, fault: Fault, said: str
) -> None:
    configure(write, server)
    server.fail(fault)
    result = wave(workspace, "hello", env={"ASK_KEY": "k"})
    assert result.returncode == 1, result.stderr
    assert said in result.stderr and result.stdout.strip() == ""


def test_an_empty_answer_is_an_error(
    workspace: Path, write: WriteFile, server: ProtocolServer
) -> None:
    configure(write, server)
    server.state.answers = [""]
    result = wave(workspace, "hello", env={"ASK_KEY": "k"})
    assert result.returncode == 1 and "the answer is empty" in result.stderr


def test_a_trickle_is_stopped_by_the_deadline(
    workspace: Path, write: WriteFile, server: ProtocolServer
) -> None:
    configure(write, server, answerDeadline=2)
    server.fail(Fault(trickle=0.05))
    began = time.monotonic()
    result = wave(workspace, "hello", env={"ASK_KEY": "k"})
    took = time.monotonic() - began
    assert result.returncode == 1 and "took over 2 s: stopped" in result.stderr
    assert took < 30  # a hang guard: the bound is the deadline


def test_an_endless_answer_is_capped(
    workspace: Path, write: WriteFile, server: ProtocolServer
) -> None:
    configure(write, server, maxAnswerChars=500)
    server.fail(Fault(trickle=0.001))
    result = wave(workspace, "hello", env={"ASK_KEY": "k"})
    assert result.returncode == 1 and "passed 500 characters: stopped" in result.stderr
    assert len(result.stdout) <= 600
