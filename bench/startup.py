"""Start -> initialize for `wave lsp`, against a bare pygls server started the same way in the
same run (the baseline: what the protocol library alone costs), and `wave config check` on the
demo workspace against `python -c pass`.

    .venv/bin/python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BARE_SERVER = (
    "from pygls.lsp.server import LanguageServer\nLanguageServer('bare', '0').start_io()\n"
)
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"processId": None, "rootUri": None, "capabilities": {}},
}


def frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def read_response(stream: object) -> dict[str, object]:
    assert hasattr(stream, "readline") and hasattr(stream, "read")
    while True:
        length = 0
        while (line := stream.readline().strip()) != b"":
            if line.lower().startswith(b"content-length"):
                length = int(line.split(b":")[1])
        message: dict[str, object] = json.loads(stream.read(length))
        if message.get("id") == 1:
            return message


def start_to_initialize(command: list[str]) -> float:
    began = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(frame(INITIALIZE))
    process.stdin.flush()
    read_response(process.stdout)
    elapsed = time.perf_counter() - began
    process.kill()
    process.wait()
    return elapsed


def run_time(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True)
    return time.perf_counter() - began


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    python = sys.executable
    wave = str(Path(python).with_name("wave"))

    rows = []
    ours = [start_to_initialize([wave, "lsp", "--stdio"]) for _ in range(runs)]
    bare = [start_to_initialize([python, "-c", BARE_SERVER]) for _ in range(runs)]
    rows.append(("start -> initialize", median(ours), "bare pygls server", median(bare)))
    check = [
        run_time([wave, "config", "check", "--root", str(ROOT / "examples/demo")])
        for _ in range(runs)
    ]
    empty = [run_time([python, "-c", "pass"]) for _ in range(runs)]
    rows.append(("wave config check (demo)", median(check), "python -c pass", median(empty)))

    print(f"{'measure':28} {'ours':>9} {'baseline':>22} {'base':>9} {'ratio':>6}")
    for name, value, base_name, base in rows:
        print(
            f"{name:28} {value * 1000:7.0f}ms {base_name:>22} {base * 1000:7.0f}ms"
            f" {value / base:6.2f}"
        )


if __name__ == "__main__":
    main()
