#!/usr/bin/env bash
# test_s3_basic.sh - the S3 listener (issue 16) with the real awscli (Debian's
# /usr/bin/aws): keys (vaultctl s3 key), buckets, put/get/head/list, ranges,
# conditional GETs, versions and delete markers, roles (an agent puts and
# gets but never deletes, not even a delete marker; a Reader lists), and
# SigV4 refusals decided by vaultd: a wrong secret, a deleted key, a
# signature for GET replayed as DELETE by a gateway (a raw vaultd request),
# a request 20 minutes old. Every refusal is in the audit log.
#
#   aws / python ──TLS──► vaultgw 127.0.0.1:$S3_PORT (S3, nobody) ──unix──► vaultd (root)
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

vg_init
chmod 711 "$VG_WORK"
GW_PORT=$(gw_free_port)
S3_PORT=$(gw_free_port)
gw_start_vaultd
gw_start_gateway "s3_listen = 127.0.0.1:$S3_PORT" "s3_vault = s3v"
S3=https://127.0.0.1:$S3_PORT

vg_ctl vault create s3v >/dev/null
gw_principal own user >/dev/null
gw_principal ag agent >/dev/null
gw_principal rd user >/dev/null
vg_ctl role grant own s3v owner >/dev/null
vg_ctl role grant ag s3v agent >/dev/null
vg_ctl role grant rd s3v reader >/dev/null

keyfile() {  # keyfile PRINCIPAL FILE: the two lines of `s3 key create`
	vg_ctl s3 key create "$1" >"$2"
	[ "$(wc -l <"$2")" = 2 ] || vg_fail "s3 key create $1: want two lines, got: $(cat "$2")"
	grep -q '^AWS_ACCESS_KEY_ID=VGAK[A-Z2-7]\{16\}$' "$2" || vg_fail "bad key id: $(head -1 "$2")"
	grep -q '^AWS_SECRET_ACCESS_KEY=[A-Za-z0-9+/]\{40\}$' "$2" || vg_fail "bad secret line"
}
keyfile own "$VG_WORK/own.keys"
keyfile ag "$VG_WORK/ag.keys"
keyfile rd "$VG_WORK/rd.keys"
vg_ctl s3 key list | grep -q "	own	" || vg_fail "s3 key list lacks own's key"
[ "$(vg_ctl s3 key list ag | wc -l)" = 1 ] || vg_fail "s3 key list ag"
! grep -rq "$(sed -n 's/^AWS_SECRET_ACCESS_KEY=//p' "$VG_WORK/own.keys")" "$VG_WORK/state" ||
	vg_fail "a secret is stored in the clear"
vg_log "ok: s3 key create/list; secrets not stored in the clear"

export HOME=$VG_WORK AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=us-east-1 AWS_CA_BUNDLE=$GW_CA
export AWS_PAGER=""
as() {  # as PRINCIPAL aws-args...
	local who=$1
	shift
	(
		# shellcheck disable=SC1090
		. <(sed 's/^/export /' "$VG_WORK/$who.keys")
		/usr/bin/aws --endpoint-url "$S3" "$@"
	)
}

# buckets
as own s3api create-bucket --bucket vgt-$$-b >/dev/null || vg_fail "create-bucket"
as own s3api head-bucket --bucket vgt-$$-b || vg_fail "head-bucket"
as own s3api list-buckets --query 'Buckets[].Name' --output text | grep -qx "vgt-$$-b" ||
	vg_fail "list-buckets"
if as ag s3api create-bucket --bucket vgt-$$-c 2>"$VG_WORK/e"; then vg_fail "an agent created a bucket"; fi
grep -q AccessDenied "$VG_WORK/e" || vg_fail "agent create-bucket: $(cat "$VG_WORK/e")"
if as own s3api head-bucket --bucket vgt-$$-none 2>"$VG_WORK/e"; then vg_fail "head-bucket of nothing"; fi
grep -q 404 "$VG_WORK/e" || vg_fail "head-bucket missing: $(cat "$VG_WORK/e")"
vg_ctl item set s3v vgt-$$-b agent ag >/dev/null
vg_log "ok: create-bucket, head-bucket, list-buckets; agents create none"

# objects
head -c $((3 * 1024 * 1024 + 17)) /dev/urandom >"$VG_WORK/big"
echo "hello s3" >"$VG_WORK/small"
as ag s3 cp "$VG_WORK/big" "s3://vgt-$$-b/dir/big.bin" >/dev/null || vg_fail "s3 cp up"
as ag s3api put-object --bucket vgt-$$-b --key "dir/ünï cødé+&.txt" --body "$VG_WORK/small" \
	--content-type text/x-test --metadata color=blue >/dev/null || vg_fail "put-object utf-8 key"
