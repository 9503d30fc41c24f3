// report_midscene.cjs: the peer's report of bench/report.sh. Writes the run of
// report_fixture.cjs (the same screenshots, the same steps) as a Midscene
// report with Midscene's own writer (npm @midscene/core, ReportGenerator, the
// one its Agent uses), in its default single-file mode: every screenshot
// embedded in the HTML as a <script type="midscene-image"> data URL.
//   node report_midscene.cjs SHOTS_DIR OUT_DIR
// prints {"report": PATH, "write_ms": N} on stdout. OUT_DIR becomes
// MIDSCENE_RUN_DIR; the report is OUT_DIR/report/xtars-bench.html.
//
// The execution is built as Midscene's agent builds one for aiAct (its
// agent/tasks.js and task-runner.js): per step a "Planning"/"Plan" task whose
// uiContext holds the screenshot the model saw, then an "Action Space" task
// whose recorder holds the screenshot taken after the action ("after-calling",
// here the next step's, the same ScreenshotItem, so every image is stored
// once), and the report is updated after every step, as the agent does.
'use strict';
const fs = require('fs');
const path = require('path');
const { randomUUID } = require('crypto');
const fixture = require('./report_fixture.cjs');

async function main(shotsDir, outDir) {
  process.env.MIDSCENE_RUN_DIR = outDir;
  process.env.MIDSCENE_REPORT_QUIET = '1';
  const { ReportGenerator, ExecutionDump, ScreenshotItem } = require('@midscene/core');

  const files = fixture.screenshots(shotsDir);
  const first = fs.readFileSync(files[0]);
  const { width, height } = fixture.pngSize(first);
  const plan = fixture.steps(files.length, width, height);
  const started = process.hrtime.bigint();

  const shots = files.map((file, i) => ScreenshotItem.create(
    `data:image/png;base64,${fs.readFileSync(file).toString('base64')}`, plan[i].start));
  const generator = ReportGenerator.create('xtars-bench', { generateReport: true, autoPrintReportMsg: false });
  const meta = { groupName: 'xtars bench', groupDescription: fixture.INSTRUCTION, sdkVersion: '1.13.1',
    modelBriefs: [{ intent: 'planning', name: fixture.MODEL }], deviceType: 'computer' };
  const execution = new ExecutionDump({ id: randomUUID(), logTime: plan[0].start,
    name: `Act - ${fixture.INSTRUCTION}`, description: fixture.INSTRUCTION, tasks: [] });

  plan.forEach((step, i) => {
    const uiContext = { screenshot: shots[i], shotSize: { width, height }, shrunkShotToLogicalRatio: 1 };
    const actionName = { click: 'Tap', double: 'DoubleClick', type: 'Input', scroll: 'Scroll', hotkey: 'KeyboardPress',
      drag: 'DragAndDrop', finished: 'Finished' }[step.kind];
    const locate = (x, y) => ({ id: `el-${i}-${x}-${y}`, center: [x, y],
      rect: { left: x - 12, top: y - 12, width: 24, height: 24 }, description: `target of step ${i + 1}` });
    const param = {};
    if (step.kind === 'type') param.value = step.text;
    else if (step.kind === 'hotkey') param.keyName = step.keys;
    else if (step.kind === 'scroll') Object.assign(param, { direction: step.direction, locate: locate(step.x, step.y) });
    else if (step.kind === 'drag') Object.assign(param, { from: locate(step.x, step.y), to: locate(step.to.x, step.to.y) });
    else if (step.kind !== 'finished') param.locate = locate(step.x, step.y);
    const modelStart = step.start + 400;
    const modelEnd = modelStart + step.model_ms;
    execution.tasks.push({
      taskId: randomUUID(), status: 'finished', type: 'Planning', subType: 'Plan',
      param: { userInstruction: fixture.INSTRUCTION, replanningCycleLimit: plan.length },
      timing: { start: step.start, callAiStart: modelStart, callAiEnd: modelEnd, end: modelEnd, cost: modelEnd - step.start },
      uiContext,
      output: { actions: [{ type: actionName, thought: step.thought, param }], log: step.thought, thought: step.thought },
      log: { rawResponse: `Thought: ${step.thought}\nAction: ${step.kind}` },
      usage: { prompt_tokens: 1500 + 60 * i, completion_tokens: 40, total_tokens: 1540 + 60 * i, time_cost: step.model_ms,
        model_name: fixture.MODEL, intent: 'planning' },
      recorder: [],
    });
    execution.tasks.push({
      taskId: randomUUID(), status: 'finished', type: 'Action Space', subType: actionName, thought: step.thought, param,
      timing: { start: modelEnd, end: modelEnd + 600, cost: 600 },
      uiContext,
      recorder: [{ type: 'screenshot', ts: modelEnd + 600, screenshot: shots[Math.min(i + 1, shots.length - 1)],
        timing: 'after-calling' }],
    });
    generator.onExecutionUpdate(execution, meta);
  });
  const report = await generator.finalize();
  const write_ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(JSON.stringify({ report, write_ms }) + '\n');
}

if (process.argv.length !== 4) {
  process.stderr.write('usage: node report_midscene.cjs SHOTS_DIR OUT_DIR\n');
  process.exit(2);
}
main(path.resolve(process.argv[2]), path.resolve(process.argv[3])).catch((error) => {
  process.stderr.write(`report_midscene: ${error.stack || error}\n`);
  process.exit(1);
});
