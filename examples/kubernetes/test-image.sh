#!/usr/bin/env bash
# examples/kubernetes/test-image.sh: everything of docs/scale-out.md below the
# cluster, run here without a daemon or a registry (.ci/run runs it after the
# test suite; it needs root):
#   1. a local debian:12 base image, made with debootstrap when missing (the
#      rootfs is cached in $XTARS_CI_CACHE, default /var/cache/xtars-ci);
#   2. the worker image built from the Dockerfile with `buildah bud`, from the
#      tracked files only (what a clean clone has);
#   3. the image itself: its user, entrypoint, programs, no build tools;
#   4. job.yaml and merge-job.yaml against the Kubernetes API schema and
#      against the Dockerfile and entrypoint.sh (check/check-manifests.mjs,
#      which must also fail on broken copies);
#   5. the Indexed Job's pods as containers of the image: completions pods of a
#      6-task list (the demo form task), the environment job.yaml sets, the
#      mounts it declares, a shared results directory; one pod is told to stop
#      (SIGTERM, as `kubectl delete pod`) mid-shard and a new one resumes its
#      shard; then merge-job.yaml's command must give one results.jsonl and
#      index.html with every task exactly once.
# Exit 0 when all holds; 1 with the reason otherwise. XTARS_IMAGE names the
# image (default localhost/xtars:ci); XTARS_DEBIAN_MIRROR overrides the mirror
# debootstrap uses (default: the host's apt source); XTARS_TEST_KEEP=1 keeps
# the scratch directory (pods' output, volumes) for a look afterwards.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${XTARS_CI_CACHE:-/var/cache/xtars-ci}
image=${XTARS_IMAGE:-localhost/xtars:ci}
base=localhost/debian:12
work=$(mktemp -d /tmp/xtars-image.XXXXXX)
containers=()
pods=()

log() { echo "test-image: $*" >&2; }
die() { log "FAIL: $*"; exit 1; }
cleanup() {
    local c p
    for p in "${pods[@]}"; do kill "$p" 2>/dev/null || true; done
    for c in "${containers[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
    if [ "${XTARS_TEST_KEEP:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
step_start=$SECONDS
step() { log "$* ($((SECONDS - step_start)) s so far)"; }

# ---- tools ----
[ "$(id -u)" = 0 ] || die "run me as root (buildah with chroot isolation, debootstrap)"
missing=""
command -v buildah >/dev/null || missing="$missing buildah"
command -v debootstrap >/dev/null || missing="$missing debootstrap"
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed for the manifest check"
if [ -n "$missing" ]; then
    log "installing$missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null \
        || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
             apt-get install -y -q --no-install-recommends $missing >/dev/null; } \
        || die "cannot install$missing"
fi
mkdir -p "$cache"

# ---- 1. the base image ----
host_mirror() {
    local m=""
    if [ -r /etc/apt/sources.list.d/debian.sources ]; then
        m=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources | grep -v security | head -n1)
    fi
    if [ -z "$m" ] && [ -r /etc/apt/sources.list ]; then
        m=$(awk '$1 == "deb" && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
    fi
    echo "$m"
}
make_base() {
    local tarball="$cache/debian-12-rootfs.tar" rootfs="$work/rootfs" mirror ctr mnt
    if [ ! -s "$tarball" ]; then
        mirror=${XTARS_DEBIAN_MIRROR:-$(host_mirror)}
        [ -n "$mirror" ] || die "no Debian mirror: set XTARS_DEBIAN_MIRROR"
        log "debootstrap: a minimal Debian 12 rootfs (once per machine, cached in $tarball)"
        debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
            || { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
        # The host's apt sources (bookworm, -updates, -security), as the
        # official image has them, when the host is a Debian 12 too.
        if grep -qs '^Suites:.*bookworm' /etc/apt/sources.list.d/debian.sources; then
            cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/debian.sources"
            rm -f "$rootfs/etc/apt/sources.list"
        fi
        rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
        tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
        rm -rf "$rootfs"
    fi
    log "importing the cached rootfs as $base"
    ctr=$(buildah from scratch)
    containers+=("$ctr")
    mnt=$(buildah mount "$ctr")
    tar -C "$mnt" -xf "$tarball"
    buildah umount "$ctr" >/dev/null
    buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --cmd '["bash"]' "$ctr"
    buildah commit --quiet --rm "$ctr" "$base" >/dev/null
}
buildah inspect --type image "$base" >/dev/null 2>&1 || make_base
step "base image $base ready"

# ---- 2. the worker image ----
# The tracked files (and new ones not ignored), as a clean clone has them:
# no build directories, nothing local.
context="$work/context"
mkdir -p "$context"
(cd "$root" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf -) | tar -C "$context" -xf -
log "building $image (log: $cache/build.log)"
if ! buildah bud --isolation chroot --pull=never --layers \
        -f examples/kubernetes/Dockerfile -t "$image" "$context" >"$cache/build.log" 2>&1; then
    tail -n 40 "$cache/build.log" >&2
    die "the image does not build (whole log: $cache/build.log)"
fi
size=$(buildah images --noheading --format '{{.Size}}' "$image" | head -n1)
step "built $image, $size"

# ---- 3. the image ----
dockerfile="$here/Dockerfile"
uid=$(sed -n 's/^USER \([0-9]*\)$/\1/p' "$dockerfile" | tail -n1)
[ -n "$uid" ] || die "the Dockerfile has no numeric USER"
buildah inspect --type image "$image" >"$work/inspect.json" || die "cannot inspect $image"
image_config() { node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1])).OCIv1.config;
                          console.log(JSON.stringify(c[process.argv[2]] ?? null))' "$work/inspect.json" "$1"; }
