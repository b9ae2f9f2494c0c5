#!/usr/bin/env bash
# Peers for `npm run bench` (not needed by the tests): Ansible, parallel-ssh and GNU time,
# plus what the loopback test bed needs. Idempotent.
set -euo pipefail
bash "$(dirname "$0")/install-system-deps.sh"
missing=()
command -v ansible-playbook >/dev/null || missing+=(ansible)
command -v parallel-ssh >/dev/null || missing+=(pssh)
[[ -x /usr/bin/time ]] || missing+=(time)
if ((${#missing[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
