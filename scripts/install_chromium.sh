#!/usr/bin/env bash
# Installs Chromium from the system packages, once. The tests that drive a real headless browser
# (/docs, and the web console: tests/acceptance/test_console_ui.py) launch it with Playwright (from
# PyPI) through `executable_path`, so Playwright's own browser download is never needed. Idempotent: does nothing when
# chromium is present.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install_chromium.sh: chromium is missing and this user cannot install packages (not root, no sudo)" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null

command -v chromium >/dev/null 2>&1 || { echo "install_chromium.sh: chromium still missing after apt-get install" >&2; exit 1; }
