"""Conversions between domain types and protocol types (rust-analyzer's to_proto/from_proto):
spans in code points become ranges in the negotiated position encoding."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import PositionCodec

from wave_lsp.config.problems import Problem, ProblemSeverity, Span
from wave_lsp.lsp.diagnostics import Compact, item_json, tail_of

if TYPE_CHECKING:
    from wave_lsp.edits.proposals import Operation
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


def range_values(
    span: Span, lines: Sequence[str], codec: PositionCodec | None
) -> tuple[int, int, int, int]:
    """A domain span (code points) as a protocol range's (line, character, end line, end
    character) in the client's encoding (``codec`` None: the text is ASCII, where every
    encoding counts the same). A point span widens to the character under it so that every
    editor draws it."""
    end_line, end_column = span.end_line, span.end_column
    if end_line == span.line and end_column == span.column and span.line < len(lines):
        end_column = min(span.column + 1, len(lines[span.line].rstrip("\r\n")))
    if codec is None:
        return span.line, span.column, end_line, end_column
    converted = codec.range_to_client_units(
        lines,
        types.Range(
            start=types.Position(line=span.line, character=span.column),
            end=types.Position(line=end_line, character=end_column),
        ),
    )
    start, end = converted.start, converted.end
    return start.line, start.character, end.line, end.character


def to_range(span: Span, lines: Sequence[str], codec: PositionCodec | None) -> types.Range:
    """:func:`range_values` as a protocol range."""
    line, character, end_line, end_character = range_values(span, lines, codec)
    return types.Range(
        start=types.Position(line=line, character=character),
        end=types.Position(line=end_line, character=end_character),
    )


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


def finding_compact(finding: Finding, lines: Sequence[str], codec: PositionCodec | None) -> Compact:
    """A finding as a stored diagnostic (:func:`finding_to_diagnostic`'s values, without the
    protocol objects: thousands are made per check, off the event loop)."""
    line, character, end_line, end_character = range_values(finding.span, lines, codec)
    return (
        line,
        character,
        end_line,
        end_character,
        _FINDING_SEVERITY[finding.severity].value,
        finding.rule_id,
        finding.message,
        SOURCE,
        finding.url,
        (
            ("fixable", finding.fix is not None),
            ("rule", finding.rule_id),
            ("severity", finding.severity),
        ),
    )


_FINDING_TAILS: dict[tuple[str, str, str | None, bool], str] = {}


def finding_json(finding: Finding, lines: Sequence[str], codec: PositionCodec | None) -> str:
    """:func:`finding_compact`'s diagnostic as JSON text, formatted directly: the fields after
    the message are the same for every finding of a rule, so made once."""
    key = (finding.rule_id, finding.severity, finding.url, finding.fix is not None)
    tail = _FINDING_TAILS.get(key)
    if tail is None:
        if len(_FINDING_TAILS) > 10_000:
            _FINDING_TAILS.clear()
        tail = _FINDING_TAILS[key] = tail_of(finding_compact(finding, lines, codec))
    return item_json(range_values(finding.span, lines, codec), finding.message, tail)


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


def review_diagnostics(
    root: Path, findings: Sequence[Any], source: str
) -> dict[str, list[types.Diagnostic]]:
    """Review findings (the ``code-review.json`` shape: file, line, end_line, severity, category,
    message, suggestion) as whole-line diagnostics, per document URI."""
    by_uri: dict[str, list[types.Diagnostic]] = {}
    for finding in findings:
        if not isinstance(finding, dict) or "file" not in finding:
            continue
        line = max(0, int(finding.get("line", 1)) - 1)
        end = max(line, int(finding.get("end_line", line + 1)) - 1)
        message = str(finding.get("message", ""))
        if finding.get("suggestion"):
            message += f" ({finding['suggestion']})"
        by_uri.setdefault(uri_of(root / str(finding["file"])), []).append(
            types.Diagnostic(
                range=types.Range(
                    start=types.Position(line=line, character=0),
                    end=types.Position(line=end + 1, character=0),
                ),
                message=message,
                severity=_FINDING_SEVERITY.get(str(finding.get("severity", "info"))),
                source=source,
                code=finding.get("category"),
            )
        )
    return by_uri


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


def _edit_range(old_text: str, start: int, end: int, codec: PositionCodec) -> types.Range:
    """Lines ``[start, end)`` of ``old_text`` as a range. Line starts are column 0 in every
    encoding; only an end at the end of a text without a final newline needs the codec."""
    lines = old_text.splitlines(keepends=True)
    if end < len(lines) or not lines or lines[-1].endswith(("\n", "\r")):
        return types.Range(
            start=types.Position(line=start, character=0),
            end=types.Position(line=end, character=0),
        )
    last = len(lines) - 1
    server_range = types.Range(
        start=types.Position(line=start, character=0),
        end=types.Position(line=last, character=len(lines[last])),
    )
    return codec.range_to_client_units(lines, server_range)


def operations_to_edit(
    root: Path,
    operations: Sequence[Operation],
    *,
    document_changes: bool,
    annotation: str | None,
    codec: PositionCodec,
) -> types.WorkspaceEdit:
    """Proposal operations as one WorkspaceEdit: `documentChanges` (versioned edits, resource
    operations, a change annotation that asks for confirmation) when the client supports them,
    else `changes` (text edits only; the caller keeps resource operations for itself)."""
    from wave_lsp.edits.changes import inside
    from wave_lsp.edits.proposals import CreateFile, DeleteFile, RenameFile, TextChange

    annotation_id = "wave.proposal" if annotation else None

    def text_edits(operation: TextChange) -> list[types.TextEdit | types.AnnotatedTextEdit]:
        edits: list[types.TextEdit | types.AnnotatedTextEdit] = []
        for edit in operation.edits:
            edit_range = _edit_range(operation.old_text, edit.start, edit.end, codec)
            if annotation_id:
                edits.append(
                    types.AnnotatedTextEdit(
                        range=edit_range, new_text=edit.text, annotation_id=annotation_id
                    )
                )
            else:
                edits.append(types.TextEdit(range=edit_range, new_text=edit.text))
        return edits

    def uri(relative: str) -> str:
        return uri_of(inside(root, relative))

    if not document_changes:
        changes: dict[str, list[types.TextEdit]] = {}
        for operation in operations:
            if isinstance(operation, CreateFile):  # a new document, saved by the editor
                start = types.Position(line=0, character=0)
                changes.setdefault(uri(operation.path), []).append(
                    types.TextEdit(
                        range=types.Range(start=start, end=start), new_text=operation.text
                    )
                )
            if isinstance(operation, TextChange):
                changes.setdefault(uri(operation.path), []).extend(
                    types.TextEdit(range=e.range, new_text=e.new_text)
                    for e in text_edits(operation)
                )
        return types.WorkspaceEdit(changes=changes)
    document: list[
        types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile
    ] = []
    for operation in operations:
        if isinstance(operation, TextChange):
            document.append(
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri(operation.path), version=operation.version
                    ),
                    edits=text_edits(operation),
                )
            )
        elif isinstance(operation, CreateFile):
            document.append(types.CreateFile(uri=uri(operation.path), annotation_id=annotation_id))
            if operation.text:
                start = types.Position(line=0, character=0)
                document.append(
                    types.TextDocumentEdit(
                        text_document=types.OptionalVersionedTextDocumentIdentifier(
                            uri=uri(operation.path), version=None
                        ),
                        edits=[types.TextEdit(range=types.Range(start=start, end=start),
                                              new_text=operation.text)],
                    )
                )  # fmt: skip
        elif isinstance(operation, DeleteFile):
            document.append(types.DeleteFile(uri=uri(operation.path), annotation_id=annotation_id))
        elif isinstance(operation, RenameFile):
            document.append(
                types.RenameFile(
                    old_uri=uri(operation.old_path),
                    new_uri=uri(operation.new_path),
                    annotation_id=annotation_id,
                )
            )
    annotations = None
    if annotation and annotation_id:
        annotations = {
            annotation_id: types.ChangeAnnotation(
                label=annotation, needs_confirmation=True, description="Review before applying"
            )
        }
    return types.WorkspaceEdit(document_changes=document, change_annotations=annotations)