[ "$(image_config User)" = "\"$uid\"" ] || die "the image's user is $(image_config User), not $uid"
entrypoint_json=$(image_config Entrypoint)
mapfile -t entrypoint < <(node -e 'for (const a of JSON.parse(process.argv[1])) console.log(a)' "$entrypoint_json")
[ "${#entrypoint[@]}" -ge 2 ] && [ "${entrypoint[1]}" = "--" ] || die "the ENTRYPOINT is not tini -- ...: $entrypoint_json"
ctr=$(buildah from --pull=never "$image")
containers+=("$ctr")
buildah run --isolation chroot "$ctr" -- /bin/sh -c '
    set -e
    [ "$(id -u)" = "$1" ] || { echo "runs as $(id -u), not $1"; exit 1; }
    for p in "$2" "$3" xtars xtars-model-server xtars-demo-app Xvfb xauth; do
        command -v "$p" >/dev/null || { echo "no $p in the image"; exit 1; }
    done
    tools=$(dpkg-query -W -f "\${Package}\n" | grep -E "(-dev|^(gcc|g\+\+|cpp|clang|cmake|make|build-essential)(-[0-9]+)?)$" || true)
    [ -z "$tools" ] || { echo "build tools in the final image:" $tools; exit 1; }
    xtars version >/dev/null
' sh "$uid" "${entrypoint[0]}" "${entrypoint[-1]}" || die "the image is not as the Dockerfile says"
buildah run --isolation chroot "$ctr" -- xtars config --print >"$work/config.json"
step "the image runs as $uid with ${entrypoint[*]}, no build tools"

# ---- 4. the manifests ----
npm_dir="$cache/manifest-check"
if ! cmp -s "$here/check/package-lock.json" "$npm_dir/package-lock.json" || [ ! -d "$npm_dir/node_modules" ]; then
    log "npm ci: kubernetes-models and yaml into $npm_dir (once, then cached)"
    rm -rf "$npm_dir" && mkdir -p "$npm_dir"
    cp "$here/check/package.json" "$here/check/package-lock.json" "$npm_dir/"
    (cd "$npm_dir" && npm ci --no-audit --no-fund --prefer-offline >"$work/npm.log" 2>&1) \
        || { cat "$work/npm.log" >&2; rm -rf "$npm_dir"; die "npm ci failed"; }