as ag s3api put-object --bucket vgt-$$-b --key top.txt --body "$VG_WORK/small" >/dev/null
as ag s3 cp "s3://vgt-$$-b/dir/big.bin" "$VG_WORK/big.back" >/dev/null || vg_fail "s3 cp down"
cmp "$VG_WORK/big" "$VG_WORK/big.back" || vg_fail "downloaded bytes differ"
et=$(as ag s3api head-object --bucket vgt-$$-b --key "dir/ünï cødé+&.txt" --query ETag --output text)
[ "$et" = "\"$(md5sum <"$VG_WORK/small" | cut -c1-32)\"" ] || vg_fail "ETag is not the MD5: $et"
as ag s3api head-object --bucket vgt-$$-b --key "dir/ünï cødé+&.txt" >"$VG_WORK/h.json"
grep -q '"ContentType": "text/x-test"' "$VG_WORK/h.json" || vg_fail "content-type: $(cat "$VG_WORK/h.json")"
grep -q '"color": "blue"' "$VG_WORK/h.json" || vg_fail "metadata: $(cat "$VG_WORK/h.json")"
vg_log "ok: s3 cp up/down byte-exact (3 MiB), utf-8 keys, ETag = MD5, metadata"

# ranges and conditional GETs
as ag s3api get-object --bucket vgt-$$-b --key dir/big.bin --range bytes=100-199 "$VG_WORK/r1" >/dev/null
cmp "$VG_WORK/r1" <(tail -c +101 "$VG_WORK/big" | head -c 100) || vg_fail "range 100-199"
as ag s3api get-object --bucket vgt-$$-b --key dir/big.bin --range bytes=-10 "$VG_WORK/r2" >/dev/null
cmp "$VG_WORK/r2" <(tail -c 10 "$VG_WORK/big") || vg_fail "suffix range"
if as ag s3api get-object --bucket vgt-$$-b --key top.txt --range bytes=900-999 "$VG_WORK/r3" 2>"$VG_WORK/e" >/dev/null; then
	vg_fail "an unsatisfiable range was served"
fi
grep -q InvalidRange "$VG_WORK/e" || vg_fail "range past the end: $(cat "$VG_WORK/e")"
set +e
as ag s3api get-object --bucket vgt-$$-b --key top.txt --if-none-match "$(as ag s3api head-object --bucket vgt-$$-b --key top.txt --query ETag --output text)" "$VG_WORK/r4" >/dev/null 2>"$VG_WORK/e"
rc=$?
set -e
[ $rc != 0 ] && grep -q 304 "$VG_WORK/e" || vg_fail "If-None-Match: rc $rc $(cat "$VG_WORK/e")"
if as ag s3api get-object --bucket vgt-$$-b --key top.txt --if-match '"0000"' "$VG_WORK/r5" 2>"$VG_WORK/e" >/dev/null; then
	vg_fail "If-Match with another ETag was served"
fi
grep -q PreconditionFailed "$VG_WORK/e" || vg_fail "If-Match: $(cat "$VG_WORK/e")"
vg_log "ok: ranges (A-B, -N, past the end 416), If-None-Match 304, If-Match 412"

# listings: prefixes, delimiters, pagination
mkdir "$VG_WORK/many"
for i in $(seq 1 25); do echo "$i" >"$VG_WORK/many/k$(printf %03d "$i")"; done
as ag s3 cp --recursive --quiet "$VG_WORK/many" "s3://vgt-$$-b/many/" || vg_fail "s3 cp --recursive"
n=$(as rd s3api list-objects-v2 --bucket vgt-$$-b --prefix many/ --max-items 1000 --page-size 7 \
	--query 'Contents[].Key' --output text | wc -w)
[ "$n" = 25 ] || vg_fail "paged listing: want 25, got $n"
as rd s3api list-objects-v2 --bucket vgt-$$-b --delimiter / >"$VG_WORK/l.json"
python3 - "$VG_WORK/l.json" <<'EOF' || vg_fail "delimiter listing: $(cat "$VG_WORK/l.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert [c["Key"] for c in d["Contents"]] == ["top.txt"], d
assert sorted(p["Prefix"] for p in d["CommonPrefixes"]) == ["dir/", "many/"], d
EOF
as rd s3 ls "s3://vgt-$$-b/dir/" | grep -q "ünï cødé+&.txt" || vg_fail "aws s3 ls (url encoding)"
vg_log "ok: list-objects-v2 pages of 7 (25 keys), delimiter, s3 ls"

# versions and delete markers; roles on deletes
as ag s3api put-object --bucket vgt-$$-b --key top.txt --body "$VG_WORK/big" >/dev/null
if as ag s3api delete-object --bucket vgt-$$-b --key top.txt 2>"$VG_WORK/e"; then
	vg_fail "an agent wrote a delete marker"
