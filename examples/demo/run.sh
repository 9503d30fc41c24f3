#!/usr/bin/env bash
# The embedded default behind `make demo`: the scripted model server answers
# with examples/demo/script.json while `xtars task` fills in the demo form on a
# private Xvfb, checks what the form submitted, and writes a report.
# Usage: examples/demo/run.sh [BUILD_DIR] [extra xtars task options...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
shift || true
work=$(mktemp -d /tmp/xtars-demo.XXXXXX)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$build/xtars-model-server" --script "$here/script.json" --port-file "$work/port" --log "$work/requests.jsonl" >/dev/null &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || { echo "demo: the scripted model server did not start" >&2; exit 1; }
port=$(cat "$work/port")

echo "xtars demo: a scripted model fills in a sign-up form on a private 1280x800 Xvfb" >&2
set +e
"$build/xtars" task --endpoint "http://127.0.0.1:$port/v1" --out "${XTARS_DEMO_OUT:-runs}" "$@" \
    "$here/task.json" > "$work/result.json"
status=$?
set -e
cat "$work/result.json"
report=$(sed -n 's/.*"report": "\([^"]*\)".*/\1/p' "$work/result.json")
[ -n "$report" ] && report=$(realpath "$report")
if [ "$status" = 0 ]; then
    echo "xtars demo: PASS. Open the report: $report" >&2
else
    echo "xtars demo: FAIL (exit $status)${report:+. Report: $report}" >&2
fi
exit "$status"
