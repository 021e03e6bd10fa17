#!/usr/bin/env bash
# Tools the test suite needs beyond Node and Java, installed if missing (part of `pnpm check`, so
# a fresh machine of this kind needs nothing done by hand): Debian's Chromium for the real-browser
# test of the web-authentication page (Playwright cannot download its own browser here), Python 3
# for the plistlib cross-checks, and SST's platform for the offline infra checks.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "Chromium is missing: run 'sudo apt-get install -y chromium' (needed by test/e2e/auth-browser.test.ts)." >&2
    exit 1
  fi
  echo "Installing Debian's chromium (about a minute)…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# Python 3: the property-list tests cross-check our reader and writer against its plistlib.
if ! command -v python3 >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "Python 3 is missing: run 'sudo apt-get install -y python3' (needed by the plist cross-checks)." >&2
    exit 1
  fi
  echo "Installing Debian's python3…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 >/dev/null
fi

# SST's platform (components, Pulumi SDK, types) for the offline infra checks: type-checking
# sst.config.ts and running it under Pulumi's mocks (infra/sst.test.ts). Incremental.
bash "$(dirname "$0")/sst-platform.sh"
