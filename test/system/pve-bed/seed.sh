#!/usr/bin/env bash
# Seed the loopback test bed's cluster "bed" (nodes pve1 pve2 pve3) in STATE, the files that
# node-namespace.sh mounts into each node:
#   STATE/pve/                 shared /etc/pve: corosync.conf, storage.cfg, .vmlist, guest configs
#   STATE/<node>/fs/run/       private /run: pvefix-bed/quorum, pvefix-bed/running, vzdump.pid
#   STATE/<node>/fs/log-pve/   private /var/log/pve: tasks/active
#   STATE/<node>/fs/members    the node's /etc/pve/.members
#   STATE/<node>/mounts.tsv    tmpfs "NFS" mounts under /mnt/pve
#   STATE/tasks.tsv            processes started here (pid, argv0): stop them with down.sh
# The situations:
#   CT 100 on pve1: lock backup left by a vzdump that died (its pid is gone; a stale vzdump.pid too)
#   VM 200 on pve1: lock migrate held by a qmigrate task that really runs (a live `sleep`)
#   nfs-iso hangs on pve3, where no guest uses it (safe to fix unattended)
#   nfs-images hangs on pve2 under the running VM 210 (needs a human)
# Hang a mount later with: echo /mnt/pve/<id> > STATE/<node>/fs/run/pvefix-bed/hung/<id>
# The NFS servers of nfs-iso and nfs-images (default 10.10.20.51 and .52); pve-bed.ts gives
# loopback addresses where it listens on port 2049, so pvefix's server check gets a real answer.
#
#   seed.sh STATE [ISO_SERVER IMAGES_SERVER]
set -euo pipefail

state=${1:?usage: seed.sh STATE [ISO_SERVER IMAGES_SERVER]}
iso_server=${2:-10.10.20.51}
images_server=${3:-10.10.20.52}
mkdir -p "$state"
state=$(cd "$state" && pwd)
nodes=(pve1 pve2 pve3)
pve=$state/pve
now=$(date +%s)
hex8() { printf '%08X' "$1"; }

# Start ticks of a process (field 22 of /proc/<pid>/stat; the comm field may contain spaces).
pstart() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $20}'; }

rm -rf "$pve"
mkdir -p "$pve/priv"
for n in "${nodes[@]}"; do
  mkdir -p "$pve/nodes/$n/qemu-server" "$pve/nodes/$n/lxc" "$pve/nodes/$n/priv"
  mkdir -p "$state/$n/fs/run/pvefix-bed/hung" "$state/$n/fs/log-pve/tasks" "$state/$n/fs/lib-pvefix"
  rm -f "$state/$n/fs/run/pvefix-bed/hung/"* "$state/$n/fs/run/vzdump.pid" "$state/$n/fs/run/pvefix.lock/owner"
  rmdir "$state/$n/fs/run/pvefix.lock" 2>/dev/null || true
done

cat >"$pve/corosync.conf" <<'CONF'
logging {
  debug: off
  to_syslog: yes
}

nodelist {
  node {
    name: pve1
    nodeid: 1
    quorum_votes: 1
    ring0_addr: 10.10.10.1
  }
  node {
    name: pve2
    nodeid: 2
    quorum_votes: 1
    ring0_addr: 10.10.10.2
  }
  node {
    name: pve3
    nodeid: 3
    quorum_votes: 1
    ring0_addr: 10.10.10.3
  }
}

quorum {
  provider: corosync_votequorum
}

totem {
  cluster_name: bed
  config_version: 3
  interface {
    linknumber: 0
  }
  ip_version: ipv4-6
  link_mode: passive
  secauth: on
  version: 2
}

CONF

printf '%s\n' \
  "dir: local" $'\tpath /var/lib/vz' $'\tcontent iso,vztmpl,backup' "" \
  "lvmthin: local-lvm" $'\tthinpool data' $'\tvgname pve' $'\tcontent rootdir,images' "" \
  "nfs: nfs-images" $'\texport /export/images' $'\tpath /mnt/pve/nfs-images' $'\tserver '"$images_server" \
  $'\tcontent images' $'\toptions vers=4.2' "" \
  "nfs: nfs-iso" $'\texport /export/iso' $'\tpath /mnt/pve/nfs-iso' $'\tserver '"$iso_server" \
  $'\tcontent iso,vztmpl' >"$pve/storage.cfg"

cat >"$pve/nodes/pve1/lxc/100.conf" <<'CONF'
#Web frontend%3A nginx + php-fpm
#owner%3A web team (50%25 of traffic)
arch: amd64
cores: 2
hostname: web01
lock: backup
memory: 2048
net0: name=eth0,bridge=vmbr0,firewall=1,hwaddr=BC:24:11:5A:00:64,ip=dhcp,type=veth
onboot: 1
ostype: debian
parent: before-upgrade
rootfs: local-lvm:vm-100-disk-0,size=8G
swap: 512
unprivileged: 1

