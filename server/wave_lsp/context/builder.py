"""What the model sees: file context built from the open documents' unsaved text (the focused
document first, with its selection and the diagnostics at the cursor), then the other open
documents, then the files the user added — each checked against the persona, refused when
binary or too large, stripped of secrets, and packed into a token budget by priority.

Nothing is cut silently: the :class:`ContextReport` says, for every candidate, whether it was
included, cut (and which lines were kept) or left out, and why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from wave_lsp import fileread
from wave_lsp.context.models import MAX_FILE_CONTEXT_BYTES, FileContext
from wave_lsp.context.secrets import Redaction, Redactor
from wave_lsp.context.tokens import TokenCounter, estimate_tokens
from wave_lsp.personas.guard import Access, PersonaGuard, SecurityRefusal


@dataclass(frozen=True, slots=True)
class OpenDocument:
    path: Path
    text: str
    focused: bool = False
    selection: tuple[int, int] | None = None
    """0-based first and last line of the selection (or the cursor's line twice)."""
    diagnostics: tuple[str, ...] = ()
    """Messages of the diagnostics at the cursor, for the prompt."""


@dataclass(frozen=True, slots=True)
class Budget:
    tokens: int
    max_file_bytes: int = MAX_FILE_CONTEXT_BYTES

    @classmethod
    def of(
        cls,
        context_window: int,
        answer_tokens: int,
        prompt_tokens: int = 0,
        max_size_bytes: int | None = None,
        max_file_bytes: int = MAX_FILE_CONTEXT_BYTES,
    ) -> Budget:
        """What is left for files: the provider's window less the answer (the persona's
        ``max_tokens``) and the prompt, and no more than the system's ``context.max_size``."""
        tokens = context_window - answer_tokens - prompt_tokens
        if max_size_bytes is not None:
            tokens = min(tokens, estimate_tokens(max_size_bytes))
        return cls(max(0, tokens), max_file_bytes)


class Status(StrEnum):
    INCLUDED = "included"
    CUT = "cut"
    DROPPED = "dropped"


@dataclass(frozen=True, slots=True)
class Entry:
    path: str
    status: Status
    tokens: int
    bytes: int
    reason: str = ""
    lines: tuple[int, int] | None = None
    """1-based first and last line kept, when the file was cut."""


@dataclass(slots=True)
class ContextReport:
    budget: int
    entries: list[Entry] = field(default_factory=list)
    redactions: list[Redaction] = field(default_factory=list)

    @property
    def total_tokens(self) -> int:
        return sum(e.tokens for e in self.entries if e.status is not Status.DROPPED)

    def to_json(self) -> dict[str, object]:
        return {
            "budget": self.budget,
            "totalTokens": self.total_tokens,
            "files": [
                {
                    "path": e.path,
                    "status": e.status.value,
                    "tokens": e.tokens,
                    "bytes": e.bytes,
                    "reason": e.reason or None,
                    "lines": list(e.lines) if e.lines else None,
                }
                for e in self.entries
            ],
            "redactions": [
                {"path": r.path, "kind": r.kind, "placeholder": r.placeholder, "line": r.line}
                for r in self.redactions
            ],
        }


@dataclass(slots=True)
class BuiltContext:
    files: list[FileContext]
    report: ContextReport
    focus: OpenDocument | None = None


def _is_binary(data: str) -> bool:
    return "\x00" in data[:8192]


def _window(
    lines: list[str], selection: tuple[int, int] | None, fits: Callable[[str], bool]
) -> tuple[int, int]:
    """The largest run of lines around the selection that fits (0-based, end exclusive)."""
    first, last = selection or (0, 0)
    first = max(0, min(first, len(lines) - 1))
    last = max(first, min(last, len(lines) - 1))
    start, end = first, last + 1
    if not fits("".join(lines[start:end])):
        end = start + 1
        if not fits(lines[start]):
            return start, start
    grown = True
    while grown:
        grown = False
        for candidate in ((start - 1, end), (start, end + 1)):
            if (
                candidate[0] >= 0
                and candidate[1] <= len(lines)
                and fits("".join(lines[candidate[0] : candidate[1]]))
            ):
                start, end = candidate
                grown = True
    return start, end


def build_context(
    guard: PersonaGuard,
    documents: Sequence[OpenDocument],
    added: Sequence[Path],
    *,
    budget: Budget,
    redactor: Redactor,
    count_tokens: TokenCounter = estimate_tokens,
    read: Callable[[Path, int], bytes] | None = None,
) -> BuiltContext:
    report = ContextReport(budget.tokens)
    files: list[FileContext] = []
    left = budget.tokens
    seen: set[Path] = set()
    focus = next((d for d in documents if d.focused), None)
    ordered: list[tuple[Path, str | None, OpenDocument | None]] = []
    if focus is not None:
        ordered.append((focus.path, focus.text, focus))
    ordered += [(d.path, d.text, None) for d in documents if not d.focused]
    ordered += [(p, None, None) for p in added]
    for raw_path, given, focused in ordered:
        text = given
        try:
            path = guard.check_path(raw_path, Access.READ)
        except (SecurityRefusal, ValueError) as refusal:
            shown = _display(raw_path, guard.root)
            report.entries.append(Entry(shown, Status.DROPPED, 0, 0, f"refused: {refusal}"))
            continue
        if path in seen:
            continue
        seen.add(path)
        relative = path.relative_to(guard.root).as_posix()
        if text is None:
            try:
                data = (read or fileread.read_bytes)(path, budget.max_file_bytes)
            except fileread.FileRefused as error:  # a FIFO, a device, a huge or sparse file
                if "over the limit" in error.reason:  # (never read: its size is what it says)
                    size = path.stat().st_size
                    reason = f"larger than {budget.max_file_bytes} bytes"
                    report.entries.append(Entry(relative, Status.DROPPED, 0, size, reason))
                else:
                    report.entries.append(
                        Entry(relative, Status.DROPPED, 0, 0, f"refused: {error.reason}")
                    )
                continue
            except OSError as error:
                report.entries.append(
                    Entry(relative, Status.DROPPED, 0, 0, f"unreadable: {error.strerror or error}")
                )
                continue
            if b"\x00" in data[:8192]:
                report.entries.append(Entry(relative, Status.DROPPED, 0, len(data), "binary file"))
                continue
            text = data.decode("utf-8", errors="replace")
        size = len(text.encode("utf-8", errors="surrogateescape"))
        if _is_binary(text):
            report.entries.append(Entry(relative, Status.DROPPED, 0, size, "binary file"))
            continue
        if size > budget.max_file_bytes:
            report.entries.append(
                Entry(
                    relative, Status.DROPPED, 0, size, f"larger than {budget.max_file_bytes} bytes"
                )
            )
            continue
        clean = redactor.redact(text, relative)
        tokens = count_tokens(clean)
        if tokens <= left:
            left -= tokens
            files.append(_file_context(relative, clean, size, tokens))
            report.entries.append(Entry(relative, Status.INCLUDED, tokens, size))
            continue
        if focused is not None and left > 0:
            lines = clean.splitlines(keepends=True)
            budget_left = left

            def fits(chunk: str, room: int = budget_left) -> bool:
                return count_tokens(chunk) <= room

            start, end = _window(lines, focused.selection, fits)
            if end > start:
                kept = "".join(lines[start:end])
                kept_tokens = count_tokens(kept)
                left -= kept_tokens
                files.append(
                    _file_context(
                        relative,
                        kept,
                        len(kept.encode("utf-8", errors="surrogateescape")),
                        kept_tokens,
                    )
                )
                reason = (
                    f"{tokens} tokens do not fit the {budget_left} left: "
                    f"lines {start + 1}-{end} of {len(lines)} kept"
                )
                report.entries.append(
                    Entry(relative, Status.CUT, kept_tokens, size, reason, (start + 1, end))
                )
                continue
        report.entries.append(
            Entry(
                relative, Status.DROPPED, tokens, size, f"over budget: {tokens} tokens, {left} left"
            )
        )
    report.redactions = list(redactor.redactions)
    return BuiltContext(files, report, focus)


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _file_context(path: str, content: str, size: int, tokens: int) -> FileContext:
    return FileContext(
        path=path,
        content=content,
        size=size,
        last_modified=datetime.now(UTC),
        estimated_tokens=tokens,
    )
