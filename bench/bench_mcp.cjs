// bench_mcp.cjs: what one MCP tool call costs, seen by a real MCP client (the
// official TypeScript SDK client, npm @modelcontextprotocol/sdk), for
// `xtars mcp` and, in the same run on the same display, for
// mcp_xdotool_server.cjs: a minimal Node MCP server on the same SDK that
// shells out to xdotool and scrot, as most desktop MCP servers do (written
// for this bench; docs/performance.md). Run it through bench/mcp.sh.
//
// For each call it prints two medians per server: "own" (the server's own
// cost, from the request line read to the response written, which each
// server logs on stderr: xtars's debug log, the other's JSON lines) and
// "round trip" (the client's callTool() from call to resolved promise:
// the SDK's own work on both ends and the pipes included), and the ratios.
// Rounds alternate which server goes first. Prints figures, asserts nothing.
// Environment: XTARS_BIN, DISPLAY, RUNS (30), WARMUP (3), NODE_PATH (the SDK).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');

const runs = parseInt(process.env.RUNS || '30', 10);
const warmup = parseInt(process.env.WARMUP || '3', 10);
// Where bench/mcp.sh put the xterm that receives the input (screen pixels).
const target = { x: parseInt(process.env.TARGET_X || '1300', 10),
  y: parseInt(process.env.TARGET_Y || '750', 10) };

// The same calls, with the same arguments, to both servers.
const calls = [
  { label: 'screenshot', name: 'screenshot', args: () => ({}) },
  { label: 'move', name: 'move', args: (i) => ({ x: target.x + (i % 20), y: target.y, space: 'screen' }) },
  { label: 'click', name: 'click', args: () => ({ x: target.x, y: target.y, space: 'screen' }) },
  { label: 'scroll', name: 'scroll',
    args: (i) => ({ x: target.x, y: target.y, direction: i % 2 ? 'up' : 'down', amount: 3, space: 'screen' }) },
  { label: 'type (12 ASCII)', name: 'type', args: () => ({ text: 'hello, world' }) },
  { label: 'type (12 Unicode)', name: 'type', args: () => ({ text: 'Grüße ✓ 日本語' }) },
  { label: 'key Return', name: 'key', args: () => ({ keys: 'Return' }) },
];

const median = (list) => {
  const s = [...list].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

// One server: a client, the server's own-cost lines in call order, and the
// client's round trips per call label.
async function connect(name, command, args, ownCost) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME || os.tmpdir(), DISPLAY: process.env.DISPLAY,
    LANG: 'C.UTF-8' };
  if (process.env.NODE_PATH) env.NODE_PATH = process.env.NODE_PATH;
  const transport = new StdioClientTransport({ command, args, env, stderr: 'pipe' });
  const server = { name, own: [], rtt: {}, ownBy: {}, bytes: {}, order: [], errors: 0 };
  let pending = '';
  transport.stderr.on('data', (chunk) => {
    pending += chunk.toString();
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const ms = ownCost(line);
      if (ms !== null) server.own.push(ms);
      else if (/error|warn/i.test(line)) process.stderr.write(`${name}: ${line}\n`);
    }
  });
  server.client = new Client({ name: 'xtars-bench', version: '1.0.0' });
  await server.client.connect(transport);
  return server;
}

// xtars's debug line: "mcp: NAME answered in T ms (parse and queue P, tool
// X, response R)"; the parts are kept for the screenshot's breakdown.
const xtarsParts = [];
function xtarsOwn(line) {
  try {
    const m = /^mcp: \S+ answered in ([0-9.]+) ms \(parse and queue ([0-9.]+), tool ([0-9.]+), response ([0-9.]+)\)/
      .exec(JSON.parse(line).msg || '');
    if (!m) return null;
    xtarsParts.push(m.slice(2, 5).map(parseFloat));
    return parseFloat(m[1]);
  } catch (e) { return null; }
}

function xdotoolOwn(line) {
  try {
    const j = JSON.parse(line);
    return typeof j.ms === 'number' ? j.ms : null;
  } catch (e) { return null; }
}

async function round(server, i, keep) {
  for (const c of calls) {
    const t0 = performance.now();
    const r = await server.client.callTool({ name: c.name, arguments: c.args(i) });
    const ms = performance.now() - t0;
    if (r.isError) {
      server.errors++;
      if (server.errors < 4) process.stderr.write(`${server.name} ${c.label}: ${JSON.stringify(r.content)}\n`);
    }
    server.order.push(keep ? c.label : null); // own-cost lines arrive in call order
    if (!keep) continue;
    (server.rtt[c.label] = server.rtt[c.label] || []).push(ms);
    const image = r.content.find((x) => x.type === 'image');
    if (image) server.bytes[c.label] = Math.round(image.data.length * 3 / 4);
  }
}

