#!/usr/bin/env bash
# The dashboard's memory as a user drives it: the release binary in tmux (120x40) on a
# sessions directory, resident memory and its peak (VmRSS, VmHWM from /proc/PID/status) read
# once the process is idle after the first load, after `t` (the history) and after `Tab` (the
# timeline). The numbers are in docs/PERFORMANCE.md.
#
# Usage: benches/dashboard_memory.sh DIR [--fresh]
#   DIR      a sessions directory, e.g. one made by `baton demo --sessions 10000 [--seed-layout]`
#   --fresh  measure a copy of DIR without its index (.baton/index/ removed), so `t` builds
#            the index from nothing, as the first time after a clone
# BATON_BIN picks the binary (default: target/release/baton, built if missing).
# Needs tmux. Ends only the tmux session it started.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:?usage: benches/dashboard_memory.sh DIR [--fresh]}
BIN=${BATON_BIN:-$ROOT/target/release/baton}
command -v tmux >/dev/null || { echo "dashboard_memory: tmux is required" >&2; exit 2; }
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release --quiet)

WORK=""
if [ "${2:-}" = "--fresh" ]; then
    WORK=$(mktemp -d)
    cp -r "$DIR" "$WORK/dir"
    rm -rf "$WORK/dir/.baton/index"
    DIR="$WORK/dir"
fi
SESSION="baton-memory-$$"
cleanup() {
    tmux kill-session -t "$SESSION" 2>/dev/null || true
    if [ -n "$WORK" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

tmux new-session -d -s "$SESSION" -x 120 -y 40 "$BIN --dir '$DIR'"
sleep 0.5
PID=$(tmux list-panes -t "$SESSION" -F '#{pane_pid}')

# Idle: no CPU time used for a whole second.
wait_idle() {
    local prev=-1 cur
    for _ in $(seq 1 300); do
        cur=$(awk '{print $14 + $15}' "/proc/$PID/stat")
        [ "$cur" = "$prev" ] && return
        prev=$cur
        sleep 1
    done
}
report() {
    awk -v what="$1" '/VmRSS/ {rss = int($2 / 1024)} /VmHWM/ {hwm = int($2 / 1024)}
        END {printf "%-12s resident %4d MB   peak %4d MB\n", what, rss, hwm}' "/proc/$PID/status"
}

wait_idle; report "first load"
tmux send-keys -t "$SESSION" t; sleep 0.3; wait_idle; report "after t"
tmux send-keys -t "$SESSION" Tab; sleep 0.3; wait_idle; report "after Tab"
