#!/usr/bin/env bash
# Start N real sshd on 127.0.0.1, one per pretend node (testbed-notes recipe A), and write an
# inventory, a known_hosts file and a client key for them. Stop them with down.sh.
#
#   up.sh --state DIR [--count N | --nodes "pve1 pve2"] [--base-port P | --ports "P1 P2"]
#         [--bin-dir DIR]... [--env NAME=VALUE]... [--launcher FILE] [--cluster NAME]
#
# --bin-dir may be repeated: the directories go first on PATH in that order. With --launcher,
# sshd is started as `FILE NAME NODE_DIR /usr/sbin/sshd ...` and FILE must exec that command
# line (e.g. inside a namespace of the node's own: see ../pve-bed/node-namespace.sh).
#
# Writes DIR/inventory.yaml, DIR/known_hosts, DIR/client_ed25519 and DIR/nodes.tsv
# (name, port, pid, home per line). Nothing is started when any port is taken.
set -euo pipefail
# shellcheck source=scripts/testbed/sshd-config.sh
source "$(cd "$(dirname "$0")" && pwd)/../../../scripts/testbed/sshd-config.sh"

state="" count=3 names="" base_port=22001 ports="" bin_dirs=() launcher="" envs=() cluster=loopback
while (($#)); do
  case "$1" in
    --state) state=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --nodes) names=$2; shift 2 ;;
    --base-port) base_port=$2; shift 2 ;;
    --ports) ports=$2; shift 2 ;;
    --bin-dir) bin_dirs+=("$2"); shift 2 ;;
    --launcher) launcher=$2; shift 2 ;;
    --cluster) cluster=$2; shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    *) echo "up.sh: unknown argument: $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[[ -n $state ]] || { echo "up.sh: --state DIR is required" >&2; exit 2; }
mkdir -p "$state"
state=$(cd "$state" && pwd)
bin_path=""
for dir in "${bin_dirs[@]}"; do bin_path+="$(cd "$dir" && pwd):"; done
[[ -z $launcher ]] || launcher=$(cd "$(dirname "$launcher")" && pwd)/$(basename "$launcher")
if [[ $state =~ [[:space:]] || $bin_path =~ [[:space:]] ]]; then
  echo "up.sh: paths with whitespace cannot be written into sshd_config: $state $bin_path" >&2
  exit 2
fi

if [[ -z $names ]]; then
  for ((i = 1; i <= count; i++)); do names+="node$i "; done
fi
read -r -a node_names <<<"$names"
if [[ -n $ports ]]; then
  read -r -a node_ports <<<"$ports"
else
  node_ports=()
  for i in "${!node_names[@]}"; do node_ports+=($((base_port + i))); done
fi
if ((${#node_ports[@]} != ${#node_names[@]})); then
  echo "up.sh: ${#node_names[@]} nodes but ${#node_ports[@]} ports" >&2
  exit 2
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for i in "${!node_names[@]}"; do
  name=${node_names[$i]} port=${node_ports[$i]}
  pidfile="$state/$name/sshd.pid"
  if [[ -s $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "up.sh: $name is already running (pid $(cat "$pidfile")); run down.sh $state first" >&2
    exit 1
  fi
  if port_open "$port"; then
    echo "up.sh: port $port (for $name) is already in use on 127.0.0.1; pick another --base-port" >&2
    exit 1
  fi
done

setenv_line() {
  local name=$1 home=$2 path=${bin_path}/usr/sbin:/usr/bin:/sbin:/bin entry out
  out="SetEnv \"LAB_NODE=$name\" \"HOME=$home\" \"PATH=$path\""
  for entry in "${envs[@]}"; do
    if [[ $entry != *=* || $entry == *\"* || $entry == *$'\n'* ]]; then
      echo "up.sh: --env expects NAME=VALUE without double quotes or newlines, got: $entry" >&2
      exit 2
    fi
    out+=" \"$entry\""
  done
  printf '%s\n' "$out"
}

# sshd refuses to start without its privilege-separation directory.
[[ -d /run/sshd ]] || install -d -m 0755 /run/sshd

client_key="$state/client_ed25519"
[[ -f $client_key ]] || ssh-keygen -q -t ed25519 -N '' -C pvefix-test-client -f "$client_key"
cp "$client_key.pub" "$state/authorized_keys"
: >"$state/known_hosts"
chmod 600 "$state/known_hosts"
: >"$state/nodes.tsv"

started=()
cleanup_on_error() {
  for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup_on_error ERR

for i in "${!node_names[@]}"; do
  name=${node_names[$i]} port=${node_ports[$i]} dir="$state/${node_names[$i]}"
  mkdir -p "$dir/home"
  [[ -f $dir/ssh_host_ed25519_key ]] || ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$dir/ssh_host_ed25519_key"
  sshd_config "127.0.0.1:$port" "$dir/ssh_host_ed25519_key" "$dir/sshd.pid" "$state/authorized_keys" \
    "$(setenv_line "$name" "$dir/home")" >"$dir/sshd_config"
  rm -f "$dir/sshd.pid"
  # By absolute path: sshd re-executes itself and refuses a relative argv[0].
  sshd=(/usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log")
  [[ -z $launcher ]] || sshd=("$launcher" "$name" "$dir" "${sshd[@]}")
  if ! "${sshd[@]}"; then
    echo "up.sh: sshd for $name failed to start; $dir/sshd.log says:" >&2
    tail -n 20 "$dir/sshd.log" >&2 || true
    false
  fi
  for _ in $(seq 100); do
    [[ -s $dir/sshd.pid ]] && port_open "$port" && break
    sleep 0.05
  done
  if ! port_open "$port"; then
    echo "up.sh: sshd for $name does not accept connections on 127.0.0.1:$port; $dir/sshd.log says:" >&2
    tail -n 20 "$dir/sshd.log" >&2 || true
    false
  fi
  pid=$(cat "$dir/sshd.pid")
  started+=("$pid")
  printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$dir/ssh_host_ed25519_key.pub")" >>"$state/known_hosts"
  printf '%s\t%s\t%s\t%s\n' "$name" "$port" "$pid" "$dir/home" >>"$state/nodes.tsv"
done

{
  echo "cluster: $cluster"
  echo "knownHosts: $state/known_hosts"
  echo "defaults:"
  echo "  user: $(id -un)"
  echo "  identity: $client_key"
  echo "nodes:"
  for i in "${!node_names[@]}"; do
    printf '  - name: %s\n    host: 127.0.0.1\n    port: %s\n' "${node_names[$i]}" "${node_ports[$i]}"
  done
} >"$state/inventory.yaml"

echo "up.sh: ${#node_names[@]} sshd running; inventory: $state/inventory.yaml"