[before-upgrade]
arch: amd64
cores: 2
hostname: web01
memory: 2048
rootfs: local-lvm:vm-100-disk-0,size=8G
snaptime: 1772900000
CONF

vm_conf() { # vmid name extra-lines...
  local vmid=$1 name=$2
  shift 2
  {
    printf '%s\n' "boot: order=scsi0;ide2;net0" "cores: 2" "cpu: x86-64-v2-AES" "ide2: none,media=cdrom" \
      "memory: 4096" "meta: creation-qemu=9.2.0,ctime=1760012345" "name: $name" \
      "net0: virtio=BC:24:11:5A:00:$(printf '%02X' $((vmid % 256))),bridge=vmbr0,firewall=1" "numa: 0" \
      "ostype: l26" "scsi0: local-lvm:vm-$vmid-disk-0,iothread=1,size=32G" "scsihw: virtio-scsi-single" \
      "sockets: 1" "$@"
  } | LC_ALL=C sort
}
vm_conf 200 db01 "lock: migrate" >"$pve/nodes/pve1/qemu-server/200.conf"
vm_conf 210 files01 "scsi1: nfs-images:210/vm-210-disk-1.qcow2,iothread=1,size=100G" \
  >"$pve/nodes/pve2/qemu-server/210.conf"

cat >"$pve/.vmlist" <<'JSON'
{
"version": 7,
"ids": {
"100": { "node": "pve1", "type": "lxc", "version": 1 },
"200": { "node": "pve1", "type": "qemu", "version": 2 },
"210": { "node": "pve2", "type": "qemu", "version": 3 }}

}
JSON
: >"$pve/.members"

members="1:10.10.10.1 2:10.10.10.2 3:10.10.10.3"
for i in "${!nodes[@]}"; do
  n=${nodes[$i]} id=$((i + 1))
  printf 'nodeid=%s\nquorate=1\nexpected=3\nmembers="%s"\n' "$id" "$members" >"$state/$n/fs/run/pvefix-bed/quorum"
  cat >"$state/$n/fs/members" <<JSON
{
"nodename": "$n",
"version": 9,
"cluster": { "name": "bed", "version": 3, "nodes": 3, "quorate": 1 },
"nodelist": {
  "pve1": { "id": 1, "online": 1, "ip": "10.10.10.1"},
  "pve2": { "id": 2, "online": 1, "ip": "10.10.10.2"},
  "pve3": { "id": 3, "online": 1, "ip": "10.10.10.3"}
  }
}
JSON
  printf '%s\n' "$iso_server:/export/iso /mnt/pve/nfs-iso" "$images_server:/export/images /mnt/pve/nfs-images" \
    >"$state/$n/mounts.tsv"
  : >"$state/$n/fs/run/pvefix-bed/running"
  : >"$state/$n/fs/log-pve/tasks/active"
done
printf '100 41234\n200 41377\n' >"$state/pve1/fs/run/pvefix-bed/running"
printf '210 52110\n' >"$state/pve2/fs/run/pvefix-bed/running"
echo /mnt/pve/nfs-iso >"$state/pve3/fs/run/pvefix-bed/hung/nfs-iso"
echo /mnt/pve/nfs-images >"$state/pve2/fs/run/pvefix-bed/hung/nfs-images"

# A migration that really runs: a process of its own, named so down.sh can recognise it.
task_name=pvefix-bed-qmigrate-200
bash -c "exec -a $task_name sleep 86400" </dev/null >/dev/null 2>&1 &
task_pid=$!
for _ in $(seq 50); do grep -q "^$task_name" "/proc/$task_pid/cmdline" 2>/dev/null && break; sleep 0.02; done
printf '%s\t%s\n' "$task_pid" "$task_name" >>"$state/tasks.tsv"
migrate="UPID:pve1:$(hex8 "$task_pid"):$(hex8 "$(pstart "$task_pid")"):$(hex8 $((now - 240))):qmigrate:200:root@pam:"

# A vzdump that died: its pid exited already, so the "running" claim is stale.
sh -c 'exit 0' &
dead_pid=$!
wait "$dead_pid"
backup="UPID:pve1:$(hex8 "$dead_pid"):$(hex8 $((RANDOM * 100))):$(hex8 $((now - 90000))):vzdump:100:root@pam:"
started="UPID:pve1:$(hex8 $((dead_pid + 7))):$(hex8 $((RANDOM * 90))):$(hex8 $((now - 180000))):vzstart:100:root@pam:"
printf '%s\n' "$migrate 0" "$backup 0" "$started 1 $(hex8 $((now - 179990))) OK" >"$state/pve1/fs/log-pve/tasks/active"
printf '%s\n' "$backup" >"$state/pve1/fs/run/vzdump.pid"

echo "seed.sh: cluster 'bed' seeded in $state (qmigrate task pid $task_pid)"