fi
# ES modules resolve packages from the script's own directory.
cp "$here/check/check-manifests.mjs" "$here/check/pod-spec.mjs" "$npm_dir/"
node "$npm_dir/check-manifests.mjs" "$here" "$work/config.json" || die "the manifests do not check"
# The check must be able to fail: each of these breaks one agreement.
mutations=(
    'job.yaml|s/fsGroup: 10001/fsGroup: 10002/'
    'Dockerfile|s/^USER \(.*\)$/USER 4242/'
    'job.yaml|s/name: XTARS_JOBS /name: XTARS_JOB /'
    'job.yaml|s/completionMode: Indexed/completionMod: Indexed/'
    'merge-job.yaml|s|/results/shard-\*|/results/shards-*|'
    'entrypoint.sh|s/XTARS_TASKS:-/XTARS_TASK_LIST:-/'
)
for m in "${mutations[@]}"; do
    file=${m%%|*}
    mkdir -p "$work/broken"
    cp "$here/Dockerfile" "$here/entrypoint.sh" "$here/job.yaml" "$here/merge-job.yaml" "$work/broken/"
    sed -i "${m#*|}" "$work/broken/$file"
    ! cmp -s "$work/broken/$file" "$here/$file" || die "mutation '$m' changed nothing: update the list"
    if node "$npm_dir/check-manifests.mjs" "$work/broken" "$work/config.json" 2>/dev/null; then
        die "check-manifests.mjs accepts $file broken by '${m#*|}'"
    fi
done
step "manifests: schema and agreement checked, ${#mutations[@]} broken copies refused"

# ---- 5. the Job's pods ----
completions=""
pod_env=()
declare -A mount_of=() merge_mount_of=()
merge_argv_json=""
while read -r kind rest; do
    case $kind in
        completions) completions=$rest ;;
        env) pod_env+=(--env "$rest") ;;
        from) log "pods: $rest comes from a Secret in job.yaml; unset here" ;;
        mount) read -r name path mode <<<"$rest"; mount_of[$name]="$path:$mode" ;;
        mergemount) read -r name path mode <<<"$rest"; merge_mount_of[$name]="$path:$mode" ;;
        merge) merge_argv_json=$rest ;;
    esac
done < <(node "$npm_dir/pod-spec.mjs" "$here")
[ -n "$completions" ] && [ -n "${mount_of[tasks]:-}" ] && [ -n "${mount_of[results]:-}" ] \
    || die "pod-spec.mjs: no completions or no tasks/results mounts in job.yaml"
