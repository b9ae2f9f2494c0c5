#!/usr/bin/env bash
# Stop a loopback PVE test bed started by up.sh: the sshd of every node (which ends its mount
# namespace and all tmpfs "NFS" mounts in it) and the task processes seed.sh started — each by
# its recorded PID, and only while that PID still is the process we started.
#
#   down.sh STATE
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=${1:?usage: down.sh STATE}
state=$(cd "$state" && pwd)

"$here/../loopback/down.sh" "$state"
if [[ -f $state/tasks.tsv ]]; then
  while IFS=$'\t' read -r pid name; do
    if [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "^$name "; then
      kill -TERM "$pid"
      echo "down.sh: stopped task process $name (pid $pid)"
    fi
  done <"$state/tasks.tsv"
  rm -f "$state/tasks.tsv"
fi
