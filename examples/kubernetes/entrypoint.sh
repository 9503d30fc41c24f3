#!/bin/sh
# examples/kubernetes/entrypoint.sh: what one pod of the Indexed Job runs
# (docs/scale-out.md). Pod I of N runs `xtars batch --shard I/N` on the shared
# task list and writes to RESULTS/shard-I on the shared volume. A pod that is
# restarted resumes its shard: tasks with a final result are not run again.
#
# Environment (Kubernetes sets JOB_COMPLETION_INDEX; the manifest sets the rest):
#   JOB_COMPLETION_INDEX  this pod's index I (0-based)
#   XTARS_SHARD_COUNT     N, the Job's `completions`
#   XTARS_TASKS           the task list (default /tasks/tasks.jsonl)
#   XTARS_RESULTS         the results volume (default /results)
#   XTARS_JOBS            tasks at once in this pod (default 2)
#   XTARS_BATCH_ARGS      more `xtars batch` options, split on spaces
#   XTARS_STRICT          1: fail the pod when a task did not pass (default 0:
#                         the outcome is in results.jsonl, the pod succeeds)
#   XTARS_BIN             the xtars executable (default: xtars on PATH)
#   XTARS_ENDPOINT, XTARS_MODEL, XTARS_MAX_INFLIGHT_REQUESTS, ... are xtars
#   config keys read by every task (README, configuration).
# Prints xtars batch's JSON summary on stdout. Exit: 0 every task has a final
# result (passed or not); 1 some task did not complete (stopped, crashed,
# error), 3 model endpoint failure, 143 the pod was told to stop: Kubernetes
# retries the index and the new pod resumes the shard; 2 usage or config
# error (the manifest's podFailurePolicy fails the Job: a retry cannot fix
# it); 4 some task failed, only with XTARS_STRICT=1.
set -u

fail_usage() {
    echo "xtars-entrypoint: $*" >&2
    exit 2
}

index=${JOB_COMPLETION_INDEX:-}
count=${XTARS_SHARD_COUNT:-}
tasks=${XTARS_TASKS:-/tasks/tasks.jsonl}
results=${XTARS_RESULTS:-/results}
jobs=${XTARS_JOBS:-2}
xtars=${XTARS_BIN:-xtars}

case $index in ''|*[!0-9]*) fail_usage "JOB_COMPLETION_INDEX must be a number, not '$index' (run me in an Indexed Job)" ;; esac
case $count in ''|*[!0-9]*) fail_usage "XTARS_SHARD_COUNT must be a number, not '$count' (set it to the Job's completions)" ;; esac
case $jobs in ''|*[!0-9]*) fail_usage "XTARS_JOBS must be a number, not '$jobs'" ;; esac
[ "$index" -lt "$count" ] || fail_usage "JOB_COMPLETION_INDEX $index is not below XTARS_SHARD_COUNT $count"
[ -r "$tasks" ] || fail_usage "cannot read the task list $tasks"

out="$results/shard-$index"
echo "xtars-entrypoint: shard $index/$count of $tasks, $jobs at once, results in $out" >&2

# Run in the background so a SIGTERM (pod deletion, eviction) reaches xtars,
# which stops its tasks in order and leaves results.jsonl valid.
# The trap is in place before xtars starts: a signal that arrives in between
# would otherwise end this shell and leave xtars running without its pod.
summary="${TMPDIR:-/tmp}/xtars-summary.$$"
pid=
stopped=0
trap 'stopped=1; [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null' TERM INT
# shellcheck disable=SC2086 # XTARS_BATCH_ARGS is split on purpose
"$xtars" batch --shard "$index/$count" -j "$jobs" --out "$out" ${XTARS_BATCH_ARGS:-} "$tasks" >"$summary" &
pid=$!
# Told to stop while xtars was starting: pass it on now.
[ "$stopped" = 0 ] || kill -TERM "$pid" 2>/dev/null
status=0
wait "$pid" || status=$?
# A trapped signal ends the first wait early: wait for xtars to finish.
while kill -0 "$pid" 2>/dev/null; do
    status=0
    wait "$pid" || status=$?
done
cat "$summary"
not_completed=$(sed -n 's/.*"not_completed": *\([0-9]*\).*/\1/p' "$summary")
rm -f "$summary"

if [ "$stopped" = 1 ]; then
    echo "xtars-entrypoint: stopped; the next pod for index $index resumes the shard" >&2
    exit 143
fi
case $status in
    0) exit 0 ;;
    4) if [ "${not_completed:-0}" != 0 ]; then
           # Stopped, crashed or errored tasks: fail so Kubernetes retries the index.
           echo "xtars-entrypoint: $not_completed tasks did not complete; failing so the index is retried" >&2
           exit 1
       fi
       if [ "${XTARS_STRICT:-0}" = 1 ]; then exit 4; fi
       echo "xtars-entrypoint: some tasks did not pass; see $out/results.jsonl" >&2
       exit 0 ;;
    *) exit "$status" ;;
esac
