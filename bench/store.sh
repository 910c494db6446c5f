#!/usr/bin/env bash
# bench/store.sh - vaultd ingest and restore throughput for one large
# stream, printed next to the machine's own ceilings:
#
#   disk      dd if=/dev/zero bs=1M count=N conv=fdatasync   (durable writes)
#   aes-gcm   openssl speed -evp aes-256-gcm (1 MiB blocks, one core)
#   ingest    vaultctl backup FILE        (FILE pre-generated, in page cache)
#   restore   vaultctl restore > /dev/null, and -o FILE (fsync'd)
#
# and the ratios; the target is ingest >= 0.85 x the durable disk ceiling.
# Figures are printed, never asserted.
#
#   bench/store.sh [--size MIB] [--dir DIR] [--build DIR] [--repeat N] [--no-prime]
#   bench/store.sh --store rados [--ceph-conf FILE --ceph-pool POOL] [--size MIB] [--build DIR]
#
# --size      stream size in MiB (default 1024)
# --dir       where the state dir and files go (default /var/tmp; use a real
#             disk: on tmpfs the "durable" ceiling means nothing)
# --build     meson build dir with vault/vaultd and vault/vaultctl (default build)
# --repeat    run every measurement N times and keep the best (default 1)
# --no-prime  skip priming the page cache (see below)
# --store rados  vaultd on a RADOS pool instead, beside `rados bench` (the raw
#             librados write and read rate, same object size: one 1 MiB
#             segment + tag, same 8 writes in flight) on the same cluster in
#             the same run; the target is ingest >= 0.8 x rados bench write.
#             Without --ceph-conf a throw-away single-node cluster (memstore,
#             tests/integration/ceph/cephlib.sh) is started and torn down.
#
# Priming: before each run, a scratch file of 3 x size is written and
# deleted, so that the measured writes (dd, ingest, restore to file) all
# land in page-cache memory the kernel has used before. On VMs whose host
# backs guest memory lazily, the first touch of a page is a host fault, and
# buffered writes into never-touched memory ran 5-10x slower here (216-373
# MB/s against 1.8-2.6 GB/s into recycled pages), which would make whichever
# step runs first look slow.
set -eu
cd "$(dirname "$0")/.."
size=1024 dir=${TMPDIR:-/var/tmp} build=build repeat=1 prime=1 store=dir cconf= cpool=
[ "$dir" != /tmp ] || dir=/var/tmp
while [ $# -gt 0 ]; do
	case "$1" in
	--size) size=$2; shift 2 ;;
	--dir) dir=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--no-prime) prime=0; shift ;;
	--store) store=$2; shift 2 ;;
	--ceph-conf) cconf=$2; shift 2 ;;
	--ceph-pool) cpool=$2; shift 2 ;;
	*) sed -n '2,38p' "$0" >&2; exit 2 ;;
	esac
done
vaultd=$build/vault/vaultd
vaultctl=$build/vault/vaultctl
[ -x "$vaultd" ] && [ -x "$vaultctl" ] || { echo "build $build first (ninja -C $build)" >&2; exit 2; }

if [ "$store" = rados ]; then
	exec bash bench/store_rados.sh "$size" "$build" "$cconf" "$cpool" "$repeat"
fi
[ "$store" = dir ] || { echo "--store: dir or rados" >&2; exit 2; }

work=$(mktemp -d "$dir/vgbench.XXXXXX")
vpid=
cleanup() {
	[ -z "$vpid" ] || { kill "$vpid" 2>/dev/null; wait "$vpid" 2>/dev/null || true; }
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s%N; }
# mibs BYTES NANOSECONDS -> MiB/s with one decimal
mibs() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.1f", b / 1048576 / (ns / 1e9) }'; }
best() { printf '%s\n' "$@" | sort -g | tail -n1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

bytes=$((size * 1048576))
fstype=$(stat -f -c %T "$work")
echo "== vaultgate store bench: $size MiB stream, work dir $work ($fstype), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$fstype" != tmpfs ] || echo "   warning: tmpfs; durable-write figures are meaningless here"

echo "-- input: $size MiB from /dev/urandom"
head -c "$bytes" /dev/urandom >"$work/in.bin"
cat "$work/in.bin" >/dev/null  # into the page cache
sync

