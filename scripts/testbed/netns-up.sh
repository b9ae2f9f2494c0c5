#!/bin/bash
# Start a test-bed cluster of N nodes with real corosync 3 (testbed-notes recipe B), named
# pvefix-*: one network namespace per node plus pvefix-ctl holding two bridges, br-mgmt
# (10.99.0.0/24, SSH) and br-ring (10.10.10.0/24, corosync link 0). Every node runs in its own
# UTS, mount and PID namespace (netns-node.sh) with a real sshd on 10.99.0.I:22 and a real
# corosync (knet, secauth, votequorum, token 1000, Proxmox's corosync.conf layout), plus the
# Proxmox stand-ins of test/system/standins first on PATH (pvecm, systemctl, pmxcfs, pvesm, qm,
# pct, stat).
#
# From the root namespace there is no IP route to any node: stdio-bridge.mjs listens on
# 127.0.0.1:PORT per node and runs the node's `sshd -i` inside its namespaces for each
# connection, so pvefix (and ssh) use STATE/inventory.yaml like any cluster. From pvefix-ctl the
# nodes' sshd answer on 10.99.0.I:22 (STATE/inventory-ctl.yaml).
#
#   netns-up.sh [--state DIR] [--base-port P] [--links 1|2|spare] N
#               (default DIR /tmp/pvefix-netns, P 22201, --links 1)
#   netns-down.sh [--state DIR]
#
# --links 2: a second corosync network br-ring1 (10.10.11.0/24, interface `ring1` on each node)
# and corosync.conf with ring1_addr per node and `interface { linknumber: 1 }`: two knet links.
# --links spare: the second network and its addresses exist, corosync uses link 0 only (the
# starting point of adding link 1 to a running cluster).
#
# Idempotent: a bed that is already up with N nodes and the same --links is left as it is;
# anything else named pvefix-* is torn down first. Writes STATE/nodes.tsv (name, port, init pid,
# mgmt ip, ring0 ip, ring1 ip or -).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/testbed/sshd-config.sh
source "$here/sshd-config.sh"
repo=$(cd "$here/../.." && pwd)
state=/tmp/pvefix-netns base_port=22201 count="" links=1
while (($#)); do
  case $1 in
    --state) state=$2; shift 2 ;;
    --base-port) base_port=$2; shift 2 ;;
    --links) links=$2; shift 2 ;;
    [0-9]*) count=$1; shift ;;
    *) echo "netns-up.sh: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
if [[ ! $count =~ ^[1-9]$ ]]; then
  echo "netns-up.sh: give the number of nodes, 1 to 9" >&2
  exit 2
fi
if [[ ! $links =~ ^(1|2|spare)$ ]]; then
  echo "netns-up.sh: --links must be 1, 2 or spare, not '$links'" >&2
  exit 2
fi
mkdir -p "$state"
state=$(cd "$state" && pwd)
ctl=pvefix-ctl
started=$(date +%s%N)

