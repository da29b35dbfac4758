#!/usr/bin/env bash
# The whole test suite: set up, then lint, type-check, check the schemas and run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup-editors.sh  # Emacs, Chromium, code-server and the .vsix for the editor tests
bash scripts/setup-agents.sh   # the Claude Code CLI for the coding-agent tests

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy (strict)"
.venv/bin/mypy
echo "== schemas"
.venv/bin/wave schema --check --dir schemas
echo "== pytest"
status=0
.venv/bin/python -m pytest -n 2 "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests" >&2
  exit 1
fi
exit "$status"
