"""What loading a workspace gives: each item of configuration with the file it came from, and
the whole workspace with every problem found (see :mod:`wave_lsp.config.workspace`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from wave_lsp.config.files import WaveConfigFile
from wave_lsp.config.problems import Problem, ProblemSeverity
from wave_lsp.config.yaml_source import YamlDocument
from wave_lsp.personas.models import Persona
from wave_lsp.pipelines.models import Pipeline
from wave_lsp.validation.engine import CompiledRule

T = TypeVar("T")


@dataclass
class Loaded(Generic[T]):
    """An item of configuration and the file it came from."""

    value: T
    source: str
    document: YamlDocument | None
    loc: tuple[str | int, ...]
    """Where the item sits inside its file's data."""
    builtin: bool = False


@dataclass
class WaveWorkspace:
    """Everything a workspace configures, and every problem found while loading it."""

    root: Path | None
    config: WaveConfigFile
    personas: dict[str, Loaded[Persona]] = field(default_factory=dict)
    pipelines: dict[str, Loaded[Pipeline]] = field(default_factory=dict)
    schemas: dict[str, Loaded[dict[str, Any]]] = field(default_factory=dict)
    rules: dict[str, CompiledRule] = field(default_factory=dict)
    """Every rule that loaded, compiled, by id (refused rules are problems)."""
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    """Every file that was read, in the order read."""

    @property
    def ok(self) -> bool:
        return not any(p.severity is ProblemSeverity.ERROR for p in self.problems)

    def problems_for(self, path: str) -> list[Problem]:
        return [p for p in self.problems if p.path == path]
