"""Turn pydantic's validation errors into problems a person can act on: the file, line and
column of the offending key, what is wrong with it, and the fix ("did you mean ...?")."""

from __future__ import annotations

import difflib
import types
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from wave_lsp.config.datapath import MISSING, child
from wave_lsp.config.problems import Problem, ProblemSeverity, Span

Locator = Callable[[tuple[Any, ...], bool], tuple[str, Span]]
"""Given a location and whether the key (True) or the value (False) is wanted, the file and the
span of that place."""


def _flatten(annotation: Any) -> list[Any]:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _flatten(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [t for arg in get_args(annotation) for t in _flatten(arg)]
    return [annotation]


def _is_model(candidate: Any) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, BaseModel)


def _field_types(model: type[BaseModel], key: str) -> list[Any] | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return _flatten(info.annotation)
    return None


def _step(candidates: list[Any], part: Any) -> list[Any]:
    """The types found one step further along ``part``; unchanged when ``part`` is a union tag
    or a model name that pydantic adds to its locations."""
    found: list[Any] = []
    for candidate in candidates:
        origin = get_origin(candidate)
        if _is_model(candidate) and isinstance(part, str):
            found.extend(_field_types(candidate, part) or [])
        elif origin in (list, tuple, set, frozenset) and isinstance(part, int):
            found.extend(_flatten(get_args(candidate)[0]))
        elif origin is dict and isinstance(part, str):
            found.extend(_flatten(get_args(candidate)[1]))
    if found:
        return found
    # A tag: keep the union members the tag names (e.g. 'directory_access'), or all of them.
    tagged = [c for c in candidates if _is_model(c) and _tag_of(c) == part]
    return tagged or candidates


def _tag_of(model: type[BaseModel]) -> str | None:
    info = model.model_fields.get("type")
    if info is None:
        return None
    args = get_args(info.annotation)
    return args[0] if len(args) == 1 and isinstance(args[0], str) else None


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys a mapping at ``loc`` may hold, as written in files (aliases)."""
    candidates: list[Any] = [model]
    for part in loc:
        candidates = _step(candidates, part)
    keys: list[str] = []
    for candidate in candidates:
        if _is_model(candidate):
            for name, info in candidate.model_fields.items():
                key = info.alias or name
                if key not in keys:
                    keys.append(key)
    return keys


def describe(loc: tuple[Any, ...], data: Any) -> str:
    """A readable path: ``pipeline.tasks[implement-feature].inputs[0]``."""
    text = ""
    node = data
    for part in loc:
        found = child(node, part)
        if found is MISSING:
            continue  # a union tag or model name: not part of the file's path
        if isinstance(part, int):
            label = found.get("id") or found.get("name") if isinstance(found, dict) else None
            text += f"[{label}]" if isinstance(label, str) else f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
        node = found
    return text or "the top level"


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _clean(message: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    return message[:1].lower() + message[1:]


def problem_from_error(
    error: ErrorDetails, model: type[BaseModel], data: Any, locate: Locator
) -> Problem:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden" and loc:
        key = str(loc[-1])
        where = describe(loc[:-1], data)
        path, span = locate(loc, True)
        allowed = allowed_keys(model, loc[:-1])
        suggestion = did_you_mean(key, allowed)
        fix = f"did you mean '{suggestion}'?" if suggestion else None
        if fix is None and allowed:
            fix = "allowed keys: " + ", ".join(allowed)
        return Problem(path, span, f"unknown key '{key}' in {where}", "unknown-key", fix=fix)
    if kind == "missing" and loc:
        key = str(loc[-1])
        where = describe(loc[:-1], data)
        path, span = locate(loc[:-1], True)
        return Problem(
            path,
            span,
            f"missing required key '{key}' in {where}",
            "missing-key",
            fix=f"add '{key}: ...'",
        )
    message = _clean(error["msg"])
    path, span = locate(loc, False)
    where = describe(loc, data)
    value = error.get("input")
    shown = (
        f", got {value!r}"
        if isinstance(value, str | int | float | bool)
        and kind
        not in (
            "value_error",
            "assertion_error",
        )
        else ""
    )
    if kind in ("value_error", "assertion_error") and where != "the top level":
        text = f"{where}: {message}"
    else:
        text = f"invalid value for {where}: {message}{shown}"
    return Problem(path, span, text, kind.replace("_", "-"), ProblemSeverity.ERROR)


def problems_from_validation_error(
    exc: ValidationError, model: type[BaseModel], data: Any, locate: Locator
) -> list[Problem]:
    return [problem_from_error(error, model, data, locate) for error in exc.errors()]
