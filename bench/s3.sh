#!/usr/bin/env bash
# bench/s3.sh - 1 GiB PUT and GET through vaultgw's S3 listener beside a
# radosgw on the same machine, in one run, with the same client (boto3's
# transfer manager: multipart, 16 MiB parts, 4 in flight, as awscli does).
# Prints MiB/s for each and the ratios vaultgw/radosgw; never fails on
# timing (exit 1 only if a transfer fails or the bytes differ).
#
#   bench/s3.sh [--size MIB] [--build DIR] [--store dir|rados] [--repeat N] [--multipart]
#
#   boto3 ──TLS──► radosgw 127.0.0.1 ──► ceph-osd (memstore) + ceph-mon
#     └────TLS──► vaultgw s3_listen 127.0.0.1 ──unix──► vaultd (--store dir:
#                 its state dir on this disk; --store rados: a pool of the same
#                 throw-away cluster)
# Root (vaultgw drops to nobody); a few minutes; not run by test.sh.
set -eu
size=1024 build=build store=dir repeat=1 parts=0
while [ $# -gt 0 ]; do
	case $1 in
	--size) size=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--store) store=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--multipart) parts=16; shift ;;
	*) echo "usage: $0 [--size MIB] [--build DIR] [--store dir|rados] [--repeat N] [--multipart]" >&2; exit 2 ;;
	esac
done
VG_BUILD=$(cd "$build" && pwd) VG_SRC=$(cd "$(dirname "$0")/.." && pwd)
export VG_BUILD VG_SRC
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"
. "$VG_SRC/tests/integration/ceph/cephlib.sh"
. "$VG_SRC/tests/integration/s3/s3lib.sh"
vg_init
vg_s3_available || { echo "this build has no vaultgw S3 listener" >&2; exit 1; }

CEPH_MEMSTORE_BYTES=$(( (2 * size * repeat + 2048) * 1048576 )) rgw_up
if [ "$store" = rados ]; then
	VG_STORE=rados VG_CEPH_CONF=$CEPH_CONF VG_CEPH_POOL=vgt-$$-vault
	ceph_pool "$VG_CEPH_POOL"
	vg_store_args
fi
vg_s3_up
head -c $((size * 1048576)) /dev/urandom >"$VG_WORK/in.bin"
cat "$VG_WORK/in.bin" >/dev/null

mibs() { awk -v m="$size" -v s="$1" 'BEGIN { printf "%.1f", m / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
run() { # TARGET N -> "put get"
	local out
	if [ "$1" = rgw ]; then
		out=$(B_URL=$RGW_URL B_AK=$RGW_ACCESS_KEY B_SK=$RGW_SECRET_KEY B_CA=$S3_CA \
			/usr/bin/python3 "$VG_SRC/bench/s3_transfer.py" "$VG_WORK/in.bin" "vgt-$$-rgw-$2" "$parts" 4)
	else
		out=$(B_URL=$VG_S3_URL B_AK=$VG_S3_AK B_SK=$VG_S3_SK B_CA=$VG_S3_CA \
			/usr/bin/python3 "$VG_SRC/bench/s3_transfer.py" "$VG_WORK/in.bin" "vgt-$$-vg-$2" "$parts" 4)
	fi
	case "$out" in *OK) echo "${out% OK}" ;; *) echo "$1: transfer failed or bytes differ: $out" >&2; exit 1 ;; esac
}
how="one streamed PutObject / GetObject"
[ "$parts" = 0 ] || how="multipart, $parts MiB parts, 4 in flight"
echo "== vaultgate S3 bench: $size MiB PUT + GET (boto3, $how), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
echo "   radosgw: memstore OSD; vaultgw/vaultd: --store $store"
printf '%-10s %12s %12s %12s %12s\n' run "rgw PUT" "vg PUT" "rgw GET" "vg GET"
for i in $(seq 1 "$repeat"); do
	r=$(run rgw "$i")
	read -r rp rg <<<"$r"
	r=$(run vg "$i")
	read -r vp vgt <<<"$r"
	printf '%-10s %9s MiB/s %9s MiB/s %9s MiB/s %9s MiB/s\n' "#$i" "$(mibs "$rp")" "$(mibs "$vp")" \
		"$(mibs "$rg")" "$(mibs "$vgt")"
	echo "   vaultgw/radosgw: PUT $(ratio "$rp" "$vp")x the rate, GET $(ratio "$rg" "$vgt")x the rate"
done
