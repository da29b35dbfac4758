"""Overhead of Wave's provider layer over the bare ``openai`` SDK, streaming the same long answer
from the same loopback OpenAI server in one run (target: <= 5%).

The server runs in a process of its own so that it does not share the client's interpreter. Runs
alternate (ours, bare, ours, ...) so that drift in the machine's speed hits both alike. Reported:
wall time and client CPU time per stream (median), and their ratios.

    .venv/bin/python bench/provider_bench.py [--runs N] [--pieces N]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from openai import AsyncOpenAI

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.providers.protocol_server import ProtocolServer  # noqa: E402

from wave_lsp.providers.models import ProviderConfiguration  # noqa: E402
from wave_lsp.providers.openai_compat import OpenAICompatibleProvider  # noqa: E402
from wave_lsp.providers.types import Completion, CompletionRequest, TextDelta  # noqa: E402

PROMPT = "Tell me a long story."


def serve(pieces: int, ready: multiprocessing.Queue[str]) -> None:
    server = ProtocolServer()
    server.state.answer = "token " * pieces
    server.state.pieces = pieces
    server.start()
    ready.put(server.url)
    while True:
        time.sleep(3600)


async def bare(client: AsyncOpenAI) -> tuple[int, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    stream = await client.chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        stream_options={"include_usage": True},
        max_tokens=4096,
    )
    parts: list[str] = []
    async for chunk in stream:
        for choice in chunk.choices:
            if choice.delta.content:
                parts.append(choice.delta.content)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len("".join(parts)), wall, cpu


async def ours(provider: OpenAICompatibleProvider) -> tuple[int, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    parts: list[str] = []
    async for event in provider.stream(CompletionRequest.from_prompt(PROMPT, max_tokens=4096)):
        if isinstance(event, TextDelta):
            parts.append(event.text)
        elif isinstance(event, Completion):
            assert event.text == "".join(parts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len("".join(parts)), wall, cpu


async def measure(url: str, runs: int) -> dict[str, list[tuple[float, float]]]:
    """Both clients are made once, as a registry keeps its providers: the cost measured is the
    stream's, not the TLS context's set-up (about 30 ms for either)."""
    config = ProviderConfiguration(
        type="openai", name="bench", base_url=f"{url}/v1", model="gpt-test"
    )
    provider = OpenAICompatibleProvider(config)
    client = AsyncOpenAI(api_key="unused", base_url=f"{url}/v1", max_retries=0)
    paths: dict[str, Callable[[], Awaitable[tuple[int, float, float]]]] = {
        "ours": lambda: ours(provider),
        "bare": lambda: bare(client),
    }
    results: dict[str, list[tuple[float, float]]] = {"ours": [], "bare": []}
    lengths = set()
    for _ in range(2):  # warm both paths (imports, connections)
        for function in paths.values():
            await function()
    for run in range(runs):
        order = ["ours", "bare"] if run % 2 == 0 else ["bare", "ours"]
        for name in order:
            length, wall, cpu = await paths[name]()
            lengths.add(length)
            results[name].append((wall, cpu))
    await provider.aclose()
    await client.close()
    assert len(lengths) == 1, f"the two paths received different answers: {lengths}"
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pieces", type=int, default=2000, help="SSE chunks in the answer")
    arguments = parser.parse_args()
    ready: multiprocessing.Queue[str] = multiprocessing.Queue()
    process = multiprocessing.Process(target=serve, args=(arguments.pieces, ready), daemon=True)
    process.start()
    try:
        url = ready.get(timeout=30)
        results = asyncio.run(measure(url, arguments.runs))
    finally:
        process.terminate()
    wall = {k: statistics.median(w for w, _ in v) for k, v in results.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in results.items()}
    print(f"streaming {arguments.pieces} chunks, {arguments.runs} runs each (median):")
    for name in ("bare", "ours"):
        print(
            f"  {name:5} wall {wall[name] * 1000:8.1f} ms   client CPU {cpu[name] * 1000:8.1f} ms"
        )
    print(
        f"  ratio ours/bare: wall {wall['ours'] / wall['bare']:.3f}, "
        f"CPU {cpu['ours'] / cpu['bare']:.3f} (target <= 1.05)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
