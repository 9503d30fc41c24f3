#!/usr/bin/env bash
# npm_peers.sh: installs the npm packages `make bench` measures xtars against
# (bench/package.json: @ui-tars/action-parser for bench_parse,
# @nut-tree-fork/nut-js and jimp for bench_exec and bench/capture.sh,
# @midscene/core's report writer for bench/report.sh) into
# bench/node_modules, which git ignores. All in one npm call: a second
# `npm install` would prune what the first installed. Does nothing when they
# are there, when NO_NPM is set, or when npm is missing (the benches then
# print "not measured" for those peers). Never fails the bench.
set -uo pipefail
cd "$(dirname "$0")"

[ -n "${NO_NPM:-}" ] && exit 0
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "npm_peers.sh: npm/node not found; the node peers are not measured" >&2
  exit 0
fi
if [ -d node_modules/@ui-tars/action-parser ] && [ -d node_modules/@nut-tree-fork/nut-js ] &&
   [ -d node_modules/jimp ] && [ -d node_modules/@midscene/core ]; then
  exit 0
fi
echo "npm_peers.sh: installing bench/package.json's packages into bench/node_modules" >&2
npm install --no-package-lock --no-audit --no-fund >/dev/null 2>&1 ||
  echo "npm_peers.sh: npm install failed; the node peers that are missing are not measured" >&2
exit 0
