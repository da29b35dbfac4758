#!/usr/bin/env bash
# The main job: set up, then validate the bundled example workspace with `wave config check`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/wave config check --root examples/demo
