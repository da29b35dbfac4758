"""The shapes of the user's files: ``.wave/config.yaml`` (and the per-user config), persona,
pipeline and rule files. Each file kind has one model; the JSON Schemas in ``schemas/`` are
generated from these."""

from __future__ import annotations

from pydantic import BaseModel, Field

from wave_lsp.config.system import SystemConfiguration
from wave_lsp.personas.models import PersonaFile
from wave_lsp.pipelines.models import PipelineFile
from wave_lsp.providers.models import UnifiedConfiguration
from wave_lsp.validation.models import RulesFile, RuleSpec


class WaveConfigFile(SystemConfiguration):
    """``.wave/config.yaml``: the Wave system configuration, the providers (the Zulu seed's
    UnifiedConfiguration) and validation rules. The per-user ``config.yaml`` has the same shape."""

    providers: UnifiedConfiguration | None = None
    rules: list[RuleSpec] = Field(default_factory=list)


FILE_MODELS: dict[str, type[BaseModel]] = {
    "config": WaveConfigFile,
    "persona": PersonaFile,
    "pipeline": PipelineFile,
    "rules": RulesFile,
    "providers": UnifiedConfiguration,
}
"""Every kind of user file, by the name of its JSON Schema in ``schemas/``."""
