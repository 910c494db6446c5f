#!/usr/bin/env bash
# cmk_revoke.sh - revoking a customer-managed key (SPEC §4), in a real
# SoftHSM2 token.
#
#   vaultctl ──unix──► vaultd-testclock ──dlopen──► libsofthsm2.so ──► token vgt-PID: cmk-a
#                        ├─ vault v1: DEK wrapped by cmk-a   (sealed while cmk-a is gone)
#                        └─ vault v2: DEK wrapped by the platform key (never affected)
#
# The key object is deleted from the token while vaultd runs: backup,
# restore and purge of v1 fail with the exact "key unavailable" message,
# one cmk-unavailable alert is raised for the outage (not one per request,
# not again after a restart), no blob changes, and v2 keeps working. The
# same key material is then imported again from the customer's copy: every
# point of v1 restores, backups resume, and the postponed purge runs.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/cmk/cmklib.sh"
vg_init
hsm_init
hsm_new_key cmk-a

ST=$VG_WORK/state
VG_SOCK=$VG_WORK/vaultd.sock
P11=(--pkcs11-config "$VG_WORK/p11.conf")
REF="pkcs11:token=$HSM_TOKEN;object=cmk-a"
GONE="no AES key labelled 'cmk-a' in token '$HSM_TOKEN' (deleted or never imported)"
cmk_start "$ST" "$VG_SOCK" "${P11[@]}"

for v in v1 v2; do
	vg_ctl vault create $v >/dev/null
	vg_ctl item create $v host1 >/dev/null
	vg_ctl item create $v scratch >/dev/null
done
vg_ctl vault key v1 cmk cmk-a >/dev/null
POINTS=()
for i in 1 2 3; do
	head -c $((1500000 * i)) /dev/urandom >"$VG_WORK/d$i"
	POINTS+=("$(vg_ctl backup v1 host1 "$VG_WORK/d$i")")
done
V2P=$(vg_ctl backup v2 host1 "$VG_WORK/d1")
# A soft-deleted point whose purge falls due during the outage.
head -c 1000 /dev/urandom >"$VG_WORK/tmp"
SP=$(vg_ctl backup v1 scratch "$VG_WORK/tmp")
vg_ctl point delete v1 scratch "$SP" >/dev/null
restore_all() {
	local i=1 p
	for p in "${POINTS[@]}"; do
		vg_ctl restore v1 host1 "$p" -o "$VG_WORK/out" || vg_fail "restore of point $i failed ($1)"
		cmp -s "$VG_WORK/out" "$VG_WORK/d$i" || vg_fail "point $i restored wrong bytes ($1)"
		i=$((i + 1))
	done
}
restore_all "before the revocation"
(cd "$ST/blobs" && find . -type f | LC_ALL=C sort | xargs sha256sum) >"$VG_WORK/before.sums"
blobs_unchanged() {
	(cd "$ST/blobs" && sha256sum --quiet -c "$VG_WORK/before.sums") || vg_fail "blobs changed ($1)"
}

vg_log "revocation: the key object is deleted from the token"
hsm_delete_key cmk-a
vg_expect_fail "vaultctl: backup: vault v1: key unavailable: $GONE" vg_ctl backup v1 host1 "$VG_WORK/d1"
vg_expect_fail "vaultctl: d2: object v1/host1/${POINTS[1]}/d2: key unavailable: $GONE" \
	vg_ctl restore v1 host1 "${POINTS[1]}" -o "$VG_WORK/out"
vg_expect_fail "vaultctl: d3: object v1/host1/${POINTS[2]}/d3: key unavailable: $GONE" \
	vg_ctl restore v1 host1 "${POINTS[2]}" --range 0-99 -o "$VG_WORK/out"
vg_ctl clock advance $((15 * 86400)) >/dev/null
vg_expect_fail "vaultctl: purge: vault v1: key unavailable: $GONE (1 vault skipped, nothing purged there)" \
	vg_ctl purge run
