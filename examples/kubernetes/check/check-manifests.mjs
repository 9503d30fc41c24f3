// examples/kubernetes/check/check-manifests.mjs: checks job.yaml and
// merge-job.yaml against the Kubernetes API schema (kubernetes-models, plus
// a strict pass for unknown field names, which the schema lets through), and
// checks that the manifests, the Dockerfile and entrypoint.sh agree: the
// variables the entrypoint reads, the paths, the user id, the names that tie
// the objects together. Run by test-image.sh; reads files, never the network.
//
//   node check-manifests.mjs DIR [CONFIG.json]
//
// DIR holds Dockerfile, entrypoint.sh, job.yaml, merge-job.yaml (test-image.sh
// also runs it on broken copies, which must fail). CONFIG.json, when given, is
// `xtars config --print` from the image: env names the manifests set that the
// entrypoint does not read must then be xtars configuration variables.
// Prints one line per problem on stderr; exit 0 all agree, 1 otherwise.
import { readFileSync } from "node:fs";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, posix } from "node:path";
import { parseAllDocuments } from "yaml";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Job } from "kubernetes-models/batch/v1/Job";

const [dir, configPath] = process.argv.slice(2);
if (!dir) {
  console.error("usage: check-manifests.mjs DIR [CONFIG.json]");
  process.exit(2);
}
const problems = [];
const problem = (text) => problems.push(text);
const read = (name) => readFileSync(join(dir, name), "utf8");

// ---- the schema ----
const models = { ConfigMap, PersistentVolumeClaim, Job };
// Every field name the schema knows: the compiled validators name each
// property they check. A key outside this set is a typo the API server would
// drop or refuse (kubectl's strict field validation).
const require = createRequire(import.meta.url);
const schemaDir = join(dirname(require.resolve("kubernetes-models/package.json")), "_schemas");
const known = new Set();
for (const f of readdirSync(schemaDir).filter((f) => f.endsWith(".js")))
  for (const m of readFileSync(join(schemaDir, f), "utf8").matchAll(/parentDataProperty:"([^"]+)"/g))
    known.add(m[1]);
// Maps whose keys are the user's: not field names.
const freeForm = new Set(["data", "binaryData", "labels", "annotations", "matchLabels", "requests",
                          "limits", "nodeSelector", "selector"]);
