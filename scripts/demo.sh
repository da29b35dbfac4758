#!/usr/bin/env bash
# The main job: set up, check the demo workspace's configuration, then run the validation rules
# over the bundled project with planted issues (finding them is the expected outcome).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

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
