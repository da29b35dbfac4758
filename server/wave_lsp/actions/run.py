"""AI actions as one domain function: fix a diagnostic, explain, refactor, add docstrings, write
tests, review a file, or answer a free-form request — with the active persona, the file context
of the open documents (budgeted, secrets redacted), the provider routed by ``provider:model``,
and answers that change code turned into a proposal by the edit engine. A failed hunk goes back
to the model once, with the precise error, before the action gives up.

The LSP layer calls :func:`run_action` from ``codeAction/resolve`` and from ``wave.action.run``
alike; it knows nothing of the protocol.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wave_lsp.actions.kinds import EDITING, TITLES, ActionKind
from wave_lsp.actions.templates import TemplateError, fill, template
from wave_lsp.context.builder import BuiltContext, OpenDocument, build_context
from wave_lsp.context.prompt import compose
from wave_lsp.context.secrets import Redactor
from wave_lsp.context.tokens import estimate_tokens
from wave_lsp.edits.apply import Cancelled
from wave_lsp.edits.changes import ChangeSet, ReadText, plan_changes
from wave_lsp.edits.extract import extract_patches
from wave_lsp.edits.instructions import EditFormat, format_for, format_used, instruction
from wave_lsp.edits.patch import PatchSyntaxError
from wave_lsp.edits.protected import RULE
from wave_lsp.personas.guard import Access, PersonaGuard
from wave_lsp.providers.answers import json_in, schema_error, stream_text
from wave_lsp.providers.base import Provider
from wave_lsp.providers.errors import ProviderError
from wave_lsp.providers.types import ChatMessage, CompletionRequest
from wave_lsp.session.budget import RequestBudget, budget_for

if TYPE_CHECKING:
    from wave_lsp.session.core import Session

SUMMARY_SYSTEM = (
    "Summarise this conversation between a user and a coding assistant for the assistant's "
    "own later use: what was asked, what was decided or changed, file names, open questions. "
    "Be brief and exact; write only the summary."
)


def edit_format(provider: Provider, model: str) -> EditFormat:
    """The format ``model`` is asked to write its edits in (``providerSpecific.editFormat``,
    else its family's best: see :mod:`wave_lsp.edits.instructions`)."""
    configured = provider.config.provider_specific.edit_format
    return format_for(provider.config.type.value, model, configured)


@dataclass(frozen=True, slots=True)
class ActionRequest:
    kind: ActionKind
    path: Path | None
    """The file the action is about (absolute); ``None`` for a question about no file in
    particular (``wave chat``: only the context's files go with it)."""
    selection: tuple[int, int] | None = None
    """0-based first and last line."""
    diagnostics: tuple[str, ...] = ()
    instruction: str = ""
    """The user's words (for refactor and ask)."""
    name: str = ""
    """A custom action's name."""


@dataclass(slots=True)
class ActionResult:
    kind: ActionKind
    text: str = ""
    """The model's answer (secrets restored where they belong)."""
    changes: ChangeSet | None = None
    review: dict[str, Any] | None = None
    attempts: int = 1
    context: dict[str, object] = field(default_factory=dict)


class ActionError(Exception):
    """The action failed: the message says why (and what the model got wrong)."""


Progress = Callable[[str], None]


@dataclass(slots=True)
class Prepared:
    """What a request will carry, worked out once: the files (within the budget), the
    conversation's history, and the report of both — ``wave.context.show`` shows this."""

    built: BuiltContext
    budget: RequestBudget
    history: list[ChatMessage]
    redactor: Redactor
    compacted: dict[str, str] | None = None

    def report(self) -> dict[str, object]:
        history_tokens = sum(estimate_tokens(m.content) + 4 for m in self.history)
        return {
            **self.built.report.to_json(),
            **self.budget.to_json(),
            "history": {
                "messages": len(self.history),
                "tokens": history_tokens,
                "compacted": self.compacted,
            },
        }


def prepare(  # noqa: PLR0917 (the parts of a request, each its own)
    guard: PersonaGuard,
    provider: Provider,
    model: str,
    documents: Sequence[OpenDocument],
    rules: Sequence[Any],
    session: Session | None,
    *,
    max_size_bytes: int | None = None,
) -> Prepared:
    """On a worker thread (files are read): the context of the next request."""
    budget = budget_for(provider, model, guard.persona, max_size_bytes)
    history = session.conversation.history(budget.history_limit) if session is not None else []
    used = sum(estimate_tokens(m.content) + 4 for m in history)
    redactor = Redactor(list(rules))
    added = list(session.files) if session is not None else []
    built = build_context(guard, documents, added, budget=budget.files(used), redactor=redactor)
    compacted = session.conversation.compaction() if session is not None else None
    return Prepared(built, budget, history, redactor, compacted)


def focus(
    documents: Sequence[OpenDocument], path: Path, request: ActionRequest, read: ReadText
) -> list[OpenDocument]:
    """The open documents with ``path`` focused (read from disk when it is not open)."""
    focused = [
        replace(d, focused=True, selection=request.selection, diagnostics=request.diagnostics)
        if d.path.resolve() == path
        else replace(d, focused=False)
        for d in documents
    ]
    if not any(d.focused for d in focused):
        text = read(path)
        if text is None:
            raise ActionError(f"{path.name}: no such file")
        focused.insert(0, OpenDocument(path, text, True, request.selection, request.diagnostics))
    return focused


async def compact(
    session: Session, provider: Provider, model: str, limit: int, threshold: float
) -> bool:
    """Compact the session's conversation when it passed ``threshold`` of ``limit`` tokens:
    the model summarises the oldest messages (a request of its own)."""

    async def summarize(transcript: str) -> str:
        request = CompletionRequest(
            messages=(
                ChatMessage("system", SUMMARY_SYSTEM),
                ChatMessage("user", Redactor([]).redact(transcript, "history")),
            ),
            model=model,
            max_tokens=max(128, limit // 4),
        )
        return await stream_text(provider, request, lambda text: None)

    if session.conversation.tokens() <= threshold * limit:
        return False
    return await session.conversation.compact_if_needed(limit, threshold, summarize)


def said(request: ActionRequest, relative: str) -> str:
    """What the user asked, as the conversation keeps it (not the files: they are sent anew)."""
    if request.kind is ActionKind.ASK:
        return request.instruction
    where = relative
    if request.selection is not None:
        where += f" lines {request.selection[0] + 1}-{request.selection[1] + 1}"
    words = f"{TITLES.get(request.kind, request.kind.value)}: {where}"
    return f"{words}. {request.instruction}" if request.instruction else words


async def run_action(
    request: ActionRequest,
    *,
    root: Path,
    guard: PersonaGuard,
    provider: Provider,
    model: str,
    documents: Sequence[OpenDocument],
    rules: Sequence[Any],
    read: ReadText,
    session: Session | None = None,
    review_schema: dict[str, Any] | None = None,
    progress: Progress = lambda text: None,
    max_size_bytes: int | None = None,
    compaction_threshold: float = 0.8,
) -> ActionResult:
    """Run an action; with a ``session``, its added files and conversation go with the
    request, the exchange is appended to the conversation, and the conversation is compacted
    first when it has grown past ``compaction_threshold`` of its budget."""
    guard.check_time()
    if request.path is None and request.kind is not ActionKind.ASK:
        raise ActionError(f"{request.kind.value} needs a file")
    relative = ""
    focused = list(documents)
    if request.path is not None:
        path = guard.check_path(request.path, Access.READ)
        if request.kind in EDITING:
            guard.check_path(request.path, Access.WRITE)
        relative = path.relative_to(guard.root).as_posix()
        focused = await asyncio.to_thread(focus, documents, path, request, read)
    persona = guard.persona
    if session is not None:
        limit = budget_for(provider, model, persona, max_size_bytes).history_limit
        await compact(session, provider, model, limit, compaction_threshold)
    prepared = await asyncio.to_thread(
        prepare, guard, provider, model, focused, rules, session, max_size_bytes=max_size_bytes
    )
    built, redactor = prepared.built, prepared.redactor
    answer_tokens = prepared.budget.answer_tokens
    fmt = edit_format(provider, model)
    selection = ""
    if request.selection is not None:
        first, last = request.selection
        selection = f"lines {first + 1}-{last + 1}"
    try:
        text = template(request.kind, root, request.name)
    except TemplateError as error:
        raise ActionError(str(error)) from error
    prompt = fill(
        text,
        {
            "path": relative or "the workspace",
            "selection": selection or ("the whole file" if relative else "no file in particular"),
            "diagnostics": "\n".join(f"- {d}" for d in request.diagnostics) or "(none)",
            "instruction": request.instruction or "(none)",
            "format": instruction(fmt, relative or "path/to/file"),
        },
    )
    completion = compose(
        prompt,
        built,
        redactor,
        persona,
        model=model,
        max_tokens=answer_tokens,
        history=prepared.history,
    )
    if request.kind is ActionKind.REVIEW:
        completion = replace(completion, json_mode=True)
    result = ActionResult(request.kind, context=prepared.report())
    answer = await stream_text(provider, completion, progress)
    result.text = redactor.restore(answer, relative)
    if session is not None:  # the model's words as it said them (secrets stay placeholders)
        await asyncio.to_thread(session.record, said(request, relative), answer)
    if request.kind is ActionKind.REVIEW:
        result.review = _review(result.text, review_schema)
        return result
    if request.kind not in EDITING and not (
        request.kind is ActionKind.ASK and "```" in result.text
    ):
        return result
    for attempt in (1, 2):
        result.attempts = attempt
        failure = await _plan_off_loop(result, root, relative, read)
        if failure is None:
            return result
        if request.kind is ActionKind.ASK:  # an answer that only quoted code is still an answer
            result.changes = None
            return result
        if attempt == 2:
            raise ActionError(f"the model's edit could not be applied: {failure}")
        retry = CompletionRequest(
            messages=(
                *completion.messages,
                ChatMessage("assistant", answer),
                ChatMessage(
                    "user",
                    redactor.redact(
                        f"Your edit could not be applied:\n{failure}\nAnswer again with a "
                        "corrected edit, in the same format. "
                        + instruction(format_used(answer) or fmt, relative or "path/to/file"),
                        "retry",
                    ),
                ),
            ),
            model=completion.model,
            max_tokens=completion.max_tokens,
            temperature=completion.temperature,
        )
        answer = await stream_text(provider, retry, progress)
        result.text = redactor.restore(answer, relative)
    raise AssertionError("unreachable")  # pragma: no cover


async def _plan_off_loop(
    result: ActionResult, root: Path, relative: str, read: ReadText
) -> str | None:
    """:func:`_plan` on a worker thread (it reads files and searches hunks); a cancelled action
    stops the search there too."""
    cancelled = threading.Event()
    try:
        return await asyncio.to_thread(_plan, result, root, relative, read, cancelled.is_set)
    except asyncio.CancelledError:
        cancelled.set()
        raise
    except Cancelled as error:
        raise asyncio.CancelledError from error


def _plan(
    result: ActionResult,
    root: Path,
    relative: str,
    read: ReadText,
    cancel: Callable[[], bool] | None = None,
) -> str | None:
    """Plan the answer's edits into ``result.changes``; the error for the model, if any."""
    try:
        patches = extract_patches(result.text, default_path=relative or None)
    except PatchSyntaxError as error:
        return str(error)
    changes = plan_changes(root, patches, read, cancel=cancel)
    refused = [e for e in changes.errors() if RULE in e]
    if refused:  # a write into version control or .wave/: refused, not retried nor ignored
        raise ActionError("the model's edit was refused: " + "\n".join(refused))
    if not changes.ok:
        return "\n".join(changes.errors())
    result.changes = changes
    return None


def _review(text: str, schema: dict[str, Any] | None) -> dict[str, Any]:
    try:
        report = json_in(text)
    except ValueError as error:
        raise ActionError(f"the review is not valid JSON: {error}") from error
    if not isinstance(report, dict):
        raise ActionError("the review is not a JSON object with summary and findings")
    problem = schema_error(report, schema, "the report") if schema is not None else None
    if problem:
        raise ActionError(f"the review does not match code-review.json: {problem}")
    return report


__all__ = [
    "TITLES",
    "ActionError",
    "ActionKind",
    "ActionRequest",
    "ActionResult",
    "ProviderError",
    "run_action",
]
