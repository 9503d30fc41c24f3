// report_measure.cjs: opens HTML reports in headless Chromium and prints, per
// report, when the first screenshot is shown, DOMContentLoaded and load, and
// what the file costs over the screenshots it embeds; xtars's report next to
// the peer's (bench/report.sh makes both from the same screenshots) with the
// ratio. Every figure is measured in this run; nothing is asserted.
//   node report_measure.cjs --chromium BIN --shots DIR --tmp DIR [--runs 3]
//        xtars=FILE.html peer=FILE.html [--peer-name NAME]
//        [--xtars-write-ms N --peer-write-ms N]   (how long writing each took)
//
// Each run of each page is one fresh Chromium process (fresh profile) with
// --dump-dom on a harness page that loads the report in an iframe and polls
// it on every animation frame, reading the frame's own clock
// (performance.now() and the navigation timing of the frame, both from the
// frame's navigation start):
//   first screenshot  the first moment an <img> of at least 1000 px natural
//                     width is complete, decoded (naturalWidth > 0) and laid
//                     out inside the frame's viewport (non-empty
//                     getBoundingClientRect that intersects it)
//   DOMContentLoaded  navigation timing domContentLoadedEventStart
//   load              navigation timing loadEventStart
// --dump-dom dumps the page at its load event; the harness holds that event
// back with a second iframe whose document it keeps open (document.open())
// until it has its figures. Two more pages check the harness: an empty page
// (Chromium's own start-up: subtract it from "whole process") and a trivial
// page holding one of the screenshots as a data: URL (what one image costs).
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { spawnSync } = require('child_process');

const FIRST_IMAGE_WAIT_MS = 60000; // after load, how long to wait for a screenshot
const CHROMIUM_TIMEOUT_MS = 180000;

function parseArgs(argv) {
  const opts = { runs: 3, pages: [], peerName: 'peer' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--chromium') opts.chromium = argv[++i];
    else if (arg === '--shots') opts.shots = argv[++i];
    else if (arg === '--tmp') opts.tmp = argv[++i];
    else if (arg === '--runs') opts.runs = parseInt(argv[++i], 10);
    else if (arg === '--peer-name') opts.peerName = argv[++i];
    else if (arg === '--xtars-write-ms') opts.xtarsWriteMs = parseFloat(argv[++i]);
    else if (arg === '--peer-write-ms') opts.peerWriteMs = parseFloat(argv[++i]);
    else if (/^(xtars|peer)=/.test(arg)) {
      const [name, file] = [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)];
      opts[name] = file ? path.resolve(file) : null;
    } else throw new Error(`unknown argument '${arg}' (usage: see the head of report_measure.cjs)`);
  }
  if (!opts.chromium || !opts.shots || !opts.tmp || !opts.xtars || !(opts.runs > 0))
    throw new Error('usage: report_measure.cjs --chromium BIN --shots DIR --tmp DIR [--runs N] xtars=FILE [peer=FILE]');
  return opts;
}