env_value() { local e; for e in "${pod_env[@]}"; do case $e in "$1"=*) echo "${e#*=}"; return ;; esac; done; }
tasks_path=$(env_value XTARS_TASKS)
results_path=$(env_value XTARS_RESULTS)
[ -n "$tasks_path" ] && [ -n "$results_path" ] || die "job.yaml sets no XTARS_TASKS or XTARS_RESULTS"
tasks_mount=${mount_of[tasks]%:*}
results_mount=${mount_of[results]%:*}
[ "$results_path" = "$results_mount" ] || die "XTARS_RESULTS $results_path is not the results mount $results_mount"
case $tasks_path in "$tasks_mount"/*) ;; *) die "XTARS_TASKS $tasks_path is not under $tasks_mount" ;; esac

# The volumes: the tasks (the ConfigMap's place) and the shared results.
# The task list: the demo form task six times, and the scripted model's
# replies. The demo's background (xsetroot) is left out: the image has no
# x11-xserver-utils, which would bring the C preprocessor with it.
tasks_dir="$work/volumes/tasks"
results_dir="$work/volumes/results"
model_dir="$work/model"
mkdir -p "$tasks_dir" "$results_dir" "$model_dir"
chown "$uid:$uid" "$results_dir"    # what fsGroup does for the claim
cp "$here/check/pod.sh" "$model_dir/"
node - "$root/examples/demo/task.json" "$tasks_dir" "$tasks_path" "$model_dir/script.json" <<'EOF'
const fs = require("fs"), path = require("path");
const [demo, dir, listPath, scriptPath] = process.argv.slice(2);
const task = JSON.parse(fs.readFileSync(demo, "utf8"));
task.setup = task.setup.filter((s) => !/^xsetroot\b/.test(s.launch ?? ""));
fs.writeFileSync(path.join(dir, "signup.json"), JSON.stringify(task, null, 2) + "\n");
let list = "";
for (let i = 1; i <= 6; i++) list += JSON.stringify({ id: `signup-${i}`, task_file: "signup.json" }) + "\n";
fs.writeFileSync(path.join(dir, path.basename(listPath)), list);
// One reply does the whole form (the demo script's actions, in one step), so
// two tasks of a pod can share the sequential script. The second request a
// server gets waits 8 s: the window in which one pod is stopped mid-shard.
const reply = "Thought: The form is empty. I will fill in the name and the email, tick the " +
  "newsletter box and submit.\nAction: click(start_box='(564,323)')\n\ntype(content='Ada Lovelace')" +
  "\n\nclick(start_box='(564,404)')\n\ntype(content='ada@example.org')\n\n" +
  "click(start_box='(374,459)')\n\nclick(start_box='(433,518)')\n\n" +
  "finished(content='Ada Lovelace is signed up for the weekly newsletter.')";
fs.writeFileSync(scriptPath, JSON.stringify([{ reply }, { reply, delay_ms: 8000 }, { reply, repeat: 1000 }]));
EOF
[ "$(dirname "$tasks_path")" = "$tasks_mount" ] || die "the test puts the list at the top of the tasks volume; XTARS_TASKS is $tasks_path"

# start_pod INDEX ATTEMPT: a pod for the index, in the background; its
# buildah pid in pod_pid. The image's ENTRYPOINT, with pod.sh in between, the
# environment and mounts of job.yaml, JOB_COMPLETION_INDEX as Kubernetes sets
# it. TINI_SUBREAPER: chroot isolation has no PID namespace, so tini is not
# PID 1 here and must be told to reap what is orphaned under it.
start_pod() {
    local index=$1 attempt=$2 ctr
    ctr=$(buildah from --pull=never "$image")
    containers+=("$ctr")
    buildah run --isolation chroot \
        -v "$tasks_dir:$tasks_mount:${mount_of[tasks]##*:}" \
        -v "$results_dir:$results_mount:${mount_of[results]##*:}" \
        -v "$model_dir:/xtars-test:ro" \
        "${pod_env[@]}" --env "JOB_COMPLETION_INDEX=$index" --env XTARS_TEST_SCRIPT=/xtars-test/script.json \
        --env TINI_SUBREAPER=1 \
        "$ctr" -- "${entrypoint[@]:0:2}" /bin/sh /xtars-test/pod.sh "${entrypoint[@]:2}" \
        >"$work/pod-$index-$attempt.out" 2>"$work/pod-$index-$attempt.err" &
    pod_pid=$!
    pods+=("$pod_pid")
}
# The host pid of a pod's PID 1 (tini): buildah run has it as a descendant.
pod_init() {
    local queue=("$1") p c
    while [ "${#queue[@]}" -gt 0 ]; do
        p=${queue[0]}; queue=("${queue[@]:1}")
        for c in $(ps -o pid= --ppid "$p"); do
            if [ "$(cat "/proc/$c/comm" 2>/dev/null)" = "$(basename "${entrypoint[0]}")" ]; then echo "$c"; return; fi
            queue+=("$c")
        done
    done
}
lines() { if [ -f "$1" ]; then grep -c . "$1" || true; else echo 0; fi; }
pod_failed() { log "pod $1 (attempt $2): stderr:"; tail -n 30 "$work/pod-$1-$2.err" >&2; die "$3"; }

victim=1
declare -A pid_of=()
for ((i = 0; i < completions; i++)); do start_pod "$i" 1; pid_of[$i]=$pod_pid; done
log "pods: $completions pods of the image running, $(env_value XTARS_JOBS) tasks at once each"
# Pod $victim is deleted once its shard has one result and before it has all.
shard="$results_dir/shard-$victim/results.jsonl"
for _ in $(seq 600); do [ "$(lines "$shard")" -ge 1 ] && break; sleep 0.1; done
[ "$(lines "$shard")" = 1 ] || pod_failed "$victim" 1 "pod $victim: no first result to stop after"
init=$(pod_init "${pid_of[$victim]}")
[ -n "$init" ] || die "pod $victim: no ${entrypoint[0]} process to signal"
kill -TERM "$init"
log "pods: pod $victim told to stop (SIGTERM to its PID 1) with 1 task of its shard done"
status=0; wait "${pid_of[$victim]}" || status=$?
[ "$status" = 143 ] || pod_failed "$victim" 1 "the stopped pod exited $status, not 143 (Kubernetes would not retry the index)"
grep -q '"status": "stopped"' "$shard" || die "the stopped pod recorded no stopped task: $(cat "$shard")"
for ((i = 0; i < completions; i++)); do
    [ "$i" = "$victim" ] && continue
    status=0; wait "${pid_of[$i]}" || status=$?
    [ "$status" = 0 ] || pod_failed "$i" 1 "pod $i exited $status"
done
# The index is retried: a new pod, from the image again, resumes the shard.
start_pod "$victim" 2
status=0; wait "$pod_pid" || status=$?
[ "$status" = 0 ] || pod_failed "$victim" 2 "the retried pod $victim exited $status"
grep -q '"run": 1,' "$work/pod-$victim-2.out" \
    || die "the retried pod did not resume (only the stopped task should run again): $(cat "$work/pod-$victim-2.out")"
step "pods: $completions shards done, pod $victim stopped mid-shard and resumed"

# The merge Job: its command, in the image, with its mounts.
mapfile -t merge_argv < <(node -e 'for (const a of JSON.parse(process.argv[1])) console.log(a)' "$merge_argv_json")
ctr=$(buildah from --pull=never "$image")
containers+=("$ctr")
status=0
buildah run --isolation chroot \
    -v "$tasks_dir:${merge_mount_of[tasks]%:*}:${merge_mount_of[tasks]##*:}" \
    -v "$results_dir:${merge_mount_of[results]%:*}:${merge_mount_of[results]##*:}" \
    "$ctr" -- "${merge_argv[@]}" >"$work/merge.out" 2>"$work/merge.err" || status=$?
[ "$status" = 0 ] || { cat "$work/merge.err" >&2; die "the merge job's command exited $status"; }
merged=$(sed -n 's/.*--out \([^ ]*\).*/\1/p' <<<"${merge_argv[*]}")
merged_host="$results_dir/${merged#"$results_mount"/}"
[ -s "$merged_host/results.jsonl" ] && [ -s "$merged_host/index.html" ] \
    || die "no results.jsonl and index.html in $merged"
