#!/usr/bin/env bash
# ceph_cephx.sh - vaultd on a cephx cluster, as its own user:
#   - client.vgt-...-vault (mon 'allow r', osd 'allow rw pool=P') with its
#     keyring (--ceph-id, --ceph-keyring): backups and restores work; the key
#     is in neither vaultd's argv nor its log;
#   - a user whose OSD caps cover another pool only, and one that may only
#     read P: vaultd refuses to start, saying the caps do not cover the pool;
#   - a wrong key, and a user the cluster does not know: vaultd exits at
#     once naming the conf, the pool and the user, and never prints a key.
#
#   vaultctl ──unix──► vaultd --store rados --ceph-id U --ceph-keyring K ──cephx──► ceph-mon/osd
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/ceph/cephlib.sh"
vg_init
vg_state_init
CEPH_AUTH=cephx ceph_up
grep -q "^auth client required = cephx" "$CEPH_CONF" || vg_fail "the cluster does not run cephx"
POOL=vgt-$$-x
OTHER=vgt-$$-other
ceph_pool "$POOL"
ceph_pool "$OTHER"
ceph_vault_client "$POOL"
export VG_STORE=rados VG_CEPH_CONF=$CEPH_CONF VG_CEPH_POOL=$POOL VG_CEPH_TIMEOUT=10
vg_store_args
key=$(sed -n 's/^[[:space:]]*key = //p' "$VG_CEPH_KEYRING")
[ -n "$key" ] || vg_fail "no key in $VG_CEPH_KEYRING"
admin_key=$(sed -n 's/^[[:space:]]*key = //p' "$CEPH_DIR/keyring" | head -n 1)

# no_secret FILE...: neither the vault user's nor the admin's key appears.
no_secret() {
	! grep -qF -e "$key" -e "$admin_key" "$@" || vg_fail "a cephx key is in $*"
}

vg_log "the pool's own user: backups and restores"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
tr '\0' '\n' <"/proc/$VAULTD_PID/cmdline" >"$VG_WORK/argv"
grep -qx -- "--ceph-id" "$VG_WORK/argv" && grep -qx "$VG_CEPH_ID" "$VG_WORK/argv" ||
	vg_fail "vaultd does not run as $VG_CEPH_ID: $(cat "$VG_WORK/argv")"
no_secret "$VG_WORK/argv"
vg_ctl vault create v1 >/dev/null
vg_ctl item create v1 h1 >/dev/null
vg_random_file "$VG_WORK/a" $((3 * VG_SEG + 17))
P1=$(vg_ctl backup v1 h1 "$VG_WORK/a")
vg_ctl restore v1 h1 "$P1" | cmp - "$VG_WORK/a"
[ -n "$(vg_blob_files "$VG_STATE")" ] || vg_fail "no blob in pool $POOL"
vg_stop_vaultd_checked
vg_assert_consistent "$VG_STATE"

# try WANT ARGS...: vaultd on $POOL refuses to start, within 20 s, with
# WANT, naming the conf and the pool, with no key in its output.
try() {
	local want=$1 t0 dt out rc
	shift
	t0=$(date +%s)
	set +e
	out=$(timeout 60 "$VAULTD" --state-dir "$VG_STATE" --socket "$VG_WORK/r.sock" --store rados \
		--ceph-conf "$CEPH_CONF" --ceph-pool "$POOL" --ceph-timeout 10 "$@" 2>&1)
	rc=$?
	set -e
	dt=$(($(date +%s) - t0))
	printf '%s\n' "$out" >"$VG_WORK/refusal.out"
	[ "$rc" != 0 ] && [ "$rc" != 124 ] || vg_fail "vaultd $*: exit $rc: $out"
	[ ! -e "$VG_WORK/r.sock" ] || vg_fail "vaultd served: $*"
	[ "$dt" -le 20 ] || vg_fail "vaultd took ${dt}s to refuse"
	case "$out" in *"$want"*) ;; *) vg_fail "expected '$want': $out" ;; esac
	case "$out" in *"$CEPH_CONF"*) ;; *) vg_fail "the refusal does not name the conf: $out" ;; esac
	case "$out" in *"$POOL"*) ;; *) vg_fail "the refusal does not name the pool: $out" ;; esac
	no_secret "$VG_WORK/refusal.out"
	vg_log "refused in ${dt}s: $(grep vaultd "$VG_WORK/refusal.out" | tail -n 1)"
}

vg_log "caps that cover another pool only"
ceph_client "vgt-$$-elsewhere" "$OTHER"
try "client.vgt-$$-elsewhere may not read pool $POOL" \
	--ceph-id "vgt-$$-elsewhere" --ceph-keyring "$CEPH_DIR/client.vgt-$$-elsewhere.keyring"
grep -q "caps do not cover the pool" "$VG_WORK/refusal.out" || vg_fail "no word on caps: $(cat "$VG_WORK/refusal.out")"

vg_log "caps that may only read the pool"
(umask 077 && cephc auth get-or-create "client.vgt-$$-ro" mon 'allow r' osd "allow r pool=$POOL" \
	-o "$CEPH_DIR/ro.keyring" >/dev/null)
try "client.vgt-$$-ro may not write pool $POOL" --ceph-id "vgt-$$-ro" --ceph-keyring "$CEPH_DIR/ro.keyring"
# ... which is enough for a read-only look (vaultd --check).
out=$("$VAULTD" --state-dir "$VG_STATE" --check --store rados --ceph-conf "$CEPH_CONF" --ceph-pool "$POOL" \
	--ceph-id "vgt-$$-ro" --ceph-keyring "$CEPH_DIR/ro.keyring" 2>&1) || vg_fail "--check as a reader: $out"

vg_log "a wrong key"
bad=$VG_WORK/bad.keyring
python3 -c 'import base64,os,struct,sys,time
k=os.urandom(16)
print("[client.%s]\n\tkey = %s" % (sys.argv[1], base64.b64encode(struct.pack("<HIIH",1,int(time.time()),0,16)+k).decode()))' \
	"$VG_CEPH_ID" >"$bad"
chmod 600 "$bad"
try "refused client.$VG_CEPH_ID" --ceph-id "$VG_CEPH_ID" --ceph-keyring "$bad"
no_secret "$VG_WORK/refusal.out"
! grep -qF "$(sed -n 's/^[[:space:]]*key = //p' "$bad")" "$VG_WORK/refusal.out" || vg_fail "the wrong key was printed"

vg_log "a user the cluster does not know"
sed "s/^\[client\..*\]/[client.vgt-$$-nobody]/" "$bad" >"$VG_WORK/nobody.keyring"
try "refused client.vgt-$$-nobody" --ceph-id "vgt-$$-nobody" --ceph-keyring "$VG_WORK/nobody.keyring"

vg_log "the refusals changed nothing: the right user still works"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_ctl restore v1 h1 "$P1" | cmp - "$VG_WORK/a"
vg_stop_vaultd_checked
no_secret "$VG_WORK/vaultd.log"
vg_log "ok"
