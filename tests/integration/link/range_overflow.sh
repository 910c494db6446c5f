#!/usr/bin/env bash
# range_overflow.sh - issue 12 item 11: `Range: bytes=0-18446744073709551615`
# (the largest last-byte-pos) is the whole object: 206 with
# `Content-Range: bytes 0-(N-1)/N` and every byte (RFC 9110 §14.1.2: a last
# position past the end is clamped). It used to wrap the length to 0 and
# answer 416. Checked on a restic file and a native object, from 0 and from 5;
# a position past 2^64-1 stays 416.
#
#   curl -r ... ──TLS──► vaultgw 127.0.0.1 ──unix──► vaultd
set -eu
. "$VG_SRC/tests/integration/link/lib_link.sh"

gw_setup
gw_record_api   # every native-API answer is checked against gateway/api.yaml at the end
V=default
vg_ctl vault create "$V" >/dev/null
T=$(gw_principal ag agent)
vg_ctl role grant ag "$V" agent >/dev/null
vg_ctl item create "$V" repo --kind restic --agent ag >/dev/null
vg_ctl item create "$V" host --agent ag >/dev/null
A=(-u "ag:$T")
f=$VG_WORK/obj
head -c 3000 /dev/urandom >"$f"
id=$(sha256sum "$f" | cut -d' ' -f1)
gw_expect 200 "restic create" "$(gw_status "${A[@]}" -X POST "$GW_URL/restic/repo/?create=true")"
gw_expect 200 "restic upload" "$(gw_status "${A[@]}" --data-binary @"$f" "$GW_URL/restic/repo/data/$id")"
P=$(gw_curl "${A[@]}" -X POST "$GW_URL/v1/vaults/$V/items/host/points" | sed -n 's/.*"point":"\([^"]*\)".*/\1/p')
[ -n "$P" ] || vg_fail "no point"
gw_expect 201 "native upload" "$(gw_status "${A[@]}" -T "$f" "$GW_URL/v1/vaults/$V/items/host/points/$P/objects/obj")"
gw_expect 200 "commit" "$(gw_status "${A[@]}" -X POST "$GW_URL/v1/vaults/$V/items/host/points/$P/commit")"

MAX=18446744073709551615
for url in "$GW_URL/restic/repo/data/$id" "$GW_URL/v1/vaults/$V/items/host/points/$P/objects/obj"; do
	for from in 0 5; do
		out=$VG_WORK/got
		st=$(gw_curl "${A[@]}" -H "Range: bytes=$from-$MAX" -D "$VG_WORK/hdr" -o "$out" -w '%{http_code}' "$url")
		gw_expect 206 "bytes=$from-$MAX on ${url#"$GW_URL"}" "$st"
		grep -qi "^content-range: bytes $from-2999/3000" "$VG_WORK/hdr" ||
			vg_fail "Content-Range: $(grep -i content-range "$VG_WORK/hdr")"
		vg_slice "$f" "$from" $((3000 - from)) | cmp - "$out" || vg_fail "bytes differ for bytes=$from-$MAX"
	done
	gw_expect 416 "bytes=0-18446744073709551616 (past 2^64-1)" \
		"$(gw_status "${A[@]}" -H "Range: bytes=0-18446744073709551616" "$url")"
	gw_expect 206 "bytes=0-9223372036854775807 still clamps" \
		"$(gw_status "${A[@]}" -H "Range: bytes=0-9223372036854775807" "$url")"
done
gw_schema_check
vg_log "PASS range_overflow"
