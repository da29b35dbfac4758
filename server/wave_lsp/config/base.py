"""Base classes for every model that mirrors a seed entity.

Unknown keys are errors (``extra="forbid"``): a typo in a user file must be reported, never
silently ignored. Models of the Zulu seed use camelCase keys in files (``apiKey``) and snake_case
attributes in Python; models of the Wave seed use snake_case in both. Attribute docstrings are
the fields' documentation; they are read when wanted (:mod:`wave_lsp.config.field_docs`), not at
import.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WaveModel(BaseModel):
    """A model of the Wave seed: snake_case keys, unknown keys refused."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        str_strip_whitespace=False,
    )


class CamelModel(BaseModel):
    """A model of the Zulu Pilot seed: camelCase keys in files, unknown keys refused."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )
