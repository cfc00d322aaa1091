#!/usr/bin/env bash
# What a new user does on a machine with Node.js and nothing else: a clone, `npm ci`, `npm test`,
# run with only node, npm and a shell on PATH (no sipp, baresip, pocketsphinx, espeak-ng, sox or
# chromium) and no DATABASE_URL, REDIS_URL or MQTT_URL, so every suite that needs one of them
# skips with its reason and the rest, the demo agent's calls included, must pass.
#   bash scripts/fresh-machine.sh [filter ...]   (a clone of the current commit; filters as npm test's)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-fresh-XXXXXX")"
trap 'rm -rf "$work"' EXIT

git clone -q "$root" "$work/switchboard"
mkdir -p "$work/bin" "$work/home"
for tool in node npm npx sh; do
  ln -s "$(command -v "$tool")" "$work/bin/$tool"
done

clean() {
  # Nothing inherited but a PATH of Node.js alone; npm's download cache is shared to save time.
  env -i HOME="$work/home" PATH="$work/bin" TMPDIR="${TMPDIR:-/tmp}" \
    npm_config_cache="${npm_config_cache:-$HOME/.npm}" "$@"
}

cd "$work/switchboard"
printf 'PATH for this run: %s (%s)\n' "$work/bin" "$(ls "$work/bin" | tr '\n' ' ')"
clean npm ci --no-audit --no-fund
clean npm test -- "$@"
