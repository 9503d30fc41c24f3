// examples/kubernetes/check/pod-spec.mjs: what test-image.sh needs from the
// manifests to run the Job's pods as containers, read from job.yaml and
// merge-job.yaml so the test cannot drift from them. One line each on stdout:
//   completions N                the Job's completions (= the pods to run)
//   env NAME=VALUE               each literal env entry of the worker container
//   from NAME                    an env entry from a Secret (left unset here)
//   mount VOLUME PATH ro|rw      the worker container's volume mounts
//   merge ARGV-AS-JSON           the merge container's command + args
//   mergemount VOLUME PATH ro|rw the merge container's volume mounts
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const dir = process.argv[2];
const jobOf = (file) => parseAllDocuments(readFileSync(join(dir, file), "utf8"))
  .map((d) => d.toJS()).find((o) => o?.kind === "Job");
const job = jobOf("job.yaml");
const merge = jobOf("merge-job.yaml");
const worker = job.spec.template.spec.containers[0];
const merger = merge.spec.template.spec.containers[0];
const out = [`completions ${job.spec.completions}`];
for (const e of worker.env ?? []) {
  if (/[\n\r]/.test(e.value ?? "")) throw new Error(`env ${e.name}: a value with a newline`);
  out.push(e.valueFrom ? `from ${e.name}` : `env ${e.name}=${e.value ?? ""}`);
}
for (const m of worker.volumeMounts ?? []) out.push(`mount ${m.name} ${m.mountPath} ${m.readOnly ? "ro" : "rw"}`);
out.push(`merge ${JSON.stringify([...(merger.command ?? []), ...(merger.args ?? [])])}`);
for (const m of merger.volumeMounts ?? []) out.push(`mergemount ${m.name} ${m.mountPath} ${m.readOnly ? "ro" : "rw"}`);
console.log(out.join("\n"));
