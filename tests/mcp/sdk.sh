#!/bin/sh
# sdk.sh DIR: makes sure DIR/node_modules holds the pinned MCP TypeScript SDK
# (npm @modelcontextprotocol/sdk) for tests/mcp/client.cjs. Installs it with
# npm when it is missing or another version; once installed (or in npm's
# cache) no network is needed. Parallel test cases share DIR: a lock keeps
# them from installing at the same time. Exit 0 when the SDK is there.
set -eu
version=1.32.2
dir=$1
marker="$dir/node_modules/@modelcontextprotocol/sdk/package.json"
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [ -f "$marker" ] && grep -q "\"version\": \"$version\"" "$marker"; then
  exit 0
fi
npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --prefer-offline \
  "@modelcontextprotocol/sdk@$version" >&2
grep -q "\"version\": \"$version\"" "$marker"
