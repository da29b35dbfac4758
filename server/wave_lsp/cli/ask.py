"""``wave ask``: one question to a model, the answer streamed to the terminal.

The model is ``--model`` (``provider:model`` or a model of the default provider), else the
workspace's ``providers.defaultModel``, else the default provider's model; with no providers
configured it is the embedded local model, which needs no network.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from wave_lsp.config.workspace import WaveWorkspace
    from wave_lsp.context.builder import ContextReport
    from wave_lsp.providers.base import Provider
    from wave_lsp.providers.types import CompletionRequest

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


async def stream_answer(
    root: Path,
    prompt: str,
    *,
    model: str | None,
    system: str | None,
    max_tokens: int,
    temperature: float | None,
    out: TextIO,
    err: TextIO,
    files: list[Path] | None = None,
    persona_name: str | None = None,
) -> int:
    from wave_lsp.config.workspace import load_workspace
    from wave_lsp.errors import WaveError
    from wave_lsp.providers.errors import ProviderError
    from wave_lsp.providers.registry import ProviderRegistry
    from wave_lsp.providers.types import Completion, Restart, TextDelta

    workspace = load_workspace(root, display_root=Path.cwd().resolve())
    if not workspace.ok:
        for problem in workspace.problems:
            print(problem.format(), file=err)
        print("wave ask: fix the configuration first (see `wave config check`)", file=err)
        return EXIT_USAGE
    registry = ProviderRegistry.from_config(workspace.config.providers)
    started = time.perf_counter()
    try:
        provider, model_name = registry.resolve(model)
        request, report = _request(
            workspace,
            root,
            prompt,
            files=files or [],
            persona_name=persona_name,
            provider=provider,
            model=model_name,
            max_tokens=max_tokens,
            system=system,
        )
        if temperature is not None:
            request = replace(request, temperature=temperature)
        for entry in report.entries:
            if entry.status != "included":
                print(f"wave: context: {entry.path} {entry.status.value}: {entry.reason}", file=err)
        if report.redactions:
            kinds = sorted({r.kind for r in report.redactions})
            print(
                f"wave: {len(report.redactions)} secret(s) redacted before sending "
                f"({', '.join(kinds)})",
                file=err,
            )
        completion: Completion | None = None
        first: float | None = None
        async for event in provider.stream(request):
            if isinstance(event, TextDelta):
                first = first or time.perf_counter()
                out.write(event.text)
                out.flush()
            elif isinstance(event, Restart):
                print(f"\n[wave: {event.reason}; starting the answer again]", file=err)
            else:
                completion = event
        out.write("\n")
        out.flush()
    except WaveError as error:
        if not isinstance(error, ProviderError):
            print(f"wave ask: {error.error.message}", file=err)
            for suggestion in error.error.suggestions:
                print(f"  - {suggestion}", file=err)
            return EXIT_FAILED
        print(f"wave ask: {error.describe()}", file=err)
        if error.error.description:
            print(f"  ({error.error.description})", file=err)
        return EXIT_FAILED
    finally:
        await registry.aclose()
    elapsed = time.perf_counter() - started
    if completion is not None:
        usage = completion.usage
        tokens = f", {usage.completion_tokens} tokens" if usage else ""
        rate = ""
        if usage and first is not None and usage.completion_tokens > 1:
            rate = f" ({usage.completion_tokens / max(1e-6, time.perf_counter() - first):.0f}/s)"
        print(
            f"wave: {provider.name}:{completion.model}{tokens} in {elapsed:.1f} s{rate}, "
            f"finish: {completion.finish_reason}",
            file=err,
        )
    return EXIT_OK


def _request(
    workspace: WaveWorkspace,
    root: Path,
    prompt: str,
    *,
    files: list[Path],
    persona_name: str | None,
    provider: Provider,
    model: str,
    max_tokens: int,
    system: str | None = None,
) -> tuple[CompletionRequest, ContextReport]:
    """The request as every Wave request is made: the persona's guard on each file, secrets
    redacted, the context packed into what the model's window leaves."""
    from wave_lsp.context.builder import build_context
    from wave_lsp.context.prompt import compose
    from wave_lsp.context.secrets import Redactor
    from wave_lsp.context.tokens import estimate_tokens
    from wave_lsp.personas.guard import UnknownPersona, guard_for
    from wave_lsp.providers.errors import ProviderError
    from wave_lsp.session.budget import budget_for

    config = workspace.config
    try:
        guard = guard_for(workspace, persona_name, root)
    except UnknownPersona as error:
        raise ProviderError.config("wave", str(error), []) from error
    persona = guard.persona
    guard.check_time()
    redactor = Redactor(list(workspace.rules.values()))
    budget = budget_for(
        provider,
        model,
        persona,
        int(config.context.max_size),
        answer_tokens=max_tokens,
        prompt_tokens=len(prompt) // 3 + 256,
    ).files(0)
    resolved = [path if path.is_absolute() else Path.cwd() / path for path in files]
    counter = provider.token_counter(model) if files else None
    built = build_context(
        guard,
        [],
        resolved,
        budget=budget,
        redactor=redactor,
        count_tokens=counter or estimate_tokens,
    )
    request = compose(
        prompt, built, redactor, persona, model=model, max_tokens=max_tokens, system=system
    )
    return request, built.report


def run(
    root: Path,
    words: list[str],
    *,
    model: str | None,
    system: str | None,
    max_tokens: int,
    temperature: float | None,
    files: list[Path] | None = None,
    persona: str | None = None,
) -> int:
    if not root.is_dir():
        print(f"wave ask: --root {root}: not a directory", file=sys.stderr)
        return EXIT_USAGE
    prompt = " ".join(words).strip()
    if not prompt or prompt == "-":
        prompt = sys.stdin.read().strip()
    if not prompt:
        print("wave ask: nothing to ask: give a question, or pipe one in", file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(
        stream_answer(
            root,
            prompt,
            model=model,
            system=system,
            max_tokens=max_tokens,
            temperature=temperature,
            out=sys.stdout,
            err=sys.stderr,
            files=files,
            persona_name=persona,
        )
    )
