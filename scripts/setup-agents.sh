#!/usr/bin/env bash
# Third-party agents the tests drive for real: the Claude Code CLI (npm @anthropic-ai/claude-code,
# a native binary in a platform package; it talks to the loopback Anthropic server of the tests
# through ANTHROPIC_BASE_URL) into .tools/agents. Needs npm on PATH; skipped when present.
# WAVE_SKIP_AGENTS=1 skips it (the tests that need Claude Code then skip, saying so).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${WAVE_SKIP_AGENTS:-}" = 1 ] && exit 0
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
TOOLS=.tools/agents
CLAUDE_CODE=@anthropic-ai/claude-code@2.1.332
if [ "$("$TOOLS/node_modules/.bin/claude" --version 2>/dev/null | cut -d' ' -f1)" != "${CLAUDE_CODE##*@}" ]; then
  echo "setup-agents: installing $CLAUDE_CODE (npm)" >&2
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"private": true}' > "$TOOLS/package.json"
  npm install --loglevel=error --prefix "$TOOLS" "$CLAUDE_CODE"
fi
# The ACP TypeScript SDK: the tests' own ACP client is written on it, so `wave acp` is checked
# by an implementation that is not ours (zod is its peer dependency).
ACP_SDK=@agentclientprotocol/sdk@2.4.0
if ! grep -qs '"version": "2.4.0"' "$TOOLS/node_modules/@agentclientprotocol/sdk/package.json"; then
  echo "setup-agents: installing $ACP_SDK (npm)" >&2
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"private": true}' > "$TOOLS/package.json"
  npm install --loglevel=error --prefix "$TOOLS" "$ACP_SDK" zod@3
fi
# A third-party MCP server (the reference filesystem server) for the MCP client's tests.
MCP_FS=@modelcontextprotocol/server-filesystem@2026.8.31
if ! grep -qs '"version": "2026.8.31"' "$TOOLS/node_modules/@modelcontextprotocol/server-filesystem/package.json"; then
  echo "setup-agents: installing $MCP_FS (npm)" >&2
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"private": true}' > "$TOOLS/package.json"
  npm install --loglevel=error --prefix "$TOOLS" "$MCP_FS"
fi
