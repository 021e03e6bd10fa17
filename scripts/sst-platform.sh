#!/usr/bin/env bash
# Prepares .sst/platform: SST's components, their Pulumi SDK and the platform types that
# sst.config.ts is type-checked against (tsconfig.sst.json) and that infra/sst.test.ts runs the
# program with. `sst install` writes it (about a minute, ~300 MB through npm); nothing here needs
# AWS or Pulumi's binaries (see docs in README, "Deploy"). Incremental:
#   - skipped when .sst/platform is complete for the pinned sst version;
#   - else copied from a per-version cache (${XDG_CACHE_HOME:-~/.cache}/ade-cloud/), if present;
#   - else installed, then cached for the next clone on this machine.
# Run by `pnpm typecheck` and scripts/test-tools.sh (so by `pnpm check`).
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(node -p "require('./node_modules/sst/package.json').version")"
want="sst@${version}"
platform=".sst/platform"
stamp="${platform}/.ade-platform"
ready() { [ -f "$1/.ade-platform" ] && [ "$(cat "$1/.ade-platform")" = "$want" ] && [ -f "$1/config.d.ts" ] &&
  [ -f "$1/node_modules/@pulumi/pulumi/package.json" ] && [ -f "$1/node_modules/@pulumi/aws/package.json" ]; }

ready "$platform" && exit 0

cache="${XDG_CACHE_HOME:-$HOME/.cache}/ade-cloud/sst-platform-${version}"
started=$SECONDS
if ready "$cache"; then
  rm -rf "$platform"
  mkdir -p .sst
  cp -a "$cache" "$platform"
  echo "SST platform ${version}: copied from ${cache} ($((SECONDS - started)) s)"
  exit 0
fi

echo "SST platform ${version}: running sst install (about a minute, once per sst version)…"
rm -rf "$platform"
# Without these, every sst command first tries to download Pulumi from outside the registries.
SST_SKIP_DEPENDENCY_CHECK=1 SST_TELEMETRY_DISABLED=1 SST_NO_BUN=1 \
  node_modules/.bin/sst install --stage ci </dev/null
[ -f "${platform}/config.d.ts" ] || { echo "sst install wrote no ${platform}/config.d.ts" >&2; exit 1; }
echo "$want" >"$stamp"
ready "$platform" || { echo "sst install left ${platform} incomplete" >&2; exit 1; }
echo "SST platform ${version}: installed ($((SECONDS - started)) s)"

# Cache it (best effort: a full disk or a read-only home only costs the next clone a minute).
{
  mkdir -p "$(dirname "$cache")" &&
    tmp="$(mktemp -d "${cache}.XXXXXX")" &&
    cp -a "${platform}/." "$tmp/" &&
    { rm -rf "$cache"; mv "$tmp" "$cache"; }
} 2>/dev/null || echo "(could not cache the SST platform in ${cache}; continuing)" >&2
