#!/bin/sh
# examples/kubernetes/check/pod.sh: test-image.sh runs a pod of the Indexed
# Job as `tini -- /bin/sh pod.sh ENTRYPOINT`: the image's own ENTRYPOINT with
# this in between, which starts the scripted model server (the image's
# xtars-model-server, on 127.0.0.1) in place of the cluster's model Service,
# points XTARS_ENDPOINT at it, and stops it when the pod ends. A SIGTERM (the
# pod deleted) is passed on to the entrypoint, as tini would pass it.
# Needs $XTARS_TEST_SCRIPT (the server's script).
set -u
port_file="${TMPDIR:-/tmp}/xtars-model-port.$$"
xtars-model-server --script "$XTARS_TEST_SCRIPT" --port-file "$port_file" >/dev/null &
server=$!
for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.05; done
[ -s "$port_file" ] || { echo "pod.sh: the scripted model server did not start" >&2; exit 1; }
XTARS_ENDPOINT="http://127.0.0.1:$(cat "$port_file")/v1"
export XTARS_ENDPOINT
rm -f "$port_file"

pid=
trap '[ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null' TERM INT
"$@" &
pid=$!
status=0
wait "$pid" || status=$?
while kill -0 "$pid" 2>/dev/null; do
    status=0
    wait "$pid" || status=$?
done
kill -TERM "$server" 2>/dev/null
wait "$server" 2>/dev/null
exit "$status"
