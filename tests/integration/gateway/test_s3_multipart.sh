#!/usr/bin/env bash
# test_s3_multipart.sh - S3 multipart uploads (issue 16) with Debian's boto3
# (s3_multipart.py) and awscli: an agent's upload of 3 x 5 MiB + a small
# last part sent out of order, ListParts, ListMultipartUploads, a wrong
# ETag (InvalidPart), a small non-last part (EntityTooSmall), parts out of
# order in Complete (InvalidPartOrder), a streaming (aws-chunked) part, a
# tampered one refused, a signed-payload part, UploadPartCopy (a range, an
# older version), a captured signature moved to
# another upload, part or action by a gateway refused by vaultd, abort (then NoSuchUpload), another
# principal's abort refused, an upload id used for another key refused, the
# bucket's COMPLIANCE default applied to the completed version, the ETag
# "MD5-OF-MD5S-N"; `aws s3 cp` of a 40 MiB file (multipart above 8 MiB)
# up and down byte-exact; an upload left open reaped (audited) after a day.
# Every refusal is audited.
#
#   boto3/aws ──TLS──► vaultgw 127.0.0.1:$S3_PORT (S3) ──unix──► vaultd
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

vg_init
chmod 711 "$VG_WORK"
GW_PORT=$(gw_free_port)
S3_PORT=$(gw_free_port)
VAULTD_BIN=$VAULTD_TEST gw_start_vaultd  # the test clock (the reap)
gw_start_gateway "s3_listen = 127.0.0.1:$S3_PORT" "s3_vault = s3v"

vg_ctl vault create s3v >/dev/null
for p in own:user:owner ag:agent:agent; do
	IFS=: read -r name kind role <<<"$p"
	gw_principal "$name" "$kind" >"$VG_WORK/$name.tok"
	vg_ctl role grant "$name" s3v "$role" >/dev/null
	vg_ctl s3 key create "$name" >"$VG_WORK/$name.keys"
done

export S3_URL=https://127.0.0.1:$S3_PORT S3_CA=$GW_CA KEYS=$VG_WORK B=vgt-$$-mp
py() { /usr/bin/python3 "$VG_SRC/tests/integration/gateway/s3_multipart.py" "$@" || vg_fail "s3_multipart.py $1"; }

py setup
vg_ctl item set s3v "$B" agent ag >/dev/null
py upload
py refusals
py stream
py partcopy
# a compromised gateway cannot move a multipart signature to another upload,
# part or action (vaultd binds uploadId and partNumber)
uid=$(py open)
python3 "$VG_SRC/tests/integration/gateway/s3mp_replay.py" "$VG_SOCK" "$VG_WORK/own.keys" "$B" \
	mp/replay "$uid" || vg_fail "s3mp_replay.py"

# awscli: 40 MiB through `aws s3 cp` (multipart above 8 MiB), byte-exact back
export HOME=$VG_WORK AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=us-east-1 AWS_CA_BUNDLE=$GW_CA
export AWS_PAGER=""
as() {  # as PRINCIPAL aws-args...
	local who=$1
	shift
	(
		# shellcheck disable=SC1090
		. <(sed 's/^/export /' "$VG_WORK/$who.keys")
		/usr/bin/aws --endpoint-url "$S3_URL" "$@"
	)
}
head -c $((40 << 20)) /dev/urandom >"$VG_WORK/big"
as ag s3 cp --only-show-errors "$VG_WORK/big" "s3://$B/big/40m" || vg_fail "aws s3 cp up"
as ag s3 cp --only-show-errors "s3://$B/big/40m" "$VG_WORK/big.back" || vg_fail "aws s3 cp down"
cmp "$VG_WORK/big" "$VG_WORK/big.back" || vg_fail "the 40 MiB download differs"
et=$(as ag s3api head-object --bucket "$B" --key big/40m --query ETag --output text)
case $et in *-5\"|*-5) ;; *) vg_fail "aws s3 cp: not a multipart ETag: $et" ;; esac
vg_log "ok: aws s3 cp of 40 MiB (5 parts, ETag $et) up and down byte-exact"

a=$(vg_ctl audit export)
for op in s3.CompleteMultipartUpload s3.AbortMultipartUpload; do
	echo "$a" | grep "\"$op\"" | grep -q '"denied"\|"failed"' || vg_fail "no audited refusal of $op"
	echo "$a" | grep "\"$op\"" | grep -q '"ok"' || vg_fail "no audited $op"
done
vg_log "ok: completes, aborts and their refusals are audited"

# an upload left open (mp/replay's) is reaped a day after its start, audited
vg_ctl clock advance $((25 * 3600)) >/dev/null
vg_ctl purge run >/dev/null
vg_ctl audit export | grep '"upload.reap"' | grep -q "s3v/$B/$uid" || vg_fail "no audited reap of $uid"
vg_log "ok: the upload left open is reaped after a day, audited"
echo "PASS"
