"""Conversions between domain types and protocol types (rust-analyzer's to_proto/from_proto):
spans in code points become ranges in the negotiated position encoding."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import PositionCodec

from wave_lsp.config.problems import Problem, ProblemSeverity, Span

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


def to_range(span: Span, lines: Sequence[str], codec: PositionCodec) -> types.Range:
    """A domain span (code points) as a protocol range in the client's encoding. A point span
    widens to the character under it so that every editor draws it."""
    end_line, end_column = span.end_line, span.end_column
    if (end_line, end_column) == (span.line, span.column) and span.line < len(lines):
        end_column = min(span.column + 1, len(lines[span.line].rstrip("\r\n")))
    start = types.Position(line=span.line, character=span.column)
    end = types.Position(line=end_line, character=end_column)
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
