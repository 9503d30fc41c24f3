# shellcheck shell=bash disable=SC2154
# xdesktop.sh: sourced by the benches that paint a desktop on a private Xvfb
# (bench/mcp.sh, bench/report.sh). The caller has set -e, $tmp (a directory it
# removes) and the array pids, whose processes its EXIT trap kills.
#
# xdesktop_start NAME WxH: starts Xvfb -displayfd of WxH, exports DISPLAY, and
#   shows a gradient wallpaper of that size (a window: display -window root
#   fails on Xvfb without a window manager). NAME prefixes the messages.
# xdesktop_show FILE +X+Y [TITLE]: shows an image in a window at +X+Y.

xdesktop_show() {
  display ${3:+-title "$3"} -geometry "$2" "$1" 2>/dev/null &
  pids+=($!)
}

xdesktop_start() {
  Xvfb -displayfd 9 -screen 0 "$2x24" -nolisten tcp 9>"$tmp/display" 2>"$tmp/xvfb.log" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$tmp/display" ] && break; sleep 0.1; done
  [ -s "$tmp/display" ] || { echo "$1: Xvfb did not start:" >&2; cat "$tmp/xvfb.log" >&2; exit 1; }
  DISPLAY=":$(head -n1 "$tmp/display")"
  export DISPLAY
  convert -size "$2" gradient:'#1d3557-#a8dadc' "$tmp/wallpaper.png"
  xdesktop_show "$tmp/wallpaper.png" +0+0
  sleep 0.5
}
