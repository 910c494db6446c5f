#!/usr/bin/env bash
# test_badinput.sh - bad input, each with its exact answer: request
# smuggling shapes (400), an oversized head (431), slowloris (cut after
# header_timeout, 408), restic names outside the grammar (400), a body
# whose SHA-256 is not its name (400), ".." (400), Range past the end (416),
# a wrong token (401), another item (403), other methods (405 + Allow), an
# unknown type (404); and the restic REST details: exactly 200, v1/v2
# lists, [] for empty, idempotent uploads, 403 on a changed config.
#
#   curl / rawtls.py ──TLS──► vaultgw (header_timeout 2 s) ──unix──► vaultd
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

gw_setup "header_timeout = 2" "max_body_restic = 1048576"

vg_ctl vault create default >/dev/null
AG1=$(gw_principal agent1 agent)
gw_principal agent2 agent >/dev/null
vg_ctl role grant agent1 default agent >/dev/null
vg_ctl role grant agent2 default agent >/dev/null
vg_ctl item create default repo1 --kind restic --agent agent1 >/dev/null
vg_ctl item create default repo2 --kind restic --agent agent2 >/dev/null
A="-u agent1:$AG1"
B64=$(printf 'agent1:%s' "$AG1" | base64 -w0)
RU=$GW_URL/restic/repo1

raw_status() { gw_raw --timeout 4 | gw_first_status; }

# --- restic REST, the happy shapes -------------------------------------------------------
gw_expect 400 "POST repo without create=true" "$(gw_status $A -X POST "$RU/")"
gw_expect 200 "POST ?create=true" "$(gw_status $A -X POST "$RU/?create=true")"
gw_expect 200 "POST ?create=true again" "$(gw_status $A -X POST "$RU/?create=true")"
gw_expect 404 "HEAD config before it exists" "$(gw_status $A -I "$RU/config")"
printf 'config-bytes' >"$VG_WORK/config"
gw_expect 200 "POST config" "$(gw_status $A --data-binary @"$VG_WORK/config" "$RU/config")"
gw_expect 403 "POST config when it exists (PROTOCOLS §1)" "$(gw_status $A --data-binary @"$VG_WORK/config" "$RU/config")"
gw_expect 403 "POST a different config" "$(gw_status $A --data-binary 'other' "$RU/config")"
hdr=$(gw_curl $A -I "$RU/config")
echo "$hdr" | grep -q '^HTTP/1.1 200' || vg_fail "HEAD config: $hdr"
echo "$hdr" | grep -qi '^Content-Length: 12' || vg_fail "HEAD config length: $hdr"
[ "$(gw_curl $A "$RU/config")" = config-bytes ] || vg_fail "GET config"

head -c 5000 /dev/urandom >"$VG_WORK/blob"
ID=$(sha256sum "$VG_WORK/blob" | cut -d' ' -f1)
gw_expect 200 "POST data/ID" "$(gw_status $A --data-binary @"$VG_WORK/blob" "$RU/data/$ID")"
gw_expect 200 "POST data/ID again, same body" "$(gw_status $A --data-binary @"$VG_WORK/blob" "$RU/data/$ID")"
gw_expect 200 "HEAD data/ID" "$(gw_status $A -I "$RU/data/$ID")"
hdr=$(gw_curl $A -r 10-19 -D - -o "$VG_WORK/part" "$RU/data/$ID")
echo "$hdr" | grep -q '^HTTP/1.1 206' || vg_fail "range: $hdr"
echo "$hdr" | grep -qi '^Content-Range: bytes 10-19/5000' || vg_fail "Content-Range: $hdr"
cmp "$VG_WORK/part" <(tail -c +11 "$VG_WORK/blob" | head -c 10) || vg_fail "range bytes"
gw_expect 206 "Range bytes=4999-" "$(gw_status $A -r 4999- "$RU/data/$ID")"

v2=$(gw_curl $A -H 'Accept: application/vnd.x.restic.rest.v2' -D "$VG_WORK/h2" "$RU/data/")
[ "$v2" = "[{\"name\":\"$ID\",\"size\":5000}]" ] || vg_fail "v2 list: $v2"
grep -qi '^Content-Type: application/vnd.x.restic.rest.v2' "$VG_WORK/h2" || vg_fail "v2 content type"
v1=$(gw_curl $A -D "$VG_WORK/h1" "$RU/data/")
[ "$v1" = "[\"$ID\"]" ] || vg_fail "v1 list: $v1"
grep -qi '^Content-Type: application/vnd.x.restic.rest.v1' "$VG_WORK/h1" || vg_fail "v1 content type"
[ "$(gw_curl $A -H 'Accept: application/vnd.x.restic.rest.v2' "$RU/snapshots/")" = "[]" ] ||
	vg_fail "an empty list is not []"
