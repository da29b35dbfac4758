"""The built-in agent against a recording OpenAI-protocol server, on a small project."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.providers.protocol_server import ProtocolServer
from wave_lsp.agents.build import make_agent
from wave_lsp.agents.files import AgentFiles
from wave_lsp.agents.loop import Agent
from wave_lsp.agents.tools import Ask
from wave_lsp.config.system import AgentSettings
from wave_lsp.config.workspace import load_workspace
from wave_lsp.personas.guard import PersonaGuard
from wave_lsp.personas.models import Persona
from wave_lsp.providers.models import ProviderConfiguration
from wave_lsp.providers.registry import provider_class

SECRET = "AKIAIOSFODNN7EXAMPLE"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("def main():\n    return 1\n")
    (root / "src" / "config.py").write_text(f'AWS_KEY = "{SECRET}"\n')
    (root / "secret").mkdir()
    (root / "secret" / "keys.txt").write_text("private\n")
    return root


def persona(**fields: Any) -> Persona:
    base: dict[str, Any] = {
        "name": "dev",
        "security_context": {
            "permissions": ["code:read", "code:write"],
            "constraints": [
                {"type": "directory_access", "allowed_paths": ["."], "denied_paths": ["secret"]}
            ],
        },
        "tools_allowed": ["python3", "git"],
    }
    return Persona.model_validate({**base, **fields})


MakeAgent = Callable[..., Agent]


@pytest.fixture
async def agent_on(llm: ProtocolServer, project: Path) -> AsyncIterator[MakeAgent]:
    providers = []

    def build(
        who: Persona | None = None,
        *,
        ask: Ask | None = None,
        settings: AgentSettings | None = None,
        tools_allowed: list[str] | None = None,
    ) -> Agent:
        config = ProviderConfiguration.model_validate(
            {
                "name": "openai",
                "type": "openai",
                "baseUrl": f"{llm.url}/v1",
                "model": "gpt-test",
                "apiKey": "sk-test",
            }
        )
        provider = provider_class(config.type)(config)
        providers.append(provider)
        files = AgentFiles(project, lambda p: p.read_text() if p.is_file() else None)
        return make_agent(
            provider, "gpt-test", files, PersonaGuard(who or persona(), project),
            rules=list(load_workspace(project).rules.values()), settings=settings or AgentSettings(), ask=ask,
            tools_allowed=tools_allowed,
        )  # fmt: skip

    yield build
    for provider in providers:
        await provider.aclose()
