#!/usr/bin/env bash
# mcp.sh: `make bench`: per-call cost of `xtars mcp` next to an xdotool+scrot
# MCP server, both driven by the official MCP TypeScript SDK client
# (bench/bench_mcp.cjs). Builds xtars, installs the SDK pinned by
# tests/mcp/sdk.sh into $BUILD/mcp-sdk, starts a private Xvfb (-displayfd)
# of $SCREEN, paints a desktop on it (a gradient, a terminal full of source
# code, a photo-like picture, the xterm that receives the input: `cat` into
# /dev/null) and runs the bench. Figures go to stdout (docs/performance.md).
# Needs node, npm, Xvfb, xterm, xdotool, scrot, ImageMagick (make deps).
# Environment: BUILD (default build), SCREEN (1920x1080), RUNS, WARMUP.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
SCREEN=${SCREEN:-1920x1080}
width=${SCREEN%x*}
height=${SCREEN#*x}

for program in node npm Xvfb xterm xdotool scrot convert display; do
  command -v "$program" >/dev/null || { echo "mcp.sh: $program not found (make deps)" >&2; exit 1; }
done
cmake -S . -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j 2 --target xtars >/dev/null
BUILD=$(cd "$BUILD" && pwd) # absolute from here on: BUILD=/tmp/b works as well as BUILD=build
sh tests/mcp/sdk.sh "$BUILD/mcp-sdk" >/dev/null

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

. bench/xdesktop.sh
xdesktop_start mcp.sh "${width}x${height}"
convert -size 860x440 -seed 7 plasma:fractal "$tmp/photo.png"
xdesktop_show "$tmp/photo.png" +1000+40
xterm -geometry 120x62+10+10 -e sh -c 'cat agent/mcp/tools.c; exec sleep 100000' 2>/dev/null &
pids+=($!)
# The input target: its centre is (TARGET_X, TARGET_Y).
xterm -geometry 100x24+1000+560 -e sh -c 'exec cat >/dev/null' 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do
  [ "$(xdotool search --onlyvisible --class xterm 2>/dev/null | wc -l)" -ge 2 ] && break
  sleep 0.1
done
sleep 1

status=0
XTARS_BIN="$BUILD/xtars" NODE_PATH="$BUILD/mcp-sdk/node_modules" SCREEN="$SCREEN" \
  TARGET_X=1300 TARGET_Y=750 node bench/bench_mcp.cjs || status=$?
exit $status
