// nutjs_exec.js: UI-TARS-desktop's NutJSOperator actions, for bench_exec:
// a click is what the operator's execute() does for click(start_box=...):
// mouse.config.mouseSpeed = 3600, mouse.move(straightTo(point)), sleep(100),
// mouse.click(Button.LEFT); typing sets keyboard.config.autoDelayMs = 0 and
// calls keyboard.type(text) (the operator's Linux path). Times are taken
// inside node, so node's start-up is not counted.
//   node nutjs_exec.js click N     N clicks at the points bench_exec uses
//   node nutjs_exec.js type FILE   types FILE's text once
// Prints one JSON line: {"ms": total, "per": per action, "version": ...}.
'use strict';

const fs = require('fs');
const { mouse, keyboard, straightTo, Point, Button, sleep } = require('@nut-tree-fork/nut-js');

async function clicks(n) {
  mouse.config.mouseSpeed = 3600;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    await mouse.move(straightTo(new Point(100 + (i % 50) * 5, 100 + (i % 20) * 5)));
    await sleep(100);
    await mouse.click(Button.LEFT);
  }
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function type(text) {
  keyboard.config.autoDelayMs = 0;
  const start = process.hrtime.bigint();
  await keyboard.type(text);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main() {
  const [what, arg] = process.argv.slice(2);
  let ms;
  let count;
  if (what === 'click') {
    count = Math.max(1, parseInt(arg, 10));
    ms = await clicks(count);
  } else if (what === 'type') {
    const text = fs.readFileSync(arg, 'utf8');
    count = [...text].length;
    ms = await type(text);
  } else {
    throw new Error('usage: nutjs_exec.js click N | type FILE');
  }
  const version = require('@nut-tree-fork/nut-js/package.json').version;
  console.log(JSON.stringify({ ms, per: ms / count, count, version }));
}

main().catch((e) => {
  console.error(`nutjs_exec: ${e && e.message ? e.message : e}`);
  process.exit(1);
});
