"""Rules from every source — the built-in packs, ``rules:`` in the configuration layers, and
``.wave/rules/*.yaml`` — merged by id (a workspace entry re-configures a built-in rule of the
same id), compiled, and checked against their own examples. A rule that fails is refused with a
problem on its file; the others load."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from wave_lsp.config.problems import DataProblem
from wave_lsp.config.yaml_source import YamlDocument
from wave_lsp.validation.conditions import ConditionError
from wave_lsp.validation.engine import CompiledRule, LineIndex, RuleError, Snapshot, file_variables
from wave_lsp.validation.languages import EXAMPLE_SUFFIX
from wave_lsp.validation.models import RuleExample, ValidationRule


@dataclass(frozen=True)
class RuleSource:
    """One rule entry as written: its raw data and where it was written."""

    data: dict[str, Any]
    document: YamlDocument | None
    loc: tuple[str | int, ...]
    builtin: bool


Placed = tuple[YamlDocument | None, DataProblem]


def _pin_example_parameters(rule: dict[str, Any]) -> dict[str, Any]:
    """Examples describe a rule as its author wrote it: when an override changes parameters
    but keeps the examples, the examples still run with the author's parameters."""
    parameters = rule.get("parameters")
    examples = rule.get("examples")
    if not isinstance(parameters, dict) or not parameters or not isinstance(examples, dict):
        return rule
    pinned: dict[str, Any] = {}
    for kind, items in examples.items():
        if not isinstance(items, list):
            pinned[kind] = items
            continue
        pinned[kind] = [
            {"text": item, "parameters": dict(parameters)}
            if isinstance(item, str)
            else {**item, "parameters": {**parameters, **(item.get("parameters") or {})}}
            if isinstance(item, dict)
            else item
            for item in items
        ]
    return {**rule, "examples": pinned}


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    if "parameters" in override and "examples" not in override:
        base = _pin_example_parameters(base)
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if key == "parameters" and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _variant(compiled: CompiledRule, example: str | RuleExample) -> tuple[CompiledRule, str]:
    if isinstance(example, str):
        return compiled, example
    if not example.parameters:
        return compiled, example.text
    rule = compiled.rule
    parameters = {**rule.parameters, **example.parameters}
    variant = rule.model_copy(update={"parameters": parameters})
    return CompiledRule(variant, compiled.trusted), example.text


def _example_failures(compiled: CompiledRule) -> list[tuple[tuple[str | int, ...], str]]:
    rule = compiled.rule
    language = rule.languages[0] if rule.languages else "plaintext"
    path = "example" + EXAMPLE_SUFFIX.get(language, ".txt")
    # Examples check the rule itself: scope, paths and enabled do not hide it here.
    persona = rule.personas[0] if rule.personas else None
    failures: list[tuple[tuple[str | int, ...], str]] = []
    for expected, examples in (
        ("match", rule.examples.match),
        ("no_match", rule.examples.no_match),
    ):
        for index, example in enumerate(examples):
            variant, text = _variant(compiled, example)
            snapshot = Snapshot(path, text, language)
            result = _check_unfiltered(variant, snapshot, persona)
            if isinstance(result, str):
                failures.append((("examples", expected, index), result))
            elif expected == "match" and not result:
                failures.append(
                    (("examples", expected, index), f"its example finds nothing: {_short(text)}")
                )
            elif expected == "no_match" and result:
                failures.append(
                    (
                        ("examples", expected, index),
                        f"its no_match example is found at line {result[0] + 1}: {_short(text)}",
                    )
                )
    return failures


def example_failures(rule: ValidationRule) -> tuple[int, list[str]]:
    """How many examples the rule has, and why each failing one fails (a rule that does not
    compile fails them all, saying why)."""
    total = len(rule.examples.match) + len(rule.examples.no_match)
    try:
        compiled = CompiledRule(rule, trusted=False)
    except (RuleError, ConditionError) as error:
        return total, [str(error)]
    failures = _example_failures(compiled)
    return total, [
        f"{where[1]}[{where[2]}]: {why}" if len(where) == 3 else why for where, why in failures
    ]


def _check_unfiltered(
    compiled: CompiledRule, snapshot: Snapshot, persona: str | None
) -> list[int] | str:
    index = LineIndex(snapshot.text)
    try:
        findings = list(
            compiled.run(
                snapshot,
                index,
                file_variables(snapshot, index),
                {"name": persona or "", "permissions": []},
            )
        )
    except ConditionError as error:
        return f"on its example: {error}"
    return [f.span.line for f in findings]


