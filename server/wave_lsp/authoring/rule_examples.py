"""Each rule written in a rules file (``.wave/rules/*.yaml``, or ``rules:`` in config.yaml), its
examples run as written now: pass or fail, and why — for a code lens over the rule."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from wave_lsp.config.yaml_source import YamlSyntaxError, parse_yaml


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule_id: str
    line: int
    total: int
    failures: list[str] = field(default_factory=list)
    override: bool = False
    """Only changes a rule defined elsewhere (a built-in one: no type of its own)."""

    def title(self) -> str:
        if self.override:
            return f"override of {self.rule_id}"
        if not self.total:
            return "no examples: add examples.match / no_match"
        if self.failures:
            return f"✗ {len(self.failures)} of {self.total} examples fail: {self.failures[0]}"
        return f"✓ {self.total} examples pass"


def rule_results(text: str, path: str) -> list[RuleResult]:
    from wave_lsp.validation.models import ValidationRule
    from wave_lsp.validation.ruleset import example_failures

    try:
        document = parse_yaml(text, path)
    except YamlSyntaxError:
        return []
    data = document.data
    entries = data.get("rules") if isinstance(data, dict) else None
    results = []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        line = document.value_span(("rules", index)).line
        if "type" not in entry:  # a new rule names its type; an override changes another's
            results.append(RuleResult(entry["id"], line, 0, override=True))
            continue
        try:
            rule = ValidationRule.model_validate(entry)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            results.append(RuleResult(entry["id"], line, 1, [f"{where}: {first['msg']}"]))
            continue
        total, failures = example_failures(rule)
        results.append(RuleResult(rule.id, line, total, failures))
    return results
