"""Findings as SARIF 2.1.0, for GitHub code scanning and other SARIF consumers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wave_lsp import __version__
from wave_lsp.config.problems import Span
from wave_lsp.validation.engine import CompiledRule, Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"info": "note", "warning": "warning", "error": "error", "critical": "error"}


def _region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.line + 1,
        "startColumn": span.column + 1,
        "endLine": span.end_line + 1,
        "endColumn": span.end_column + 1,
    }


def _location(path: str) -> dict[str, str]:
    return {"uri": path, "uriBaseId": "%SRCROOT%"}


def _rule(compiled: CompiledRule) -> dict[str, Any]:
    rule = compiled.rule
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.replace("-", ".").split(".")),
        "shortDescription": {"text": rule.name},
        "fullDescription": {"text": rule.description or rule.name},
        "help": {"text": rule.description or rule.name},
        "defaultConfiguration": {"level": _LEVEL[rule.severity.value]},
        "properties": {"tags": [t for t in (rule.type.value, rule.category) if t]},
    }
    if rule.url:
        descriptor["helpUri"] = rule.url
    return descriptor


def to_sarif(
    root_uri: str, rules: Sequence[CompiledRule], findings: Sequence[Finding]
) -> dict[str, Any]:
    index = {compiled.rule.id: position for position, compiled in enumerate(rules)}
    results = []
    for finding in findings:
        result: dict[str, Any] = {
            "ruleId": finding.rule_id,
            "level": _LEVEL[finding.severity],
            "message": {"text": finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _location(finding.path),
                        "region": _region(finding.span),
                    }
                }
            ],
        }
        if finding.rule_id in index:
            result["ruleIndex"] = index[finding.rule_id]
        if finding.fix is not None:
            result["fixes"] = [
                {
                    "description": {
                        "text": f"{finding.fix.title} ({finding.fix.applicability.value})"
                    },
                    "artifactChanges": [
                        {
                            "artifactLocation": _location(finding.path),
                            "replacements": [
                                {
                                    "deletedRegion": _region(finding.fix.span),
                                    "insertedContent": {"text": finding.fix.replacement},
                                }
                            ],
                        }
                    ],
                }
            ]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "wave",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(compiled) for compiled in rules],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