# cpu PID: user and system CPU seconds so far (clock ticks / 100).
cpu() { awk '{ printf "%d %d", $14, $15 }' "/proc/$1/stat"; }

disk=() aes=() ingest=() rnull=() rfile=()
for i in $(seq 1 "$repeat"); do
	if [ "$prime" = 1 ]; then
		dd if=/dev/zero of="$work/prime.bin" bs=1M count=$((3 * size)) status=none
		rm -f "$work/prime.bin"
	fi
	sync
	t0=$(now)
	dd if=/dev/zero of="$work/dd.bin" bs=1M count="$size" conv=fdatasync status=none
	t1=$(now)
	disk+=("$(mibs "$bytes" $((t1 - t0)))")
	rm -f "$work/dd.bin"
	sync

	aes+=("$(openssl speed -mr -evp aes-256-gcm -seconds 3 -bytes 1048576 2>/dev/null |
		awk -F: '/^\+F:/ { printf "%.1f", $4 / 1048576 }')")

	rm -rf "$work/state"
	"$vaultd" --state-dir "$work/state" --socket "$work/vaultd.sock" 2>>"$work/vaultd.log" &
	vpid=$!
	for _ in $(seq 1 200); do
		"$vaultctl" --socket "$work/vaultd.sock" whoami >/dev/null 2>&1 && break
		sleep 0.05
	done
	ctl() { "$vaultctl" --socket "$work/vaultd.sock" "$@"; }
	ctl vault create bench >/dev/null
	ctl item create bench stream >/dev/null
	sync

	read -r u0 s0 <<<"$(cpu "$vpid")"
	t0=$(now)
	p=$(ctl backup bench stream "$work/in.bin")
	t1=$(now)
	read -r u1 s1 <<<"$(cpu "$vpid")"
	ingest+=("$(mibs "$bytes" $((t1 - t0)))")
	icpu="vaultd cpu during ingest: user $(( (u1 - u0) * 10 )) ms, sys $(( (s1 - s0) * 10 )) ms, wall $(( (t1 - t0) / 1000000 )) ms"

	t0=$(now)
	ctl restore bench stream "$p" >/dev/null
	t1=$(now)
	rnull+=("$(mibs "$bytes" $((t1 - t0)))")

	sync
	t0=$(now)
	ctl restore bench stream "$p" -o "$work/out.bin"
	t1=$(now)
	rfile+=("$(mibs "$bytes" $((t1 - t0)))")
	cmp "$work/in.bin" "$work/out.bin" || { echo "restore differs from the input!" >&2; exit 1; }
	rm -f "$work/out.bin"

	kill "$vpid"
	wait "$vpid" || true
	vpid=
	echo "   run $i: disk ${disk[-1]}  aes-gcm ${aes[-1]}  ingest ${ingest[-1]}  restore>null ${rnull[-1]}  restore>file ${rfile[-1]} MiB/s"
	echo "          $icpu"
done

D=$(best "${disk[@]}") A=$(best "${aes[@]}") I=$(best "${ingest[@]}")
N=$(best "${rnull[@]}") F=$(best "${rfile[@]}")
echo
printf '%-38s %10s  %s\n' "measurement (best of $repeat)" "MiB/s" "ratio"
printf '%-38s %10s\n' "disk: dd conv=fdatasync (ceiling)" "$D"
printf '%-38s %10s\n' "aes-256-gcm: openssl speed, 1 core" "$A"
printf '%-38s %10s  %s x disk (target >= 0.85), %s x aes-gcm\n' "vaultd ingest (backup, durable)" "$I" \
	"$(ratio "$I" "$D")" "$(ratio "$I" "$A")"
printf '%-38s %10s  %s x aes-gcm\n' "vaultd restore -> /dev/null" "$N" "$(ratio "$N" "$A")"
printf '%-38s %10s  %s x disk\n' "vaultd restore -> file (fsync)" "$F" "$(ratio "$F" "$D")"
if awk -v i="$I" -v d="$D" 'BEGIN { exit !(i >= 0.85 * d) }'; then
	echo "ingest meets the target (>= 0.85 x durable disk writes)"
else
	echo "ingest is BELOW the target (< 0.85 x durable disk writes)"
fi
