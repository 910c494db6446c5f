#!/usr/bin/env bash
# install-deps.sh - apt-get what vaultgate needs to build and test, only if missing.
set -euo pipefail
pkgs=(
	build-essential meson ninja-build pkg-config clang
	libssl-dev openssl liblmdb-dev lmdb-utils check libsubunit-dev libjansson-dev
	libnl-3-dev libnl-route-3-dev libnftnl-dev libmnl-dev nftables iproute2
	node-llhttp curl restic rclone nginx softhsm2 opensc nmap procps psmisc xxd
	python3 libclang-rt-14-dev testssl.sh
	iputils-ping jq
	libp11-kit-dev chromium
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
