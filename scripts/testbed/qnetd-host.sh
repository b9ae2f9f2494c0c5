#!/bin/bash
# PID 1 of the qnetd host's namespaces (run by qnetd-up.sh inside `ip netns exec pvefix-qnetd
# unshare --uts --mount --pid --fork --mount-proc`): hostname `qnetd`, its own /etc/corosync,
# /root, /run and /var/log/corosync (STATE/qnetd/fs/...), then it stays as the host's init.
#   qnetd-host.sh STATE
set -euo pipefail
state=$1
fs=$state/qnetd/fs
hostname qnetd
bind() { mkdir -p "$1" && mount --bind "$1" "$2"; }
bind "$fs/etc-corosync" /etc/corosync
bind "$fs/root" /root
bind "$fs/log-corosync" /var/log/corosync
mkdir -p "$fs/run/sshd" "$fs/run/corosync-qnetd"
mount --bind "$fs/run" /run
ip link set lo up
echo ready >/run/qnetd-host.init
while :; do
  sleep 3600 &
  wait $! || true
done
