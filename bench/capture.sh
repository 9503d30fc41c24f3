#!/usr/bin/env bash
# capture.sh: `make bench`: builds xtars and bench_capture, prepares a photo
# for the screen content, installs the UI-TARS-desktop screenshot stack
# (npm @nut-tree-fork/nut-js + jimp, bench/npm_peers.sh) into bench/node_modules
# (ignored by git) when npm is present, and runs the benchmark at 1920x1080 and 3840x2160.
# Figures go to stdout; record them in docs/performance.md with the machine.
# Environment: BUILD (default build), SIZES, RUNS, PROCESS_RUNS, NO_NPM=1.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
SIZES=${SIZES:-1920x1080,3840x2160}
RUNS=${RUNS:-31}
PROCESS_RUNS=${PROCESS_RUNS:-11}

cmake -S . -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j 2 --target xtars bench_capture >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

args=(--xtars "$BUILD/xtars" --tmp "$tmp" --sizes "$SIZES" --runs "$RUNS"
      --process-runs "$PROCESS_RUNS" --text-dir capture)

# A photo-like picture (ImageMagick's seeded plasma) for one window in four.
if command -v convert >/dev/null 2>&1 &&
   convert -size 860x440 -seed 7 plasma:fractal "$tmp/photo.png" 2>/dev/null; then
  args+=(--photo "$tmp/photo.png")
else
  echo "capture.sh: ImageMagick convert unavailable; the bench draws its own photo" >&2
fi

# The UI-TARS-desktop pipeline, if npm could install it here.
bench/npm_peers.sh
if [ -d bench/node_modules/@nut-tree-fork/nut-js ] && [ -d bench/node_modules/jimp ]; then
  args+=(--node-script bench/nutjs_shot.js)
else
  echo "capture.sh: nut-js/jimp not installed; the nut-js comparison is not measured" >&2
fi

exec "$BUILD/bench/bench_capture" "${args[@]}"