function unknownFields(value, path) {
  if (Array.isArray(value)) return value.forEach((v, i) => unknownFields(v, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return;
  for (const [key, v] of Object.entries(value)) {
    if (!known.has(key) && !["apiVersion", "kind"].includes(key))
      problem(`${path}: unknown field '${key}'`);
    if (!freeForm.has(key)) unknownFields(v, `${path}.${key}`);
  }
}
function load(file) {
  const objects = [];
  for (const doc of parseAllDocuments(read(file))) {
    if (doc.errors.length) { problem(`${file}: ${doc.errors[0].message}`); continue; }
    const o = doc.toJS();
    if (o === null) continue;
    const where = `${file}: ${o.kind}/${o.metadata?.name}`;
    const Model = models[o.kind];
    if (!Model) { problem(`${where}: kind not checked here`); continue; }
    try { new Model(o).validate(); } catch (e) { problem(`${where}: ${e.message}`); }
    unknownFields(o, where);
    objects.push(o);
  }
  return objects;
}
const jobFile = load("job.yaml");
const mergeFile = load("merge-job.yaml");
const find = (objs, kind, file) => objs.find((o) => o.kind === kind) ?? (problem(`${file}: no ${kind}`), {});
const job = find(jobFile, "Job", "job.yaml");
const merge = find(mergeFile, "Job", "merge-job.yaml");
const configMap = find(jobFile, "ConfigMap", "job.yaml");
const claim = find(jobFile, "PersistentVolumeClaim", "job.yaml");
if (problems.length) finish();

// ---- the image: Dockerfile ----
const dockerfile = read("Dockerfile").replace(/\\\n/g, " ");
const stages = dockerfile.split(/^FROM /m).slice(1);
const final = stages[stages.length - 1] ?? "";
const userLine = final.match(/^USER (\S+)/m)?.[1];
const uid = Number(userLine);
if (!Number.isInteger(uid) || uid === 0) problem(`Dockerfile: the final stage's USER is '${userLine}', not a non-root uid`);
const useradd = final.match(/useradd [^&]*--uid (\d+)/)?.[1];
if (Number(useradd) !== uid) problem(`Dockerfile: useradd --uid ${useradd} but USER ${userLine}`);
const entrypoint = JSON.parse(final.match(/^ENTRYPOINT (\[.*\])/m)?.[1] ?? "[]");
const installed = dockerfile.match(/examples\/kubernetes\/entrypoint\.sh (\S+)/)?.[1];
if (!installed || !installed.endsWith(posix.basename(entrypoint[entrypoint.length - 1] ?? "?")))
  problem(`Dockerfile: ENTRYPOINT ${JSON.stringify(entrypoint)} does not end with the installed entrypoint.sh (${installed})`);
const finalPackages = [...final.matchAll(/apt-get install ([^&]*)/g)]
  .flatMap((m) => m[1].split(/\s+/)).filter((p) => p && !p.startsWith("-"));
for (const p of finalPackages)
  if (/-dev$|^(gcc|g\+\+|cpp|clang|cmake|make|build-essential|valgrind)(-\d+)?$/.test(p))
    problem(`Dockerfile: the final stage installs the build tool or -dev package ${p}`);

// ---- the entrypoint ----
const entry = read("entrypoint.sh");
const entryReads = new Set([...entry.matchAll(/\$\{((?:JOB_COMPLETION_INDEX|XTARS_)\w*)/g)].map((m) => m[1]));
const entryDefault = (name) => entry.match(new RegExp(`\\$\\{${name}:-([^}]*)\\}`))?.[1];
const usageExit = /fail_usage\(\) \{[^}]*exit (\d+)/s.exec(entry)?.[1];
if (!/out="\$results\/shard-\$index"/.test(entry)) problem("entrypoint.sh: no longer writes $results/shard-$index");

// ---- the worker Job ----
const spec = job.spec ?? {};
const pod = spec.template?.spec ?? {};
const container = pod.containers?.[0] ?? {};
const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const mounts = Object.fromEntries((container.volumeMounts ?? []).map((m) => [m.name, m]));
const volumes = Object.fromEntries((pod.volumes ?? []).map((v) => [v.name, v]));
if (spec.completionMode !== "Indexed") problem("job.yaml: completionMode is not Indexed (no JOB_COMPLETION_INDEX)");
if (String(env.XTARS_SHARD_COUNT) !== String(spec.completions))
  problem(`job.yaml: XTARS_SHARD_COUNT ${env.XTARS_SHARD_COUNT} != completions ${spec.completions}`);
if (spec.parallelism > spec.completions) problem("job.yaml: parallelism above completions");
if (pod.restartPolicy !== "Never") problem("job.yaml: restartPolicy must be Never (a retried index is a new pod)");
for (const rule of spec.podFailurePolicy?.rules ?? []) {
  const codes = rule.onExitCodes;
  if (codes && codes.containerName !== container.name)
    problem(`job.yaml: podFailurePolicy names container '${codes.containerName}', the pod's is '${container.name}'`);
  if (codes && rule.action === "FailIndex" && !codes.values.includes(Number(usageExit)))
    problem(`job.yaml: FailIndex does not cover the entrypoint's usage exit ${usageExit}`);
}
const required = ["XTARS_SHARD_COUNT"];
for (const name of required) if (!(name in env)) problem(`job.yaml: does not set ${name}, which entrypoint.sh requires`);
if ("JOB_COMPLETION_INDEX" in env) problem("job.yaml: sets JOB_COMPLETION_INDEX, which Kubernetes sets");
let configEnv = null;
if (configPath) {
  const config = JSON.parse(readFileSync(configPath, "utf8"));
  configEnv = new Set(Object.keys(config).map((k) => `XTARS_${k.toUpperCase()}`));
  configEnv.add(config.api_key_env);
}
for (const name of Object.keys(env)) {
  if (entryReads.has(name)) continue;
  if (!name.startsWith("XTARS_")) problem(`job.yaml: sets ${name}, which neither entrypoint.sh nor xtars reads`);
  else if (configEnv && !configEnv.has(name))
    problem(`job.yaml: sets ${name}, which neither entrypoint.sh reads nor is an xtars configuration variable`);
}
// A path variable is either set to a path under its volume's mount or left to
// the entrypoint's default, which must then be that path.
const pathOf = (name) => env[name] ?? entryDefault(name);
const under = (path, mount) => mount && (path === mount.mountPath || path?.startsWith(mount.mountPath + "/"));
const tasksPath = pathOf("XTARS_TASKS");
const resultsPath = pathOf("XTARS_RESULTS");
if (!under(tasksPath, mounts.tasks)) problem(`job.yaml: XTARS_TASKS ${tasksPath} is not on the tasks volume`);
if (resultsPath !== mounts.results?.mountPath) problem(`job.yaml: XTARS_RESULTS ${resultsPath} is not the results volume's mount`);
if (mounts.results?.readOnly) problem("job.yaml: the results volume is mounted read-only");
if (volumes.tasks?.configMap && volumes.tasks.configMap.name !== configMap.metadata?.name)
  problem(`job.yaml: the tasks volume names ConfigMap ${volumes.tasks.configMap.name}, the file defines ${configMap.metadata?.name}`);
if (volumes.tasks?.configMap && !(posix.basename(tasksPath ?? "") in (configMap.data ?? {})))
  problem(`job.yaml: the ConfigMap has no key ${posix.basename(tasksPath ?? "")} for XTARS_TASKS`);
if (volumes.results?.persistentVolumeClaim?.claimName !== claim.metadata?.name)
  problem(`job.yaml: the results volume claims ${volumes.results?.persistentVolumeClaim?.claimName}, the file defines ${claim.metadata?.name}`);
if (pod.securityContext?.fsGroup !== uid) problem(`job.yaml: fsGroup ${pod.securityContext?.fsGroup}, the image's user is ${uid}`);
for (const ctx of [pod.securityContext, container.securityContext])
  if (ctx?.runAsUser !== undefined && ctx.runAsUser !== uid) problem(`job.yaml: runAsUser ${ctx.runAsUser}, the image's user is ${uid}`);
if (container.command) problem("job.yaml: overrides the image's ENTRYPOINT");

// ---- the merge Job ----
const mpod = merge.spec?.template?.spec ?? {};
const mcontainer = mpod.containers?.[0] ?? {};
const mmounts = Object.fromEntries((mcontainer.volumeMounts ?? []).map((m) => [m.name, m]));
const mvolumes = Object.fromEntries((mpod.volumes ?? []).map((v) => [v.name, v]));
if (mcontainer.image !== container.image) problem(`merge-job.yaml: image ${mcontainer.image}, job.yaml's is ${container.image}`);
if (mpod.securityContext?.fsGroup !== uid) problem(`merge-job.yaml: fsGroup ${mpod.securityContext?.fsGroup}, the image's user is ${uid}`);
for (const name of ["tasks", "results"]) {
  if (mmounts[name]?.mountPath !== mounts[name]?.mountPath)
    problem(`merge-job.yaml: volume ${name} mounted at ${mmounts[name]?.mountPath}, job.yaml mounts it at ${mounts[name]?.mountPath}`);
  if (JSON.stringify(mvolumes[name]) !== JSON.stringify(volumes[name]))
    problem(`merge-job.yaml: volume ${name} is ${JSON.stringify(mvolumes[name])}, job.yaml's is ${JSON.stringify(volumes[name])}`);
}
const command = [...(mcontainer.command ?? []), ...(mcontainer.args ?? [])].join(" ");
if (!command.includes(`--tasks ${tasksPath} `)) problem(`merge-job.yaml: the merge does not read the task list ${tasksPath}`);
if (!command.includes(` ${resultsPath}/shard-* `) && !command.endsWith(` ${resultsPath}/shard-*`) &&
    !command.includes(` ${resultsPath}/shard-*;`))
  problem(`merge-job.yaml: the merge does not read the shards ${resultsPath}/shard-*`);
if (!new RegExp(`--out ${resultsPath}/\\S+`).test(command)) problem(`merge-job.yaml: the merged results are not on the results volume ${resultsPath}`);

finish();

function finish() {
  for (const p of problems) console.error(`check-manifests: ${p}`);
  if (problems.length) process.exit(1);
  console.error(`check-manifests: ${dir}: the manifests pass the schema and agree with the Dockerfile and entrypoint.sh`);
  process.exit(0);
}
