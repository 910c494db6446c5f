#!/usr/bin/env bash
# mkseed.sh - make a NoCloud seed (an ISO 9660 image labelled CIDATA) for
# the vaultgate image. Attach it as a second disk or CD-ROM at first boot.
#
#   image/mkseed.sh -o seed.iso --data-ip 10.0.2.15 --data-prefix 24 \
#       [--data-gateway 10.0.2.2] --allow 10.0.2.2/32 [--allow CIDR ...] \
#       --ssh-key ~/.ssh/id_ed25519.pub --owner-token-file owner.token \
#       [--hostname vault1] [--tls-san NAME|IP ...] [--mgmt-ip CIDR --mgmt-gateway IP] \
#       [--restic-vault NAME] [--instance-id ID] [--ssh-allow CIDR ...] [--data-disk /dev/vdb] \
#       [--ceph-mon IP[:PORT] ... --ceph-network CIDR ... --ceph-pool POOL \
#        --ceph-client NAME --ceph-keyring FILE]
#       [--syslog IP:PORT --syslog-ca CA.pem] [--ntp IP ...]
#
# --owner-token-file holds the first Owner's token: only its SHA-256 goes
# into the seed (--owner-token-sha256 HEX gives the hash directly). The
# --ceph-* options put the blobs on a RADOS pool (image/README.md, "Ceph");
# the keyring FILE (client.NAME's) goes onto the seed as ceph.keyring. The
# format is described in the root README ("VM image: the seed").
set -euo pipefail

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "mkseed.sh: $*" >&2; exit 1; }

out="" data_ip="" data_prefix="" data_gw="" hostname="" owner_sha="" mgmt_ip="" mgmt_gw=""
restic_vault="" instance_id="" data_disk="" ceph_pool="" ceph_client="" ceph_keyring="" syslog="" syslog_ca=""
allow=() keys=() sans=() ssh_allow=() ceph_mons=() ceph_nets=() ntp=()
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	case "$1" in
	-o) out=$2 ;;
	--data-ip) data_ip=$2 ;;
	--data-prefix) data_prefix=$2 ;;
	--data-gateway) data_gw=$2 ;;
	--allow) allow+=("$2") ;;
	--ssh-allow) ssh_allow+=("$2") ;;
	--ssh-key) [ -r "$2" ] || die "$2: cannot read"; while IFS= read -r k; do [ -n "$k" ] && keys+=("$k"); done < "$2" ;;
	--owner-token-file) [ -r "$2" ] || die "$2: cannot read"; owner_sha=$(tr -d '\n' < "$2" | sha256sum | cut -d' ' -f1) ;;
	--owner-token-sha256) owner_sha=$2 ;;
	--hostname) hostname=$2 ;;
	--tls-san) sans+=("$2") ;;
	--mgmt-ip) mgmt_ip=$2 ;;
	--mgmt-gateway) mgmt_gw=$2 ;;
	--restic-vault) restic_vault=$2 ;;
	--data-disk) data_disk=$2 ;;
	--instance-id) instance_id=$2 ;;
	--ceph-mon) ceph_mons+=("$2") ;;
	--ceph-network) ceph_nets+=("$2") ;;
	--ceph-pool) ceph_pool=$2 ;;
	--ceph-client) ceph_client=$2 ;;
	--ceph-keyring) [ -r "$2" ] || die "$2: cannot read"; ceph_keyring=$2 ;;
	--syslog) syslog=$2 ;;
	--syslog-ca) [ -r "$2" ] || die "$2: cannot read"; syslog_ca=$(base64 -w0 < "$2") ;;
	--ntp) ntp+=("$2") ;;
	*) usage ;;
	esac
	shift 2
done
[ -n "$out" ] && [ -n "$data_ip" ] && [ -n "$data_prefix" ] && [ "${#allow[@]}" -gt 0 ] &&
	[ "${#keys[@]}" -gt 0 ] && [ -n "$owner_sha" ] || usage
[ -z "$ceph_pool$ceph_client$ceph_keyring" ] && [ "${#ceph_mons[@]}" = 0 ] && [ "${#ceph_nets[@]}" = 0 ] ||
	{ [ -n "$ceph_pool" ] && [ -n "$ceph_client" ] && [ -n "$ceph_keyring" ] && [ "${#ceph_mons[@]}" -gt 0 ] &&
		[ "${#ceph_nets[@]}" -gt 0 ]; } ||
	die "a Ceph cluster needs --ceph-mon, --ceph-network, --ceph-pool, --ceph-client and --ceph-keyring"
command -v genisoimage >/dev/null || die "genisoimage is missing (apt-get install genisoimage)"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
{
	echo "instance-id: ${instance_id:-vaultgate-$(date -u +%Y%m%d%H%M%S)}"
	echo "local-hostname: ${hostname:-vaultgate}"
} > "$dir/meta-data"
{
	echo "#cloud-config"
	[ -z "$hostname" ] || echo "hostname: $hostname"
	echo "ssh_authorized_keys:"
	for k in "${keys[@]}"; do echo "  - \"$k\""; done
	echo "vaultgate:"
	echo "  data_ip: $data_ip"
	echo "  data_prefix: $data_prefix"
	[ -z "$data_gw" ] || echo "  data_gateway: $data_gw"
	echo "  allow:"
	for a in "${allow[@]}"; do echo "    - $a"; done
	echo "  owner_token_sha256: $owner_sha"
	if [ "${#sans[@]}" -gt 0 ]; then
		echo "  tls_san:"
		for s in "${sans[@]}"; do echo "    - $s"; done
	fi
	[ -z "$mgmt_ip" ] || echo "  mgmt_ip: $mgmt_ip"
	[ -z "$mgmt_gw" ] || echo "  mgmt_gateway: $mgmt_gw"
	[ -z "$restic_vault" ] || echo "  restic_vault: $restic_vault"
	[ -z "$data_disk" ] || echo "  data_disk: $data_disk"
	[ -z "$syslog" ] || echo "  syslog: $syslog"
	[ -z "$syslog_ca" ] || echo "  syslog_ca: $syslog_ca"
	if [ "${#ntp[@]}" -gt 0 ]; then
		echo "  ntp:"
		for s in "${ntp[@]}"; do echo "    - $s"; done
	fi
	if [ "${#ssh_allow[@]}" -gt 0 ]; then
		echo "  ssh_allow:"
		for s in "${ssh_allow[@]}"; do echo "    - $s"; done
	fi
	if [ -n "$ceph_pool" ]; then
		echo "  ceph:"
		echo "    mon_host:"
		for m in "${ceph_mons[@]}"; do echo "      - $m"; done
		echo "    public_network:"
		for n in "${ceph_nets[@]}"; do echo "      - $n"; done
		echo "    pool: $ceph_pool"
		echo "    client: $ceph_client"
		echo "    keyring: ceph.keyring"
	fi
} > "$dir/user-data"
files=("$dir/user-data" "$dir/meta-data")
if [ -n "$ceph_keyring" ]; then
	(umask 077 && cat "$ceph_keyring" > "$dir/ceph.keyring")
	files+=("$dir/ceph.keyring")
fi
genisoimage -quiet -output "$out.tmp" -volid CIDATA -joliet -rock "${files[@]}"
mv "$out.tmp" "$out"
echo "$out: NoCloud seed (CIDATA) for $data_ip/$data_prefix"
