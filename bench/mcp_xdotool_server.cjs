// mcp_xdotool_server.cjs: the comparison for bench/bench_mcp.cjs: a minimal
// MCP server of the kind most desktop MCP servers are (a Node program on the
// official TypeScript SDK's server side whose tools shell out to xdotool and
// scrot), written for the bench because none of those servers is packaged on
// npm in a form this bench can pin. It offers the same tool names and
// arguments as `xtars mcp` (screen coordinates only) so the bench makes the
// same calls to both. Not a product: no policy, no scaling, no recording.
//
// Its own cost per call (request read to response written, as xtars logs
// its own) goes to stderr as one JSON line: {"tool": NAME, "ms": N}.
// Usage: node mcp_xdotool_server.cjs  (DISPLAY set; NODE_PATH finding the SDK)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFile } = require('child_process');
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');
const { z } = require('zod');

const shot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-xdotool-')), 'shot.png');

function run(program, args) {
  return new Promise((resolve, reject) => {
    execFile(program, args, (err, stdout, stderr) => {
      if (err) reject(new Error(`${program} ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

const done = (text) => ({ content: [{ type: 'text', text }] });
const buttons = { left: '1', middle: '2', right: '3' };
const point = { x: z.number().int(), y: z.number().int(), space: z.string().optional() };

const server = new McpServer({ name: 'xdotool-scrot-bench', version: '1.0.0' });

server.registerTool('screenshot', { description: 'PNG of the screen (scrot)', inputSchema: {} },
  async () => {
    await run('scrot', ['--overwrite', shot]);
    const data = fs.readFileSync(shot).toString('base64');
    return { content: [{ type: 'image', data, mimeType: 'image/png' },
      { type: 'text', text: 'screenshot of the screen in screen pixels' }] };
  });

server.registerTool('move', { description: 'move the pointer', inputSchema: point },
  async ({ x, y }) => {
    await run('xdotool', ['mousemove', String(x), String(y)]);
    return done(`moved to (${x},${y})`);
  });

server.registerTool('click', {
  description: 'click at a point',
  inputSchema: { ...point, button: z.enum(['left', 'right', 'middle']).optional(),
    count: z.number().int().min(1).max(3).optional() },
}, async ({ x, y, button, count }) => {
  await run('xdotool', ['mousemove', String(x), String(y), 'click', '--repeat', String(count || 1),
    '--delay', '0', buttons[button || 'left']]);
  return done(`clicked at (${x},${y})`);
});

server.registerTool('scroll', {
  description: 'scroll at a point',
  inputSchema: { ...point, direction: z.enum(['up', 'down', 'left', 'right']),
    amount: z.number().int().min(1).max(50).optional() },
}, async ({ x, y, direction, amount }) => {
  const button = { up: '4', down: '5', left: '6', right: '7' }[direction];
  await run('xdotool', ['mousemove', String(x), String(y), 'click', '--repeat', String(amount || 5),
    '--delay', '0', button]);
  return done(`scrolled ${direction} at (${x},${y})`);
});

// --delay 0 everywhere: xdotool's defaults pause 100 ms after each click and
// 12 ms after each key; xtars's pauses are 0 in the bench as well.
server.registerTool('type', { description: 'type text', inputSchema: { text: z.string() } },
  async ({ text }) => {
    await run('xdotool', ['type', '--delay', '0', '--', text]);
    return done(`typed ${JSON.stringify(text)}`);
  });

server.registerTool('key', { description: 'press a key combination', inputSchema: { keys: z.string() } },
  async ({ keys }) => {
    await run('xdotool', ['key', '--delay', '0', '--', keys]);
    return done(`pressed ${keys}`);
  });

// Times each request from the line read to the response written, as
// xtars's debug log does, by wrapping the transport the SDK server uses.
const transport = new StdioServerTransport();
const started = new Map();
const names = new Map();
server.connect(transport).then(() => {
  const onmessage = transport.onmessage;
  transport.onmessage = (message, extra) => {
    if (message.method === 'tools/call') {
      started.set(message.id, performance.now());
      names.set(message.id, message.params && message.params.name);
    }
    return onmessage(message, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message, options) => {
    await send(message, options);
    if (message.id !== undefined && started.has(message.id)) {
      const ms = performance.now() - started.get(message.id);
      process.stderr.write(JSON.stringify({ tool: names.get(message.id), ms }) + '\n');
      started.delete(message.id);
      names.delete(message.id);
    }
  };
});
