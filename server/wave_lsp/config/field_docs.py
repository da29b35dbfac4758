"""The models' attribute docstrings (a string right after an annotated field), read when they
are wanted — in the JSON Schemas — instead of when each model class is made.

pydantic's ``use_attribute_docstrings`` reads every model's source at import: a fifth to a third
of the time the server took to import its models before it could check the first document
(~420 -> ~300 ms here). The same rule, applied on demand: the docstring belongs to the class
that annotates the field (a subclass that annotates it again without one has none)."""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

DOCS_FROM = "__wave_docs_from__"
"""A class attribute naming the model whose docstrings a generated model's fields take (a model
made with ``create_model`` from another's fields has no source of its own)."""


@functools.cache
def _own_docstrings(cls: type) -> dict[str, str]:
    try:
        source = textwrap.dedent(inspect.getsource(cls))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return {}
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.ClassDef):
        return {}
    docs: dict[str, str] = {}
    for statement, following in zip(node.body, node.body[1:], strict=False):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[statement.target.id] = inspect.cleandoc(following.value.value)
    return docs


def field_docstrings(model: type[BaseModel]) -> dict[str, str]:
    """Each field's docstring, by field name."""
    source: Any = getattr(model, DOCS_FROM, None) or model
    docs: dict[str, str] = {}
    for name in model.model_fields:
        for klass in source.__mro__:
            if name in vars(klass).get("__annotations__", {}):
                if name in _own_docstrings(klass):
                    docs[name] = _own_docstrings(klass)[name]
                break
    return docs


class DocumentedSchema(GenerateJsonSchema):
    """JSON Schemas whose properties carry their fields' docstrings as descriptions."""

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        json_schema = super().model_schema(schema)
        model = schema["cls"]
        properties = json_schema.get("properties", {})
        for name, doc in field_docstrings(model).items():
            info = model.model_fields[name]
            key = info.validation_alias if isinstance(info.validation_alias, str) else None
            key = key or info.alias or name
            # The field's own docstring wins over its type's description, as pydantic's
            # use_attribute_docstrings has it; a Field(description=...) wins over both.
            if key in properties and info.description is None:
                properties[key]["description"] = doc
        return json_schema
