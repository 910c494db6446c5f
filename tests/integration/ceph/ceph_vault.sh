#!/usr/bin/env bash
# ceph_vault.sh - the vault integration tests against the rados blob store:
# one throw-away single-node Ceph (cephlib.sh), one pool per test, each of
# vault_roundtrip, vault_tamper, vault_audit, vault_crash and the gateway's
# test_restic (restic through vaultgw) run unchanged with VG_STORE=rados
# (lib.sh starts vaultd with --store rados and reads blobs from the pool),
# each as a cephx user of its own whose caps cover only its pool.
# A test's failure fails this one.
#
#   vault_*.sh ── vaultctl ──unix──► vaultd --store rados ──librados──► ceph-osd (memstore)
#                                                        └─────────► ceph-mon 127.0.0.1
#   restic ──TLS──► vaultgw ──unix──► vaultd --store rados ──► the same cluster
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/ceph/cephlib.sh"
vg_init
ceph_up
export VG_STORE=rados VG_CEPH_CONF=$CEPH_CONF VG_CEPH_TIMEOUT=20
for t in ${VG_CEPH_TESTS:-vault_roundtrip vault_tamper vault_audit vault_crash gateway/test_restic}; do
	pool=vgt-$$-${t##*[_/]}
	ceph_pool "$pool"
	ceph_vault_client "$pool"   # cephx: a user whose caps cover this pool only
	t0=$(date +%s)
	vg_log "---- $t on RADOS pool $pool"
	# vault_crash: fewer, smaller rounds keep the memstore OSD's RAM bounded.
	VG_CEPH_POOL=$pool VG_CRASH_CLIENTS=8 VG_CRASH_ROUNDS=3 \
		bash "$VG_SRC/tests/integration/$t.sh" || vg_fail "$t failed on the rados store"
	vg_log "---- $t on rados: ok in $(( $(date +%s) - t0 )) s"
	cephc osd pool delete "$pool" "$pool" --yes-i-really-really-mean-it >/dev/null 2>&1 || true
done
vg_log "ok"