def _short(text: str) -> str:
    one_line = text.strip().replace("\n", "\\n")
    return repr(one_line[:80] + ("..." if len(one_line) > 80 else ""))


_compiled_cache: dict[str, CompiledRule | list[tuple[tuple[str | int, ...], str]]] = {}


def _compile_checked(
    rule: ValidationRule, check_examples: bool = True, trusted: bool = True
) -> CompiledRule | list[tuple[tuple[str | int, ...], str]]:
    """The compiled rule, or why it is refused (keyed paths inside the rule). Cached by the
    rule's content: re-loading a workspace does not recompile unchanged rules. Built-in rules
    as shipped skip their examples here: the test suite runs them
    (tests/unit/test_rules.py), and running ~100 examples costs ~80 ms at every start."""
    key = json.dumps(rule.model_dump(mode="json", by_alias=True), sort_keys=True)
    key += "|examples" if check_examples else ""
    key += "|trusted" if trusted else ""
    cached = _compiled_cache.get(key)
    if cached is not None:
        return cached
    result: CompiledRule | list[tuple[tuple[str | int, ...], str]]
    try:
        compiled = CompiledRule(rule, trusted)
    except RuleError as error:
        result = [((error.key,), str(error))]
    except ConditionError as error:
        result = [(("condition",), str(error))]
    else:
        failures = _example_failures(compiled) if check_examples else []
        result = failures or compiled
    if len(_compiled_cache) > 4096:
        _compiled_cache.clear()
    _compiled_cache[key] = result
    return result


def build_rules(
    sources: Iterable[RuleSource], check_builtin_examples: bool = False
) -> tuple[dict[str, CompiledRule], list[Placed]]:
    problems: list[Placed] = []
    merged: dict[str, tuple[dict[str, Any], RuleSource]] = {}
    builtin_ids: set[str] = set()
    overridden: set[str] = set()
    for source in sources:
        rule_id = source.data.get("id")
        if not isinstance(rule_id, str):
            continue  # reported by the file's validation
        if rule_id in merged:
            previous = merged[rule_id][1]
            if previous.builtin and not source.builtin:
                merged[rule_id] = (_merge(merged[rule_id][0], source.data), source)
                overridden.add(rule_id)
                continue
            if not source.builtin and source.document is not None and previous.document is not None:
                problems.append(
                    (
                        source.document,
                        DataProblem(
                            (*source.loc, "id"),
                            f"rule '{rule_id}' is already defined in {previous.document.path}",
                            "duplicate-rule",
                            "rename one of them",
                        ),
                    )
                )
                continue
        merged[rule_id] = (dict(source.data), source)
        if source.builtin:
            builtin_ids.add(rule_id)

    rules: dict[str, CompiledRule] = {}
    for rule_id, (data, source) in merged.items():
        clean = {k: v for k, v in data.items() if v is not None}
        try:
            rule = ValidationRule.model_validate(clean)
        except ValidationError as error:
            for detail in error.errors():
                field = str(detail["loc"][0]) if detail["loc"] else "id"
                if detail["type"] == "missing":
                    message = (
                        f"rule '{rule_id}' is not a built-in rule, so it needs '{field}'"
                        if rule_id not in builtin_ids
                        else f"rule '{rule_id}' needs '{field}'"
                    )
                    problems.append(
                        (
                            source.document,
                            DataProblem(
                                (*source.loc, "id"), message, "missing-key", f"add '{field}: ...'"
                            ),
                        )
                    )
                else:
                    problems.append(
                        (
                            source.document,
                            DataProblem(
                                (*source.loc, *detail["loc"]),
                                f"rule '{rule_id}': {detail['msg']}",
                                "invalid-rule",
                            ),
                        )
                    )
            continue
        result = _compile_checked(
            rule,
            check_examples=check_builtin_examples or rule_id in overridden or not source.builtin,
            trusted=source.builtin,
        )
        if isinstance(result, CompiledRule):
            rules[rule_id] = result
            continue
        for key_path, message in result:
            loc = (*source.loc, *key_path)
            if source.document is not None and not source.document.has(loc):
                loc = (*source.loc, "id")  # an inherited field: point at the override's id
            problems.append(
                (
                    source.document,
                    DataProblem(loc, f"rule '{rule_id}' refused: {message}", "bad-rule"),
                )
            )
    return rules, problems