const median = (list) => {
  const s = list.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (!s.length) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function harness(target, wantImage) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>report bench harness</title>
<style>html,body{margin:0;height:100%;overflow:hidden}#f{position:fixed;inset:0;width:100%;height:100%;border:0}
#hold,#out{display:none}</style></head><body>
<pre id="out">pending</pre><iframe id="hold"></iframe>
<iframe id="f" src="${target}"></iframe>
<script>
'use strict';
const hold = document.getElementById('hold').contentDocument;
hold.open(); hold.write('<p>holding the load event');
const frame = document.getElementById('f');
const target = new URL(frame.getAttribute('src'), location.href).href;
const result = { first_image_ms: null, dcl_ms: null, load_ms: null, images: 0, big_images: 0, error: null };
const begun = performance.now();
let loadSeenAt = null;
function finish(error) {
  if (error) result.error = error;
  try {
    const doc = frame.contentWindow.document;
    result.images = doc.images.length;
    result.big_images = Array.from(doc.images).filter((img) => img.naturalWidth >= 1000).length;
  } catch (e) { result.error = result.error || String(e); }
  document.getElementById('out').textContent = 'RESULT ' + JSON.stringify(result);
  hold.close();
}
function shown(win, img) {
  if (!img.complete || img.naturalWidth < 1000) return false;
  const r = img.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < win.innerHeight && r.left < win.innerWidth;
}
function poll() {
  let win = null;
  try { win = frame.contentWindow; if (win.location.href !== target) win = null; } catch (e) { return finish(String(e)); }
  if (win) {
    if (result.first_image_ms === null) {
      for (const img of win.document.images) {
        if (shown(win, img)) { result.first_image_ms = win.performance.now(); break; }
      }
    }
    const nav = win.performance.getEntriesByType('navigation')[0];
    if (nav && nav.domContentLoadedEventStart > 0) result.dcl_ms = nav.domContentLoadedEventStart;
    if (nav && nav.loadEventStart > 0) {
      result.load_ms = nav.loadEventStart;
      if (loadSeenAt === null) loadSeenAt = performance.now();
      if (result.first_image_ms !== null || !${wantImage}) return finish(null);
      if (performance.now() - loadSeenAt > ${FIRST_IMAGE_WAIT_MS}) return finish('no screenshot shown');
    }
  }
  if (performance.now() - begun > ${CHROMIUM_TIMEOUT_MS - 20000}) return finish('timed out');
  requestAnimationFrame(poll);
}
requestAnimationFrame(poll);
</script></body></html>
`;
}

// One fresh Chromium on the harness of one page: the figures, and the whole
// process's wall time.
function measure(opts, name, file) {
  const profile = fs.mkdtempSync(path.join(opts.tmp, 'chromium-profile-'));
  const page = path.join(path.dirname(file), `harness-${name}.html`);
  fs.writeFileSync(page, harness(encodeURI(path.basename(file)), name !== 'empty'));
  const started = process.hrtime.bigint();
  const run = spawnSync(opts.chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--allow-file-access-from-files', '--window-size=1400,900', `--user-data-dir=${profile}`,
    '--dump-dom', `file://${encodeURI(page)}`],
  { encoding: 'utf8', timeout: CHROMIUM_TIMEOUT_MS, maxBuffer: 64 << 20 });
  const process_ms = Number(process.hrtime.bigint() - started) / 1e6;
  fs.rmSync(profile, { recursive: true, force: true });
  fs.rmSync(page, { force: true });
  const match = /RESULT (\{.*?\})<\/pre>/.exec(run.stdout || '');
  if (!match) {
    const why = run.error ? run.error.message : `exit ${run.status}`;
    return { error: `no result from chromium (${why})`, process_ms };
  }
  const result = JSON.parse(match[1].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  result.process_ms = process_ms;
  return result;
}

// The images embedded as base64 data: URLs in an HTML file, against the
// screenshots they should be: how many of them, how often, and the bytes of
// everything else.
function embedded(file, shotHashes) {
  const bytes = fs.readFileSync(file);
  const text = bytes.toString('latin1');
  const pattern = /data:image\/(png|jpeg);base64,([A-Za-z0-9+/=]+)/g;
  const seen = new Map();
  const other = { count: 0, bytes: 0 };
  let match;
  while ((match = pattern.exec(text)) !== null) {
    const decoded = Buffer.from(match[2], 'base64');
    const hash = crypto.createHash('sha256').update(decoded).digest('hex');
    if (shotHashes.has(hash)) seen.set(hash, (seen.get(hash) || 0) + 1);
    else { other.count++; other.bytes += decoded.length; }
  }
  let shotBytes = 0;
  let copies = 0;
  for (const [hash, count] of seen) { shotBytes += shotHashes.get(hash); copies += count; }
  return { size: bytes.length, shots: seen.size, copies, shotBytes, other };
}