function version(program, args) {
  try {
    return execFileSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .split('\n')[0].trim();
  } catch (e) { return (e.stdout || e.stderr || '').toString().split('\n')[0].trim() || 'unknown'; }
}

function sdkVersion() {
  const main = require.resolve('@modelcontextprotocol/sdk/client/index.js');
  const file = path.join(main.slice(0, main.lastIndexOf('/dist/')), 'package.json');
  try { return JSON.parse(fs.readFileSync(file, 'utf8')).version; } catch (e) { return 'unknown'; }
}

const fmt = (v) => (Number.isFinite(v) ? (v < 10 ? v.toFixed(3) : v.toFixed(1)) : '-').padStart(9);

(async () => {
  const load0 = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const xtars = await connect('xtars mcp', process.env.XTARS_BIN,
    ['mcp', '--display', process.env.DISPLAY, '--set', 'click_delay_ms=0', '--log-level', 'debug',
      '--log-format', 'json'], xtarsOwn);
  const other = await connect('xdotool+scrot', process.execPath,
    [path.join(__dirname, 'mcp_xdotool_server.cjs')], xdotoolOwn);
  const servers = [xtars, other];
  for (let i = 0; i < warmup + runs; i++)
    for (const s of (i % 2 ? [other, xtars] : [xtars, other]))
      await round(s, i, i >= warmup);
  await new Promise((r) => setTimeout(r, 300)); // the last own-cost lines
  for (const s of servers) {
    s.order.forEach((label, k) => {
      if (label && k < s.own.length) (s.ownBy[label] = s.ownBy[label] || []).push(s.own[k]);
    });
    await s.client.close();
  }
  const load1 = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

  console.log(`MCP tool calls through the official SDK client (@modelcontextprotocol/sdk ` +
    `${sdkVersion()}, node ${process.version}), ` +
    `private Xvfb ${process.env.SCREEN || '1920x1080'} on ${process.env.DISPLAY}`);
  console.log(`${os.cpus().length} CPUs (${os.cpus()[0].model.trim()}), load average ${load0} before, ` +
    `${load1} after; ${runs} calls of each after ${warmup} warm-up rounds, rounds alternating`);
  console.log(`xtars mcp with click_delay_ms=0; the other: bench/mcp_xdotool_server.cjs (a minimal ` +
    `SDK server written for this bench: ${version('xdotool', ['version'])}, ${version('scrot', ['--version'])})`);
  console.log('medians in ms; own = the server\'s own cost (request read to response written), ' +
    'round trip = the client\'s callTool()');
  console.log(`${'call'.padEnd(19)}${'xtars own'.padStart(10)}${'round trip'.padStart(11)}` +
    `${'other own'.padStart(11)}${'round trip'.padStart(11)}${'own ratio'.padStart(10)}${'rt ratio'.padStart(10)}`);
  for (const c of calls) {
    const xo = median(xtars.ownBy[c.label] || []), xr = median(xtars.rtt[c.label] || []);
    const oo = median(other.ownBy[c.label] || []), or = median(other.rtt[c.label] || []);
    console.log(`${c.label.padEnd(19)}${fmt(xo)} ${fmt(xr)}  ${fmt(oo)}  ${fmt(or)} ` +
      `${(oo / xo).toFixed(1).padStart(8)}x ${(or / xr).toFixed(1).padStart(8)}x`);
  }
  const shots = xtars.order.map((label, k) => (label === 'screenshot' ? xtarsParts[k] : null)).filter((p) => p);
  if (shots.length)
    console.log(`xtars mcp screenshot, own cost split (medians): parse and queue ${fmt(median(shots.map((p) => p[0]))).trim()}, ` +
      `tool (capture, resize, PNG, base64) ${fmt(median(shots.map((p) => p[1]))).trim()}, ` +
      `response (JSON message, write) ${fmt(median(shots.map((p) => p[2]))).trim()} ms`);
  for (const s of servers)
    if (s.bytes.screenshot) console.log(`${s.name}: screenshot PNG ${s.bytes.screenshot} bytes`);
  for (const s of servers)
    if (s.errors) console.log(`${s.name}: ${s.errors} calls returned isError (see stderr)`);
  if (xtars.own.length !== xtars.order.length || other.own.length !== other.order.length)
    console.log(`warning: own-cost lines ${xtars.own.length}/${xtars.order.length} (xtars), ` +
      `${other.own.length}/${other.order.length} (other): the own columns may be misaligned`);
  process.exit(0);
})().catch((e) => {
  console.error('bench_mcp: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
