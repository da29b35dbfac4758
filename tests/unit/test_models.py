"""The seeds' validation rules that live in the models themselves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from wave_lsp.context.models import ConversationCheckpoint, FileContext, Message
from wave_lsp.edits.models import CodeChangeProposal
from wave_lsp.errors import Error, ErrorContext
from wave_lsp.personas.models import Persona
from wave_lsp.pipelines.models import Task
from wave_lsp.providers.models import (
    MCPServerConfiguration,
    ProviderConfiguration,
    ProviderRegistryEntry,
    UnifiedConfiguration,
)
from wave_lsp.relay.models import Action
from wave_lsp.relay.models import Message as RelayMessage
from wave_lsp.validation.models import ValidationReport


def test_cloud_providers_need_a_key_local_servers_do_not() -> None:
    with pytest.raises(ValidationError, match="needs an apiKey"):
        ProviderConfiguration.model_validate({"type": "gemini"})
    ProviderConfiguration.model_validate({"type": "gemini", "apiKey": "env:GEMINI_API_KEY"})
    ProviderConfiguration.model_validate({"type": "openai", "baseUrl": "http://127.0.0.1:8000/v1"})
    ProviderConfiguration.model_validate({"type": "ollama"})


def test_provider_fields_are_checked() -> None:
    with pytest.raises(ValidationError, match="baseUrl must start with http"):
        ProviderConfiguration.model_validate({"type": "ollama", "baseUrl": "localhost:11434"})
    with pytest.raises(ValidationError, match="not an environment reference"):
        ProviderConfiguration.model_validate({"type": "openai", "apiKey": "env:"})
    with pytest.raises(ValidationError, match="greater than 0"):
        ProviderConfiguration.model_validate({"type": "ollama", "timeout": 0})


def test_unified_configuration_needs_a_provider() -> None:
    with pytest.raises(ValidationError, match="at least 1 item"):
        UnifiedConfiguration.model_validate({"defaultProvider": "x", "providers": {}})
    config = UnifiedConfiguration.model_validate(
        {"defaultProvider": "o", "providers": {"o": {"type": "ollama"}}}
    )
    assert config.providers["o"].name == "o"
    assert config.model_dump(exclude_none=True)["defaultProvider"] == "o"


def test_mcp_include_and_exclude_are_exclusive() -> None:
    with pytest.raises(ValidationError, match="cannot both be given"):
        MCPServerConfiguration.model_validate(
            {"command": "srv", "includeTools": ["a"], "excludeTools": ["b"]}
        )


def test_checkpoint_message_count_must_match() -> None:
    now = datetime.now(UTC)
    message = {"role": "user", "content": "hi"}
    with pytest.raises(ValidationError, match="messageCount is 2"):
        ConversationCheckpoint.model_validate(
            {
                "id": "c1",
                "name": "n",
                "createdAt": now,
                "updatedAt": now,
                "messageCount": 2,
                "conversationHistory": [message],
                "currentProvider": "o",
            }
        )


def test_message_content() -> None:
    with pytest.raises(ValidationError, match="must not be empty"):
        Message.model_validate({"role": "user", "content": []})
    with pytest.raises(ValidationError, match="needs 'data'"):
        Message.model_validate({"role": "user", "content": [{"type": "image"}]})
    assert Message.model_validate({"role": "assistant", "content": [{"type": "text", "text": "x"}]})


def test_file_context_size_is_not_negative() -> None:
    with pytest.raises(ValidationError):
        FileContext.model_validate({"path": "a", "content": "", "size": -1, "lastModified": 0})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"changeType": "modify", "newContent": "x"}, "needs oldContent"),
        ({"changeType": "add", "oldContent": "x", "newContent": "y"}, "has no oldContent"),
        ({"changeType": "delete", "newContent": "y"}, "needs oldContent"),
    ],
)
def test_proposal_content_per_change_type(data: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CodeChangeProposal.model_validate({"filePath": "a.py", "unifiedDiff": "", **data})


def test_task_type_requirements() -> None:
    with pytest.raises(ValidationError, match="needs a prompt_template"):
        Task.model_validate({"id": "a", "type": "llm"})
    with pytest.raises(ValidationError, match="needs a command"):
        Task.model_validate({"id": "a", "type": "shell"})
    task = Task.model_validate({"id": "a", "type": "claude-code", "prompt_template": "x"})
    assert task.display_name == "a"
    assert task.output_names() == {"output", "changed_files"}


def test_persona_constraint_kinds() -> None:
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        Persona.model_validate(
            {"name": "p", "security_context": {"constraints": [{"type": "gpu"}]}}
        )
    with pytest.raises(ValidationError, match="range of hours"):
        Persona.model_validate(
            {
                "name": "p",
                "security_context": {
                    "constraints": [{"type": "time_constraints", "allowed_hours": "17-9"}]
                },
            }
        )
    with pytest.raises(ValidationError, match="String should match pattern"):
        Persona.model_validate(
            {"name": "p", "security_context": {"permissions": ["write everything"]}}
        )


def test_registry_entry_name_must_match_its_configuration() -> None:
    class Fake:
        async def generate_response(self, prompt: str, context: object) -> str:
            return prompt

        async def stream_response(self, prompt: str, context: object):  # type: ignore[no-untyped-def]
            yield prompt

    config = ProviderConfiguration.model_validate({"type": "ollama", "name": "local"})
    ProviderRegistryEntry(name="local", provider=Fake(), config=config)
    with pytest.raises(ValidationError, match="holds the configuration of 'local'"):
        ProviderRegistryEntry(name="other", provider=Fake(), config=config)


def test_wave_runtime_models_round_trip() -> None:
    now = datetime.now(UTC).isoformat()
    report = ValidationReport.model_validate(
        {
            "id": "r",
            "target": "a.py",
            "type": "security",
            "status": "failed",
            "timestamp": now,
            "duration": 0.25,
            "results": [
                {
                    "rule_id": "x",
                    "passed": False,
                    "message": "m",
                    "severity": "error",
                    "timestamp": now,
                }
            ],
        }
    )
    assert ValidationReport.model_validate_json(report.model_dump_json()) == report
    message = RelayMessage.model_validate(
        {"id": "m", "type": "request", "from": "lsp", "to": "agent", "timestamp": now}
    )
    assert message.model_dump(by_alias=True)["from"] == "lsp"
    action = Action.model_validate(
        {
            "type": "file_write",
            "target": "a.py",
            "validate": {"id": "r", "name": "R", "type": "quality"},
        }
    )
    assert action.validate_ is not None
    error = Error(
        code="E1",
        type="integration",
        severity="high",
        message="boom",
        context=ErrorContext(component="providers", operation="complete"),
    )
    assert error.retryable is False
