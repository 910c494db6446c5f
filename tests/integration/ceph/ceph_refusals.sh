#!/usr/bin/env bash
# ceph_refusals.sh - vaultd on a RADOS pool refuses cleanly:
#   - a monitor that does not answer: vaultd exits within its timeout, naming
#     the conf and the pool, and serves nothing; a pool that does not exist:
#     the same, "no such pool";
#   - --check lists the pool read-only beside a live vaultd (an unreferenced
#     object is counted, not removed); the next start's recovery removes it;
#   - a state directory keeps its store (dir vs rados), a pool its owner (a
#     second state directory on the same pool is refused);
#   - a full pool (the OSD's memstore filled): a backup fails at once
#     ("0 bytes free": VG_ENOSPACE, 507 through the gateway), nothing is recorded, and
#     backups work again once space is freed.
#
#   vaultctl ──unix──► vaultd --store rados ──► ceph-osd (memstore, 100 MB)
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/ceph/cephlib.sh"
vg_init
vg_state_init
CEPH_MEMSTORE_BYTES=100000000 ceph_up
POOL=vgt-$$-main
ceph_pool "$POOL"
export VG_STORE=rados VG_CEPH_CONF=$CEPH_CONF VG_CEPH_POOL=$POOL VG_CEPH_TIMEOUT=5
vg_store_args

vg_log "an unreachable monitor"
bad=$VG_WORK/bad.conf
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed "s/^mon host = .*/mon host = [v2:127.0.0.1:$port,v1:127.0.0.1:$((port + 1))]/" "$CEPH_CONF" >"$bad"
t0=$(date +%s)
set +e
out=$(timeout 60 "$VAULTD" --state-dir "$VG_WORK/s-bad" --socket "$VG_WORK/bad.sock" --store rados \
	--ceph-conf "$bad" --ceph-pool "$POOL" --ceph-timeout 3 2>&1)
rc=$?
set -e
dt=$(($(date +%s) - t0))
[ "$rc" != 0 ] && [ "$rc" != 124 ] || vg_fail "vaultd with an unreachable monitor: exit $rc: $out"
[ "$dt" -le 20 ] || vg_fail "vaultd took ${dt}s to give up on the monitor (timeout 3 s)"
case "$out" in *"$bad"*"$POOL"*) ;; *) vg_fail "the refusal does not name the conf and the pool: $out" ;; esac
[ ! -e "$VG_WORK/bad.sock" ] || vg_fail "vaultd served with no cluster"
vg_log "refused in ${dt}s: $out"

vg_expect_fail "no such pool" "$VAULTD" --state-dir "$VG_WORK/s-nopool" --socket "$VG_WORK/np.sock" \
	--store rados --ceph-conf "$CEPH_CONF" --ceph-pool "vgt-$$-nosuch" --ceph-timeout 5
vg_expect_fail "needs --ceph-conf" "$VAULTD" --state-dir "$VG_WORK/s-x" --socket "$VG_WORK/x.sock" --store rados
vg_expect_fail "need --store rados" "$VAULTD" --state-dir "$VG_WORK/s-x" --socket "$VG_WORK/x.sock" \
	--ceph-pool "$POOL"

vg_log "--check lists the pool, read-only"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_ctl vault create v1 >/dev/null
vg_ctl item create v1 host1 >/dev/null
vg_random_file "$VG_WORK/a" $((2 * VG_SEG + 5))
P1=$(vg_ctl backup v1 host1 "$VG_WORK/a")
stray=0123456789abcdef0123456789abcdef
echo junk >"$VG_WORK/junk"
vg_rados put "$stray.00000000" "$VG_WORK/junk"
out=$("$VAULTD" --state-dir "$VG_STATE" --check "${VG_STORE_ARGS[@]}" 2>&1) || vg_fail "--check: $out"
echo "$out" | grep -q "^store: RADOS pool $POOL" || vg_fail "--check does not name the pool: $out"
echo "$out" | grep -q "^blobs: 1 not referenced" || vg_fail "--check did not count the stray object: $out"
vg_rados stat "$stray.00000000" >/dev/null || vg_fail "--check removed an object"
vg_stop_vaultd_checked
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
grep -q "removed 0 uncommitted points, 1 orphan blobs" "$VG_WORK/vaultd.log" ||
	vg_fail "recovery did not remove the stray object: $(grep recovery "$VG_WORK/vaultd.log")"
! vg_rados stat "$stray.00000000" >/dev/null 2>&1 || vg_fail "the stray object survived recovery"
vg_ctl restore v1 host1 "$P1" -o "$VG_WORK/a.out"
cmp "$VG_WORK/a" "$VG_WORK/a.out"

vg_log "one store per state directory, one state directory per pool"
vg_stop_vaultd_checked
vg_expect_fail "created with the rados blob store" "$VAULTD" --state-dir "$VG_STATE" --socket "$VG_WORK/d.sock"
vg_expect_fail "belongs to vaultgate instance" "$VAULTD" --state-dir "$VG_WORK/s-other" \
	--socket "$VG_WORK/o.sock" "${VG_STORE_ARGS[@]}"
[ "$(vg_blob_files "$VG_STATE")" = "$(vg_blob_refs "$VG_STATE")" ] || vg_fail "a refused start changed the pool"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"

vg_log "a full pool"
filler=vgt-$$-fill
ceph_pool "$filler"
head -c 8000000 /dev/urandom >"$VG_WORK/fill"
for i in $(seq 1 40); do
	ceph_pool_full "$POOL" && break
	timeout 4 rados -c "$CEPH_CONF" -p "$filler" put "f$i" "$VG_WORK/fill" 2>/dev/null || sleep 0.5
done
ceph_pool_full "$POOL" || vg_fail "the OSD never became full"
t0=$(date +%s)
vg_expect_fail "0 bytes free" vg_ctl backup v1 host1 "$VG_WORK/a"
dt=$(($(date +%s) - t0))
[ "$dt" -le 3 ] || vg_fail "the full pool took ${dt}s to refuse"
vg_random_file "$VG_WORK/c" 1000
vg_expect_fail "0 bytes free" vg_ctl backup v1 host1 "$VG_WORK/c"
[ "$(vg_ctl points v1 host1 | cut -f1)" = "$P1" ] || vg_fail "a refused backup left a visible point"
vg_log "full pool refused in ${dt}s"
cephc osd pool delete "$filler" "$filler" --yes-i-really-really-mean-it >/dev/null
for i in $(seq 1 120); do
	ceph_pool_full "$POOL" || break
	sleep 0.5
done
sleep 2.5   # vaultd asks the OSD map at most every 2 s
P2=$(vg_ctl backup v1 host1 "$VG_WORK/a") || vg_fail "no backup once space was freed"
vg_ctl restore v1 host1 "$P2" | cmp - "$VG_WORK/a"
vg_ctl audit verify >/dev/null
vg_stop_vaultd_checked
vg_assert_consistent "$VG_STATE"
vg_log "ok"