fi
grep -q AccessDenied "$VG_WORK/e" || vg_fail "agent delete: $(cat "$VG_WORK/e")"
if as rd s3api get-object --bucket vgt-$$-b --key top.txt "$VG_WORK/x" 2>"$VG_WORK/e" >/dev/null; then
	vg_fail "a Reader read object data"
fi
as own s3api delete-object --bucket vgt-$$-b --key top.txt >"$VG_WORK/d.json"
grep -q '"DeleteMarker": true' "$VG_WORK/d.json" || vg_fail "no delete marker: $(cat "$VG_WORK/d.json")"
if as own s3api head-object --bucket vgt-$$-b --key top.txt 2>/dev/null; then vg_fail "a deleted key is still there"; fi
as own s3api list-object-versions --bucket vgt-$$-b --prefix top.txt >"$VG_WORK/v.json"
python3 - "$VG_WORK/v.json" >"$VG_WORK/first" <<'EOF' || vg_fail "versions: $(cat "$VG_WORK/v.json")"
import json, sys
d = json.load(open(sys.argv[1]))
vs, dm = d["Versions"], d["DeleteMarkers"]
assert len(vs) == 2 and len(dm) == 1 and dm[0]["IsLatest"], d
assert not any(v["IsLatest"] for v in vs), d
print(sorted(vs, key=lambda v: v["LastModified"])[0]["VersionId"] if vs[0]["LastModified"] != vs[1]["LastModified"] else min(v["VersionId"] for v in vs))
print(dm[0]["VersionId"])
EOF
v1=$(sed -n 1p "$VG_WORK/first")
dmid=$(sed -n 2p "$VG_WORK/first")
as own s3api get-object --bucket vgt-$$-b --key top.txt --version-id "$v1" "$VG_WORK/v1" >/dev/null
cmp "$VG_WORK/v1" "$VG_WORK/small" || vg_fail "the first version's bytes"
as own s3api delete-object --bucket vgt-$$-b --key top.txt --version-id "$dmid" >/dev/null
as own s3api get-object --bucket vgt-$$-b --key top.txt "$VG_WORK/v2" >/dev/null || vg_fail "delete marker removed, key back"
cmp "$VG_WORK/v2" "$VG_WORK/big" || vg_fail "the latest version after removing the marker"
as own s3api delete-object --bucket vgt-$$-b --key top.txt --version-id "$v1" >/dev/null
if as own s3api get-object --bucket vgt-$$-b --key top.txt --version-id "$v1" "$VG_WORK/v3" 2>"$VG_WORK/e" >/dev/null; then
	vg_fail "a deleted version is still served"
fi
grep -q NoSuchVersion "$VG_WORK/e" || vg_fail "deleted version: $(cat "$VG_WORK/e")"
vg_ctl audit export | grep '"point.delete"' | grep -q "vgt-$$-b/$v1" || vg_fail "the version delete is not audited"
st=$(curl -s --cacert "$GW_CA" --noproxy '*' -o "$VG_WORK/anon" -w '%{http_code}' -X DELETE "$S3/vgt-$$-b/dir/big.bin")
[ "$st" = 403 ] && grep -q AccessDenied "$VG_WORK/anon" || vg_fail "anonymous DELETE: $st $(cat "$VG_WORK/anon")"
vg_log "ok: versions, delete markers (agents refused, Owner allowed), a version delete (audited), anonymous refused"

# SigV4 refusals, decided by vaultd
sed 's/^\(AWS_SECRET_ACCESS_KEY=\).\(.*\)$/\1X\2/' "$VG_WORK/own.keys" >"$VG_WORK/bad.keys"
if as bad s3api list-buckets 2>"$VG_WORK/e" >/dev/null; then vg_fail "a wrong secret was accepted"; fi
grep -q SignatureDoesNotMatch "$VG_WORK/e" || vg_fail "wrong secret: $(cat "$VG_WORK/e")"
kid=$(sed -n 's/^AWS_ACCESS_KEY_ID=//p' "$VG_WORK/rd.keys")
vg_ctl s3 key delete "$kid" >/dev/null
if as rd s3api list-buckets 2>"$VG_WORK/e" >/dev/null; then vg_fail "a deleted key was accepted"; fi
grep -q InvalidAccessKeyId "$VG_WORK/e" || vg_fail "deleted key: $(cat "$VG_WORK/e")"
vg_ctl audit export | grep '"s3.auth"' | grep -q denied || vg_fail "S3 auth refusals are not audited"
vg_log "ok: wrong secret, deleted key refused by vaultd and audited"

# a compromised gateway replays a GET signature as a DELETE, and an old one
python3 "$VG_SRC/tests/integration/gateway/s3_replay.py" "$VG_SOCK" "$VG_WORK/own.keys" "vgt-$$-b" \
	dir/big.bin || vg_fail "replayed signatures"
vg_log "ok: vaultd binds the signature to the action (GET -> DELETE refused) and the time"
echo "PASS"
