#!/usr/bin/env bash
# bench/store_rados.sh - the RADOS half of bench/store.sh (run it through
# `bench/store.sh --store rados`): vaultd ingest and restore on a RADOS pool
# beside `rados bench` against the same pool, same run (rados bench's
# "MB/sec" is MiB/s: bytes / 2^20 per second, the unit used here too).
#
#   store_rados.sh SIZE_MIB BUILD [CONF POOL] [REPEAT]
set -eu
size=$1 build=$2 cconf=${3:-} cpool=${4:-} repeat=${5:-1}
VG_BUILD=$(cd "$build" && pwd) VG_SRC=$(pwd)
export VG_BUILD VG_SRC
. tests/integration/lib.sh
. tests/integration/ceph/cephlib.sh
vg_init
if [ -z "$cconf" ]; then
	CEPH_MEMSTORE_BYTES=$(( (4 * size + 1024) * 1048576 )) ceph_up
	cconf=$CEPH_CONF
	own=1
else
	CEPH_CONF=$cconf
	own=0
fi
[ -n "$cpool" ] || { cpool=vgt-$$-bench; ceph_pool "$cpool"; }
now() { date +%s%N; }
mibs() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.1f", b / 1048576 / (ns / 1e9) }'; }
best() { printf '%s\n' "$@" | sort -g | tail -n1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
bytes=$((size * 1048576))
obj=$((1048576 + 16))
secs=$(( size / 100 > 5 ? size / 100 : 5 ))
echo "== vaultgate store bench (rados): $size MiB stream, pool $cpool ($cconf$([ $own = 1 ] && echo ", throw-away memstore cluster")), $(nproc) cores"
head -c "$bytes" /dev/urandom >"$VG_WORK/in.bin"
cat "$VG_WORK/in.bin" >/dev/null

rw=() rr=() ingest=() rnull=()
for i in $(seq 1 "$repeat"); do
	# The raw rate: rados bench, 1 MiB + 16 B objects, 8 in flight.
	out=$(rados -c "$cconf" -p "$cpool" bench "$secs" write -b "$obj" -t 8 --no-cleanup \
		--run-name "vgt-$$-rb" 2>/dev/null)
	rw+=("$(echo "$out" | awk -F: '/^Bandwidth \(MB\/sec\)/ { gsub(/ /, "", $2); print $2 }')")
	out=$(rados -c "$cconf" -p "$cpool" bench "$secs" seq -t 8 --run-name "vgt-$$-rb" 2>/dev/null)
	rr+=("$(echo "$out" | awk -F: '/^Bandwidth \(MB\/sec\)/ { gsub(/ /, "", $2); print $2 }')")
	rados -c "$cconf" -p "$cpool" cleanup --run-name "vgt-$$-rb" >/dev/null 2>&1 || true

	st=$VG_WORK/state.$i
	"$VG_BUILD/vault/vaultd" --state-dir "$st" --socket "$VG_WORK/v.sock" --store rados \
		--ceph-conf "$cconf" --ceph-pool "$cpool" --checkpoint-minutes 0 2>>"$VG_WORK/vaultd.log" &
	vpid=$!
	vg_track "$vpid"
	VG_SOCK=$VG_WORK/v.sock
	vg_wait_socket "$VG_SOCK"
	vg_ctl vault create bench >/dev/null
	vg_ctl item create bench stream >/dev/null
	t0=$(now)
	p=$(vg_ctl backup bench stream "$VG_WORK/in.bin")
	t1=$(now)
	ingest+=("$(mibs "$bytes" $((t1 - t0)))")
	t0=$(now)
	vg_ctl restore bench stream "$p" >/dev/null
	t1=$(now)
	rnull+=("$(mibs "$bytes" $((t1 - t0)))")
	vg_ctl restore bench stream "$p" | cmp - "$VG_WORK/in.bin" || vg_fail "restore differs"
	vg_ctl point delete bench stream "$p" >/dev/null 2>&1 || true
	kill "$vpid"
	wait "$vpid" || true
	echo "   run $i: rados bench write ${rw[-1]}  seq ${rr[-1]}  vaultd ingest ${ingest[-1]}  restore ${rnull[-1]} MiB/s"
	# A pool holds one state directory: a new pool for the next run.
	if [ "$i" -lt "$repeat" ]; then cpool=vgt-$$-bench$i; ceph_pool "$cpool"; fi
done
W=$(best "${rw[@]}") R=$(best "${rr[@]}") I=$(best "${ingest[@]}") N=$(best "${rnull[@]}")
echo
printf '%-44s %10s  %s\n' "measurement (best of $repeat)" "MiB/s" "ratio"
printf '%-44s %10s\n' "rados bench write (1 MiB+16 B objects, 8 in flight)" "$W"
printf '%-44s %10s\n' "rados bench seq read" "$R"
printf '%-44s %10s  %s x rados write (target >= 0.8)\n' "vaultd ingest (backup, acked by RADOS)" "$I" "$(ratio "$I" "$W")"
printf '%-44s %10s  %s x rados read\n' "vaultd restore (read-ahead 8) -> /dev/null" "$N" "$(ratio "$N" "$R")"
if awk -v i="$I" -v w="$W" 'BEGIN { exit !(i >= 0.8 * w) }'; then
	echo "ingest meets the target (>= 0.8 x rados bench write)"
else
	echo "ingest is BELOW the target (< 0.8 x rados bench write)"
fi
