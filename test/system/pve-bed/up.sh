#!/usr/bin/env bash
# Start the loopback PVE test bed by hand (the system tests do the same through pve-bed.ts):
# seed the cluster "bed" in STATE, then one real sshd per node (pve1..pve3) on 127.0.0.1, each in
# its own mount namespace (node-namespace.sh) with the Proxmox stand-ins first on PATH.
#
#   up.sh STATE [--base-port P]        then: node bin/pvefix.js -i STATE/inventory.yaml diagnose
#   down.sh STATE
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=${1:?usage: up.sh STATE [--base-port P]}
shift
"$here/seed.sh" "$state"
exec "$here/../loopback/up.sh" --state "$state" --nodes "pve1 pve2 pve3" \
  --bin-dir "$here/../standins/fixed-quorum" --bin-dir "$here/../standins/common" \
  --launcher "$here/node-namespace.sh" --cluster bed "$@"
