// report_fixture.cjs: the run both reports of bench/report.sh show. steps()
// is the plan of one step per screenshot (thought, one action, when it took
// place), shared with report_midscene.cjs so both reports tell the same run;
// run as a program it writes that run as a UI-TARS-desktop GUIAgentData
// export (docs/replay.md, "Importing UI-TARS-desktop runs") for
// `xtars import --from uitars-desktop`:
//   node report_fixture.cjs SHOTS_DIR OUT.json
// SHOTS_DIR holds the screenshots, step-001.png, step-002.png, ... in order.
'use strict';
const fs = require('fs');
const path = require('path');

const INSTRUCTION = 'Tidy the desktop: read the source in the terminal, move the picture, save the notes';
const MODEL = 'ui-tars-1.5-7b';
const START_MS = Date.UTC(2026, 11, 5, 9, 0, 0);

function screenshots(dir) {
  return fs.readdirSync(dir).filter((name) => /^step-\d+\.png$/.test(name)).sort()
    .map((name) => path.join(dir, name));
}

// The size of a PNG from its IHDR chunk.
function pngSize(bytes) {
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

// One step per screenshot: a mix of the actions a desktop run has, each with
// screen-pixel coordinates, and the times a run of a 7B model would record.
function steps(count, width, height) {
  const plan = [];
  let clock = START_MS;
  for (let i = 0; i < count; i++) {
    const x = 40 + ((i * 397) % (width - 80));
    const y = 40 + ((i * 211) % (height - 80));
    const model_ms = 900 + ((i * 137) % 700);
    const kinds = ['click', 'click', 'type', 'scroll', 'click', 'hotkey', 'drag', 'double'];
    const kind = i === count - 1 ? 'finished' : kinds[i % kinds.length];
    const step = { index: i, kind, x, y, start: clock, model_ms };
    switch (kind) {
      case 'click': step.thought = 'The next item to open is under the pointer target; I click it.'; break;
      case 'double': step.thought = 'The file opens with a double click.'; break;
      case 'type': step.text = `note ${i}: moved the picture\n`;
        step.thought = 'The editor has the focus; I type the note and press Enter.'; break;
      case 'scroll': step.direction = i % 16 < 8 ? 'down' : 'up';
        step.thought = `The terminal holds more source; I scroll ${step.direction} to read it.`; break;
      case 'hotkey': step.keys = 'ctrl s'; step.thought = 'The notes are typed; I save them with Ctrl+S.'; break;
      case 'drag': step.to = { x: Math.min(width - 1, x + 240), y: Math.min(height - 1, y + 120) };
        step.thought = 'The picture covers the terminal; I drag it aside.'; break;
      default: step.thought = 'The desktop is tidy and the notes are saved; the task is done.';
    }
    plan.push(step);
    clock += 400 + model_ms + 600;
  }
  return plan;
}

// The UI-TARS reply and predictionParsed entry of one step (boxes are 0..1
// fractions, as UI-TARS-desktop stores them).
function uitarsAction(step, width, height) {
  const box = (x, y) => `[${(x / width).toFixed(4)},${(y / height).toFixed(4)},${(x / width).toFixed(4)},${(y / height).toFixed(4)}]`;
  const point = (x, y) => `(${Math.round((x / width) * 1000)},${Math.round((y / height) * 1000)})`;
  switch (step.kind) {
    case 'click': return [`click(start_box='${point(step.x, step.y)}')`, 'click', { start_box: box(step.x, step.y) }];
    case 'double': return [`left_double(start_box='${point(step.x, step.y)}')`, 'left_double', { start_box: box(step.x, step.y) }];
    case 'type': {
      const escaped = step.text.replace(/\n/g, '\\n');
      return [`type(content='${escaped}')`, 'type', { content: escaped }];
    }
    case 'scroll': return [`scroll(start_box='${point(step.x, step.y)}', direction='${step.direction}')`, 'scroll',
      { start_box: box(step.x, step.y), direction: step.direction }];
    case 'hotkey': return [`hotkey(key='${step.keys}')`, 'hotkey', { key: step.keys }];
    case 'drag': return [`drag(start_box='${point(step.x, step.y)}', end_box='${point(step.to.x, step.to.y)}')`, 'drag',
      { start_box: box(step.x, step.y), end_box: box(step.to.x, step.to.y) }];
    default: return ["finished(content='tidy')", 'finished', { content: 'tidy' }];
  }
}

// Writes the GUIAgentData JSON piece by piece: 200 screenshots in base64 are
// well over 100 MB, more than one string should hold.
function writeGuiAgentData(dir, out) {
  const files = screenshots(dir);
  if (files.length === 0) throw new Error(`no step-NNN.png in ${dir}`);
  const { width, height } = pngSize(fs.readFileSync(files[0]));
  const plan = steps(files.length, width, height);
  const fd = fs.openSync(out, 'w');
  const context = { size: { width, height }, scaleFactor: 1 };
  fs.writeSync(fd, JSON.stringify({ version: 'v1', instruction: INSTRUCTION, modelName: MODEL, status: 'end',
    logTime: START_MS }).slice(0, -1) + ',"conversations":[\n');
  fs.writeSync(fd, JSON.stringify({ from: 'human', value: INSTRUCTION,
    timing: { start: START_MS, end: START_MS, cost: 0 } }));
  plan.forEach((step, i) => {
    const [call, action_type, action_inputs] = uitarsAction(step, width, height);
    const shot = fs.readFileSync(files[i]).toString('base64');
    fs.writeSync(fd, ',\n' + JSON.stringify({ from: 'human', value: '<image>', screenshotContext: context,
      timing: { start: step.start, end: step.start + 40, cost: 40 } }).slice(0, -1) +
      ',"screenshotBase64":"data:image/png;base64,');
    fs.writeSync(fd, shot);
    fs.writeSync(fd, '"}');
    const modelStart = step.start + 400;
    fs.writeSync(fd, ',\n' + JSON.stringify({ from: 'gpt', value: `Thought: ${step.thought}\nAction: ${call}`,
      screenshotContext: context,
      timing: { start: modelStart, end: modelStart + step.model_ms, cost: step.model_ms },
      predictionParsed: [{ action_type, action_inputs, reflection: null, thought: step.thought }] }));
  });
  fs.writeSync(fd, '\n]}\n');
  fs.closeSync(fd);
  return files.length;
}

module.exports = { INSTRUCTION, MODEL, screenshots, pngSize, steps };

if (require.main === module) {
  if (process.argv.length !== 4) {
    process.stderr.write('usage: node report_fixture.cjs SHOTS_DIR OUT.json\n');
    process.exit(2);
  }
  try {
    const count = writeGuiAgentData(process.argv[2], process.argv[3]);
    process.stderr.write(`report_fixture: ${count} steps written to ${process.argv[3]}\n`);
  } catch (error) {
    process.stderr.write(`report_fixture: ${error.message}\n`);
    process.exit(1);
  }
}
