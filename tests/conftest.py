"""Fixtures shared by every test: an isolated per-user config directory, and helpers to write a
workspace's .wave/ files."""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.providers.protocol_server import ProtocolServer


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


DATA = Path(__file__).parent / "data"
SEED = DATA / "seed"


def recording_provider(llm: ProtocolServer, **specific: object) -> str:
    """The recording provider as one provider entry of `.wave/config.yaml` (a YAML flow
    mapping: it fits at any indentation), no retries, and ``specific`` in providerSpecific."""
    settings = ", ".join(f"{k}: {v}" for k, v in {"maxRetries": 0, **specific}.items())
    return (f'{{type: openai, baseUrl: "{llm.url}/v1", model: gpt-test, '
            f"providerSpecific: {{{settings}}}}}")  # fmt: skip


@pytest.fixture(autouse=True)
def isolated_user_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """No test reads the real ~/.config/wave/config.yaml or writes to ~/.local/state."""
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))  # proposals, backups
    return home / "wave" / "config.yaml"


WriteFile = Callable[[str, str], Path]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / ".wave").mkdir(parents=True)
    return root


@pytest.fixture
def write(workspace: Path) -> WriteFile:
    """write(".wave/pipelines/x.yaml", text): write a file of the workspace (dedented)."""

    def write_file(relative: str, text: str) -> Path:
        path = workspace / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write_file


@pytest.fixture
def llm() -> Iterator[ProtocolServer]:
    """A recording OpenAI-protocol server on 127.0.0.1 (``state.answers``, ``requests``)."""
    server = ProtocolServer().start()
    yield server
    server.stop()
