"""The seed's own YAML examples, copied verbatim, load without a problem; the seed's JSON
Schemas accept them, and so do ours."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import SEED
from wave_lsp.config.files import WaveConfigFile
from wave_lsp.config.workspace import load_workspace
from wave_lsp.personas.models import PersonaFile
from wave_lsp.pipelines.models import PipelineFile

SCHEMAS = Path(__file__).parents[2] / "schemas"


def _yaml(name: str) -> dict:
    return yaml.safe_load((SEED / name).read_text())


def _schema(path: Path) -> dict:
    return json.loads(path.read_text())


def test_seed_system_configuration_loads() -> None:
    config = WaveConfigFile.model_validate(_yaml("system-config.yaml"))
    assert config.server.port == 8080
    assert config.pipeline.default_timeout.total_seconds() == 30 * 60
    assert config.context.max_size == 100_000_000
    assert config.context.compaction_threshold == 80.0
    assert config.workspace.isolation_type == "namespace"
    assert config.claude.max_retries == 3


def test_seed_persona_loads() -> None:
    persona = PersonaFile.model_validate(_yaml("persona.yaml")).persona
    assert persona.name == "developer"
    kinds = [c.type for c in persona.security_context.constraints]
    assert kinds == ["directory_access", "resource_limits", "time_constraints"]
    assert persona.security_context.constraints[2].allowed_hours == (9, 17)  # type: ignore[union-attr]
    assert persona.ai_context.max_tokens == 4000


def test_seed_pipeline_loads() -> None:
    pipeline = PipelineFile.model_validate(_yaml("pipeline.yaml")).pipeline
    assert [t.id for t in pipeline.tasks] == [
        "analyze-requirements",
        "implement-feature",
        "review-code",
    ]
    assert pipeline.execution.on_failure == "continue"
    assert [n.type for n in pipeline.notifications.on_complete] == ["email"]


def test_seed_examples_as_a_workspace_have_no_problems(workspace: Path) -> None:
    wave = workspace / ".wave"
    shutil.copy(SEED / "system-config.yaml", wave / "config.yaml")
    (wave / "personas").mkdir()
    shutil.copy(SEED / "persona.yaml", wave / "personas" / "developer.yaml")
    (wave / "pipelines").mkdir()
    shutil.copy(SEED / "pipeline.yaml", wave / "pipelines" / "feature-development.yaml")
    loaded = load_workspace(workspace)
    assert loaded.problems == []
    assert not loaded.pipelines["feature-development"].builtin
    assert not loaded.personas["developer"].builtin
    assert loaded.personas["analyst"].builtin


def test_seed_json_schemas_accept_the_seed_examples() -> None:
    jsonschema.validate(_yaml("system-config.yaml"), _schema(SEED / "config.schema.json"))
    jsonschema.validate(_yaml("pipeline.yaml")["pipeline"], _schema(SEED / "pipeline.schema.json"))


@pytest.mark.parametrize(
    ("example", "schema"),
    [
        ("system-config.yaml", "config.schema.json"),
        ("persona.yaml", "persona.schema.json"),
        ("pipeline.yaml", "pipeline.schema.json"),
    ],
)
def test_our_schemas_accept_the_seed_examples(example: str, schema: str) -> None:
    document = _yaml(example)
    validator = jsonschema.Draft202012Validator(_schema(SCHEMAS / schema))
    assert [e.message for e in validator.iter_errors(document)] == []


def test_our_schemas_reject_what_the_models_reject() -> None:
    document = _yaml("pipeline.yaml")
    document["pipeline"]["tasks"][0]["retry_count"] = 9
    document["pipeline"]["tasks"][0]["dependancies"] = []
    validator = jsonschema.Draft202012Validator(_schema(SCHEMAS / "pipeline.schema.json"))
    messages = " ".join(e.message for e in validator.iter_errors(document))
    assert "9 is greater than the maximum of 5" in messages
    assert "dependancies" in messages


def test_builtin_configuration_has_no_problems() -> None:
    loaded = load_workspace(None, check_builtins=True)
    assert loaded.problems == []
    assert set(loaded.personas) == {"developer", "analyst", "reviewer"}
    assert set(loaded.pipelines) == {"feature-development"}
    assert set(loaded.schemas) == {"implementation-plan.json", "code-review.json"}
