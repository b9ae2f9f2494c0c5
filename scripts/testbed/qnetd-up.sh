#!/bin/bash
# Add a corosync-qnetd host to a running netns bed (netns-up.sh): network namespace pvefix-qnetd
# with one veth on the corosync bridge (br-ring, 10.10.10.9/24), its own UTS, mount and PID
# namespaces (qnetd-host.sh), a real sshd on 10.10.10.9:22 and a real corosync-qnetd (Debian's
# package, its NSS database created here with `corosync-qnetd-certutil -i`). The qnetd host is not
# a cluster node: nothing of it goes into the inventory.
#
# What `pvecm qdevice setup` needs from the nodes is prepared too: each node's root gets
# /root/.ssh/id_rsa, accepted by the qnetd host's sshd and by every node's sshd, a known_hosts with
# the qnetd host's and every node's key, and /root/.ssh/config naming the nodes' SSH addresses.
#
#   qnetd-up.sh [--state DIR] [--no-trust]     (default DIR /tmp/pvefix-netns)
#   qnetd-down.sh [--state DIR]
#   qnetd-ctl.sh [--state DIR] stop|start      stop or start corosync-qnetd (by its pid file)
#
# --no-trust: the qnetd host does not accept the nodes' root keys (pvecm would ask for a password).
# Writes STATE/qnetd/init.pid (the host's init, as seen from the root namespace).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/testbed/sshd-config.sh
source "$here/sshd-config.sh"
state=/tmp/pvefix-netns trust=1
while (($#)); do
  case $1 in
    --state) state=$2; shift 2 ;;
    --no-trust) trust=0; shift ;;
    *) echo "qnetd-up.sh: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
state=$(cd "$state" && pwd)
repo=$(cd "$here/../.." && pwd)
qnetd_path="$repo/test/system/standins/qnetd:/usr/sbin:/usr/bin:/sbin:/bin"
[[ -f $state/nodes.tsv ]] || { echo "qnetd-up.sh: no bed in $state: run netns-up.sh first" >&2; exit 1; }
"$here/qnetd-down.sh" --state "$state" >/dev/null
ns=pvefix-qnetd dir=$state/qnetd ip=10.10.10.9
rm -rf "$dir"
for d in etc-corosync root/.ssh log-corosync run; do mkdir -p "$dir/fs/$d"; done
ssh-keygen -q -t ed25519 -N '' -C qnetd -f "$dir/ssh_host_ed25519_key"
: >"$dir/authorized_keys"

# Every node's root key, and the keys its ssh must know.
node_hosts=$dir/known_hosts
printf '%s %s\n' "$ip" "$(cut -d' ' -f1,2 "$dir/ssh_host_ed25519_key.pub")" >"$node_hosts"
while IFS=$'\t' read -r node _ _ mgmt _; do
  printf '%s %s\n' "$mgmt" "$(cut -d' ' -f1,2 "$state/$node/ssh_host_ed25519_key.pub")" >>"$node_hosts"
done <"$state/nodes.tsv"
while IFS=$'\t' read -r node _ _ mgmt _; do
  ssh_dir=$state/$node/fs/root/.ssh
  mkdir -p "$ssh_dir" && chmod 700 "$ssh_dir"
  rm -f "$ssh_dir/id_rsa" "$ssh_dir/id_rsa.pub"
  ssh-keygen -q -t rsa -b 2048 -N '' -C "root@$node" -f "$ssh_dir/id_rsa"
  cp "$node_hosts" "$ssh_dir/known_hosts"
  ((trust)) && cat "$ssh_dir/id_rsa.pub" >>"$dir/authorized_keys"
  # Cluster SSH between nodes (pvecm reaches every member as root).
  grep -qF "root@$node" "$state/authorized_keys" || cat "$ssh_dir/id_rsa.pub" >>"$state/authorized_keys"
done <"$state/nodes.tsv"
while IFS=$'\t' read -r node _ _ _ _; do
  awk -F'\t' '{printf "Host %s\n  HostName %s\n  User root\n", $1, $4}' "$state/nodes.tsv" >"$state/$node/fs/root/.ssh/config"
done <"$state/nodes.tsv"

ip netns add "$ns"
ip link add r-qnetd netns pvefix-ctl type veth peer name ring0 netns "$ns"
ip -n pvefix-ctl link set r-qnetd master br-ring up
ip -n "$ns" addr add "$ip/24" dev ring0
ip -n "$ns" link set lo up
ip -n "$ns" link set ring0 up

setsid ip netns exec "$ns" unshare --uts --mount --pid --fork --mount-proc --propagation private \
  -- "$here/qnetd-host.sh" "$state" </dev/null >>"$dir/init.log" 2>&1 &
outer=$!
init=""
for _ in $(seq 200); do
  init=$(cat "/proc/$outer/task/$outer/children" 2>/dev/null | awk '{print $1}')
  [[ -n $init && -f $dir/fs/run/qnetd-host.init ]] && break
  sleep 0.02
done
if [[ -z $init || ! -f $dir/fs/run/qnetd-host.init ]]; then
  echo "qnetd-up.sh: the qnetd host did not start; $dir/init.log says:" >&2
  cat "$dir/init.log" >&2
  exit 1
fi
echo "$init" >"$dir/init.pid"
enter=(nsenter --target "$init" --net --mount --uts --pid -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root)
sshd_config "$ip:22" "$dir/ssh_host_ed25519_key" /run/sshd.pid "$dir/authorized_keys" \
  "SetEnv \"PATH=$qnetd_path\"" >"$dir/sshd_config"
"${enter[@]}" /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
"${enter[@]}" corosync-qnetd-certutil -i >>"$dir/init.log" 2>&1
"$here/qnetd-ctl.sh" --state "$state" start
echo "qnetd-up.sh: corosync-qnetd on $ip:5403 (namespace $ns, init pid $init)"
