"""`wave lsp` against `ruff server`, both started over stdio in the same run, driven by the same
small JSON-RPC client. Prints, for generated Python files of 1k, 10k and 50k lines:

- didOpen -> first diagnostics (cold: the first document after start; warm: later ones, the
  median of 5 per server),
- a burst of 50 incremental edits -> diagnostics for the final version,
- codeAction p50 / p95, and the same while an AI request streams from a loopback model server
  (ours only: the ratio is to our own idle figure),
- start -> initialize,
- peak RSS with 1,000 open 1k-line documents,

and the ratio ours / ruff for each. Figures, not assertions: these machines are noisy.

    .venv/bin/python bench/lsp_bench.py [--quick] [--open-only] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the loopback model server of the tests

WAVE = [str(Path(sys.executable).with_name("wave")), "lsp", "--stdio"]
RUFF = [shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff", "server"]

UNIT = '''import os


def handler_{n}(request, items):
    """Handle one request."""
    total = 0
    for item in items:
        total += len(str(item))
    if request == None:
        return total  # TODO: log this
    return total + {n}


'''


def generate(lines: int) -> str:
    unit_lines = UNIT.count("\n")
    return "".join(UNIT.format(n=n) for n in range(lines // unit_lines + 1))


class Client:
    """A minimal LSP client over a subprocess's stdio."""

    def __init__(self, command: list[str], root: Path, options: Any = None) -> None:
        self.command = command
        self.root = root
        self.options = options
        """initializationOptions (the server's settings)."""
        self.process: asyncio.subprocess.Process | None = None
        self._id = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self.diagnostics: dict[str, list[tuple[int | None, list[Any]]]] = {}
        self._diagnostic_event = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> float:
        began = time.perf_counter()
        self.process = await asyncio.create_subprocess_exec(
            *self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            cwd=self.root,
            limit=2**26,
        )
        self._reader = asyncio.create_task(self._read())
        await self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": self.root.as_uri(),
                "workspaceFolders": [{"uri": self.root.as_uri(), "name": "bench"}],
                "initializationOptions": self.options,
                "capabilities": {
                    "textDocument": {
                        "publishDiagnostics": {"versionSupport": True},
                        "codeAction": {
                            "codeActionLiteralSupport": {
                                "codeActionKind": {"valueSet": ["quickfix", "source.fixAll"]}
                            }
                        },
                        "synchronization": {"didSave": True},
                    },
                    "workspace": {"workspaceEdit": {"documentChanges": True}},
                },
            },
        )
        elapsed = time.perf_counter() - began
        self.notify("initialized", {})
        return elapsed

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process is not None and self.process.stdin is not None
        body = json.dumps(message).encode()
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)

    async def request(self, method: str, params: Any) -> Any:
        self._id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[self._id] = future
        self._send({"jsonrpc": "2.0", "id": self._id, "method": method, "params": params})
        return await asyncio.wait_for(future, 120)

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        stream = self.process.stdout
        while True:
            length = 0
            while True:
                line = await stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length"):
                    length = int(line.split(b":")[1])
            message = json.loads(await stream.readexactly(length))
            if "id" in message and "method" in message:  # a request from the server
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "id" in message:
                future = self._pending.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message.get("result"))
            elif message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                self.diagnostics.setdefault(params["uri"], []).append(
                    (params.get("version"), params["diagnostics"])
                )
                self._diagnostic_event.set()

    async def wait_diagnostics(self, uri: str, version: int) -> float:
        """Wait for diagnostics of ``uri`` at ``version`` (or later); returns when they came."""
        while True:
            for published_version, _ in self.diagnostics.get(uri, []):
                if published_version is None or published_version >= version:
                    return time.perf_counter()
            self._diagnostic_event.clear()
            await asyncio.wait_for(self._diagnostic_event.wait(), 120)

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "python",
                    "version": version,
                    "text": text,
                }
            },
        )

    def peak_rss_mib(self) -> float:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.request("shutdown", None), 10)
            self.notify("exit", None)
        except (TimeoutError, ConnectionError):
            pass
        if self.process is not None:
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
        if self._reader is not None:
            self._reader.cancel()


