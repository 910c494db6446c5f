#!/usr/bin/env bash
# ceph_pool_recover.sh - an appliance rebuilt from its RADOS pool.
# Two points committed, a clean stop (the shutdown checkpoint holds them),
# a third point committed after the next start's checkpoint, then kill -9:
# on a fresh state directory holding only the platform key,
#   vaultd --recover-from-pool
# brings back the first two (byte-exact), names the third as lost (stdout,
# and the audit entry "recovery.pool" that continues the intact chain), and
# removes its orphaned objects. Refused: a directory that already has
# metadata, and a platform key that did not write the checkpoint.
#
#   vaultd ──► pool: blobs + vaultgate.checkpoint + vaultgate.journal
#   fresh dir (keys/platform.key) ──vaultd --recover-from-pool──► keys + LMDB back
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/ceph/cephlib.sh"
vg_init
vg_state_init
ceph_up
POOL=vgt-$$-rec
ceph_pool "$POOL"
ceph_vault_client "$POOL"
export VG_STORE=rados VG_CEPH_CONF=$CEPH_CONF VG_CEPH_POOL=$POOL VG_CEPH_TIMEOUT=10
vg_store_args

vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_ctl vault create v1 >/dev/null
vg_ctl item create v1 i1 >/dev/null
for f in a b c; do vg_random_file "$VG_WORK/$f" $((3 * VG_SEG + 11)); done
P1=$(vg_ctl backup v1 i1 "$VG_WORK/a")
P2=$(vg_ctl backup v1 i1 "$VG_WORK/b")
vg_stop_vaultd_checked
grep -q "checkpoint (shutdown): [0-9]* bytes written" "$VG_WORK/vaultd.log" || vg_fail "no shutdown checkpoint"
vg_rados stat vaultgate.checkpoint >/dev/null || vg_fail "no checkpoint object in the pool"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
P3=$(vg_ctl backup v1 i1 "$VG_WORK/c")
vg_kill_vaultd
vg_log "points $P1 $P2 before the checkpoint, $P3 after it; vaultd killed"

# The checkpoint holds no secret in the clear.
vg_rados get vaultgate.checkpoint "$VG_WORK/ck.manifest"
for o in $(vg_rados ls | grep '^vaultgate\.checkpoint\.'); do vg_rados get "$o" "$VG_WORK/ck.part"; cat "$VG_WORK/ck.part"; done >"$VG_WORK/ck"
for k in audit.key platform.key; do
	needle=$(xxd -p "$VG_STATE/keys/$k" | tr -d '\n')
	xxd -p "$VG_WORK/ck" | tr -d '\n' | grep -q "$needle" && vg_fail "keys/$k is in the checkpoint in the clear"
done
grep -qa "point.commit" "$VG_WORK/ck" && vg_fail "the metadata is in the checkpoint in the clear"

NEW=$VG_WORK/new
mkdir -p "$NEW/keys"
chmod 700 "$NEW" "$NEW/keys"
cp "$VG_STATE/keys/platform.key" "$NEW/keys/platform.key"
chmod 600 "$NEW/keys/platform.key"

vg_log "refused: another platform key"
OTHER=$VG_WORK/other
mkdir -p "$OTHER/keys" && chmod 700 "$OTHER" "$OTHER/keys"
head -c 32 /dev/urandom >"$OTHER/keys/platform.key" && chmod 600 "$OTHER/keys/platform.key"
vg_expect_fail "not written with this platform key" "$VAULTD" --state-dir "$OTHER" --recover-from-pool \
	"${VG_STORE_ARGS[@]}"
[ ! -e "$OTHER/meta/data.mdb" ] && [ ! -e "$OTHER/keys/audit.key" ] || vg_fail "a refused recovery wrote state"
vg_expect_fail "needs --store rados" "$VAULTD" --state-dir "$NEW" --recover-from-pool

vg_log "recover into a fresh state directory"
out=$("$VAULTD" --state-dir "$NEW" --recover-from-pool "${VG_STORE_ARGS[@]}" 2>>"$VG_WORK/vaultd.log") ||
	vg_fail "recovery failed: $(tail -5 "$VG_WORK/vaultd.log")"
echo "$out" >&2
echo "$out" | grep -q "1 point committed after it is lost" || vg_fail "the lost point is not counted: $out"
echo "$out" | grep -qx "v1/i1/$P3" || vg_fail "the lost point is not named: $out"
vg_expect_fail "recover only into a fresh state directory" "$VAULTD" --state-dir "$NEW" \
	--recover-from-pool "${VG_STORE_ARGS[@]}"

vg_start_vaultd "$NEW" "$VG_SOCK"
pts=$(vg_ctl points v1 i1 | cut -f1 | sort)
[ "$pts" = "$(printf '%s\n' "$P1" "$P2" | sort)" ] || vg_fail "recovered points: $pts"
vg_ctl restore v1 i1 "$P1" | cmp - "$VG_WORK/a"
vg_ctl restore v1 i1 "$P2" | cmp - "$VG_WORK/b"
vg_ctl audit verify >/dev/null || vg_fail "the audit chain does not verify after recovery"
vg_ctl audit export >"$VG_WORK/audit.json"
tail -n 3 "$VG_WORK/audit.json" | grep "recovery.pool" | grep -q "$P3" ||
	vg_fail "no recovery.pool audit entry naming $P3: $(tail -n 3 "$VG_WORK/audit.json")"
grep -q '"point.commit"' "$VG_WORK/audit.json" || vg_fail "the recovered chain lost its history"
P4=$(vg_ctl backup v1 i1 "$VG_WORK/c")
vg_ctl restore v1 i1 "$P4" | cmp - "$VG_WORK/c"
vg_stop_vaultd_checked
vg_assert_consistent "$NEW"
vg_log "ok"
