#!/usr/bin/env bash
# ceph_osd_restart.sh - the OSD dies (kill -9) during uploads into a vault
# on RADOS (bluestore on a sparse file, so the OSD keeps its objects):
#   1. restarted within vaultd's op timeout: each upload either finishes
#      (and restores byte-exact) or fails with a clear error;
#   2. down for longer than the timeout: each upload fails with a clear
#      error within a bounded time, and none leaves a visible point;
# afterwards every reported point restores byte-exact, new backups work, and
# after a restart the pool holds exactly the blobs the metadata references.
#
# Each upload is fed through a gate: its first half before the kill, its
# second half only once the OSD is down, so the outage always falls inside
# every upload however fast the machine is (CI once finished all four in
# the 0.3 s before the kill, and the long round saw no failure).
#
#   4 x vaultctl backup ──unix──► vaultd --store rados ──► ceph-osd  ◄── kill -9
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/ceph/cephlib.sh"
vg_init
vg_state_init
CEPH_OBJECTSTORE=bluestore ceph_up
POOL=vgt-$$-osd
ceph_pool "$POOL"
TMO=15
export VG_STORE=rados VG_CEPH_CONF=$CEPH_CONF VG_CEPH_POOL=$POOL VG_CEPH_TIMEOUT=$TMO
vg_store_args
S=$VG_SEG
N=4

vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_ctl vault create v1 >/dev/null
for k in $(seq 1 $N); do
	vg_ctl item create v1 "c$k" >/dev/null
	vg_random_file "$VG_WORK/f$k" $((24 * S + k))
done
vg_random_file "$VG_WORK/base" $((5 * S + 3))
vg_ctl item create v1 base >/dev/null
P0=$(vg_ctl backup v1 base "$VG_WORK/base")
: >"$VG_WORK/reported"

for k in $(seq 1 $N); do
	half=$((12 * S + k))
	head -c "$half" "$VG_WORK/f$k" >"$VG_WORK/f$k.head"
	tail -c +$((half + 1)) "$VG_WORK/f$k" >"$VG_WORK/f$k.tail"
done

# round NAME DOWN_SECONDS: N uploads; once each has sent its first half,
# kill the OSD, open the gate for the second halves, restart the OSD
# DOWN_SECONDS later; every upload must end within a bound.
round() {
	local name=$1 down=$2 pids=() k ok=0 failed=0 t0 dt gate
	gate=$VG_WORK/$name.gate
	for k in $(seq 1 $N); do
		{
			cat "$VG_WORK/f$k.head"
			while [ ! -e "$gate" ]; do sleep 0.05; done
			cat "$VG_WORK/f$k.tail"
		} | "$VAULTCTL" --socket "$VG_SOCK" backup v1 "c$k" - >"$VG_WORK/$name.$k" \
			2>"$VG_WORK/$name.$k.err" &
		pids+=($!)
		vg_track "$!"
	done
	sleep 1
	t0=$(date +%s)
	ceph_osd_stop
	touch "$gate"
	sleep "$down"
	ceph_osd_start "$POOL"
	for k in $(seq 1 $N); do
		vg_wait_exit "${pids[$((k - 1))]}" 90
		if [ "$VG_EXIT" = 0 ]; then
			echo "c$k $(cat "$VG_WORK/$name.$k") f$k" >>"$VG_WORK/reported"
			ok=$((ok + 1))
		else
			grep -qiE "timed out|unavailable|storage" "$VG_WORK/$name.$k.err" ||
				vg_fail "$name: upload c$k failed without a clear error: $(cat "$VG_WORK/$name.$k.err")"
			failed=$((failed + 1))
		fi
	done
	dt=$(($(date +%s) - t0))
	vg_log "$name: OSD down ${down}s: $ok uploads finished, $failed failed clearly; all ended within ${dt}s"
	[ "$dt" -le $((down + 3 * TMO + 30)) ] || vg_fail "$name: uploads took ${dt}s to end"
	ROUND_FAILED=$failed
}

round short 1
round long $((TMO + 5))
[ "$ROUND_FAILED" -gt 0 ] || vg_fail "no upload failed while the OSD was down past the timeout"
grep -q "rados: pool $POOL: writing" "$VG_WORK/vaultd.log" || vg_fail "vaultd did not log the failed writes"

vg_log "no visible partial point"
for k in $(seq 1 $N); do
	while read -r p _; do
		grep -q "^c$k $p " "$VG_WORK/reported" || vg_fail "c$k/$p is visible but was never reported"
	done < <(vg_ctl points v1 "c$k")
done
while read -r item p f; do
	vg_ctl restore v1 "$item" "$p" | cmp - "$VG_WORK/$f" || vg_fail "$item/$p does not restore byte-exact"
done <"$VG_WORK/reported"
vg_ctl restore v1 base "$P0" | cmp - "$VG_WORK/base"
P1=$(vg_ctl backup v1 c1 "$VG_WORK/f1") || vg_fail "no backup after the OSD came back"
vg_ctl restore v1 c1 "$P1" | cmp - "$VG_WORK/f1"
vg_stop_vaultd_checked
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_stop_vaultd_checked
vg_assert_consistent "$VG_STATE"
vg_log "ok: $(wc -l <"$VG_WORK/reported") uploads reported across the OSD kills"
