#!/bin/bash
# Stop what postgres-up.sh started (idempotent): the postmaster by the PID in its
# postmaster.pid, only after checking its command line names this bed's data directory; then,
# with --purge, remove the state directory.
#
#   postgres-down.sh [--state DIR] [--purge]   (default DIR /tmp/pvefix-pg)
set -uo pipefail
state=/tmp/pvefix-pg
purge=0
while (($#)); do
  case $1 in
    --state) state=$2; shift 2 ;;
    --purge) purge=1; shift ;;
    *) echo "postgres-down.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -d $state ]] || exit 0
state=$(cd "$state" && pwd)
data=$state/data
if [[ -f $data/postmaster.pid ]]; then
  pid=$(head -1 "$data/postmaster.pid")
  if [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-D $data"; then
    # SIGINT is PostgreSQL's fast shutdown: running transactions are rolled back, clients cut.
    kill -INT "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
fi
rm -f "$state/url"
((purge)) && rm -rf "$state"
exit 0
