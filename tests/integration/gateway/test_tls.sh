#!/usr/bin/env bash
# test_tls.sh - the TLS policy, checked from outside with openssl s_client:
# TLS 1.0 and 1.1 refused (protocol_version alert), CBC and non-ECDHE
# suites refused, TLS 1.3 and TLS 1.2 ECDHE+AEAD accepted, no compression,
# renegotiation refused, session tickets resume (1.2 and 1.3), ALPN
# http/1.1, and the generated certificate: ECDSA P-256, SAN = the listen
# address, files 0600, fingerprint printed at generation.
#
#   openssl s_client ──TLS──► vaultgw 127.0.0.1:$GW_PORT
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

gw_setup
C="127.0.0.1:$GW_PORT"
sc() { timeout 10 openssl s_client -connect "$C" -servername 127.0.0.1 "$@" </dev/null 2>&1 || true; }

# A client at security level 0 does offer TLS 1.0/1.1: the refusal is the server's.
for v in tls1 tls1_1; do
	out=$(sc -"$v" -cipher 'DEFAULT:@SECLEVEL=0')
	echo "$out" | grep -q "alert protocol version" || vg_fail "$v not refused: $out"
	vg_log "ok: $v refused (protocol_version alert)"
done
for cs in ECDHE-ECDSA-AES128-SHA256 ECDHE-ECDSA-AES256-SHA ECDHE-RSA-AES128-SHA AES128-GCM-SHA256 \
	AES256-SHA DHE-RSA-AES128-GCM-SHA256; do
	out=$(sc -tls1_2 -cipher "$cs:@SECLEVEL=0")
	echo "$out" | grep -q "Cipher is (NONE)" || vg_fail "$cs accepted: $(echo "$out" | grep 'Cipher is')"
	vg_log "ok: TLS 1.2 $cs refused"
done
for cs in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305; do
	out=$(sc -tls1_2 -cipher "$cs" -CAfile "$GW_CA")
	echo "$out" | grep -q "New, TLSv1.2, Cipher is $cs" || vg_fail "TLS 1.2 $cs: $(echo "$out" | grep 'Cipher is')"
	vg_log "ok: TLS 1.2 $cs accepted"
done
out=$(sc -tls1_3 -CAfile "$GW_CA" -alpn h2,http/1.1)
echo "$out" | grep -q "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" || vg_fail "TLS 1.3: $out"
echo "$out" | grep -q "Verify return code: 0 (ok)" || vg_fail "the generated certificate does not verify for 127.0.0.1"
echo "$out" | grep -q "Compression: NONE" || vg_fail "compression"
echo "$out" | grep -q "ALPN protocol: http/1.1" || vg_fail "ALPN"
vg_log "ok: TLS 1.3, certificate verifies, no compression, ALPN http/1.1"
out=$(sc -tls1_3 -alpn h2)
echo "$out" | grep -q "No ALPN negotiated" || vg_fail "h2 alone was negotiated"

out=$( (echo R; sleep 1) | timeout 10 openssl s_client -tls1_2 -connect "$C" 2>&1 || true)
echo "$out" | grep -q "RENEGOTIATING" || vg_fail "renegotiation was not attempted: $out"
echo "$out" | grep -q "no renegotiation" || vg_fail "renegotiation not refused: $out"
vg_log "ok: renegotiation refused"

# Session tickets: resumption works for TLS 1.2 and 1.3.
req='GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
for v in tls1_2 tls1_3; do
	printf "$req" | timeout 10 openssl s_client -"$v" -connect "$C" -ign_eof -sess_out "$VG_WORK/$v.sess" \
		>/dev/null 2>&1 || true
	out=$(printf "$req" | timeout 10 openssl s_client -"$v" -connect "$C" -ign_eof -sess_in "$VG_WORK/$v.sess" 2>&1 || true)
	echo "$out" | grep -q "^Reused, TLSv1" || vg_fail "$v session not resumed: $(echo "$out" | grep -E '^(New|Reused)')"
	vg_log "ok: $v session resumed from a ticket"
done

# The generated certificate.
cert=$(openssl x509 -in "$GW_CA" -noout -text)
echo "$cert" | grep -q "ASN1 OID: prime256v1" || vg_fail "not P-256"
echo "$cert" | grep -q "IP Address:127.0.0.1" || vg_fail "SAN lacks the listen address"
[ "$(stat -c %a "$VG_WORK/tls/server.key")" = 600 ] || vg_fail "server.key is not 0600"
[ "$(stat -c %a "$VG_WORK/tls/server.crt")" = 600 ] || vg_fail "server.crt is not 0600"
fp=$(openssl x509 -in "$GW_CA" -noout -fingerprint -sha256 | cut -d= -f2)
grep -q "SHA-256 fingerprint $fp" "$VG_WORK/vaultgw.log" || vg_fail "fingerprint $fp not printed"
vg_log "ok: generated ECDSA P-256 certificate, SAN 127.0.0.1, 0600, fingerprint printed"

# A restart reuses it (no new fingerprint for agents to pin).
gw_stop_gateway
gw_start_gateway
fp2=$(openssl x509 -in "$GW_CA" -noout -fingerprint -sha256 | cut -d= -f2)
[ "$fp" = "$fp2" ] || vg_fail "the certificate changed across a restart"
vg_log "PASS test_tls"
