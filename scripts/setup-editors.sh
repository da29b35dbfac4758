#!/usr/bin/env bash
# The real editors the client tests run in: Debian's Emacs 28 with elpa-eglot, Chromium for
# code-server (VS Code in a browser) and libkrb5-dev to build it; Node 24, code-server and the
# packaged VS Code extension (editor-clients/vscode/build.sh). Neovim 0.11 comes from PyPI with the
# dev dependencies (scripts/setup.sh). Re-running is cheap: each part is skipped when present.
# WAVE_SKIP_EDITORS=1 skips all of it (the editor tests then skip too).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${WAVE_SKIP_EDITORS:-}" = 1 ] && exit 0

DEBIAN_PACKAGES=(emacs-nox elpa-eglot chromium libkrb5-dev)
missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-editors: installing ${missing[*]} (Debian)" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if [ "${WAVE_SKIP_VSCODE:-}" != 1 ]; then
  bash editor-clients/vscode/build.sh
fi
