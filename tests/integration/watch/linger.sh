#!/usr/bin/env bash
# linger.sh - issue 14: an answer sent before the request body was read (a
# 507 past a quota, a 401) reaches a client that is still sending. Without
# Expect: 100-continue curl sends the whole body at once; a gateway that
# closed with unread bytes made the kernel send a reset, and curl reported
# "Connection reset by peer" instead of the status and body. The gateway
# now sends close_notify and FIN and reads what is still coming (bounded),
# then closes.
#
#   curl (no Expect) ──TLS──► vaultgw ──unix──► vaultd-testclock
set -eu
. "$VG_SRC/tests/integration/watch/wlib.sh"
V=vgt-$$-v
w_setup

M=1048576
vg_ctl vault create "$V" >/dev/null
vg_ctl item create "$V" i1 >/dev/null
vg_ctl item set "$V" i1 quota 1M >/dev/null
vg_random_file "$VG_WORK/big" $((24 * M))
gw_principal op user >"$VG_WORK/op.tok"
vg_ctl role grant op "$V" operator >/dev/null
AUTH="op:$(cat "$VG_WORK/op.tok")"
U=$GW_URL/v1/vaults/$V/items/i1/points
blobs=$(w_blobs)

for n in 1 2 3 4 5; do
	P=$(gw_curl -u "$AUTH" -X POST "$U" | python3 -c 'import json,sys; print(json.load(sys.stdin)["point"])')
	rc=0
	code=$(gw_curl -o "$VG_WORK/507.json" -w '%{http_code}' -u "$AUTH" -H 'Expect:' \
		-X PUT --data-binary @"$VG_WORK/big" "$U/$P/objects/o$n" 2>"$VG_WORK/curl.err") || rc=$?
	[ "$rc" = 0 ] || vg_fail "try $n: curl exit $rc: $(cat "$VG_WORK/curl.err")"
	gw_expect 507 "try $n: upload past the quota without Expect" "$code"
	grep -qF "quota of 1048576 bytes exceeded" "$VG_WORK/507.json" ||
		vg_fail "try $n: 507 without its reason: $(cat "$VG_WORK/507.json")"
done
[ "$(w_blobs)" = "$blobs" ] || vg_fail "a refused upload left a blob"
vg_log "ok: 5 of 5 uploads past the quota without Expect: 100-continue see the 507 and its reason"

for n in 1 2 3; do
	rc=0
	code=$(gw_curl -o "$VG_WORK/401.json" -w '%{http_code}' -u "op:vg_$(printf '%064d' 0)" -H 'Expect:' \
		-X PUT --data-binary @"$VG_WORK/big" "$U/0000000000000001/objects/x" 2>"$VG_WORK/curl.err") || rc=$?
	[ "$rc" = 0 ] || vg_fail "401 try $n: curl exit $rc: $(cat "$VG_WORK/curl.err")"
	gw_expect 401 "401 try $n: a wrong token while the body is still coming" "$code"
done
vg_log "ok: 3 of 3 refused logins with a body in flight see the 401"

# the gateway still serves: a small upload within the quota goes through
head -c 1000 /dev/urandom >"$VG_WORK/small"
vg_ctl item set "$V" i1 quota none >/dev/null
P=$(gw_curl -u "$AUTH" -X POST "$U" | python3 -c 'import json,sys; print(json.load(sys.stdin)["point"])')
gw_expect 201 "a small upload" "$(gw_status -u "$AUTH" -H 'Expect:' -X PUT --data-binary @"$VG_WORK/small" "$U/$P/objects/s")"
vg_log "OK"