async def did_open(
    command: list[str], root: Path, text: str, name: str, warm: bool = False, *, samples: int = 5
) -> float:
    """didOpen -> first diagnostics; ``warm``: in a server that has already checked a document
    (what every document but the first sees), the median of ``samples`` documents opened one
    after the other; else the first document after start."""
    client = Client(command, root)
    await client.start()
    if warm:
        warm_up = root / f"warm_{name}"
        warm_up.write_text("x = 1\n")
        client.open(warm_up.as_uri(), "x = 1\n")
        await client.wait_diagnostics(warm_up.as_uri(), 1)
    times = []
    for sample in range(samples if warm else 1):
        path = root / (f"{sample}_{name}" if sample else name)
        path.write_text(text)
        uri = path.as_uri()
        began = time.perf_counter()
        client.open(uri, text)
        times.append(await client.wait_diagnostics(uri, 1) - began)
    await client.stop()
    return statistics.median(times)


async def opened(command: list[str], root: Path, text: str, name: str) -> tuple[Client, str]:
    """A started server with ``text`` open as ``name`` and its first diagnostics in."""
    client = Client(command, root)
    await client.start()
    path = root / name
    path.write_text(text)
    uri = path.as_uri()
    client.open(uri, text)
    await client.wait_diagnostics(uri, 1)
    return client, uri


async def edit_burst(
    command: list[str], root: Path, text: str, name: str, edits: int = 50
) -> float:
    client, uri = await opened(command, root, text, name)
    line = text.count("\n") // 2
    began = time.perf_counter()
    for version in range(2, edits + 2):
        client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [
                    {
                        "range": {
                            "start": {"line": line, "character": 0},
                            "end": {"line": line, "character": 0},
                        },
                        "text": "x",
                    }
                ],
            },
        )
    arrived = await client.wait_diagnostics(uri, edits + 1)
    await client.stop()
    return arrived - began


async def code_actions(
    command: list[str], root: Path, text: str, name: str, count: int = 100
) -> tuple[float, float]:
    client, uri = await opened(command, root, text, name)
    figures = await _sample_code_actions(client, uri, count)
    await client.stop()
    return figures


async def code_actions_while_streaming(
    root: Path, text: str, count: int = 200, rounds: int = 3
) -> tuple[tuple[float, float], tuple[float, float]]:
    """codeAction p50/p95 in a workspace whose model is a loopback OpenAI-protocol server (in a
    process of its own, so as not to share this client's interpreter): idle, then while
    ``wave.ask`` streams an answer from it (a piece every 20 ms, for 8 s), ``rounds`` times;
    the medians of the rounds' figures."""
    ready: multiprocessing.Queue[str] = multiprocessing.Queue()
    model = multiprocessing.Process(target=_slow_model, args=(ready,), daemon=True)
    model.start()
    url = ready.get(timeout=30)
    project = root / "streaming"
    (project / ".wave").mkdir(parents=True, exist_ok=True)
    (project / ".wave" / "config.yaml").write_text(
        "providers:\n  defaultProvider: llm\n  providers:\n    llm:\n      type: openai\n"
        f"      baseUrl: {url}/v1\n      model: gpt-test\n"
        "      providerSpecific: {maxRetries: 0}\n"
    )
    idle: list[tuple[float, float]] = []
    streaming: list[tuple[float, float]] = []
    try:
        client, uri = await opened(WAVE, project, text, "actions.py")
        for _ in range(rounds):
            idle.append(await _sample_code_actions(client, uri, count))
            asking = asyncio.ensure_future(
                client.request(
                    "workspace/executeCommand",
                    {"command": "wave.ask", "arguments": [{"prompt": "Explain.", "uri": uri}]},
                )
            )
            await asyncio.sleep(1.0)  # the request is sent and the answer is flowing
            started = not asking.done()
            streaming.append(await _sample_code_actions(client, uri, count))
            if not (started and not asking.done()):
                print("warning: the answer ended before the samples did", file=sys.stderr)
            await asking
        await client.stop()
    finally:
        model.kill()

    def medians(pairs: list[tuple[float, float]]) -> tuple[float, float]:
        return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)

    return medians(idle), medians(streaming)


def _slow_model(ready: multiprocessing.Queue[str]) -> None:
    from tests.providers.protocol_server import ProtocolServer

    server = ProtocolServer()
    server.state.pieces = 400
    server.state.piece_delay = 0.02
    server.start()
    ready.put(server.url)
    while True:
        time.sleep(3600)