[ "$(gw_curl $A "$RU/locks/")" = "[]" ] || vg_fail "an empty v1 list is not []"
MISSING=$(printf 'nothing' | sha256sum | cut -d' ' -f1)
gw_expect 404 "HEAD a missing file" "$(gw_status $A -I "$RU/data/$MISSING")"
gw_expect 404 "GET a missing file" "$(gw_status $A "$RU/data/$MISSING")"
gw_expect 200 "DELETE a missing file" "$(gw_status $A -X DELETE "$RU/locks/$MISSING")"
printf 'lock' >"$VG_WORK/lock"
LID=$(sha256sum "$VG_WORK/lock" | cut -d' ' -f1)
gw_expect 200 "POST a lock" "$(gw_status $A --data-binary @"$VG_WORK/lock" "$RU/locks/$LID")"
gw_expect 200 "DELETE a lock" "$(gw_status $A -X DELETE "$RU/locks/$LID")"

# --- restic REST, the refusals -------------------------------------------------------------
gw_expect 400 "name not 64 hex" "$(gw_status $A "$RU/data/abc123")"
gw_expect 400 "name in upper case" "$(gw_status $A "$RU/data/$(echo "$ID" | tr a-f A-F)")"
gw_expect 400 "name of 65 hex" "$(gw_status $A "$RU/data/${ID}0")"
gw_expect 400 "POST under a bad name" "$(gw_status $A --data-binary @"$VG_WORK/blob" "$RU/keys/xyz")"
gw_expect 400 "body SHA-256 is not its name" "$(gw_status $A --data-binary 'not-the-blob' "$RU/data/$MISSING")"
gw_expect 404 "(and nothing was stored)" "$(gw_status $A -I "$RU/data/$MISSING")"
gw_expect 400 ".. in a path" "$(gw_status $A --path-as-is "$RU/../repo2/config")"
gw_expect 400 ".. as a file name" "$(gw_status $A --path-as-is "$RU/data/..")"
gw_expect 400 "percent-encoding" "$(gw_status $A "$RU/data/%2e%2e")"
gw_expect 400 "double slash" "$(gw_status $A --path-as-is "$GW_URL/restic/repo1//config")"
gw_expect 404 "unknown type" "$(gw_status $A "$RU/packs/")"
gw_expect 416 "Range past the end" "$(gw_status $A -r 5000- "$RU/data/$ID")"
hdr=$(gw_curl $A -r 9999-20000 -D - -o /dev/null "$RU/data/$ID")
echo "$hdr" | grep -qi '^Content-Range: bytes \*/5000' || vg_fail "416 Content-Range: $hdr"
gw_expect 401 "wrong token" "$(gw_status -u "agent1:vg_$(printf '%064d' 1)" "$RU/config")"
gw_expect 401 "no credentials" "$(gw_status "$RU/config")"
gw_expect 403 "another item's path" "$(gw_status $A "$GW_URL/restic/repo2/config")"
gw_expect 403 "another item's create" "$(gw_status $A -X POST "$GW_URL/restic/repo2/?create=true")"
hdr=$(gw_curl $A -X PUT -D - -o /dev/null --data-binary x "$RU/config")
echo "$hdr" | grep -q '^HTTP/1.1 405' || vg_fail "PUT config: $hdr"
echo "$hdr" | grep -qi '^Allow: GET, HEAD, POST, DELETE' || vg_fail "405 Allow: $hdr"
hdr=$(gw_curl $A -X DELETE -D - -o /dev/null "$RU/data/")
echo "$hdr" | grep -qi '^Allow: GET' || vg_fail "DELETE list: $hdr"
gw_expect 405 "GET the repository root" "$(gw_status $A "$RU/")"
gw_expect 413 "a restic file over max_body_restic" \
	"$(head -c 1048577 /dev/zero | gw_status $A --data-binary @- "$RU/data/$MISSING")"