vg_ctl points v1 scratch --all | grep -q "^$SP" || vg_fail "the sealed vault's point was purged"
show=$(vg_ctl vault show v1)
case "$show" in *"key=$REF encryption=single key-state=sealed"*) ;; *) vg_fail "vault show: $show" ;; esac
vg_ctl metrics | grep -qx "vaultgate_vault_key_available{vault=\"v1\",key=\"$REF\"} 0" ||
	vg_fail "metrics do not show v1's key unavailable"

n=$(vg_ctl alerts v1 | grep -c "critical	cmk-unavailable	vault=v1	target=$REF	by=system	$GONE" || true)
expect_eq "cmk-unavailable alerts" "$n" 1
vg_ctl alerts v1 | grep -q "error	backup-failed	vault=v1	target=v1/host1	by=root@local	key unavailable: $GONE" ||
	vg_fail "no backup-failed alert"
vg_ctl alerts v1 | grep -q "error	restore-failed	vault=v1	target=v1/host1" || vg_fail "no restore-failed alert"

vg_log "the platform-key vault is not affected"
vg_ctl restore v2 host1 "$V2P" -o "$VG_WORK/out"
cmp -s "$VG_WORK/out" "$VG_WORK/d1" || vg_fail "v2 restored wrong bytes"
vg_ctl backup v2 host1 "$VG_WORK/d2" >/dev/null

vg_log "a restart during the outage: still sealed, no second alert"
vg_stop_vaultd
cmk_start "$ST" "$VG_SOCK" "${P11[@]}"
vg_expect_fail "key unavailable: $GONE" vg_ctl restore v1 host1 "${POINTS[0]}" -o "$VG_WORK/out"
n=$(vg_ctl alerts v1 | grep -c "cmk-unavailable" || true)
expect_eq "cmk-unavailable alerts after a restart" "$n" 1
blobs_unchanged "during the outage"
vg_ctl audit verify >/dev/null

vg_log "the same key material is imported again"
hsm_import_key cmk-a
restore_all "after the re-import"
P4=$(vg_ctl backup v1 host1 "$VG_WORK/d1")
vg_ctl restore v1 host1 "$P4" -o "$VG_WORK/out"
cmp -s "$VG_WORK/out" "$VG_WORK/d1" || vg_fail "new point restored wrong bytes"
show=$(vg_ctl vault show v1)
case "$show" in *"key-state=ok"*) ;; *) vg_fail "vault show after the re-import: $show" ;; esac
vg_ctl audit export | grep -q "\"op\":\"key.available\",\"target\":\"v1\",\"result\":\"ok\",\"reason\":\"$REF usable again\"" ||
	vg_fail "the key's return is not audited"
blobs_unchanged "after the re-import"
vg_ctl clock advance $((15 * 86400)) >/dev/null  # the test clock restarted with vaultd
# The purge was due while the vault was sealed, with no upcoming-purge
# warning given: it is warned now and runs 48 hours later (SPEC §11).
vg_ctl purge run >/dev/null
vg_ctl points v1 scratch --all | grep -q "^$SP" || vg_fail "purged with no upcoming-purge warning first"
vg_ctl alerts v1 | grep -q "upcoming-purge	vault=v1	target=v1/scratch/$SP	by=purger	purge at .* (postponed 48 hours" ||
	vg_fail "no upcoming-purge warning: $(vg_ctl alerts v1)"
vg_ctl clock advance $((48 * 3600 + 1)) >/dev/null
vg_ctl purge run >/dev/null
vg_ctl points v1 scratch --all | grep -q "^$SP" && vg_fail "the postponed purge did not run"
n=$(vg_ctl alerts v1 | grep -c "cmk-unavailable" || true)
expect_eq "cmk-unavailable alerts in the end" "$n" 1
vg_ctl audit verify >/dev/null
vg_log "PASS"
