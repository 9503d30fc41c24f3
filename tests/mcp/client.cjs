// client.cjs: drives `xtars mcp` with the official MCP TypeScript SDK client
// (npm @modelcontextprotocol/sdk), for tests/x11/test_mcp_sdk.c. One case per
// run: node client.cjs CASE. Everything comes from the environment:
//   XTARS_BIN   the xtars binary          XCLIENT      tests/support xclient
//   MCP_TMP     scratch directory         MCP_ENDPOINT scripted model server URL
// The server runs on its own Xvfb (--xvfb 640x480) with xclient's window at
// 400x300+100+50 recording every event to $MCP_TMP/events.jsonl; the xterm
// case launches xterm (cat into a file) instead, the large one ImageMagick's
// display showing noise on 1024x768. Prints what it checked; exits 1 with
// the reason on the first failure.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { execFileSync } = require('child_process');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');

const tmp = process.env.MCP_TMP;
const events = path.join(tmp, 'events.jsonl');
const out = path.join(tmp, 'record');

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
  console.log('ok: ' + what);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts xtars mcp on its own Xvfb, by default with xclient recording into
// events.jsonl; opts.size and opts.launch replace the screen and the app.
async function start(extra, opts) {
  const o = opts || {};
  const launch = o.launch || `${process.env.XCLIENT} --geometry 400x300+100+50 --out ${events}`;
  const args = ['mcp', '--xvfb', o.size || '640x480', '--out', out, '--launch', launch,
    '--set', 'settle_timeout_ms=500', ...(extra || [])];
  const env = { PATH: process.env.PATH, HOME: process.env.HOME || tmp, LANG: 'C.UTF-8' };
  for (const k of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'XTARS_API_KEY'])
    if (process.env[k]) env[k] = process.env[k];
  const transport = new StdioClientTransport({ command: process.env.XTARS_BIN, args, env,
    stderr: 'inherit' });
  const client = new Client({ name: 'xtars-sdk-test', version: '1.0.0' });
  await client.connect(transport);
  if (o.launch)
    return client; // --launch waited for the app's window
  // the launched app needs a moment to map its window and take the focus
  for (let i = 0; i < 100 && !fs.existsSync(events); i++) await sleep(100);
  await sleep(300);
  return client;
}

// Reads every event xclient recorded; waits until `until(events)` holds.
async function recorded(until) {
  let list = [];
  for (let i = 0; i < 100; i++) {
    const text = fs.existsSync(events) ? fs.readFileSync(events, 'utf8') : '';
    list = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
    if (until(list)) return list;
    await sleep(100);
  }
  return list;
}

