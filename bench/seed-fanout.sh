#!/usr/bin/env bash
# Seed an N-node cluster "fan" (pve1..pveN) for the fan-out benchmark, in the layout the loopback
# test bed's node-namespace.sh mounts (see test/system/pve-bed/seed.sh for the 3-node original):
# every node owns one container, every other container carries a stale `lock: backup`, and two
# NFS storages (tmpfs in each node's namespace) answer on every node. Nothing hangs: the
# benchmark measures round trips, not the 5 s liveness timeout.
#   seed-fanout.sh STATE N
set -euo pipefail

state=${1:?usage: seed-fanout.sh STATE N}
count=${2:?usage: seed-fanout.sh STATE N}
mkdir -p "$state"
state=$(cd "$state" && pwd)
pve=$state/pve
rm -rf "$pve"
mkdir -p "$pve/priv" "$pve/local" # local: each node's namespace binds its nodes/<node> here

nodes=()
members=""
nodelist=""
vmlist=""
for i in $(seq 1 "$count"); do
  n=pve$i
  nodes+=("$n")
  ip="10.10.$((i / 250)).$((i % 250 + 1))"
  members+="$i:$ip "
  nodelist+=$'  node {\n'"    name: $n"$'\n'"    nodeid: $i"$'\n    quorum_votes: 1\n'"    ring0_addr: $ip"$'\n  }\n'
  vmlist+="\"$((1000 + i))\": { \"node\": \"$n\", \"type\": \"lxc\", \"version\": $i },"$'\n'
done
members=${members% }

printf 'logging {\n  debug: off\n  to_syslog: yes\n}\n\nnodelist {\n%s}\n\nquorum {\n  provider: corosync_votequorum\n}\n\ntotem {\n  cluster_name: fan\n  config_version: 2\n  interface {\n    linknumber: 0\n  }\n  ip_version: ipv4-6\n  link_mode: passive\n  secauth: on\n  version: 2\n}\n\n' \
  "$nodelist" >"$pve/corosync.conf"

printf '%s\n' \
  "dir: local" $'\tpath /var/lib/vz' $'\tcontent iso,vztmpl,backup' "" \
  "nfs: nfs-images" $'\texport /export/images' $'\tpath /mnt/pve/nfs-images' $'\tserver 10.10.20.52' \
  $'\tcontent images,rootdir' $'\toptions vers=4.2' "" \
  "nfs: nfs-iso" $'\texport /export/iso' $'\tpath /mnt/pve/nfs-iso' $'\tserver 10.10.20.51' \
  $'\tcontent iso,vztmpl' >"$pve/storage.cfg"

printf '{\n"version": %s,\n"ids": {\n%s}\n\n}\n' "$count" "${vmlist%,$'\n'}"$'\n' >"$pve/.vmlist"
: >"$pve/.members"

for i in $(seq 1 "$count"); do
  n=pve$i
  vmid=$((1000 + i))
  mkdir -p "$pve/nodes/$n/qemu-server" "$pve/nodes/$n/lxc" "$pve/nodes/$n/priv"
  mkdir -p "$state/$n/fs/run/pvefix-bed/hung" "$state/$n/fs/log-pve/tasks" "$state/$n/fs/lib-pvefix"
  rm -f "$state/$n/fs/run/pvefix-bed/hung/"* "$state/$n/fs/run/vzdump.pid"
  {
    printf '%s\n' "arch: amd64" "cores: 1" "hostname: ct$vmid"
    ((i % 2)) && echo "lock: backup"
    printf '%s\n' "memory: 512" "mp0: nfs-images:$vmid/vm-$vmid-disk-1.raw,mp=/data,size=4G" "ostype: debian" \
      "rootfs: local:$vmid/vm-$vmid-disk-0.raw,size=4G" "unprivileged: 1"
  } >"$pve/nodes/$n/lxc/$vmid.conf"
  printf 'nodeid=%s\nquorate=1\nexpected=%s\nmembers="%s"\n' "$i" "$count" "$members" >"$state/$n/fs/run/pvefix-bed/quorum"
  printf '{\n"nodename": "%s",\n"version": 5,\n"cluster": { "name": "fan", "version": 2, "nodes": %s, "quorate": 1 },\n"nodelist": {\n  }\n}\n' \
    "$n" "$count" >"$state/$n/fs/members"
  printf '%s\n' "10.10.20.51:/export/iso /mnt/pve/nfs-iso" "10.10.20.52:/export/images /mnt/pve/nfs-images" >"$state/$n/mounts.tsv"
  printf '%s 4%04d\n' "$vmid" "$i" >"$state/$n/fs/run/pvefix-bed/running"
  : >"$state/$n/fs/log-pve/tasks/active"
done
: >"$state/tasks.tsv"
echo "seed-fanout.sh: cluster 'fan' with $count nodes seeded in $state"
