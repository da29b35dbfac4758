"""``wave check PATHS``: the validation engine over files, as text, JSON or SARIF."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def run(arguments: argparse.Namespace) -> int:
    from datetime import timedelta

    from wave_lsp.config.workspace import load_workspace
    from wave_lsp.validation.engine import Engine
    from wave_lsp.validation.models import ValidationSeverity
    from wave_lsp.validation.report import at_or_above, build_report, format_text
    from wave_lsp.validation.runner import check_files
    from wave_lsp.validation.sarif import to_sarif

    root: Path = arguments.root
    if not root.is_dir():
        print(f"wave check: --root {root}: not a directory", file=sys.stderr)
        return EXIT_USAGE
    missing = [p for p in arguments.paths if not (p if p.is_absolute() else root / p).exists()]
    if missing:
        print(f"wave check: no such file or directory: {missing[0]}", file=sys.stderr)
        return EXIT_USAGE
    workspace = load_workspace(root, display_root=Path.cwd().resolve())
    if not workspace.ok:
        for problem in workspace.problems:
            print(problem.format(), file=sys.stderr)
        print("wave check: fix the configuration first (see `wave config check`)", file=sys.stderr)
        return EXIT_USAGE
    persona_name = arguments.persona or workspace.config.security.personas.default_persona
    if persona_name not in workspace.personas:
        print(f"wave check: --persona {persona_name}: no such persona", file=sys.stderr)
        return EXIT_USAGE
    persona = workspace.personas[persona_name].value
    rules = list(workspace.rules.values())
    result = check_files(
        root,
        Engine(rules),
        arguments.paths,
        persona=persona.name,
        permissions=persona.security_context.permissions,
    )
    if arguments.format == "text":
        for finding in result.findings:
            print(format_text(finding))
        for failure in result.failures:
            print(
                f"{failure.path}: rule {failure.rule_id} failed: {failure.message}", file=sys.stderr
            )
    elif arguments.format == "json":
        report = build_report(
            str(root.resolve()),
            rules,
            result.findings,
            result.failures,
            timedelta(seconds=result.duration),
        )
        print(report.model_dump_json(indent=2))
    else:
        sarif = to_sarif(root.resolve().as_uri() + "/", rules, result.findings)
        print(json.dumps(sarif, indent=2))
    threshold = ValidationSeverity(arguments.fail_on)
    failing = [f for f in result.findings if at_or_above(f, threshold)]
    print(
        f"wave: {len(result.files)} files checked with {len(rules)} rules in "
        f"{result.duration * 1000:.0f} ms: {len(result.findings)} findings, "
        f"{len(failing)} at or above {threshold.value}",
        file=sys.stderr,
    )
    return EXIT_PROBLEMS if failing else EXIT_OK