alive() { [[ $1 =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -qF "netns-node.sh $state "; }
if [[ -f $state/nodes.tsv ]] && (($(wc -l <"$state/nodes.tsv") == count)) &&
  [[ $(cat "$state/links" 2>/dev/null) == "$links" ]]; then
  up=1
  while IFS=$'\t' read -r _ _ pid _; do alive "$pid" || up=0; done <"$state/nodes.tsv"
  if ((up)); then
    echo "netns-up.sh: $count nodes already up; inventory: $state/inventory.yaml"
    exit 0
  fi
fi
"$here/netns-down.sh" --state "$state" >/dev/null

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for ((i = 1; i <= count; i++)); do
  if port_open $((base_port + i - 1)); then
    echo "netns-up.sh: port $((base_port + i - 1)) is in use on 127.0.0.1; pick another --base-port" >&2
    exit 1
  fi
done

# --- files --------------------------------------------------------------------------------------
[[ -d /run/sshd ]] || install -d -m 0755 /run/sshd
mkdir -p /etc/pve /var/log/pve /var/lib/pvefix /mnt/pve
rm -rf "$state/pve" "$state"/node*
[[ -f $state/client_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C pvefix-netns-client -f "$state/client_ed25519"
cp "$state/client_ed25519.pub" "$state/authorized_keys"
corosync-keygen -k "$state/authkey" >/dev/null 2>&1

{
  printf 'logging {\n  debug: off\n  logfile: /var/log/corosync/corosync.log\n  timestamp: on\n'
  printf '  to_logfile: yes\n  to_syslog: yes\n}\n\nnodelist {\n'
  for ((i = 1; i <= count; i++)); do
    printf '  node {\n    name: node%d\n    nodeid: %d\n    quorum_votes: 1\n    ring0_addr: 10.10.10.%d\n' "$i" "$i" "$i"
    [[ $links == 2 ]] && printf '    ring1_addr: 10.10.11.%d\n' "$i"
    printf '  }\n'
  done
  printf '}\n\nquorum {\n  provider: corosync_votequorum\n}\n\n'
  printf 'totem {\n  cluster_name: pvefix-lab\n  config_version: 1\n  interface {\n    linknumber: 0\n  }\n'
  [[ $links == 2 ]] && printf '  interface {\n    linknumber: 1\n  }\n'
  printf '  ip_version: ipv4-6\n  link_mode: passive\n  secauth: on\n  token: 1000\n  version: 2\n}\n'
} >"$state/corosync.conf"

mkdir -p "$state/pve/local" "$state/pve/priv"
cp "$state/corosync.conf" "$state/pve/corosync.conf"
: >"$state/pve/.members"
printf '{\n"version": 1\n\n}\n' >"$state/pve/.vmlist"
printf '%s\n' "dir: local" $'\tpath /var/lib/vz' $'\tcontent iso,vztmpl,backup' "" \
  "nfs: nfs-iso" $'\texport /export/iso' $'\tpath /mnt/pve/nfs-iso' $'\tserver 10.10.20.51' \
  $'\tcontent iso,vztmpl' >"$state/pve/storage.cfg"

path="$repo/test/system/standins/corosync:$repo/test/system/standins/common:/usr/sbin:/usr/bin:/sbin:/bin"
: >"$state/known_hosts"
chmod 600 "$state/known_hosts"
for ((i = 1; i <= count; i++)); do
  node=node$i dir=$state/node$i
  mkdir -p "$state/pve/nodes/$node/qemu-server" "$state/pve/nodes/$node/lxc" "$state/pve/nodes/$node/priv"
  for d in etc-corosync lib-corosync log-corosync root log-pve/tasks lib-pvefix run/pvefix-bed/units; do
    mkdir -p "$dir/fs/$d"
  done
  : >"$dir/fs/members"
  : >"$dir/fs/log-pve/tasks/active"
  for unit in pvedaemon pveproxy spiceproxy pvestatd pve-ha-lrm pve-ha-crm; do echo active >"$dir/fs/run/pvefix-bed/units/$unit"; done
  cp "$state/corosync.conf" "$dir/fs/etc-corosync/corosync.conf"
  install -m 0400 "$state/authkey" "$dir/fs/etc-corosync/authkey"
  echo "10.10.20.51:/export/iso /mnt/pve/nfs-iso" >"$dir/mounts.tsv"
  ssh-keygen -q -t ed25519 -N '' -C "$node" -f "$dir/ssh_host_ed25519_key"
  sshd_config "10.99.0.$i:22" "$dir/ssh_host_ed25519_key" /run/sshd.pid "$state/authorized_keys" \
    "SetEnv \"LAB_NODE=$node\" \"HOME=/root\" \"PATH=$path\"" >"$dir/sshd_config"
  key=$(cut -d' ' -f1,2 "$dir/ssh_host_ed25519_key.pub")
  printf '[127.0.0.1]:%s %s\n10.99.0.%s %s\n' $((base_port + i - 1)) "$key" "$i" "$key" >>"$state/known_hosts"
done

# --- network ------------------------------------------------------------------------------------
ip netns add "$ctl"
ip -n "$ctl" link set lo up
ip -n "$ctl" link add br-mgmt type bridge
ip -n "$ctl" link add br-ring type bridge
ip -n "$ctl" addr add 10.99.0.254/24 dev br-mgmt
ip -n "$ctl" link set br-mgmt up
ip -n "$ctl" link set br-ring up
if [[ $links != 1 ]]; then
  ip -n "$ctl" link add br-ring1 type bridge
  ip -n "$ctl" link set br-ring1 up
fi
for ((i = 1; i <= count; i++)); do
  ns=pvefix-node$i
  ip netns add "$ns"
  ip link add "m-node$i" netns "$ctl" type veth peer name eth0 netns "$ns"
  ip link add "r-node$i" netns "$ctl" type veth peer name ring0 netns "$ns"
  ip -n "$ctl" link set "m-node$i" master br-mgmt up
  ip -n "$ctl" link set "r-node$i" master br-ring up
  ip -n "$ns" addr add "10.99.0.$i/24" dev eth0
  ip -n "$ns" addr add "10.10.10.$i/24" dev ring0
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set ring0 up
  if [[ $links != 1 ]]; then
    ip link add "r1-node$i" netns "$ctl" type veth peer name ring1 netns "$ns"
    ip -n "$ctl" link set "r1-node$i" master br-ring1 up
    ip -n "$ns" addr add "10.10.11.$i/24" dev ring1
    ip -n "$ns" link set ring1 up
  fi
done

# --- nodes --------------------------------------------------------------------------------------
: >"$state/nodes.tsv"
routes=()
for ((i = 1; i <= count; i++)); do
  node=node$i dir=$state/node$i
  setsid ip netns exec "pvefix-$node" unshare --uts --mount --pid --fork --mount-proc --propagation private \
    -- "$here/netns-node.sh" "$state" "$node" </dev/null >>"$dir/init.log" 2>&1 &
  outer=$!
  init=""
  for _ in $(seq 200); do
    init=$(cat "/proc/$outer/task/$outer/children" 2>/dev/null | awk '{print $1}')
    [[ -n $init && -f $dir/fs/run/pvefix-bed/init ]] && break
    sleep 0.02
  done
  if [[ -z $init || ! -f $dir/fs/run/pvefix-bed/init ]]; then
    echo "netns-up.sh: $node did not start; $dir/init.log says:" >&2
    cat "$dir/init.log" >&2
    exit 1
  fi
  enter=(nsenter --target "$init" --net --mount --uts --pid --)
  node_env=(env -i "PATH=$path" HOME=/root "LAB_NODE=$node")
  "${enter[@]}" "${node_env[@]}" /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
  "${enter[@]}" "${node_env[@]}" systemctl start pve-cluster
  "${enter[@]}" "${node_env[@]}" systemctl start corosync
  ring1=-
  [[ $links != 1 ]] && ring1=10.10.11.$i
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$node" $((base_port + i - 1)) "$init" "10.99.0.$i" "10.10.10.$i" "$ring1" >>"$state/nodes.tsv"
  routes+=("{\"port\": $((base_port + i - 1)), \"command\": [\"nsenter\", \"--target\", \"$init\", \"--net\", \"--mount\", \"--uts\", \"--pid\", \"--\", \"/usr/sbin/sshd\", \"-i\", \"-f\", \"$dir/sshd_config\", \"-E\", \"$dir/sshd-i.log\"]}")
done

echo "$links" >"$state/links"
(IFS=,; echo "[${routes[*]}]") >"$state/bridge.json"
rm -f "$state/bridge.json.ready"
setsid node "$here/stdio-bridge.mjs" "$state/bridge.json" </dev/null >>"$state/bridge.log" 2>&1 &
bridge=$!
echo $bridge >"$state/bridge.pid"
# Ready when the bridge itself says every port listens: an open port could be someone else's.
for _ in $(seq 250); do
  [[ -f $state/bridge.json.ready ]] && break
  kill -0 "$bridge" 2>/dev/null || break
  sleep 0.02
done
if [[ ! -f $state/bridge.json.ready ]]; then
  echo "netns-up.sh: the stdio bridge did not start: $(tail -n 1 "$state/bridge.log")" >&2
  exit 1
fi

{
  echo "cluster: pvefix-lab"
  echo "knownHosts: $state/known_hosts"
  echo "defaults:"
  echo "  user: root"
  echo "  identity: $state/client_ed25519"
  echo "nodes:"
  for ((i = 1; i <= count; i++)); do printf '  - name: node%d\n    host: 127.0.0.1\n    port: %d\n' "$i" $((base_port + i - 1)); done
} >"$state/inventory.yaml"
sed -e 's/host: 127.0.0.1/host: 10.99.0.NODE/' "$state/inventory.yaml" |
  awk '/name: node/{n=substr($3,5)} {sub("NODE", n); print}' | grep -v '    port:' >"$state/inventory-ctl.yaml"

# Ready when node1 is quorate and sees every node.
init1=$(awk -F'\t' 'NR==1{print $3}' "$state/nodes.tsv")
all_in() {
  nsenter --target "$init1" --net --mount --uts --pid -- corosync-quorumtool -s 2>/dev/null |
    grep -q "^Nodes: *$count\$"
}
for _ in $(seq 300); do all_in && break; sleep 0.1; done
if ! all_in; then
  echo "netns-up.sh: node1 does not see $count quorate nodes after 30 s; see $state/node1/fs/log-corosync/corosync.log" >&2
  exit 1
fi
echo "netns-up.sh: $count nodes quorate in $((($(date +%s%N) - started) / 1000000)) ms; inventory: $state/inventory.yaml"
