#!/usr/bin/env bash
# test_s3_lock.sh - S3 Object Lock backed by the vault's protection (issue 16),
# with Debian's boto3 (s3_lock.py): a bucket's COMPLIANCE default applies to
# an agent's upload; COMPLIANCE cannot be shortened, changed or bypassed by
# anyone (an Owner included), only extended; GOVERNANCE is bypassed only by
# an Owner presenting an approved MUA grant (X-Vaultgate-Grant), once; a
# Contributor or a grant-less Owner is refused; a legal hold blocks every
# delete, by S3 and by the native route (vaultctl point delete), until
# released; versioning cannot be suspended. Every refusal is audited.
#
#   boto3 ──TLS──► vaultgw 127.0.0.1:$S3_PORT (S3) ──unix──► vaultd
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

vg_init
chmod 711 "$VG_WORK"
GW_PORT=$(gw_free_port)
S3_PORT=$(gw_free_port)
gw_start_vaultd
gw_start_gateway "s3_listen = 127.0.0.1:$S3_PORT" "s3_vault = s3v"

vg_ctl vault create s3v >/dev/null
for p in own:user:owner ctb:user:contributor ag:agent:agent apr:user:reader; do
	IFS=: read -r name kind role <<<"$p"
	gw_principal "$name" "$kind" >"$VG_WORK/$name.tok"
	vg_ctl role grant "$name" s3v "$role" >/dev/null
	vg_ctl s3 key create "$name" >"$VG_WORK/$name.keys"
done
as() { local who=$1; shift; vg_ctl --user "$who" --token-file "$VG_WORK/$who.tok" "$@"; }

export S3_URL=https://127.0.0.1:$S3_PORT S3_CA=$GW_CA KEYS=$VG_WORK STATE=$VG_WORK/state.json
export B=vgt-$$-c H=vgt-$$-h N=vgt-$$-n
py() { /usr/bin/python3 "$VG_SRC/tests/integration/gateway/s3_lock.py" "$@" || vg_fail "s3_lock.py $1"; }

py setup
vg_ctl item set s3v "$B" agent ag >/dev/null
vg_ctl item set s3v "$H" agent ag >/dev/null
vg_ctl item set s3v "$N" agent ag >/dev/null
py objects
py presign
py multi
py stream
py copy
# the native route cannot delete a held version either
hv=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["h"])' "$STATE")
vg_expect_fail "legal hold" vg_ctl point delete s3v "$H" "$hv"
py release

# GOVERNANCE bypass: a guard, a grant requested by the Owner, approved by another
vg_ctl guard create g1 >/dev/null
vg_ctl guard approver add g1 apr >/dev/null
vg_ctl vault set s3v guard g1 >/dev/null
gv=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["g"])' "$STATE")
id=$(as own mua request s3v delete-data "s3v/$H/$gv")
as apr mua approve "$id" >/dev/null
GRANT=$id py bypass

a=$(vg_ctl audit export)
for op in s3.DeleteObject s3.PutObjectRetention s3.PutObjectLegalHold s3.PutBucketVersioning \
	s3.PutObjectLockConfiguration s3.PutObject; do
	echo "$a" | grep "\"$op\"" | grep -q '"denied"\|"failed"' || vg_fail "no audited refusal of $op"
done
echo "$a" | grep '"mua.use"' | grep -q "s3v/$H/$gv" || vg_fail "the grant's use is not audited"
vg_log "ok: every refusal is audited; the grant's use too"
echo "PASS"
