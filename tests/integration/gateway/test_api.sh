#!/usr/bin/env bash
# test_api.sh - the native API with plain curl: 256 MiB upload and restore,
# Range, chunked upload, an upload cut mid-way (no visible point), auth
# failures, roles, /metrics for monitors only, JSON errors, early 413/507.
#
#   curl ──TLS──► vaultgw 127.0.0.1:$GW_PORT (nobody) ──unix──► vaultd (root)
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

gw_setup "max_body_object = 1125899906842624" "max_body_json = 1024"
gw_record_api   # every native-API answer is checked against gateway/api.yaml at the end

vg_ctl vault create v1 >/dev/null
vg_ctl vault create v2 >/dev/null
ALICE=$(gw_principal alice user)
MON=$(gw_principal mon monitor)
vg_ctl role grant alice v1 operator >/dev/null
A="-u alice:$ALICE"

# --- identity and errors ----------------------------------------------------
out=$(gw_curl $A "$GW_URL/v1/whoami")
[ "$out" = '{"principal":"alice","kind":"user"}' ] || vg_fail "whoami: $out"
out=$(gw_curl -H "Authorization: Bearer $ALICE" "$GW_URL/v1/whoami")
[ "$out" = '{"principal":"alice","kind":"user"}' ] || vg_fail "bearer whoami: $out"
gw_expect 401 "no credentials" "$(gw_status "$GW_URL/v1/vaults")"
gw_expect 401 "wrong token" "$(gw_status -u "alice:vg_$(printf '%064d' 0)" "$GW_URL/v1/vaults")"
gw_expect 401 "unknown principal" "$(gw_status -u "mallory:$ALICE" "$GW_URL/v1/vaults")"
gw_expect 401 "wrong bearer" "$(gw_status -H 'Authorization: Bearer vg_nope' "$GW_URL/v1/vaults")"
gw_expect 401 "malformed basic" "$(gw_status -H 'Authorization: Basic !!!' "$GW_URL/v1/vaults")"
hdr=$(gw_curl -D - -o /dev/null -u "alice:wrong" "$GW_URL/v1/vaults")
echo "$hdr" | grep -qi '^WWW-Authenticate: Basic realm="vaultgate"' || vg_fail "401 without WWW-Authenticate: $hdr"
body=$(gw_curl -u "alice:wrong" "$GW_URL/v1/vaults")
echo "$body" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["error"]=="unauthenticated" and d["message"], d' ||
	vg_fail "401 body is not a JSON error: $body"
gw_expect 403 "another vault's items" "$(gw_status $A "$GW_URL/v1/vaults/v2/items")"
gw_expect 404 "unknown route" "$(gw_status $A "$GW_URL/v1/nothing")"
gw_expect 400 "bad vault name" "$(gw_status $A --path-as-is "$GW_URL/v1/vaults/..")"
gw_expect 400 "percent in a name" "$(gw_status $A "$GW_URL/v1/vaults/v%31/items")"
hdr=$(gw_curl -D - -o /dev/null $A -X DELETE "$GW_URL/v1/vaults")
echo "$hdr" | grep -q '^HTTP/1.1 405' || vg_fail "DELETE /v1/vaults: $hdr"
echo "$hdr" | grep -qi '^Allow: GET, POST' || vg_fail "405 without Allow: $hdr"
gw_expect 413 "JSON body over max_body_json" \
	"$(gw_status $A -X POST --data-binary "{\"name\":\"$(head -c 2000 /dev/zero | tr '\0' a)\"}" "$GW_URL/v1/vaults/v1/items")"
gw_expect 400 "JSON that is not an object" "$(gw_status $A -X POST -d '[1]' "$GW_URL/v1/vaults/v1/items")"
gw_expect 400 "JSON with a bad item name" "$(gw_status $A -X POST -d '{"name":"../x"}' "$GW_URL/v1/vaults/v1/items")"

# --- management ------------------------------------------------------------------
gw_expect 201 "item create" "$(gw_status $A -X POST -d '{"name":"host1"}' "$GW_URL/v1/vaults/v1/items")"
gw_expect 409 "item create again" "$(gw_status $A -X POST -d '{"name":"host1"}' "$GW_URL/v1/vaults/v1/items")"
gw_curl $A "$GW_URL/v1/vaults/v1/items" | grep -q '"name":"host1"' || vg_fail "item list"
gw_curl $A "$GW_URL/v1/vaults/v1/items/host1" | grep -q '"state":"protected"' || vg_fail "item get"
[ "$(gw_curl $A "$GW_URL/v1/vaults/v1/items/host1/points")" = "[]" ] || vg_fail "empty list is not []"

