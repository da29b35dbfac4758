"""``wave ask``: one question to a model, the answer streamed to the terminal.

The model is ``--model`` (``provider:model`` or a model of the default provider), else the
workspace's ``providers.defaultModel``, else the default provider's model; with no providers
configured it is the embedded local model, which needs no network.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import TextIO

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
) -> int:
    from wave_lsp.config.workspace import load_workspace
    from wave_lsp.providers.errors import ProviderError
    from wave_lsp.providers.registry import ProviderRegistry
    from wave_lsp.providers.types import Completion, CompletionRequest, Restart, TextDelta

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
        request = CompletionRequest.from_prompt(
            prompt,
            system=system,
            model=model_name,
            max_tokens=max_tokens,
            temperature=temperature,
            discard_partial=False,
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
    except ProviderError as error:
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


def run(
    root: Path,
    words: list[str],
    *,
    model: str | None,
    system: str | None,
    max_tokens: int,
    temperature: float | None,
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
        )
    )
