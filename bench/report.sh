#!/usr/bin/env bash
# report.sh: `make bench`: a STEPS-step run's report in headless Chromium,
# xtars's next to Midscene's (npm @midscene/core, its own report writer, in
# its single-file mode), both made in this run from the same screenshots
# (docs/performance.md, "Report").
#  1. a private Xvfb (-displayfd) of 1920x1080 with a desktop (a gradient, a
#     terminal that shows more source code each step, a photo-like picture
#     that moves and now and then closes), and one `xtars screenshot --size
#     native` per step: STEPS distinct PNGs of a few hundred KB;
#  2. those as a UI-TARS-desktop GUIAgentData export (bench/report_fixture.cjs)
#     -> `xtars import --from uitars-desktop` -> `xtars report DIR`;
#  3. the same screenshots and steps through Midscene's ReportGenerator
#     (bench/report_midscene.cjs; "not measured" when npm could not install it);
#  4. bench/report_measure.cjs opens each in a fresh headless Chromium RUNS
#     times and prints one table: metric, xtars, Midscene, ratio.
# Needs Xvfb, xterm, xdotool, ImageMagick, node, chromium (make deps).
# Environment: BUILD (default build), STEPS (200), RUNS (3), NO_NPM=1,
# KEEP=DIR (keep the screenshots and both reports in DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
STEPS=${STEPS:-200}
RUNS=${RUNS:-3}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

for program in node Xvfb xterm xdotool convert display "$CHROMIUM"; do
  command -v "$program" >/dev/null || { echo "report.sh: $program not found (make deps)" >&2; exit 1; }
done
cmake -S . -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j 2 --target xtars >/dev/null
xtars=$(cd "$BUILD" && pwd)/xtars
bench/npm_peers.sh

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ] && mkdir -p "$KEEP"; then
    cp -r "$tmp/shots" "$tmp/traj" "$tmp/midscene" "$KEEP"/ 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# 1. The desktop and the screenshots.
. bench/xdesktop.sh
xdesktop_start report.sh 1920x1080
convert -size 640x360 -seed 7 plasma:fractal "$tmp/photo.png"
convert -size 360x220 -seed 11 plasma:fractal "$tmp/picture.png"
xdesktop_show "$tmp/picture.png" +1520+820
xdesktop_show "$tmp/photo.png" +1000+40 bench-photo
: >"$tmp/terminal.txt"
xterm -geometry 120x62+10+10 -e tail -f "$tmp/terminal.txt" 2>/dev/null &
pids+=($!)
photo=
for _ in $(seq 100); do
  photo=$(xdotool search --name bench-photo 2>/dev/null | head -n1) && [ -n "$photo" ] &&
    [ "$(xdotool search --onlyvisible --class xterm 2>/dev/null | wc -l)" -ge 1 ] && break
  sleep 0.1
done
[ -n "$photo" ] || { echo "report.sh: the picture's window did not appear" >&2; exit 1; }
sleep 1
# The terminal's text: the repository's sources, 9 more lines each step.
cat agent/*/*.c capture/*.c actions/*.c >"$tmp/source.txt"

mkdir "$tmp/shots"
echo "report.sh: $STEPS screenshots of a 1920x1080 Xvfb desktop" >&2
for step in $(seq 1 "$STEPS"); do
  sed -n "$(( (step - 1) * 9 + 1 )),$(( step * 9 ))p" "$tmp/source.txt" >>"$tmp/terminal.txt"
  if [ $(( step % 5 )) -eq 0 ]; then
    xdotool windowunmap "$photo"
  else
    xdotool windowmap "$photo" windowmove "$photo" $(( (step * 131) % 1280 )) $(( (step * 71) % 720 ))
  fi
  sleep 0.05
  "$xtars" screenshot --size native "$(printf '%s/shots/step-%03d.png' "$tmp" "$step")" 2>/dev/null
done
sizes=$(stat -c %s "$tmp"/shots/*.png | sort -n)
distinct=$(sha256sum "$tmp"/shots/*.png | cut -d' ' -f1 | sort -u | wc -l)
echo "report.sh: $distinct distinct screenshots of $STEPS, $(echo "$sizes" | head -n1)-$(echo "$sizes" | tail -n1) bytes," \
  "$(echo "$sizes" | awk '{s += $1} END {printf "%.1f MB", s / 1e6}') in all" >&2
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

# 2. xtars's report.
node bench/report_fixture.cjs "$tmp/shots" "$tmp/guiagent.json"
"$xtars" import --from uitars-desktop "$tmp/guiagent.json" --out "$tmp/traj" >/dev/null
rm -f "$tmp/guiagent.json"
start=$(now_ms)
"$xtars" report "$tmp/traj" >/dev/null
xtars_write_ms=$(( $(now_ms) - start ))

# 3. Midscene's report, when npm could install it.
peer_args=()
if [ -d bench/node_modules/@midscene/core ]; then
  start=$(now_ms)
  if NODE_PATH=bench/node_modules node bench/report_midscene.cjs "$tmp/shots" "$tmp/midscene" >"$tmp/midscene.json"; then
    peer_write_ms=$(( $(now_ms) - start ))
    peer_args=(peer="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1])).report)' "$tmp/midscene.json")"
      --peer-write-ms "$peer_write_ms")
  else
    echo "report.sh: Midscene's report writer failed; Midscene is not measured" >&2
  fi
else
  echo "report.sh: @midscene/core is not installed (bench/npm_peers.sh); Midscene is not measured" >&2
fi

# 4. Both in Chromium.
echo "report.sh: load average before measuring: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
node bench/report_measure.cjs --chromium "$CHROMIUM" --shots "$tmp/shots" --tmp "$tmp" --runs "$RUNS" \
  --peer-name "Midscene $(node -p 'require("./bench/node_modules/@midscene/core/package.json").version' 2>/dev/null)" \
  xtars="$tmp/traj/report.html" --xtars-write-ms "$xtars_write_ms" "${peer_args[@]}"
echo "report.sh: load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