node - "$merged_host" "$tasks_dir/$(basename "$tasks_path")" <<'EOF' || die "the merged results are wrong"
const fs = require("fs"), path = require("path");
const [dir, listFile] = process.argv.slice(2);
const want = fs.readFileSync(listFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).id);
const got = fs.readFileSync(path.join(dir, "results.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const ids = got.map((r) => r.id);
const html = fs.readFileSync(path.join(dir, "index.html"), "utf8");
const bad = [];
if (JSON.stringify([...ids].sort()) !== JSON.stringify([...want].sort()))
  bad.push(`results.jsonl has ${JSON.stringify(ids)}, the list ${JSON.stringify(want)}`);
for (const r of got) {
  if (!r.passed || r.status !== "finished") bad.push(`${r.id}: ${r.status}, passed ${r.passed}`);
  if (!fs.existsSync(path.join(dir, r.report))) bad.push(`${r.id}: no report at ${r.report}`);
}
for (const id of want) {
  const n = html.split(`>${id}<`).length - 1;
  if (n !== 1) bad.push(`index.html shows ${id} ${n} times`);
}
for (const b of bad) console.error(`test-image: ${b}`);
process.exit(bad.length ? 1 : 0);
EOF
step "merge: $merged has every task of the list exactly once, all passed"
log "PASS: image $image ($size) built, checked, and ran the Indexed Job in $SECONDS s"