# --- HTTP framing: smuggling shapes and friends (raw bytes) --------------------------------------
H="Host: x\r\nAuthorization: Basic $B64\r\n"
gw_expect 400 "Content-Length and Transfer-Encoding" "$(printf "POST /restic/repo1/config HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" | raw_status)"
gw_expect 400 "Transfer-Encoding and Content-Length" "$(printf "POST /restic/repo1/config HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n" | raw_status)"
# The refusal is in the client's words, never llhttp's internal names (HPE_*).
body=$(printf "POST /restic/repo1/config HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" | gw_raw --timeout 4)
case "$body" in *HPE_*) vg_fail "llhttp's internal error name reached the client: $body" ;; esac
case "$body" in *'"error":"bad-request"'*'Content-Length together with Transfer-Encoding'*) ;;
*) vg_fail "CL+TE refusal does not say why: $body" ;; esac
gw_expect 400 "duplicate Content-Length" "$(printf "POST /restic/repo1/config HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc" | raw_status)"
gw_expect 400 "Content-Length list" "$(printf "POST /restic/repo1/config HTTP/1.1\r\n${H}Content-Length: 3, 3\r\n\r\nabc" | raw_status)"
gw_expect 400 "obs-fold" "$(printf "GET /restic/repo1/config HTTP/1.1\r\n${H}X-Folded: a\r\n b\r\n\r\n" | raw_status)"
gw_expect 400 "obs-fold hiding Transfer-Encoding" "$(printf "POST /restic/repo1/config HTTP/1.1\r\n${H}X-A: b\r\n Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc" | raw_status)"
gw_expect 400 "Transfer-Encoding: gzip, chunked" "$(printf "POST /restic/repo1/config HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" | raw_status)"
gw_expect 400 "Transfer-Encoding twice" "$(printf "POST /restic/repo1/config HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" | raw_status)"
gw_expect 400 "space before the colon" "$(printf "POST /restic/repo1/config HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n" | raw_status)"
gw_expect 400 "bare LF line ends" "$(printf "GET /restic/repo1/config HTTP/1.1\nHost: x\n\n" | raw_status)"
gw_expect 400 "chunk data not ended by CRLF" "$(printf "POST /v1/vaults HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n" | raw_status)"
gw_expect 400 "duplicate Host" "$(printf "GET /restic/repo1/config HTTP/1.1\r\n${H}Host: y\r\n\r\n" | raw_status)"
gw_expect 400 "no Host in HTTP/1.1" "$(printf "GET /restic/repo1/config HTTP/1.1\r\n\r\n" | raw_status)"
gw_expect 505 "HTTP/2.0 request line" "$(printf "GET /restic/repo1/config HTTP/2.0\r\n${H}\r\n" | raw_status)"
gw_expect 501 "unknown method" "$(printf "BREW /restic/repo1/config HTTP/1.1\r\n${H}\r\n" | raw_status)"
gw_expect 417 "unknown expectation" "$(printf "GET /restic/repo1/config HTTP/1.1\r\n${H}Expect: 200-ok\r\n\r\n" | raw_status)"
gw_expect 400 "absolute-form target" "$(printf "GET https://x/restic/repo1/config HTTP/1.1\r\n${H}\r\n" | raw_status)"
gw_expect 414 "request target over 4 KiB" "$(printf "GET /%05000d HTTP/1.1\r\n${H}\r\n" 0 | raw_status)"
big=$(head -c 20000 /dev/zero | tr '\0' a)
gw_expect 431 "a 20 KiB head (over max_header_bytes)" "$(printf "GET /restic/repo1/config HTTP/1.1\r\n${H}X-Big: %s\r\n\r\n" "$big" | raw_status)"
out=$(printf "GET /restic/repo1/config HTTP/1.1\r\n${H}\r\nGET /restic/repo1/config HTTP/1.1\r\n${H}Connection: close\r\n\r\n" | gw_raw --timeout 4)
[ "$(echo "$out" | grep -o 'HTTP/1.1 200' | wc -l)" = 2 ] || vg_fail "two pipelined requests: $out"
vg_log "ok: pipelined requests"

# --- slowloris: the head must be complete within header_timeout (2 s) ------------------------------
out=$(printf "GET /restic/repo1/config HTTP/1.1\r\n${H}X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n" |
	gw_raw --slow 0.1 --timeout 6)
echo "$out" | grep -q '^HTTP/1.1 408' || vg_fail "slowloris not answered 408: $out"
el=$(echo "$out" | awk '/^ELAPSED/ {print $2}')
echo "$out" | grep -q 'CLOSED$' || vg_fail "slowloris connection left open"
awk "BEGIN{exit !($el >= 1.8 && $el < 4.5)}" || vg_fail "slowloris cut after ${el}s, want ~2s"
vg_log "ok: slowloris cut after ${el}s (header_timeout 2s) with 408"
out=$(printf '' | gw_raw --timeout 6)
el=$(echo "$out" | awk '/^ELAPSED/ {print $2}')
echo "$out" | grep -q 'CLOSED$' || vg_fail "a silent connection was left open"
awk "BEGIN{exit !($el < 4.5)}" || vg_fail "a silent connection lasted ${el}s"
vg_log "ok: a connection that sends nothing is closed after ${el}s"
vg_log "PASS test_badinput"
