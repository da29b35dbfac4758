#!/usr/bin/env bash
# The main job: set up (including the embedded model), ask it a question (a real answer, streamed,
# offline, no key), then check the demo workspace's configuration and run the validation rules
# over the bundled project with planted issues (finding them is the expected outcome).
#   bash scripts/demo.sh ["your question"]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

question=${1:-"In two sentences: what is a language server?"}
echo "== wave ask \"$question\"   (the embedded SmolLM2-135M-Instruct; no provider configured)"
.venv/bin/wave ask --root examples/ask --max-tokens 120 "$question"

echo "== wave config check --root examples/demo"
.venv/bin/wave config check --root examples/demo

echo "== wave check --root examples/planted"
status=0
.venv/bin/wave check --root examples/planted || status=$?
if [ "$status" -ne 1 ]; then
  echo "demo: expected wave check to find the planted issues (exit 1), got exit $status" >&2
  exit 1
fi
echo "demo: the planted issues were found, as expected"