newpoint() {
	gw_curl $A -X POST "$GW_URL/v1/vaults/v1/items/host1/points" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["point"])'
}

# --- 256 MiB up and down -------------------------------------------------------------
big=$VG_WORK/big.bin
head -c $((256 * 1024 * 1024)) /dev/urandom >"$big"
sum=$(sha256sum "$big" | cut -d' ' -f1)
P=$(newpoint)
OBJ=$GW_URL/v1/vaults/v1/items/host1/points/$P/objects
t0=$(date +%s.%N)
out=$(gw_curl $A -T "$big" "$OBJ/big.bin")
t1=$(date +%s.%N)
echo "$out" | grep -q "\"sha256\":\"$sum\"" || vg_fail "upload: $out"
echo "$out" | grep -q '"size":268435456' || vg_fail "upload size: $out"
gw_curl $A -X POST "$GW_URL/v1/vaults/v1/items/host1/points/$P/commit" | grep -q '"objects":1' ||
	vg_fail "commit"
t2=$(date +%s.%N)
got=$(gw_curl $A "$OBJ/big.bin" | sha256sum | cut -d' ' -f1)
t3=$(date +%s.%N)
[ "$got" = "$sum" ] || vg_fail "256 MiB restore differs"
vg_log "256 MiB: upload $(awk "BEGIN{print $t1 - $t0}") s, restore $(awk "BEGIN{print $t3 - $t2}") s"
gw_curl $A "$OBJ" | grep -q '"name":"big.bin"' || vg_fail "object list"
gw_expect 200 "HEAD object" "$(gw_status $A -I "$OBJ/big.bin")"
gw_curl $A -I "$OBJ/big.bin" | grep -qi '^Content-Length: 268435456' || vg_fail "HEAD length"

# --- Range ---------------------------------------------------------------------------------
hdr=$(gw_curl $A -r 1000-1999 -D - -o "$VG_WORK/r1" "$OBJ/big.bin")
echo "$hdr" | grep -q '^HTTP/1.1 206' || vg_fail "range: $hdr"
echo "$hdr" | grep -qi '^Content-Range: bytes 1000-1999/268435456' || vg_fail "Content-Range: $hdr"
cmp "$VG_WORK/r1" <(tail -c +1001 "$big" | head -c 1000) || vg_fail "range bytes differ"
gw_curl $A -r 268435455- -o "$VG_WORK/r2" "$OBJ/big.bin"
cmp "$VG_WORK/r2" <(tail -c 1 "$big") || vg_fail "last byte"
gw_curl $A -H 'Range: bytes=-10' -o "$VG_WORK/r3" "$OBJ/big.bin"
cmp "$VG_WORK/r3" <(tail -c 10 "$big") || vg_fail "suffix range"
gw_curl $A -r 268435000-999999999 -o "$VG_WORK/r4" "$OBJ/big.bin"
cmp "$VG_WORK/r4" <(tail -c 456 "$big") || vg_fail "clamped range"
gw_curl $A -r 1048570-1048580 -o "$VG_WORK/r5" "$OBJ/big.bin"
cmp "$VG_WORK/r5" <(tail -c +1048571 "$big" | head -c 11) || vg_fail "range across a segment"
hdr=$(gw_curl $A -r 268435456- -D - -o /dev/null "$OBJ/big.bin")
echo "$hdr" | grep -q '^HTTP/1.1 416' || vg_fail "range past the end: $hdr"
echo "$hdr" | grep -qi '^Content-Range: bytes \*/268435456' || vg_fail "416 Content-Range: $hdr"
gw_expect 416 "several ranges" "$(gw_status $A -r 0-1,5-6 "$OBJ/big.bin")"

# --- chunked upload -------------------------------------------------------------------------
P2=$(newpoint)
head -c $((5 * 1024 * 1024 + 7)) /dev/urandom >"$VG_WORK/c.bin"
out=$(cat "$VG_WORK/c.bin" | gw_curl $A -T - -H 'Transfer-Encoding: chunked' \
	"$GW_URL/v1/vaults/v1/items/host1/points/$P2/objects/c.bin")
