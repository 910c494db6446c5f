#!/usr/bin/env bash
# ceph_pool_fill.sh - the pool fills up during an upload:
#   - a streamed backup crosses the OSD map's full ratio (0.3 of a 200 MB
#     memstore OSD); the test keeps feeding until the pool is flagged full:
#     the upload fails at once with "storage full: RADOS pool P ..."
#     (VG_ENOSPACE, 507 at the gateway), no point becomes visible, and its
#     objects are removed from the pool (vaultd's ioctx is "full try": the
#     OSD answers ENOSPC to a write that would grow a full pool, instead of
#     the client holding it until the op timeout, and lets removals pass);
#   - a new backup is refused at once while the pool is full;
#   - a soft-deleted point purged (test clock 15 days on, "purge run")
#     frees space on the full pool: its objects go, the flag clears;
#   - backups work again; the earlier point restores byte-exact; the audit
#     chain verifies and nothing is orphaned.
#
#   vaultctl backup - <fifo ──unix──► vaultd-testclock --store rados (cephx user)
#                                      └──► ceph-osd memstore 200 MB, full ratio 0.3
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/ceph/cephlib.sh"
vg_init
vg_state_init
trap '' PIPE   # the feeder writes into a pipe vaultctl closes when refused
CEPH_MEMSTORE_BYTES=200000000 ceph_up
POOL=vgt-$$-fill
ceph_pool "$POOL"
ceph_vault_client "$POOL"
export VG_STORE=rados VG_CEPH_CONF=$CEPH_CONF VG_CEPH_POOL=$POOL VG_CEPH_TIMEOUT=40
vg_store_args
ceph_full_ratio 0.3
ceph_pool_full "$POOL" && vg_fail "the pool is full before anything was written"

vg_start_vaultd "$VG_STATE" "$VG_SOCK" "$VAULTD_TEST"
vg_ctl vault create v1 >/dev/null
vg_ctl item create v1 h1 >/dev/null
vg_ctl item create v1 h2 >/dev/null
vg_random_file "$VG_WORK/a" $((16 * VG_SEG + 5))
vg_random_file "$VG_WORK/b" $((16 * VG_SEG + 7))
P1=$(vg_ctl backup v1 h1 "$VG_WORK/a")
P2=$(vg_ctl backup v1 h1 "$VG_WORK/b")
ceph_pool_full "$POOL" && vg_fail "the pool is full after 32 MB"

vg_log "a streamed upload that fills the pool"
mkfifo "$VG_WORK/feed"
vg_ctl backup v1 h2 - <"$VG_WORK/feed" >"$VG_WORK/c.out" 2>&1 &
BPID=$!
exec 7>"$VG_WORK/feed"
fed=0 after=0
# 2 MB at a time; once the pool is flagged full, 8 MB more at most: the
# upload must have failed by then (bounded: 32 + 150 MB < 0.97 of 200 MB).
for i in $(seq 1 75); do
	kill -0 "$BPID" 2>/dev/null || break
	head -c 2097152 /dev/urandom >&7 2>/dev/null || break
	fed=$((fed + 2))
	if [ "$after" = 0 ]; then
		ceph_pool_full "$POOL" && { after=1; tfull=$(date +%s); vg_log "pool flagged full after $fed MB of the upload"; }
	else
		after=$((after + 1))
		[ "$after" -le 5 ] || break
	fi
done
exec 7>&-
set +e
wait "$BPID"
rc=$?
set -e
dt=$(($(date +%s) - ${tfull:-0}))
out=$(cat "$VG_WORK/c.out")
[ "$after" -gt 0 ] || vg_fail "the pool never became full ($fed MB fed; upload exit $rc: $out)"
[ "$rc" != 0 ] || vg_fail "the upload that filled the pool succeeded: $out"
case "$out" in *"storage full: RADOS pool $POOL"*) ;; *) vg_fail "the upload did not fail with storage full: $out" ;; esac
# At once ("full try": ENOSPC from the OSD), not after the 40 s op timeout.
[ "$dt" -le 20 ] || vg_fail "the upload failed ${dt}s after the pool was flagged full"
vg_log "upload refused after $fed MB, ${dt}s after the flag: $out"
# Whichever answered first (the OSD's ENOSPC, or the pool's full flag read
# before the next segment), the refusal is audited as storage full.
vg_ctl audit export | grep -q "storage full: RADOS pool $POOL" ||
	vg_fail "no audited refusal naming the full pool: $(vg_ctl audit export | tail -n 2)"
[ -z "$(vg_ctl points v1 h2)" ] || vg_fail "the failed upload left a visible point: $(vg_ctl points v1 h2)"

vg_log "a new backup while the pool is full: refused at once"
vg_random_file "$VG_WORK/c" 1000
t0=$(date +%s)
vg_expect_fail "storage full: RADOS pool $POOL" vg_ctl backup v1 h2 "$VG_WORK/c"
dt=$(($(date +%s) - t0))
[ "$dt" -le 5 ] || vg_fail "the full pool took ${dt}s to refuse a backup"
[ -z "$(vg_ctl points v1 h2)" ] || vg_fail "a refused backup left a visible point"

vg_log "a soft-deleted point purged frees space on the full pool"
vg_ctl point delete v1 h1 "$P1" >/dev/null
ceph_pool_full "$POOL" || vg_fail "the pool stopped being full before the purge"
vg_ctl clock advance $((15 * 86400)) >/dev/null
# Bounded: a client that is not "full try" would hold the removals.
timeout 30 "$VAULTCTL" --socket "$VG_SOCK" purge run >"$VG_WORK/purge.out" 2>&1 || vg_fail "purge on a full pool: $(cat "$VG_WORK/purge.out")"
for i in $(seq 1 120); do
	ceph_pool_full "$POOL" || break
	sleep 0.5
done
ceph_pool_full "$POOL" && vg_fail "the pool is still full 60 s after the purge"
[ "$(vg_ctl points v1 h1 | cut -f1)" = "$P2" ] || vg_fail "points after the purge: $(vg_ctl points v1 h1)"

vg_log "backups work again"
P3=
for i in $(seq 1 20); do   # vaultd re-reads the full flag at most every 2 s
	P3=$(vg_ctl backup v1 h2 "$VG_WORK/c" 2>"$VG_WORK/p3.err") && break
	grep -q "storage full" "$VG_WORK/p3.err" || vg_fail "backup after the purge: $(cat "$VG_WORK/p3.err")"
	P3=
	sleep 0.5
done
[ -n "$P3" ] || vg_fail "no backup works 10 s after the pool stopped being full"
vg_ctl restore v1 h2 "$P3" | cmp - "$VG_WORK/c"
vg_ctl restore v1 h1 "$P2" | cmp - "$VG_WORK/b"
vg_ctl audit verify >/dev/null
vg_stop_vaultd_checked
# The failed upload's objects and the purged point's are gone from the pool.
vg_assert_consistent "$VG_STATE"
vg_log "ok"
