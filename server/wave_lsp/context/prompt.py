"""A request to a model as Wave sends it: the persona's system prompt, temperature and answer
length; the file context fenced (model output and file text are data, not instructions); the
user's words. Every text in it has been through the redactor."""

from __future__ import annotations

from collections.abc import Sequence

from wave_lsp.context.builder import BuiltContext
from wave_lsp.context.secrets import Redactor
from wave_lsp.personas.models import Persona
from wave_lsp.providers.types import ChatMessage, CompletionRequest

FENCE = "````"


def compose(
    prompt: str,
    context: BuiltContext,
    redactor: Redactor,
    persona: Persona,
    *,
    model: str | None = None,
    max_tokens: int | None = None,
    system: str | None = None,
    history: Sequence[ChatMessage] = (),
) -> CompletionRequest:
    """The request; ``system`` replaces the persona's system prompt (``wave ask --system``);
    ``history`` (the conversation so far, redacted again: an answer had its secrets restored)
    goes between the system prompt and the new message."""
    parts: list[str] = []
    for file in context.files:
        parts.append(f"File {file.path}:\n{FENCE}\n{file.content}\n{FENCE}")
    focus = context.focus
    if focus is not None and (focus.selection or focus.diagnostics):
        notes = []
        if focus.selection:
            notes.append(f"selected lines {focus.selection[0] + 1}-{focus.selection[1] + 1}")
        notes += [f"diagnostic: {redactor.redact(d, 'diagnostics')}" for d in focus.diagnostics]
        parts.append("In the focused file: " + "; ".join(notes))
    parts.append(redactor.redact(prompt, "prompt"))
    messages = []
    system = (persona.ai_context.system_prompt if system is None else system).strip()
    if system:
        messages.append(ChatMessage("system", redactor.redact(system, "system")))
    for earlier in history:
        messages.append(ChatMessage(earlier.role, redactor.redact(earlier.content, "history")))
    messages.append(ChatMessage("user", "\n\n".join(parts)))
    return CompletionRequest(
        messages=tuple(messages),
        model=model,
        max_tokens=max_tokens or persona.ai_context.max_tokens,
        temperature=persona.ai_context.temperature,
    )