echo "$out" | grep -q "\"sha256\":\"$(sha256sum "$VG_WORK/c.bin" | cut -d' ' -f1)\"" ||
	vg_fail "chunked upload: $out"
gw_curl $A -X POST "$GW_URL/v1/vaults/v1/items/host1/points/$P2/commit" >/dev/null
cmp "$VG_WORK/c.bin" <(gw_curl $A "$GW_URL/v1/vaults/v1/items/host1/points/$P2/objects/c.bin") ||
	vg_fail "chunked restore differs"
gw_expect 200 "a Range in another unit is ignored" \
	"$(gw_status $A -H 'Range: items=1-2' "$GW_URL/v1/vaults/v1/items/host1/points/$P2/objects/c.bin")"
gw_expect 400 "bad sha256= query" \
	"$(gw_status $A -T "$VG_WORK/c.bin" "$GW_URL/v1/vaults/v1/items/host1/points/$P2/objects/d?sha256=xyz")"

# --- upload cut mid-way: nothing becomes visible -----------------------------------------
before=$(gw_curl $A "$GW_URL/v1/vaults/v1/items/host1/points?all=true")
P3=$(newpoint)
gw_curl $A --limit-rate 2M -T "$big" "$GW_URL/v1/vaults/v1/items/host1/points/$P3/objects/cut.bin" \
	>/dev/null 2>&1 &
cpid=$!
sleep 1.5
kill "$cpid" 2>/dev/null || true
wait "$cpid" 2>/dev/null || true
sleep 0.5
after=$(gw_curl $A "$GW_URL/v1/vaults/v1/items/host1/points?all=true")
[ "$before" = "$after" ] || vg_fail "a cut upload changed the point list: $before -> $after"
gw_expect 404 "the cut object does not exist" \
	"$(gw_status $A -I "$GW_URL/v1/vaults/v1/items/host1/points/$P3/objects/cut.bin")"
gw_expect 200 "abandon the point" "$(gw_status $A -X POST "$GW_URL/v1/vaults/v1/items/host1/points/$P3/abort")"
[ "$after" = "$(gw_curl $A "$GW_URL/v1/vaults/v1/items/host1/points?all=true")" ] || vg_fail "points changed"

# --- early refusals on size -----------------------------------------------------------------
P4=$(newpoint)
huge_put() {
	printf 'PUT /v1/vaults/v1/items/host1/points/%s/objects/huge HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Length: %s\r\nExpect: 100-continue\r\n\r\n' \
		"$P4" "$(printf 'alice:%s' "$ALICE" | base64 -w0)" "$1" | gw_raw --timeout 5 | gw_first_status
}
gw_expect 413 "Content-Length over max_body_object" "$(huge_put 1125899906842625)"
gw_expect 507 "more than the disk holds (vaultd says no space)" "$(huge_put 1125899906842624)"

# --- /metrics: monitors only ------------------------------------------------------------------
gw_expect 403 "metrics as a user" "$(gw_status $A "$GW_URL/metrics")"
gw_expect 401 "metrics without credentials" "$(gw_status "$GW_URL/metrics")"
m=$(gw_curl -u "mon:$MON" "$GW_URL/metrics")
for want in 'vaultgw_requests_total{route="api_objects",code="201"}' vaultgw_response_body_bytes_total \
	vaultgw_request_body_bytes_total vaultgw_auth_failures_total vaultgw_open_connections \
	vaultgw_server_errors_total 'vaultgate_vaults 2' 'vaultgate_items{vault="v1"} 1' \
	'# TYPE vaultgate_alerts_total counter'; do
	echo "$m" | grep -qF "$want" || vg_fail "metrics lack $want"
done
fails=$(echo "$m" | awk '/^vaultgw_auth_failures_total/ {print $2}')
[ "$fails" -ge 5 ] || vg_fail "auth failures not counted: $fails"
inb=$(echo "$m" | awk '/^vaultgw_request_body_bytes_total/ {print $2}')
[ "$inb" -ge 268435456 ] || vg_fail "bytes in not counted: $inb"

# --- audit: vaultd saw the refusals with the client's address ----------------------------------
vg_ctl audit export | grep '"result":"denied"' | grep -q '"peer":"127.0.0.1"' ||
	vg_fail "no audited refusal carries the client's address"
vg_ctl audit verify >/dev/null
gw_schema_check
vg_log "PASS test_api"
