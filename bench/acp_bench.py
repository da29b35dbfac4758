"""What ``wave acp`` adds before the first word: the time from ``session/prompt`` to the first
``agent_message_chunk`` at an ACP client (the protocol's Python SDK), minus the provider's own
time to first token, measured with the bare ``openai`` SDK against the same loopback server in
the same run (target: <= 5 ms). Samples alternate (ACP, bare, ACP, ...) so that a slow moment of
the machine falls on both; each ACP sample is a fresh session (the same request every time).

The difference holds Wave's whole request path: the JSON-RPC hop to the agent and back, the
session's persona and guard, the agent's set-up, the request's build (tools, history,
redaction) and the provider layer.

    .venv/bin/python bench/acp_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from acp.schema import ClientCapabilities, RequestPermissionResponse
from openai import AsyncOpenAI

from acp import PROTOCOL_VERSION, spawn_agent_process, text_block

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.providers.protocol_server import ProtocolServer  # noqa: E402

PROMPT = "Say hello."
WAVE = str(Path(sys.executable).with_name("wave"))


def serve(ready: multiprocessing.Queue[str]) -> None:
    server = ProtocolServer()
    server.state.answer = "Hello there, how can I help?"
    server.state.pieces = 8
    server.start()
    ready.put(server.url)
    while True:
        time.sleep(3600)


class Client:
    """An editor that only listens: it notes when the first chunk arrives."""

    def __init__(self) -> None:
        self.first: asyncio.Future[float] | None = None

    async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
        if update.session_update == "agent_message_chunk" and self.first and not self.first.done():
            self.first.set_result(time.perf_counter())

    async def request_permission(self, **kwargs: Any) -> RequestPermissionResponse:
        raise AssertionError("no tool is called here")

    def on_connect(self, conn: Any) -> None:
        pass


async def bare(client: AsyncOpenAI) -> float:
    began = time.perf_counter()
    stream = await client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": PROMPT}], stream=True
    )
    first = 0.0
    async for chunk in stream:
        if not first and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter() - began
    return first


async def through_acp(conn: Any, client: Client, root: Path) -> float:
    session = await conn.new_session(cwd=str(root), mcp_servers=[])
    client.first = asyncio.get_running_loop().create_future()
    began = time.perf_counter()
    response = await conn.prompt(session_id=session.session_id, prompt=[text_block(PROMPT)])
    assert response.stop_reason == "end_turn", response
    return await client.first - began


async def measure(url: str, runs: int, root: Path) -> dict[str, list[float]]:
    (root / ".wave").mkdir()
    (root / ".wave" / "config.yaml").write_text(
        textwrap.dedent(f"""
        providers:
          defaultProvider: llm
          providers:
            llm: {{type: openai, baseUrl: "{url}/v1", model: gpt-test,
                   providerSpecific: {{maxRetries: 0}}}}
        """)
    )
    env = {**os.environ, "XDG_STATE_HOME": str(root.parent / "state")}
    sdk = AsyncOpenAI(api_key="unused", base_url=f"{url}/v1", max_retries=0)
    client = Client()
    results: dict[str, list[float]] = {"acp": [], "bare": []}
    async with spawn_agent_process(client, WAVE, "acp", cwd=root, env=env) as (conn, _):  # type: ignore[arg-type]
        await conn.initialize(
            protocol_version=PROTOCOL_VERSION, client_capabilities=ClientCapabilities()
        )
        for _ in range(3):  # warm both paths (imports, connections)
            await through_acp(conn, client, root)
            await bare(sdk)
        for run in range(runs):
            for name in ("acp", "bare") if run % 2 == 0 else ("bare", "acp"):
                value = await (through_acp(conn, client, root) if name == "acp" else bare(sdk))
                results[name].append(value)
    await sdk.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    arguments = parser.parse_args()
    ready: multiprocessing.Queue[str] = multiprocessing.Queue()
    process = multiprocessing.Process(target=serve, args=(ready,), daemon=True)
    process.start()
    try:
        url = ready.get(timeout=30)
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / "project"
            root.mkdir()
            results = asyncio.run(measure(url, arguments.runs, root))
    finally:
        process.terminate()
    print(f"session/prompt -> first agent_message_chunk, {arguments.runs} samples each:")
    for name, label in (("bare", "bare SDK time to first token"), ("acp", "wave acp")):
        values = sorted(results[name])
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(f"  {label:30} p50 {statistics.median(values) * 1000:7.2f} ms  "
              f"p95 {p95 * 1000:7.2f} ms")  # fmt: skip
    added = statistics.median(results["acp"]) - statistics.median(results["bare"])
    pairs = sorted(a - b for a, b in zip(results["acp"], results["bare"], strict=True))
    print(f"  added by wave acp (p50 difference): {added * 1000:.2f} ms; "
          f"paired p50 {statistics.median(pairs) * 1000:.2f} ms (target <= 5 ms)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