async def _sample_code_actions(client: Client, uri: str, count: int) -> tuple[float, float]:
    samples = []
    for index in range(count):
        line = (index * 7) % 10
        params = {
            "textDocument": {"uri": uri},
            "range": {
                "start": {"line": line, "character": 0},
                "end": {"line": line + 1, "character": 0},
            },
            "context": {"diagnostics": []},
        }
        began = time.perf_counter()
        await client.request("textDocument/codeAction", params)
        samples.append(time.perf_counter() - began)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def import_time() -> float:
    """A fresh interpreter importing the LSP library (pygls and lsprotocol) and exiting: the
    least any pygls server can take from start to initialize."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import pygls.lsp.server"], check=True)
    return time.perf_counter() - began


async def start_time(command: list[str], root: Path) -> float:
    client = Client(command, root)
    elapsed = await client.start()
    await client.stop()
    return elapsed


async def memory(command: list[str], root: Path, documents: int) -> float:
    client = Client(command, root)
    await client.start()
    text = generate(1000)
    last = ""
    for index in range(documents):
        last = (root / f"mem_{index}.py").as_uri()
        client.open(last, text)
    await client.wait_diagnostics(last, 1)
    await asyncio.sleep(1.0)
    rss = client.peak_rss_mib()
    await client.stop()
    return rss


def row(name: str, ours: float, ruff: float, unit: str = "ms") -> None:
    scale = 1000 if unit == "ms" else 1
    ratio = ours / ruff if ruff else float("nan")
    print(
        f"{name:44} {ours * scale:10.1f} {unit:3} {ruff * scale:10.1f} {unit:3} {ratio:7.2f}",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="1k and 10k lines only, 200 documents")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--open-only", action="store_true", help="the didOpen figures only")
    arguments = parser.parse_args()
    sizes = [1000, 10_000] if arguments.quick else [1000, 10_000, 50_000]
    documents = 200 if arguments.quick else 1000

    def median_of(values: list[float]) -> float:
        return statistics.median(values)

    print(f"{'measure':44} {'wave':>14} {'ruff server':>14} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        for size in sizes:
            text = generate(size)
            ours = [
                await did_open(WAVE, root, text, f"open_{size}.py") for _ in range(arguments.runs)
            ]
            theirs = [
                await did_open(RUFF, root, text, f"open_{size}.py") for _ in range(arguments.runs)
            ]
            row(f"didOpen -> diagnostics, {size} lines (cold)", median_of(ours), median_of(theirs))
            ours = [
                await did_open(WAVE, root, text, f"open_{size}.py", True)
                for _ in range(arguments.runs)
            ]
            theirs = [
                await did_open(RUFF, root, text, f"open_{size}.py", True)
                for _ in range(arguments.runs)
            ]
            row(f"didOpen -> diagnostics, {size} lines (warm)", median_of(ours), median_of(theirs))
        if arguments.open_only:
            return
        for size in sizes:
            text = generate(size)
            ours = [
                await edit_burst(WAVE, root, text, f"burst_{size}.py")
                for _ in range(arguments.runs)
            ]
            theirs = [
                await edit_burst(RUFF, root, text, f"burst_{size}.py")
                for _ in range(arguments.runs)
            ]
            row(f"50 edits -> final diagnostics, {size} lines", median_of(ours), median_of(theirs))
        text = generate(1000)
        ours_p50, ours_p95 = await code_actions(WAVE, root, text, "actions.py")
        ruff_p50, ruff_p95 = await code_actions(RUFF, root, text, "actions.py")
        row("codeAction p50 (1k lines)", ours_p50, ruff_p50)
        row("codeAction p95 (1k lines)", ours_p95, ruff_p95)
        (idle_p50, idle_p95), (busy_p50, busy_p95) = await code_actions_while_streaming(root, text)
        print(f"{'codeAction while a model answer streams':44} {'wave':>14} {'wave idle':>14}")
        row("  p50", busy_p50, idle_p50)
        row("  p95", busy_p95, idle_p95)
        # interleaved, so a slow moment of the machine falls on both sides alike
        ours, theirs, floor = [], [], []
        for _ in range(max(arguments.runs, 5)):
            ours.append(await start_time(WAVE, root))
            theirs.append(await start_time(RUFF, root))
            floor.append(import_time())
        row("start -> initialize", median_of(ours), median_of(theirs))
        print(f"{'start -> initialize vs. importing pygls':44} {'wave':>14} {'import':>14}")
        row("  (python -c 'import pygls.lsp.server')", median_of(ours), median_of(floor))
        row(
            f"peak RSS, {documents} open 1k-line documents",
            await memory(WAVE, root, documents),
            await memory(RUFF, root, documents),
            unit="MiB",
        )


if __name__ == "__main__":
    asyncio.run(main())
