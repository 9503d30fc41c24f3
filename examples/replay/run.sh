#!/usr/bin/env bash
# Record a run once, then replay it without the model and check the screen.
#
# 1. `xtars run` fills in the demo form on a private Xvfb, driven by the
#    scripted model (examples/demo/script.json); the trajectory is recorded.
# 2. `xtars replay --verify` performs the recorded actions again on a fresh
#    Xvfb with a fresh form, comparing the screen with each recorded
#    screenshot before acting (a regression test of the app, without a model).
# 3. The replay's own form output must equal the recorded one.
#
# Adapt it: record once against your real model (xtars run --endpoint ...),
# then replay the trajectory in CI after every change to your app.
# Usage: examples/replay/run.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
out=${2:-$(mktemp -d /tmp/xtars-replay.XXXXXX)}
mkdir -p "$out"
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT INT TERM

"$build/xtars-model-server" --script "$here/../demo/script.json" --port-file "$out/port" >/dev/null &
server_pid=$!
for _ in $(seq 100); do [ -s "$out/port" ] && break; sleep 0.05; done
port=$(cat "$out/port")

app="$build/xtars-demo-app --geometry +320+200 --out"
"$build/xtars" run --quiet --xvfb 1280x800 --launch "$app $out/recorded-form.json" \
    --endpoint "http://127.0.0.1:$port/v1" --out "$out/recorded" \
    "Sign up Ada Lovelace (ada@example.org) for the weekly newsletter."
kill "$server_pid"; server_pid=""

"$build/xtars" replay --quiet --xvfb 1280x800 --launch "$app $out/replayed-form.json" \
    --verify --out "$out/replayed" "$out/recorded"
cmp "$out/recorded-form.json" "$out/replayed-form.json"
echo "replay example: PASS (recorded $out/recorded, replayed $out/replayed)" >&2
