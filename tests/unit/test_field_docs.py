"""Attribute docstrings read on demand give the JSON Schemas what pydantic's
use_attribute_docstrings gave at import (the committed schemas are byte-identical: the drift
test), by the same rules."""

from __future__ import annotations

from pydantic import Field

from wave_lsp.config.base import WaveModel
from wave_lsp.config.field_docs import DocumentedSchema, field_docstrings


class Base(WaveModel):
    kept: int = 0
    """Documented in the base."""
    redefined: int = 0
    """The base's words."""


class Child(Base):
    redefined: int = 1  # annotated again, without a docstring: none
    explicit: int = Field(default=0, description="From Field.")
    """A docstring that Field's description wins over."""
    plain: str = ""


def test_the_docstring_belongs_to_the_class_that_annotates_the_field() -> None:
    assert field_docstrings(Child) == {
        "kept": "Documented in the base.",
        "explicit": "A docstring that Field's description wins over.",
    }


def test_the_schema_carries_them_and_field_descriptions_win() -> None:
    properties = Child.model_json_schema(schema_generator=DocumentedSchema)["properties"]
    assert properties["kept"]["description"] == "Documented in the base."
    assert properties["explicit"]["description"] == "From Field."
    assert "description" not in properties["redefined"]
    assert "description" not in properties["plain"]
    assert Child.model_fields["kept"].description is None  # nothing read at import
