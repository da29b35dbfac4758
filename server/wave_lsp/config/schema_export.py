"""JSON Schemas generated from the models: ``schemas/*.schema.json`` in the repository, for
editors (YAML language servers) and for CI. A test fails when they drift from the models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wave_lsp.config.field_docs import DocumentedSchema
from wave_lsp.config.files import FILE_MODELS

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def schema_for(name: str) -> dict[str, Any]:
    model = FILE_MODELS[name]
    schema = model.model_json_schema(
        by_alias=True, mode="validation", schema_generator=DocumentedSchema
    )
    return {"$schema": DRAFT, "$id": f"urn:wave-lsp:schema:{name}", **schema}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def generated() -> dict[str, str]:
    """File name -> text of every schema."""
    return {f"{name}.schema.json": render(schema_for(name)) for name in FILE_MODELS}


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    from wave_lsp.config.atomic import atomic_write_text

    written = []
    for file_name, text in generated().items():
        path = directory / file_name
        atomic_write_text(path, text)
        written.append(path)
    return written


def drift(directory: Path) -> list[str]:
    """Names of the schema files in ``directory`` that differ from the models (or are
    missing, or are there but no longer generated)."""
    expected = generated()
    problems = []
    for file_name, text in expected.items():
        path = directory / file_name
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{path}: differs from the models")
    if directory.is_dir():
        for path in sorted(directory.glob("*.schema.json")):
            if path.name not in expected:
                problems.append(f"{path}: no model generates it")
    return problems
