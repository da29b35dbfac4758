"""Reading a model's answer: its text collected from the stream (each piece reported as it
arrives), and the JSON in it checked against a schema. Shared by AI actions and pipeline tasks."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from wave_lsp.providers.base import Provider
from wave_lsp.providers.types import CompletionRequest, TextDelta


async def stream_text(
    provider: Provider, request: CompletionRequest, on_text: Callable[[str], None]
) -> str:
    parts: list[str] = []
    async for event in provider.stream(request):
        if isinstance(event, TextDelta):
            parts.append(event.text)
            on_text(event.text)
    return "".join(parts)


def json_in(text: str) -> Any:
    """The JSON of an answer: the whole text, a fenced ```json block, or the outermost object.
    Raises ``ValueError`` saying why none of them parses."""
    candidates = [text.strip()]
    fenced = re.search(r"```(?:json)?\s*\n(.*?)```", text, re.DOTALL)
    if fenced:
        candidates.append(fenced.group(1))
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    error: Exception | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as failure:
            error = failure
    raise ValueError(str(error))


def schema_error(value: Any, schema: dict[str, Any], whole: str = "the value") -> str | None:
    """The first way ``value`` breaks ``schema`` (``where: what``), or ``None``."""
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(value), key=str)
    if not errors:
        return None
    first = errors[0]
    where = "/".join(str(p) for p in first.absolute_path) or whole
    return f"{where}: {first.message}"
