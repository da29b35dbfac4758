"""Findings as the seed's ValidationReport, and as the text `wave check` prints."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from wave_lsp.validation.engine import CompiledRule, Finding, RuleFailure
from wave_lsp.validation.models import (
    ValidationReport,
    ValidationResult,
    ValidationSeverity,
    ValidationStatus,
    ValidationSummary,
    ValidationType,
)

SEVERITY_ORDER = {
    ValidationSeverity.INFO: 0,
    ValidationSeverity.WARNING: 1,
    ValidationSeverity.ERROR: 2,
    ValidationSeverity.CRITICAL: 3,
}
TYPE_PRIORITY = [
    ValidationType.SECURITY,
    ValidationType.COMPLIANCE,
    ValidationType.RESOURCE,
    ValidationType.PERFORMANCE,
    ValidationType.QUALITY,
]


def at_or_above(finding: Finding, threshold: ValidationSeverity) -> bool:
    return SEVERITY_ORDER[ValidationSeverity(finding.severity)] >= SEVERITY_ORDER[threshold]


def format_text(finding: Finding) -> str:
    return (
        f"{finding.path}:{finding.span.line + 1}:{finding.span.column + 1}: "
        f"{finding.severity} [{finding.rule_id}] {finding.message}"
    )


def build_report(
    target: str,
    rules: Sequence[CompiledRule],
    findings: Sequence[Finding],
    failures: Iterable[RuleFailure],
    duration: timedelta,
) -> ValidationReport:
    """One report: a failed result per finding, a passed result per rule that found nothing,
    and an error result per rule that failed on a file."""
    now = datetime.now(UTC)
    results: list[ValidationResult] = []
    found_rules = {f.rule_id for f in findings}
    for finding in findings:
        details: dict[str, object] = {
            "path": finding.path,
            "line": finding.span.line + 1,
            "column": finding.span.column + 1,
            "end_line": finding.span.end_line + 1,
            "end_column": finding.span.end_column + 1,
            "type": finding.type,
            "rule_name": finding.rule_name,
        }
        if finding.fix is not None:
            details["fix"] = {
                "replacement": finding.fix.replacement,
                "applicability": finding.fix.applicability.value,
                "line": finding.fix.span.line + 1,
                "column": finding.fix.span.column + 1,
                "end_line": finding.fix.span.end_line + 1,
                "end_column": finding.fix.span.end_column + 1,
            }
        results.append(
            ValidationResult(
                rule_id=finding.rule_id,
                passed=False,
                message=finding.message,
                details=details,
                severity=ValidationSeverity(finding.severity),
                timestamp=now,
            )
        )
    failures = list(failures)
    for failure in failures:
        results.append(
            ValidationResult(
                rule_id=failure.rule_id,
                passed=False,
                message=f"the rule failed: {failure.message}",
                details={"path": failure.path, "rule_error": True},
                severity=ValidationSeverity.ERROR,
                timestamp=now,
            )
        )
    for compiled in rules:
        if compiled.rule.id not in found_rules:
            results.append(
                ValidationResult(
                    rule_id=compiled.rule.id,
                    passed=True,
                    message=f"{compiled.rule.name}: nothing found",
                    details={"type": compiled.rule.type.value},
                    severity=compiled.rule.severity,
                    timestamp=now,
                )
            )
    failed = [r for r in results if not r.passed]
    summary = ValidationSummary(
        total=len(results),
        passed=len(results) - len(failed),
        failed=len(failed),
        warnings=sum(r.severity is ValidationSeverity.WARNING for r in failed),
        errors=sum(r.severity is ValidationSeverity.ERROR for r in failed),
        critical=sum(r.severity is ValidationSeverity.CRITICAL for r in failed),
    )
    if failures:
        status = ValidationStatus.ERROR
    elif summary.errors or summary.critical:
        status = ValidationStatus.FAILED
    elif summary.warnings:
        status = ValidationStatus.WARNING
    else:
        status = ValidationStatus.PASSED
    types_found = {ValidationType(f.type) for f in findings}
    report_type = next((t for t in TYPE_PRIORITY if t in types_found), ValidationType.QUALITY)
    return ValidationReport(
        id=str(uuid.uuid4()),
        target=target,
        type=report_type,
        status=status,
        results=results,
        summary=summary,
        timestamp=now,
        duration=duration,
    )
