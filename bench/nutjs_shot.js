// nutjs_shot.js: the UI-TARS-desktop screenshot path, for comparison with
// xtars in bench/capture.sh: nut-js grabs the screen, the RGB bitmap goes into
// jimp, jimp resizes it to the physical size (a no-op size at scale 1, as in
// UI-TARS-desktop's NutJSOperator.screenshot) and encodes a PNG, which is then
// base64-encoded. Usage: node nutjs_shot.js [ITERATIONS]; prints one JSON line
// with the median milliseconds per screenshot and the base64 length.
'use strict';

const { screen } = require('@nut-tree-fork/nut-js');
const { Jimp } = require('jimp');

async function screenshotOnce() {
  const grabbed = await screen.grab();
  const rgb = await grabbed.toRGB();
  const width = rgb.width / rgb.pixelDensity.scaleX;
  const height = rgb.height / rgb.pixelDensity.scaleY;
  const image = Jimp.fromBitmap({
    width: rgb.width,
    height: rgb.height,
    data: Buffer.from(rgb.data),
  });
  const png = await image.resize({ w: width, h: height }).getBuffer('image/png');
  return { base64: png.toString('base64'), width, height };
}

async function main() {
  const iterations = Math.max(1, parseInt(process.argv[2] || '1', 10));
  const times = [];
  let last = null;
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    last = await screenshotOnce();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(JSON.stringify({
    median_ms: median,
    base64_bytes: last.base64.length,
    width: last.width,
    height: last.height,
  }));
}

main().catch((e) => {
  console.error(`nutjs_shot: ${e && e.message ? e.message : e}`);
  process.exit(1);
});
