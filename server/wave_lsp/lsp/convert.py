"""Conversions between domain types and protocol types (rust-analyzer's to_proto/from_proto):
spans in code points become ranges in the negotiated position encoding."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import PositionCodec

from wave_lsp.config.problems import Problem, ProblemSeverity, Span

if TYPE_CHECKING:
    from wave_lsp.validation.engine import Finding, Fix

SOURCE = "wave"

_SEVERITY = {
    ProblemSeverity.ERROR: types.DiagnosticSeverity.Error,
    ProblemSeverity.WARNING: types.DiagnosticSeverity.Warning,
    ProblemSeverity.INFO: types.DiagnosticSeverity.Information,
}


def path_of(uri: str) -> Path | None:
    path = to_fs_path(uri)
    return Path(path) if path else None


def uri_of(path: Path) -> str:
    uri: str | None = from_fs_path(str(path))
    if uri is None:  # pragma: no cover - only for paths pygls cannot express
        raise ValueError(f"cannot make a URI of {path}")
    return uri


def to_range(span: Span, lines: Sequence[str], codec: PositionCodec | None) -> types.Range:
    """A domain span (code points) as a protocol range in the client's encoding (``codec``
    None: the text is ASCII, where every encoding counts the same). A point span widens to the
    character under it so that every editor draws it."""
    end_line, end_column = span.end_line, span.end_column
    if (end_line, end_column) == (span.line, span.column) and span.line < len(lines):
        end_column = min(span.column + 1, len(lines[span.line].rstrip("\r\n")))
    start = types.Position(line=span.line, character=span.column)
    end = types.Position(line=end_line, character=end_column)
    if codec is None:
        return types.Range(start=start, end=end)
    return codec.range_to_client_units(lines, types.Range(start=start, end=end))


def to_diagnostic(problem: Problem, lines: Sequence[str], codec: PositionCodec) -> types.Diagnostic:
    message = problem.message if not problem.fix else f"{problem.message} ({problem.fix})"
    return types.Diagnostic(
        range=to_range(problem.span, lines, codec),
        message=message,
        severity=_SEVERITY[problem.severity],
        code=problem.code,
        source=SOURCE,
        data={"fix": problem.fix} if problem.fix else None,
    )


_FINDING_SEVERITY = {
    "info": types.DiagnosticSeverity.Information,
    "warning": types.DiagnosticSeverity.Warning,
    "error": types.DiagnosticSeverity.Error,
    "critical": types.DiagnosticSeverity.Error,
}


def finding_to_diagnostic(
    finding: Finding, lines: Sequence[str], codec: PositionCodec | None
) -> types.Diagnostic:
    return types.Diagnostic(
        range=to_range(finding.span, lines, codec),
        message=finding.message,
        severity=_FINDING_SEVERITY[finding.severity],
        code=finding.rule_id,
        code_description=types.CodeDescription(href=finding.url) if finding.url else None,
        source=SOURCE,
        data={
            "rule": finding.rule_id,
            "severity": finding.severity,
            "fixable": finding.fix is not None,
        },
    )


def fix_to_edit(fix: Fix, lines: Sequence[str], codec: PositionCodec) -> types.TextEdit:
    start = types.Position(line=fix.span.line, character=fix.span.column)
    end = types.Position(line=fix.span.end_line, character=fix.span.end_column)
    return types.TextEdit(
        range=codec.range_to_client_units(lines, types.Range(start=start, end=end)),
        new_text=fix.replacement,
    )


def workspace_edit(
    uri: str, version: int | None, edits: list[types.TextEdit], document_changes: bool
) -> types.WorkspaceEdit:
    """Edits to one document, as `documentChanges` (versioned) when the client supports them,
    else as `changes`. The one place that choice is made."""
    if document_changes:
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=version
                    ),
                    edits=list(edits),
                )
            ]
        )
    return types.WorkspaceEdit(changes={uri: list(edits)})
