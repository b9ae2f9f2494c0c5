#!/bin/bash
# Tear down what qnetd-up.sh built (idempotent): the qnetd host's init (PID 1 of its PID
# namespace: killing it ends sshd and corosync-qnetd), checked by its command line, then the
# pvefix-qnetd namespace.
#   qnetd-down.sh [--state DIR]        (default DIR /tmp/pvefix-netns)
set -uo pipefail
state=/tmp/pvefix-netns
while (($#)); do
  case $1 in
    --state) state=$2; shift 2 ;;
    *) echo "qnetd-down.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -d $state ]] && state=$(cd "$state" && pwd)
pid=$(cat "$state/qnetd/init.pid" 2>/dev/null)
if [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "qnetd-host.sh $state"; then
  kill -KILL "$pid"
  for _ in $(seq 100); do [[ -e /proc/$pid ]] || break; sleep 0.02; done
fi
rm -f "$state/qnetd/init.pid"
ip netns list 2>/dev/null | awk '$1 == "pvefix-qnetd" {found=1} END {exit !found}' && ip netns del pvefix-qnetd
echo "qnetd-down.sh: down"
