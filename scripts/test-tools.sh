#!/usr/bin/env bash
# Tools the test suite needs beyond Node and Java, installed if missing (part of `pnpm check`, so
# a fresh machine of this kind needs nothing done by hand): Debian's Chromium for the real-browser
# test of the web-authentication page (Playwright cannot download its own browser here), and SST's
# platform for the offline infra checks.
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

# SST's platform (components, Pulumi SDK, types) for the offline infra checks: type-checking
# sst.config.ts and running it under Pulumi's mocks (infra/sst.test.ts). Incremental.
bash "$(dirname "$0")/sst-platform.sh"