const fmtMs = (v) => (v === null ? 'n/a' : `${v.toFixed(v < 100 ? 1 : 0)} ms`);
const fmtMB = (v) => `${(v / 1e6).toFixed(1)} MB`;
const ratio = (a, b) => (a === null || b === null || !b ? '' : `${(a / b).toFixed(2)}x`);

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const shots = fs.readdirSync(opts.shots).filter((n) => /\.png$/.test(n)).sort().map((n) => path.join(opts.shots, n));
  const shotHashes = new Map();
  for (const file of shots) {
    const data = fs.readFileSync(file);
    shotHashes.set(crypto.createHash('sha256').update(data).digest('hex'), data.length);
  }
  const pngTotal = [...shotHashes.values()].reduce((a, b) => a + b, 0);

  // The harness's own check pages, beside the reports so the same flags apply.
  const checkDir = fs.mkdtempSync(path.join(opts.tmp, 'pages-'));
  const empty = path.join(checkDir, 'empty.html');
  fs.writeFileSync(empty, '<!doctype html><title>empty</title>');
  const trivial = path.join(checkDir, 'trivial.html');
  fs.writeFileSync(trivial, `<!doctype html><title>one screenshot</title><img style="width:100%" alt="" src="data:image/png;base64,${
    fs.readFileSync(shots[0]).toString('base64')}">`);

  const pages = [['empty', empty], ['trivial', trivial], ['xtars', opts.xtars]];
  if (opts.peer) pages.push(['peer', opts.peer]);
  const results = Object.fromEntries(pages.map(([name]) => [name, []]));
  for (let run = 0; run < opts.runs; run++) {
    // xtars and the peer take turns going first.
    const order = run % 2 ? pages.slice().reverse() : pages;
    for (const [name, file] of order) {
      const result = measure(opts, name, file);
      results[name].push(result);
      process.stderr.write(`report_measure: run ${run + 1} ${name}: ${JSON.stringify(result)}\n`);
    }
  }

  const med = (name, key) => (results[name] ? median(results[name].map((r) => r[key])) : null);
  const errors = (name) => (results[name] || []).map((r) => r.error).filter(Boolean);
  const out = [];
  const row = (metric, x, p, r, note) => out.push(`| ${metric} | ${x} | ${p} | ${r} | ${note || ''} |`);
  const peerName = opts.peer ? opts.peerName.trim() : `${opts.peerName.trim()} (not measured)`;
  out.push(`Report of ${shots.length} steps (${shots.length} screenshots, ${fmtMB(pngTotal)} of PNG), ` +
    `medians of ${opts.runs} runs, one fresh headless Chromium each:`);
  out.push('');
  out.push(`| metric | xtars | ${peerName} | ratio xtars/peer | note |`);
  out.push('| --- | --- | --- | --- | --- |');
  for (const [label, key] of [['first screenshot shown', 'first_image_ms'], ['DOMContentLoaded', 'dcl_ms'],
    ['load event', 'load_ms'], ['whole Chromium process', 'process_ms']]) {
    const x = med('xtars', key);
    const p = opts.peer ? med('peer', key) : null;
    row(label, fmtMs(x), opts.peer ? fmtMs(p) : 'not measured', ratio(x, p),
      key === 'process_ms' ? `empty page: ${fmtMs(med('empty', key))}` :
        `one screenshot alone: ${fmtMs(med('trivial', key))}`);
  }
  if (opts.xtarsWriteMs > 0) {
    const p = opts.peer && opts.peerWriteMs > 0 ? opts.peerWriteMs : null;
    row('writing the report (whole process, once)', fmtMs(opts.xtarsWriteMs), p === null ? 'not measured' : fmtMs(p),
      ratio(opts.xtarsWriteMs, p), '`xtars report DIR`; node + Midscene\'s ReportGenerator');
  }
  const sizes = { xtars: embedded(opts.xtars, shotHashes) };
  if (opts.peer) sizes.peer = embedded(opts.peer, shotHashes);
  const cell = (name, f) => (sizes[name] ? f(sizes[name]) : 'not measured');
  row('file size', cell('xtars', (s) => fmtMB(s.size)), cell('peer', (s) => fmtMB(s.size)),
    sizes.peer ? ratio(sizes.xtars.size, sizes.peer.size) : '');
  row('screenshots embedded (found / copies)', cell('xtars', (s) => `${s.shots} / ${s.copies}`),
    cell('peer', (s) => `${s.shots} / ${s.copies}`), '', `of ${shotHashes.size}`);
  row('their PNG bytes', cell('xtars', (s) => fmtMB(s.shotBytes)), cell('peer', (s) => fmtMB(s.shotBytes)), '');
  row('other images (thumbnails...)', cell('xtars', (s) => `${s.other.count}, ${(s.other.bytes / 1e3).toFixed(0)} KB`),
    cell('peer', (s) => `${s.other.count}, ${(s.other.bytes / 1e3).toFixed(0)} KB`), '');
  const over = (s, base) => `${((s.size / base - 1) * 100).toFixed(1)}%`;
  row('file over the PNG bytes', cell('xtars', (s) => over(s, s.shotBytes)), cell('peer', (s) => over(s, s.shotBytes)), '',
    'base64 alone is +33.3%');
  row('file over the PNGs in base64', cell('xtars', (s) => over(s, 4 * Math.ceil(s.shotBytes / 3))),
    cell('peer', (s) => over(s, 4 * Math.ceil(s.shotBytes / 3))), '', 'what the page adds to the data: URLs');
  for (const name of Object.keys(results)) {
    const list = errors(name);
    if (list.length) out.push(`\n${name}: ${list.length} of ${opts.runs} runs incomplete: ${[...new Set(list)].join('; ')}`);
  }
  process.stdout.write(out.join('\n') + '\n');
  fs.rmSync(checkDir, { recursive: true, force: true });
}

try {
  main();
} catch (error) {
  process.stderr.write(`report_measure: ${error.message}\n`);
  process.exit(2);
}
