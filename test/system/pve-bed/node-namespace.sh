#!/usr/bin/env bash
# Launch a loopback test-bed node's sshd (or any command) in its own private mount namespace,
# so that one host can play several Proxmox nodes:
#   /etc/pve        the cluster's shared directory (like pmxcfs: every node sees the same files),
#                   with the node's own /etc/pve/.members bound over the shared placeholder
#                   (and nodes/NAME over /etc/pve/local, where the seed made that placeholder)
#   /run            node-private (/var/run/vzdump.pid, /run/pvefix.lock, /run/pvefix-bed/...)
#   /var/log/pve    node-private (tasks/active)
#   /var/lib/pvefix node-private (pvefix's backups on the node)
#   /mnt/pve        node-private tmpfs; every line of NODE_DIR/mounts.tsv ("source mountpoint")
#                   becomes a tmpfs there, so `umount -nlf` is real and touches this node only.
# Used by loopback/up.sh --launcher:   node-namespace.sh NAME NODE_DIR COMMAND...
# The state layout (STATE/pve, STATE/NAME/fs/...) is written by seed.sh. The namespace, with all
# its mounts, ends when its last process (the sshd and its sessions) exits.
set -euo pipefail

name=$1 dir=$2
shift 2
state=$(dirname "$dir")

if [[ ${PVEFIX_BED_IN_NAMESPACE:-} != "$name" ]]; then
  # Mount points must exist on the host; they stay empty there (all mounts are in the namespace).
  mkdir -p /etc/pve /var/log/pve /var/lib/pvefix /mnt/pve
  PVEFIX_BED_IN_NAMESPACE=$name exec unshare --mount --propagation private -- "$0" "$name" "$dir" "$@"
fi
unset PVEFIX_BED_IN_NAMESPACE

fs=$dir/fs
[[ -d $state/pve && -d $fs/run ]] || { echo "node-namespace.sh: $dir is not seeded (run seed.sh)" >&2; exit 1; }
# sshd needs its privilege-separation directory inside the private /run.
install -d -m 0755 "$fs/run/sshd" "$fs/log-pve" "$fs/lib-pvefix"

mount --bind "$state/pve" /etc/pve
[[ -f $fs/members ]] && mount --bind "$fs/members" /etc/pve/.members
# PVE links /etc/pve/local to nodes/<node>: bound so where the seed left a placeholder directory.
if [[ -d $state/pve/local && -d $state/pve/nodes/$name ]]; then
  mount --bind "$state/pve/nodes/$name" /etc/pve/local
fi
mount --bind "$fs/log-pve" /var/log/pve
mount --bind "$fs/lib-pvefix" /var/lib/pvefix
mount -t tmpfs -o size=1m,mode=0755 pvefix-bed /mnt/pve
if [[ -f $dir/mounts.tsv ]]; then
  while read -r source mountpoint; do
    [[ -n $source ]] || continue
    mkdir -p "$mountpoint"
    mount -t tmpfs -o size=64m,mode=0755 "$source" "$mountpoint"
  done <"$dir/mounts.tsv"
fi
# Last: STATE itself may live below /run.
mount --bind "$fs/run" /run

exec "$@"
