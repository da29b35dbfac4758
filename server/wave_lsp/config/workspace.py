"""Load a workspace's configuration: the layered system configuration, personas, pipelines,
output schemas and rules, every file checked, every problem placed at its line and column.

The loader never raises on bad input: a file that cannot be read or parsed becomes a problem,
and the rest of the workspace still loads. Texts of documents open in an editor (``overlay``)
are used in place of the files on disk, so unsaved edits are what gets checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from wave_lsp.config.checks import check_references
from wave_lsp.config.files import WaveConfigFile
from wave_lsp.config.layering import Layer, layer_for, merge_layers
from wave_lsp.config.limits import MAX_CONFIG_BYTES, json_limit_problem
from wave_lsp.config.loaded import Loaded, WaveWorkspace
from wave_lsp.config.model_errors import problems_from_validation_error
from wave_lsp.config.paths import BUILTIN_DIR, WAVE_DIR, YAML_SUFFIXES, user_config_path
from wave_lsp.config.problems import FILE_START, DataProblem, Problem, Span
from wave_lsp.config.yaml_source import YamlDocument, YamlSyntaxError, parse_yaml
from wave_lsp.personas.models import Persona, PersonaFile
from wave_lsp.pipelines.graph import check_pipeline_graph
from wave_lsp.pipelines.models import PipelineFile
from wave_lsp.validation.engine import CompiledRule
from wave_lsp.validation.models import RulesFile
from wave_lsp.validation.ruleset import RuleSource, build_rules

M = TypeVar("M", bound=BaseModel)


_BUILTIN_DOCUMENTS: dict[Path, YamlDocument] = {}


class WorkspaceLoader:
    """Reads and checks one workspace. Create one per load; it is not reused."""

    def __init__(
        self,
        root: Path | None,
        *,
        overlay: Mapping[Path, str] | None = None,
        user_config: Path | None = None,
        settings_layers: Iterable[tuple[str, dict[str, Any]]] = (),
        display_root: Path | None = None,
        check_builtins: bool = False,
    ) -> None:
        self.root = root.resolve() if root is not None else None
        self.overlay = {p.resolve(): text for p, text in (overlay or {}).items()}
        self.user_config = user_config if user_config is not None else user_config_path()
        self.settings_layers = list(settings_layers)
        self.display_root = display_root
        self.check_builtins = check_builtins
        """Also run the built-in rules' examples and check the built-in schemas (the test suite
        does; a normal load trusts what ships)."""
        self.problems: list[Problem] = []
        self.files: list[str] = []

    # -- reading -------------------------------------------------------------------------

    def _display(self, path: Path) -> str:
        if self.display_root is not None:
            try:
                return str(path.relative_to(self.display_root))
            except ValueError:
                pass
        return str(path)

    def _read(self, path: Path) -> str | None:
        shown = self._display(path)
        self.files.append(shown)
        text = self.overlay.get(path.resolve())
        if text is not None:
            return text
        from wave_lsp import fileread

        try:
            return fileread.read_bytes(path, MAX_CONFIG_BYTES).decode("utf-8")
        except UnicodeDecodeError as error:
            self.problems.append(
                Problem(
                    shown,
                    FILE_START,
                    f"not UTF-8 text: {error.reason} at byte {error.start}",
                    "unreadable-file",
                    fix="save the file as UTF-8",
                )
            )
        except fileread.FileRefused as error:
            self.problems.append(Problem(shown, FILE_START, error.reason, "unreadable-file"))
        except OSError as error:
            self.problems.append(
                Problem(shown, FILE_START, f"cannot read file: {error.strerror}", "unreadable-file")
            )
        return None

    def _list(self, directory: Path, suffixes: tuple[str, ...]) -> list[Path]:
        found = {p.resolve() for p in directory.glob("*") if p.suffix in suffixes and p.is_file()}
        found |= {
            p for p in self.overlay if p.parent == directory.resolve() and p.suffix in suffixes
        }
        return sorted(found)

    def _parse(self, path: Path) -> YamlDocument | None:
        builtin = path.is_relative_to(BUILTIN_DIR) and self.display_root is None
        if builtin and path in _BUILTIN_DOCUMENTS:
            # Built-in files are package data: parsed once per process. Documents are only read.
            self.files.append(self._display(path))
            return _BUILTIN_DOCUMENTS[path]
        text = self._read(path)
        if text is None:
            return None
        try:
            document = parse_yaml(text, self._display(path))
            if builtin and not document.problems:
                _BUILTIN_DOCUMENTS[path] = document
        except YamlSyntaxError as error:
            self.problems.append(error.problem)
            return None
        self.problems.extend(document.problems)
        return document

    # -- placing problems ----------------------------------------------------------------

    def _place(self, document: YamlDocument, problem: DataProblem) -> Problem:
        found = document.deepest(problem.loc)
        exact = found == problem.loc
        span = (
            document.key_span(found) if problem.on_key or not exact else document.value_span(found)
        )
        return Problem(
            document.path, span, problem.message, problem.code, problem.severity, problem.fix
        )

    def _validate(self, model: type[M], document: YamlDocument) -> M | None:
        def locate(loc: tuple[Any, ...], key: bool) -> tuple[str, Span]:
            found = document.deepest(loc)
            exact = found == loc
            if key or not exact:
                return document.path, document.key_span(found)
            return document.path, document.value_span(found)

        try:
            return model.model_validate(document.data)
        except ValidationError as error:
            self.problems.extend(
                problems_from_validation_error(error, model, document.data, locate)
            )
            return None

    def _load_document_file(
        self, path: Path, model: type[M], key: str
    ) -> tuple[M, YamlDocument] | None:
        document = self._parse(path)
        if document is None:
            return None
        if not isinstance(document.data, dict) or key not in document.data:
            self.problems.append(
                Problem(
                    document.path,
                    document.value_span(()) if document.data is not None else FILE_START,
                    f"expected a mapping with a top-level '{key}:' key",
                    "wrong-shape",
                    fix=f"start the file with '{key}:' and indent the definition under it",
                )
            )
            if not isinstance(document.data, dict):
                return None
        value = self._validate(model, document)
        return (value, document) if value is not None else None

    # -- the parts of a workspace --------------------------------------------------------

    def _config_layers(self) -> list[Layer]:
        paths = [(BUILTIN_DIR / "config.yaml", True), (self.user_config, False)]
        if self.root is not None:
            paths.append((self.root / WAVE_DIR / "config.yaml", False))
        layers: list[Layer] = []
        for path, builtin in paths:
            if not builtin and not path.is_file() and path.resolve() not in self.overlay:
                continue
            document = self._parse(path)
            if document is None:
                continue
            if document.data is None:
                continue  # an empty file configures nothing
            if not isinstance(document.data, dict):
                self.problems.append(
                    Problem(
                        document.path,
                        document.value_span(()),
                        "expected a mapping of settings (server:, security:, providers:, ...)",
                        "wrong-shape",
                    )
                )
                continue
            layers.append(Layer(document.path, document.data, document))
        for name, data in self.settings_layers:
            layers.append(Layer(name, data))
        return layers

    def _load_config(self) -> tuple[WaveConfigFile, list[Layer]]:
        layers = self._config_layers()
        merged = merge_layers(layers)

        def locate(loc: tuple[Any, ...], key: bool) -> tuple[str, Span]:
            layer = layer_for(layers, loc)
            if layer.document is None:
                return layer.name, FILE_START
            document = layer.document
            found = document.deepest(loc)
            if key or found != loc:
                return layer.name, document.key_span(found)
            return layer.name, document.value_span(found)

        try:
            return WaveConfigFile.model_validate(merged), layers
        except ValidationError as error:
            self.problems.extend(
                problems_from_validation_error(error, WaveConfigFile, merged, locate)
            )
        # Fall back to the highest stack of layers that validates, so that one bad setting
        # does not throw away the rest of the configuration.
        for top in range(len(layers) - 1, -1, -1):
            try:
                return WaveConfigFile.model_validate(merge_layers(layers[:top])), layers[:top]
            except ValidationError:
                continue
        return WaveConfigFile(), []

    def _load_named(
        self,
        directories: list[tuple[Path, bool]],
        model: type[PersonaFile] | type[PipelineFile],
        key: str,
    ) -> dict[str, Loaded[Any]]:
        items: dict[str, Loaded[Any]] = {}
        for directory, builtin in directories:
            level: dict[str, Loaded[Any]] = {}
            for path in self._list(directory, YAML_SUFFIXES):
                loaded = self._load_document_file(path, model, key)
                if loaded is None:
                    continue
                file_model, document = loaded
                value = getattr(file_model, key)
                name = value.name if isinstance(value, Persona) else value.id
                if name in level:
                    self.problems.append(
                        self._place(
                            document,
                            DataProblem(
                                (key, "name" if key == "persona" else "id"),
                                f"{key} '{name}' is already defined in {level[name].source}",
                                f"duplicate-{key}",
                                "rename one of them",
                            ),
                        )
                    )
                    continue
                level[name] = Loaded(value, document.path, document, (key,), builtin)
            items.update(level)  # a workspace definition replaces a built-in of the same name
        return items

    def _load_schemas(
        self, directories: list[tuple[Path, bool]]
    ) -> dict[str, Loaded[dict[str, Any]]]:
        schemas: dict[str, Loaded[dict[str, Any]]] = {}
        for directory, builtin in directories:
            for path in self._list(directory, (".json",)):
                text = self._read(path)
                if text is None:
                    continue
                shown = self._display(path)
                try:
                    schema = json.loads(text)
                except json.JSONDecodeError as error:
                    self.problems.append(
                        Problem(
                            shown,
                            Span.point(error.lineno - 1, error.colno - 1),
                            f"invalid JSON: {error.msg}",
                            "json-syntax",
                        )
                    )
                    continue
                except (ValueError, RecursionError) as error:  # 4,300+ digits, deep nesting
                    self.problems.append(json_limit_problem(shown, text, error))
                    continue
                if not isinstance(schema, dict):
                    self.problems.append(
                        Problem(shown, FILE_START, "a JSON Schema must be an object", "bad-schema")
                    )
                    continue
                if builtin and not self.check_builtins:
                    schemas[path.name] = Loaded(schema, shown, None, (), builtin)
                    continue  # shipped schemas are checked by the test suite
                from jsonschema import SchemaError
                from jsonschema.validators import validator_for

                try:
                    validator_for(schema).check_schema(schema)
                except SchemaError as error:
                    where = "/".join(str(p) for p in error.absolute_path) or "the top level"
                    self.problems.append(
                        Problem(
                            shown,
                            FILE_START,
                            f"not a valid JSON Schema at {where}: {error.message}",
                            "bad-schema",
                        )
                    )
                    continue
                schemas[path.name] = Loaded(schema, shown, None, (), builtin)
        return schemas

    def _rule_sources(self, config_layers: list[Layer]) -> list[RuleSource]:
        sources: list[RuleSource] = []

        def from_file(path: Path, builtin: bool) -> None:
            loaded = self._load_document_file(path, RulesFile, "rules")
            if loaded is None:
                return
            _, document = loaded
            for index, item in enumerate(document.data.get("rules") or []):
                sources.append(RuleSource(item, document, ("rules", index), builtin))

        for path in self._list(BUILTIN_DIR / "rules", YAML_SUFFIXES):
            from_file(path, True)
        for layer in config_layers:
            raw = layer.data.get("rules")
            if isinstance(raw, list):
                for index, item in enumerate(raw):
                    if isinstance(item, dict):
                        sources.append(RuleSource(item, layer.document, ("rules", index), False))
        if self.root is not None:
            for path in self._list(self.root / WAVE_DIR / "rules", YAML_SUFFIXES):
                from_file(path, False)
        return sources

    def _load_rules(self, config_layers: list[Layer]) -> dict[str, CompiledRule]:
        rules, placed = build_rules(self._rule_sources(config_layers), self.check_builtins)
        self._place_all(placed, config_layers)
        return rules

    def _place_all(
        self, placed: Iterable[tuple[YamlDocument | None, DataProblem]], layers: list[Layer]
    ) -> None:
        """Place problems in their files; one without a file (from editor settings) goes to
        the highest configuration layer."""
        for document, problem in placed:
            if document is not None:
                self.problems.append(self._place(document, problem))
                continue
            self.problems.append(
                Problem(
                    problem_source(layers),
                    FILE_START,
                    problem.message,
                    problem.code,
                    problem.severity,
                    problem.fix,
                )
            )

    def load(self) -> WaveWorkspace:
        config, layers = self._load_config()
        wave_dir = self.root / WAVE_DIR if self.root is not None else None

        persona_dirs: list[tuple[Path, bool]] = [(BUILTIN_DIR / "personas", True)]
        pipeline_dirs: list[tuple[Path, bool]] = [(BUILTIN_DIR / "pipelines", True)]
        schema_dirs: list[tuple[Path, bool]] = [(BUILTIN_DIR / "schemas", True)]
        if wave_dir is not None and self.root is not None:
            persona_dirs.append((wave_dir / "personas", False))
            configured = (self.root / config.security.personas.config_dir).resolve()
            if configured != (wave_dir / "personas").resolve() and configured.is_dir():
                persona_dirs.append((configured, False))
            pipeline_dirs.append((wave_dir / "pipelines", False))
            schema_dirs.append((wave_dir / "schemas", False))

        workspace = WaveWorkspace(root=self.root, config=config)
        workspace.personas = self._load_named(persona_dirs, PersonaFile, "persona")
        workspace.pipelines = self._load_named(pipeline_dirs, PipelineFile, "pipeline")
        workspace.schemas = self._load_schemas(schema_dirs)
        workspace.rules = self._load_rules(layers)

        for loaded in workspace.pipelines.values():
            if loaded.document is not None:
                for problem in check_pipeline_graph(loaded.value, loaded.loc):
                    self.problems.append(self._place(loaded.document, problem))

        self._place_all(check_references(workspace, layers), layers)

        workspace.problems = sorted(set(self.problems), key=Problem.sort_key)
        workspace.files = self.files
        return workspace


def problem_source(layers: list[Layer]) -> str:
    return layers[-1].name if layers else "config"


def load_workspace(root: Path | None, **options: Any) -> WaveWorkspace:
    """Load and check the workspace at ``root`` (see :class:`WorkspaceLoader` for options)."""
    return WorkspaceLoader(root, **options).load()


__all__ = ["Loaded", "WaveWorkspace", "WorkspaceLoader", "load_workspace"]
