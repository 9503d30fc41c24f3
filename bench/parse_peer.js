// parse_peer.js: the TypeScript reply parser of UI-TARS-desktop
// (npm @ui-tars/action-parser) timed on the corpus bench_parse times xtars on,
// in the same run: bench_parse writes the replies (and the screen each case
// uses) to a JSON file and runs `node parse_peer.js FILE SECONDS`. Each parse
// is one actionParser() call with the arguments UI-TARS-desktop passes
// (factor [1000, 1000], the screen, the model version of the case's family).
// Prints one JSON line: parses, seconds of CPU and of wall time, failures.
'use strict';

const fs = require('fs');
const { actionParser } = require('@ui-tars/action-parser');

const VERSIONS = { 'uitars-1.5': '1.5', 'uitars-1.0': '1.0', doubao: '1.0', pixels: '1.0' };

function pass(cases) {
  let failed = 0;
  for (const c of cases) {
    try {
      actionParser(c);
    } catch (e) {
      failed++;
    }
  }
  return failed;
}

function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function main() {
  const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const seconds = parseFloat(process.argv[3] || '2');
  const cases = input.map((c) => ({
    prediction: c.text,
    factor: [1000, 1000],
    screenContext: c.width ? { width: c.width, height: c.height } : undefined,
    modelVer: VERSIONS[c.family] || '1.0',
  }));
  const failed = pass(cases);
  // Warm-up: give the JIT the same chance the C side gets from its warm-up.
  const warm = cpuSeconds();
  while (cpuSeconds() - warm < Math.min(0.5, seconds / 4)) pass(cases);
  const wallStart = process.hrtime.bigint();
  const cpuStart = cpuSeconds();
  let passes = 0;
  let cpu = 0;
  do {
    pass(cases);
    passes++;
    cpu = cpuSeconds() - cpuStart;
  } while (cpu < seconds);
  const wall = Number(process.hrtime.bigint() - wallStart) / 1e9;
  console.log(JSON.stringify({
    version: require('@ui-tars/action-parser/package.json').version,
    node: process.version,
    parses: passes * cases.length,
    cpu_seconds: cpu,
    wall_seconds: wall,
    failed_per_pass: failed,
  }));
}

main();
