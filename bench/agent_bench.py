"""The built-in agent loop's own overhead per step, against an instant in-process provider (no
network, no model): a run of N steps, each a model call answered at once with one tool call
(``read_file`` of a small file, or ``check`` with no paths), against the same N provider calls
made directly with the same growing message list, measured in the same run. The difference per
step is the loop's cost: policy, guard, tool, redaction, bookkeeping (target: <= 2 ms).

    .venv/bin/python bench/agent_bench.py [--steps N] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from wave_lsp.agents.build import make_agent  # noqa: E402
from wave_lsp.agents.files import AgentFiles  # noqa: E402
from wave_lsp.config.system import AgentSettings  # noqa: E402
from wave_lsp.config.workspace import load_workspace  # noqa: E402
from wave_lsp.personas.guard import PersonaGuard  # noqa: E402
from wave_lsp.personas.models import Persona  # noqa: E402
from wave_lsp.providers.base import Provider, StreamState  # noqa: E402
from wave_lsp.providers.errors import ProviderError  # noqa: E402
from wave_lsp.providers.models import ProviderConfiguration  # noqa: E402
from wave_lsp.providers.types import (  # noqa: E402
    Capabilities,
    ChatMessage,
    CompletionRequest,
)


class Instant(Provider):
    """Answers every call at once: a tool call until ``steps`` calls were made, then text."""

    kind = "instant"

    def __init__(self, steps: int, tool: str, arguments: dict[str, Any]) -> None:
        super().__init__(ProviderConfiguration(type="ollama", name="instant", model="instant"))
        self.steps, self.tool, self.arguments = steps, tool, json.dumps(arguments)
        self.calls = 0

    def capabilities(self, model: str | None = None) -> Capabilities:
        return Capabilities(context_window=1_000_000, tool_use=True)

    async def open(self, request: CompletionRequest, model: str) -> AsyncIterator[Any]:
        self.calls += 1
        final = self.calls > self.steps

        async def chunks() -> AsyncIterator[Any]:
            yield ("text", "done") if final else ("call", self.calls)

        return chunks()

    def absorb(self, chunk: Any, state: StreamState) -> str | None:
        kind, value = chunk
        if kind == "text":
            return str(value)
        state.add_call(0, f"call_{value}", self.tool, self.arguments)
        return None

    def map_error(self, error: Exception, model: str) -> ProviderError:
        raise error


async def agent_run(
    root: Path, rules: list[Any], steps: int, tool: str, args: dict[str, Any]
) -> float:
    provider = Instant(steps, tool, args)
    persona = Persona.model_validate(
        {"name": "dev", "security_context": {"permissions": ["code:read", "code:write"]}}
    )
    agent = make_agent(
        provider, "instant", AgentFiles(root, lambda p: p.read_text() if p.is_file() else None),
        PersonaGuard(persona, root), rules=rules,
        settings=AgentSettings(max_steps=steps + 1, max_tokens=10**9),
    )  # fmt: skip
    began = time.perf_counter()
    result = await agent.run("bench")
    elapsed = time.perf_counter() - began
    assert result.steps == steps + 1 and result.stop_reason == "end_turn", result
    return elapsed


async def direct_run(steps: int, tool: str, args: dict[str, Any]) -> float:
    """The same provider calls, the same growing messages, no agent: the baseline."""
    provider = Instant(steps, tool, args)
    messages = [ChatMessage("user", "bench")]
    began = time.perf_counter()
    for _ in range(steps + 1):
        completion = await provider.complete(CompletionRequest(messages=tuple(messages)))
        for call in completion.tool_calls:
            messages.append(ChatMessage("assistant", "", tool_calls=(call,)))
            messages.append(ChatMessage("tool", "x", tool_call_id=call.id))
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--runs", type=int, default=9)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        (root / "app.py").write_text("def main():\n    return 1\n" * 20)
        rules = list(load_workspace(root).rules.values())
        cases = {"read_file": {"path": "app.py"}, "check": {"paths": []}}
        print(f"{arguments.steps} steps per run, {arguments.runs} runs (median):")
        for tool, args in cases.items():
            agent_times, direct_times = [], []
            for run in range(arguments.runs + 1):
                a = asyncio.run(agent_run(root, rules, arguments.steps, tool, args))
                d = asyncio.run(direct_run(arguments.steps, tool, args))
                if run:  # the first run warms imports and caches
                    agent_times.append(a)
                    direct_times.append(d)
            agent, direct = statistics.median(agent_times), statistics.median(direct_times)
            per_step = (agent - direct) / (arguments.steps + 1) * 1000
            print(
                f"  {tool:10} agent {agent * 1000:7.1f} ms, direct provider calls "
                f"{direct * 1000:6.1f} ms, ratio {agent / direct:5.1f}x, overhead "
                f"{per_step:.3f} ms/step (target <= 2 ms): {'ok' if per_step <= 2 else 'OVER'}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
