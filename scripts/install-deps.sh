#!/usr/bin/env bash
# install-deps.sh - apt-get what vaultgate needs to build and test, only if missing.
#
#   scripts/install-deps.sh            build and test dependencies (ceph-mon,
#                                      ceph-osd, librados-dev: the RADOS store's
#                                      build header and its test cluster only;
#                                      radosgw, awscli, python3-boto3, s3cmd:
#                                      the S3 differential suite and clients)
#   scripts/install-deps.sh --image    those, plus what image/build.sh and
#                                      image/smoke-test.sh need (image only)
set -euo pipefail
pkgs=(
	build-essential meson ninja-build pkg-config clang
	libssl-dev openssl liblmdb-dev lmdb-utils check libsubunit-dev libjansson-dev
	libnl-3-dev libnl-route-3-dev libnftnl-dev libnftables-dev libmnl-dev nftables iproute2
	node-llhttp curl restic rclone nginx softhsm2 opensc nmap procps psmisc xxd
	python3 libclang-rt-14-dev testssl.sh conntrack
	iputils-ping jq man-db python3-jsonschema python3-yaml
	libp11-kit-dev chromium python3-websockets systemd
	ceph-mon ceph-osd librados-dev
	libexpat1-dev radosgw awscli python3-boto3 python3-pytest s3cmd
)
# The VM image: rootfs (mmdebstrap), disk assembly without loop devices
# (sfdisk, mkfs.ext4 -d, grub-mkimage), the .deb (dpkg-dev for
# dpkg-shlibdeps), the NoCloud seed (genisoimage), and the boot test
# (qemu under TCG, ssh to the management NIC).
image_pkgs=(
	mmdebstrap qemu-system-x86 qemu-utils grub-pc-bin grub-common fdisk e2fsprogs
	dpkg-dev genisoimage openssh-client
)
case "${1:-}" in
--image) pkgs+=("${image_pkgs[@]}") ;;
"") ;;
*) echo "usage: $0 [--image]" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Another apt (a colleague's, or unattended-upgrades) may hold the dpkg
	# lock: wait for it rather than fail.
	for try in 1 2 3 4 5 6; do
		if apt-get -o DPkg::Lock::Timeout=120 update -qq &&
			apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends "${missing[@]}"; then
			exit 0
		fi
		[ "$try" = 6 ] && exit 1
		echo "apt-get failed (try $try), retrying in 10 s" >&2
		sleep 10
	done
fi
