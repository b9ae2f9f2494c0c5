#!/usr/bin/env bash
# Stop the sshd that up.sh started in STATE_DIR: exactly the PIDs in their pid files, and only
# when that PID still runs sshd with this state dir's config (a reused PID is left alone).
#
#   down.sh STATE_DIR
set -euo pipefail

state=${1:?usage: down.sh STATE_DIR}
state=$(cd "$state" && pwd)

for pidfile in "$state"/*/sshd.pid; do
  [[ -e $pidfile ]] || continue
  dir=$(dirname "$pidfile")
  pid=$(cat "$pidfile")
  if [[ ! $pid =~ ^[0-9]+$ ]] || ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/sshd_config"; then
    echo "down.sh: $(basename "$dir"): pid ${pid:-?} is not its sshd any more; nothing to stop"
    rm -f "$pidfile"
    continue
  fi
  kill -TERM "$pid"
  # Gone, or a zombie (empty cmdline) that its parent has not reaped yet: either way it has stopped.
  running() { tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "$dir/sshd_config"; }
  for _ in $(seq 100); do
    running || break
    sleep 0.05
  done
  if running; then kill -KILL "$pid"; fi
  rm -f "$pidfile"
  echo "down.sh: stopped $(basename "$dir") (pid $pid)"
done
