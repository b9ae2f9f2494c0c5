#!/bin/bash
# Tear down what netns-up.sh built (idempotent): the stdio bridge and every node's init process
# (PID 1 of its PID namespace: killing it ends corosync, sshd and everything else of that node),
# each only after checking its command line, then every pvefix-* network namespace.
#
#   netns-down.sh [--state DIR]        (default DIR /tmp/pvefix-netns)
set -uo pipefail
state=/tmp/pvefix-netns
while (($#)); do
  case $1 in
    --state) state=$2; shift 2 ;;
    *) echo "netns-down.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -d $state ]] && state=$(cd "$state" && pwd)
started=$(date +%s%N)

cmdline() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline"; }

if [[ -f $state/bridge.pid ]]; then
  pid=$(cat "$state/bridge.pid")
  if [[ $pid =~ ^[0-9]+$ ]] && cmdline "$pid" | grep -qF "stdio-bridge.mjs $state/bridge.json"; then
    kill -TERM "$pid"
  fi
  rm -f "$state/bridge.pid"
fi

inits=()
if [[ -f $state/nodes.tsv ]]; then
  while IFS=$'\t' read -r _ _ pid _; do
    if [[ $pid =~ ^[0-9]+$ ]] && cmdline "$pid" | grep -qF "netns-node.sh $state "; then inits+=("$pid"); fi
  done <"$state/nodes.tsv"
fi
# A half-finished netns-up.sh may not have written nodes.tsv: its node inits are the
# netns-node.sh processes inside the pvefix-node* namespaces.
for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^pvefix-node[0-9]+$/ {print $1}'); do
  for pid in $(ip netns pids "$ns" 2>/dev/null); do
    if cmdline "$pid" | grep -q "^/bin/bash .*/netns-node.sh "; then inits+=("$pid"); fi
  done
done
for pid in "${inits[@]}"; do kill -KILL "$pid" 2>/dev/null; done
for pid in "${inits[@]}"; do
  for _ in $(seq 100); do [[ -e /proc/$pid ]] || break; sleep 0.02; done
done

for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^pvefix-(ctl|node[0-9]+)$/ {print $1}'); do
  ip netns del "$ns"
done
rm -f "$state/nodes.tsv" "$state/links"
echo "netns-down.sh: down in $((($(date +%s%N) - started) / 1000000)) ms"
