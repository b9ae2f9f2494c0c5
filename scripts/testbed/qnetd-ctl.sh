#!/bin/bash
# Stop or start the bed's corosync-qnetd (qnetd-up.sh) by the pid file it writes; the host stays.
#   qnetd-ctl.sh [--state DIR] stop|start
set -euo pipefail
state=/tmp/pvefix-netns
while (($#)); do
  case $1 in
    --state) state=$2; shift 2 ;;
    stop | start) verb=$1; shift ;;
    *) echo "qnetd-ctl.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
dir=$state/qnetd
init=$(cat "$dir/init.pid")
# The pid file holds a pid of the host's PID namespace: look it up and signal it from in there.
inside() { nsenter --target "$init" --net --mount --uts --pid -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
pidfile=/run/corosync-qnetd/corosync-qnetd.pid
live() { inside sh -c "p=\$(cat $pidfile 2>/dev/null) && tr '\\0' ' ' 2>/dev/null </proc/\$p/cmdline | grep -q '^corosync-qnetd'"; }
case ${verb:-} in
  start)
    live && exit 0
    inside corosync-qnetd >>"$dir/init.log" 2>&1
    for _ in $(seq 100); do live && exit 0; sleep 0.05; done
    echo "qnetd-ctl.sh: corosync-qnetd did not start; see $dir/init.log" >&2
    exit 1
    ;;
  stop)
    live || exit 0
    inside sh -c "kill -TERM \$(cat $pidfile)"
    for _ in $(seq 100); do live || exit 0; sleep 0.05; done
    inside sh -c "kill -KILL \$(cat $pidfile)" 2>/dev/null || true
    ;;
  *) echo "qnetd-ctl.sh: say stop or start" >&2; exit 2 ;;
esac