// Decodes a PNG far enough to know it is one: signature, IHDR, and IDAT
// inflating to exactly height rows of (1 + 3 * width) bytes (8-bit RGB).
function decodePng(buf) {
  check(buf.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])), 'PNG signature');
  let at = 8, width = 0, height = 0, colour = -1;
  const idat = [];
  while (at < buf.length) {
    const len = buf.readUInt32BE(at), type = buf.toString('latin1', at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') { width = data.readUInt32BE(0); height = data.readUInt32BE(4); colour = data[9]; }
    if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  check(colour === 2 && raw.length === height * (1 + 3 * width), `PNG ${width}x${height} decodes to its rows`);
  return { width, height, raw };
}

function textOf(result) {
  return result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

async function expectRpcError(promise, code, what) {
  try {
    await promise;
  } catch (e) {
    check(e.code === code, `${what}: JSON-RPC error ${code} (${e.message})`);
    return e;
  }
  throw new Error(`${what}: no JSON-RPC error`);
}

const cases = {
  // list tools, take and decode a screenshot, click in both spaces, type Unicode
  async desktop() {
    const client = await start();
    check(client.getServerVersion().name === 'xtars', 'serverInfo.name is xtars');
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort().join(',');
    check(names === 'click,drag,key,move,replay,run_task,screenshot,scroll,type,wait', 'tool names: ' + names);
    const click = tools.find((t) => t.name === 'click');
    check(click.inputSchema.type === 'object' && click.inputSchema.required.join() === 'x,y', 'click schema requires x, y');

    const shot = await client.callTool({ name: 'screenshot', arguments: {} });
    check(!shot.isError, 'screenshot succeeded');
    const image = shot.content.find((c) => c.type === 'image');
    check(image && image.mimeType === 'image/png', 'an image/png content item');
    const png = decodePng(Buffer.from(image.data, 'base64'));
    // smart_resize(640, 480): round(640/28)*28 = 644, round(480/28)*28 = 476
    check(png.width === 644 && png.height === 476, 'the image is smart_resized to 644x476');
    check(/screen 640x480/.test(textOf(shot)) && /644x476/.test(textOf(shot)), 'the text gives both sizes');

    let r = await client.callTool({ name: 'click', arguments: { x: 150, y: 100, space: 'screen' } });
    check(!r.isError, 'click in screen space: ' + textOf(r));
    // image (322, 238) -> screen (floor(322*640/644), floor(238*480/476)) = (320, 240)
    r = await client.callTool({ name: 'click', arguments: { x: 322, y: 238, button: 'right' } });
    check(!r.isError, 'right click in image space: ' + textOf(r));
    let ev = await recorded((l) => l.filter((e) => e.type === 'button_press').length >= 2);
    const presses = ev.filter((e) => e.type === 'button_press');
    check(presses.length === 2, 'xclient saw two button presses');
    check(presses[0].button === 1 && presses[0].root_x === 150 && presses[0].root_y === 100,
      `left press at root (150,100): got ${presses[0].button} (${presses[0].root_x},${presses[0].root_y})`);
    check(presses[1].button === 3 && presses[1].root_x === 320 && presses[1].root_y === 240,
      `right press at root (320,240): got ${presses[1].button} (${presses[1].root_x},${presses[1].root_y})`);

    const text = 'héllo wörld ✓ Ωμέγα 日本';
    r = await client.callTool({ name: 'type', arguments: { text, screenshot: true } });
    check(!r.isError, 'type: ' + textOf(r));
    check(r.content.some((c) => c.type === 'image'), 'type with screenshot: true returns an image');
    ev = await recorded((l) => l.filter((e) => e.type === 'key_press').map((e) => e.text || '').join('') === text);
    const typed = ev.filter((e) => e.type === 'key_press').map((e) => e.text || '').join('');
    check(typed === text, `xclient received the text exactly: '${typed}'`);

    r = await client.callTool({ name: 'key', arguments: { keys: 'ctrl+s' } });
    ev = await recorded((l) => l.some((e) => e.type === 'key_press' && e.keysym === 's' && (e.state & 4)));
    check(!r.isError && ev.some((e) => e.type === 'key_press' && e.keysym === 's' && (e.state & 4)),
      'key ctrl+s arrives as s with Control held');
    await client.close();
    const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    const steps = fs.readFileSync(path.join(out, 'steps.jsonl'), 'utf8').trim().split('\n');
    check(run.source === 'mcp' && steps.length === 5, `--out recorded 5 calls (${steps.length})`);
  },

  // protocol errors vs tool errors, and the policy
  async errors() {
    const client = await start();
    await expectRpcError(client.callTool({ name: 'clack', arguments: {} }), -32602, 'unknown tool');
    await expectRpcError(client.callTool({ name: 'click', arguments: { x: 'ten', y: 5 } }), -32602,
      'x given as a string');
    await expectRpcError(client.callTool({ name: 'click', arguments: { x: 1 } }), -32602, 'y missing');
    let r = await client.callTool({ name: 'click', arguments: { x: 5000, y: 5, space: 'screen' } });
    check(r.isError === true && /off the screen/.test(textOf(r)), 'a point off the screen is a tool error');
    r = await client.callTool({ name: 'type', arguments: { text: 'sudo rm -rf /' } });
    check(r.isError === true && /policy/.test(textOf(r)), 'the policy refuses a destructive command');
    const ev = await recorded(() => true);
    check(!ev.some((e) => e.type === 'key_press'), 'nothing refused was typed');
    await client.ping();
    check(true, 'ping answered');
    await client.close();
  },

  // run_task against the scripted model: progress per step, the result
  async task() {
    const client = await start(['--endpoint', process.env.MCP_ENDPOINT, '--model', 'scripted']);
    const progress = [];
    const r = await client.callTool({ name: 'run_task', arguments: { instruction: 'click the window', max_steps: 5 } },
      undefined, { onprogress: (p) => progress.push(p), timeout: 60000 });
    check(!r.isError, 'run_task: ' + textOf(r));
    check(/status: finished after 2 steps/.test(textOf(r)) && /done it/.test(textOf(r)),
      'finished after 2 steps with the finished() content');
    check(progress.length === 2 && progress[0].progress === 1 && progress[1].progress === 2 &&
      progress[0].total === 5, 'two progress notifications: ' + JSON.stringify(progress));
    check(/click/.test(progress[0].message || ''), 'the first progress message names the click');
    const ev = await recorded((l) => l.some((e) => e.type === 'button_press'));
    const press = ev.find((e) => e.type === 'button_press');
    // the model's (322,238) in the 644x476 image -> screen (320,240)
    check(press && press.root_x === 320 && press.root_y === 240, 'the model click reached xclient at (320,240)');
    const dir = /trajectory: (.*)/.exec(textOf(r))[1];
    check(JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')).status === 'finished',
      'the task trajectory says finished');
    await client.close();
  },

  // Unicode typed into a real terminal: xterm runs `cat > FILE`, so what it
  // received comes back as the file's UTF-8 once Return ends the line
  async xterm() {
    const typed = path.join(tmp, 'typed.txt');
    const client = await start([], { launch: `xterm -u8 -geometry 60x10+0+0 -e sh -c 'exec cat > ${typed}'` });
    // no window manager: the keyboard follows the pointer, so point into xterm first
    let r = await client.callTool({ name: 'move', arguments: { x: 150, y: 60, space: 'screen' } });
    check(!r.isError, 'move into the xterm: ' + textOf(r));
    for (let i = 0; i < 100 && !fs.existsSync(typed); i++) await sleep(100);
    check(fs.existsSync(typed), 'xterm started cat > typed.txt');
    await sleep(500); // the pty in place before the first key
    const text = 'Grüße ✓ Ωμέγα 日本語 €½ — ok';
    r = await client.callTool({ name: 'type', arguments: { text } });
    check(!r.isError, 'type into xterm: ' + textOf(r));
    r = await client.callTool({ name: 'key', arguments: { keys: 'Return' } });
    check(!r.isError, 'key Return: ' + textOf(r));
    let got = '';
    for (let i = 0; i < 100 && !got.endsWith('\n'); i++) {
      await sleep(100);
      got = fs.readFileSync(typed, 'utf8');
    }
    check(got === text + '\n', `xterm passed the line on exactly: ${JSON.stringify(got)}`);
    await client.close();
  },

  // a screenshot whose response is megabytes (a noise picture compresses
  // badly): one JSON-RPC line, decoded whole by the SDK
  async large() {
    const noise = path.join(tmp, 'noise.png');
    execFileSync('convert', ['-size', '1024x768', 'xc:', '+noise', 'Random', noise]);
    const client = await start([], { size: '1024x768', launch: `display -geometry +0+0 ${noise}` });
    // display maps its window before it draws the picture
    let shot, image;
    for (let i = 0; i < 50 && !(image && image.data.length > (2 << 20)); i++) {
      if (i) await sleep(200);
      shot = await client.callTool({ name: 'screenshot', arguments: {} });
      check(!shot.isError, 'screenshot succeeded: ' + textOf(shot));
      image = shot.content.find((c) => c.type === 'image');
    }
    check(image && image.data.length > (2 << 20), `the image is over 2 MiB of base64 (${image && image.data.length})`);
    const png = decodePng(Buffer.from(image.data, 'base64'));
    // smart_resize(1024, 768): round(1024/28)*28 = 1036, round(768/28)*28 = 756
    check(png.width === 1036 && png.height === 756, 'the image is smart_resized to 1036x756');
    await client.close();
  },

  // cancelling a run_task whose model never answers in time
  async cancel() {
    const client = await start(['--endpoint', process.env.MCP_ENDPOINT, '--model', 'scripted']);
    const abort = new AbortController();
    const call = client.callTool({ name: 'run_task', arguments: { instruction: 'wait forever' } },
      undefined, { signal: abort.signal, timeout: 60000 });
    await sleep(1500);
    abort.abort('changed my mind');
    try {
      await call;
      throw new Error('the cancelled call resolved');
    } catch (e) {
      check(/changed my mind|abort/i.test(String(e.message || e)), 'the SDK rejected the cancelled call');
    }
    const dir = path.join(out, 'task-001');
    let status = '';
    for (let i = 0; i < 100 && status !== 'stopped'; i++) {
      await sleep(100);
      try { status = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')).status; } catch (e) { }
    }
    check(status === 'stopped', 'the task trajectory says stopped');
    const r = await client.callTool({ name: 'move', arguments: { x: 10, y: 10, space: 'screen' } });
    check(!r.isError, 'the server goes on after a cancellation: ' + textOf(r));
    await client.close();
  },
};

(async () => {
  const name = process.argv[2];
  if (!cases[name]) throw new Error('unknown case ' + name);
  await cases[name]();
  console.log('passed: ' + name);
  process.exit(0);
})().catch((e) => {
  console.error('FAILED: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
