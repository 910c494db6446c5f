#!/usr/bin/env bash
# ceph_restic_recover.sh - a restic repository on a RADOS-backed vault,
# rebuilt from the pool: snapshot S1 before the shutdown checkpoint, S2 and
# S3 after the next start's checkpoint, then kill -9. vaultd
# --recover-from-pool on a fresh state directory names S2 and S3 each by
# file ("vault/item/point/snapshots/ID", stdout and the recovery.pool audit
# entry), not S1; afterwards restic sees S1 only, "restic check" passes
# (the lost snapshots' packs and indexes went with them) and S1 restores
# identical.
#
#   restic ──TLS──► vaultgw ──unix──► vaultd --store rados ──► pool (blobs, checkpoint, journal)
#   fresh dir (platform.key) ──vaultd --recover-from-pool──► the repository as of S1
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"
. "$VG_SRC/tests/integration/ceph/cephlib.sh"
vg_init
ceph_up
POOL=vgt-$$-restic
ceph_pool "$POOL"
ceph_vault_client "$POOL"
export VG_STORE=rados VG_CEPH_CONF=$CEPH_CONF VG_CEPH_POOL=$POOL VG_CEPH_TIMEOUT=20
vg_store_args
chmod 711 "$VG_WORK"   # gw_setup without its vg_init: the cluster lives in this VG_WORK
GW_PORT=$(gw_free_port)
gw_start_vaultd
gw_start_gateway

vg_ctl vault create default >/dev/null
AG1=$(gw_principal agent1 agent)
vg_ctl role grant agent1 default agent >/dev/null
vg_ctl item create default repo1 --kind restic --agent agent1 >/dev/null
export RESTIC_PASSWORD=correct-horse RESTIC_CACHE_DIR=$VG_WORK/cache
R1="rest:https://agent1:$AG1@127.0.0.1:$GW_PORT/restic/repo1/"
r() { restic --cacert "$GW_CA" -r "$R1" "$@"; }
snaps() { r snapshots --json | python3 -c 'import json,sys; print(" ".join(sorted(s["id"] for s in json.load(sys.stdin))))'; }

src=$VG_WORK/src
mkdir -p "$src"
head -c $((3 * 1024 * 1024)) /dev/urandom >"$src/one.bin"
r init >"$VG_WORK/restic.log" 2>&1 || vg_fail "restic init: $(tail -3 "$VG_WORK/restic.log")"
(cd "$VG_WORK" && r backup src) >>"$VG_WORK/restic.log" 2>&1 || vg_fail "backup 1"
S1=$(snaps)
cp -a "$src" "$VG_WORK/src1"

# A clean stop (the shutdown checkpoint holds S1), a start (its checkpoint too).
kill -TERM "$VAULTD_PID"
vg_wait_exit "$VAULTD_PID" 60
grep -q "checkpoint (shutdown): [0-9]* bytes written" "$VG_WORK/vaultd.log" || vg_fail "no shutdown checkpoint"
gw_start_vaultd
for i in 2 3; do
	head -c $((2 * 1024 * 1024)) /dev/urandom >"$src/f$i.bin"
	(cd "$VG_WORK" && r backup src) >>"$VG_WORK/restic.log" 2>&1 || vg_fail "backup $i"
done
ALL=$(snaps)
LOST=$(for s in $ALL; do [ "$s" = "$S1" ] || echo "$s"; done)
[ "$(echo "$LOST" | wc -l)" = 2 ] || vg_fail "snapshots: $ALL"
vg_kill_vaultd
vg_log "S1 $S1 before the checkpoint; $(echo $LOST) after it; vaultd killed"

NEW=$VG_WORK/new
mkdir -p "$NEW/keys"
chmod 700 "$NEW" "$NEW/keys"
cp "$VG_WORK/state/keys/platform.key" "$NEW/keys/platform.key"
chmod 600 "$NEW/keys/platform.key"
out=$("$VAULTD" --state-dir "$NEW" --recover-from-pool "${VG_STORE_ARGS[@]}" 2>>"$VG_WORK/vaultd.log") ||
	vg_fail "recovery failed: $(tail -5 "$VG_WORK/vaultd.log")"
echo "$out" >&2
echo "$out" | grep -q "0 points committed after it are lost; 2 restic snapshots committed after it are lost:" ||
	vg_fail "the lost snapshots are not counted: $out"
for s in $LOST; do
	echo "$out" | grep -qx "default/repo1/[0-9a-f]\{16\}/snapshots/$s" || vg_fail "snapshot $s is not named: $out"
done
! echo "$out" | grep -q "$S1" || vg_fail "S1 (in the checkpoint) is named as lost: $out"

"$VAULTD" --state-dir "$NEW" --socket "$VG_SOCK" --socket-group nogroup "${VG_STORE_ARGS[@]}" \
	>>"$VG_WORK/vaultd.log" 2>&1 &
VAULTD_PID=$!
vg_track "$VAULTD_PID"
vg_wait_socket "$VG_SOCK"
vg_ctl audit export >"$VG_WORK/audit.json"
rec=$(grep '"recovery.pool"' "$VG_WORK/audit.json" | tail -n 1)
for s in $LOST; do
	echo "$rec" | grep -q "snapshots/$s" || vg_fail "the recovery.pool audit entry does not name $s: $rec"
done
[ "$(snaps)" = "$S1" ] || vg_fail "restic sees $(snaps) after the recovery, want $S1"
rm -rf "$RESTIC_CACHE_DIR"
r check --read-data >"$VG_WORK/check.log" 2>&1 || vg_fail "restic check after recovery: $(tail -5 "$VG_WORK/check.log")"
r restore "$S1" --target "$VG_WORK/rst" >>"$VG_WORK/restic.log" 2>&1 || vg_fail "restore S1"
diff -r "$VG_WORK/src1" "$VG_WORK/rst/src" || vg_fail "S1 restored differs"
vg_ctl audit verify >/dev/null
vg_log "ok"
