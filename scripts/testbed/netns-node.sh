#!/bin/bash
# PID 1 of one namespace test-bed node (run by netns-up.sh inside
# `ip netns exec pvefix-NODE unshare --uts --mount --pid --fork --mount-proc`): give the node its
# hostname and its own directories, then stay as the node's init (reaping orphans) until killed.
#   /etc/pve          shared by every node (STATE/pve), like pmxcfs; /etc/pve/local and
#                     /etc/pve/.members are this node's own
#   /run /root /etc/corosync /var/lib/corosync /var/log/corosync /var/log/pve /var/lib/pvefix
#                     private (STATE/NODE/fs/...): corosync's compiled-in /var/run/corosync.pid
#                     needs its own /run, or a second corosync exits 18
#   /dev/shm          private tmpfs (libqb names its files by pid, and pids repeat across nodes)
#   /mnt/pve/<id>     tmpfs per line of STATE/NODE/mounts.tsv ("source mountpoint")
#
#   netns-node.sh STATE NODE
set -euo pipefail
state=$1 node=$2
fs=$state/$node/fs

hostname "$node"
bind() { mkdir -p "$1" && mount --bind "$1" "$2"; }
bind "$state/pve" /etc/pve
mount --bind "$state/pve/nodes/$node" /etc/pve/local
mount --bind "$fs/members" /etc/pve/.members
bind "$fs/etc-corosync" /etc/corosync
bind "$fs/lib-corosync" /var/lib/corosync
bind "$fs/log-corosync" /var/log/corosync
bind "$fs/root" /root
bind "$fs/log-pve" /var/log/pve
bind "$fs/lib-pvefix" /var/lib/pvefix
mount -t tmpfs -o size=64m,mode=1777 shm /dev/shm
mount -t tmpfs -o size=1m,mode=0755 pvefix-bed /mnt/pve
while read -r source mountpoint; do
  [[ -n $source ]] || continue
  mkdir -p "$mountpoint"
  mount -t tmpfs -o size=64m,mode=0755 "$source" "$mountpoint"
done <"$state/$node/mounts.tsv"
mkdir -p "$fs/run/sshd" "$fs/run/pvefix-bed/units" "$fs/run/pvefix-bed/hung"
# Last: STATE may live below /run.
mount --bind "$fs/run" /run
ip link set lo up

echo ready >/run/pvefix-bed/init
# bash reaps every child that ends while it waits, including daemons orphaned to PID 1.
while :; do
  sleep 3600 &
  wait $! || true
done
