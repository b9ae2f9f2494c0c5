#!/usr/bin/env bash
# Install what pvefix's system tests need (real sshd, corosync, network namespaces) on Debian.
# Idempotent: installs only missing packages and runs `apt-get update` only when it must.
set -euo pipefail

# sshd + ssh-keygen (every bed), corosync (+ corosync-keygen, the netns bed), ip netns and bridges
# (iproute2), unshare/nsenter (util-linux), ps/pkill for the stand-ins (procps), nft for link faults
# (nftables), a real QDevice (corosync-qnetd, corosync-qdevice), real webhooks for `pvefix serve`
# (prometheus-alertmanager), DF pings of the corosync-links diagnosis (iputils-ping) and the fleet
# store (postgresql), a real browser for the approval page (chromium, headless) and the shells whose
# completion scripts pvefix prints (zsh, fish). Nothing starts by itself here (no systemd). See
# test/system/README.md.
packages=(openssh-server openssh-client corosync iproute2 util-linux procps nftables corosync-qnetd
  corosync-qdevice prometheus-alertmanager iputils-ping postgresql chromium zsh fish)

if [[ $(id -u) -ne 0 ]]; then
  echo "install-system-deps: run as root (apt-get and /run/sshd need it)" >&2
  exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "install-system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when there are none yet, or when the install misses a package.
  if ! compgen -G "/var/lib/apt/lists/*_Packages*" >/dev/null; then
    apt-get update
  fi
  if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
  fi
else
  echo "install-system-deps: all of ${packages[*]} already installed"
fi

# sshd refuses to start without its privilege-separation directory (no systemd creates it here).
install -d -m 0755 /run/sshd
