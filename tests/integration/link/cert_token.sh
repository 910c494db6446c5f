#!/usr/bin/env bash
# cert_token.sh - issue 12 item 1: a compromised gateway must not become any
# mTLS principal. Whoever holds vaultd's socket (here: nobody:nogroup, the
# gateway's position) sends a certificate fingerprint (public: it is in the
# certificate and in the audit log) and a made-up peer address. vaultd must
# refuse it: a certificate adds to a token, never replaces it. Through the
# gateway: cert alone 401, token + bound cert 200, token without the bound
# cert 401, token + another principal's cert 401.
#
#   attacker (nobody:nogroup) ──unix: WHOAMI {AUTH_CERT=fp(owner1), PEER=203.0.113.9:4444}──► vaultd
#   curl ──mTLS──► vaultgw 127.0.0.1:$GW_PORT (tls_client_ca) ──unix──► vaultd
set -eu
. "$VG_SRC/tests/integration/link/lib_link.sh"

vg_init
chmod 711 "$VG_WORK"
link_pki
link_client "vgt-$$-owner1"
link_client "vgt-$$-agent1"
mv "$PKI/vgt-$$-owner1.crt" "$PKI/owner1.crt"; mv "$PKI/vgt-$$-owner1.key" "$PKI/owner1.key"
mv "$PKI/vgt-$$-agent1.crt" "$PKI/agent1.crt"; mv "$PKI/vgt-$$-agent1.key" "$PKI/agent1.key"
GW_PORT=$(gw_free_port)
gw_start_vaultd
gw_start_gateway "tls_client_ca = $PKI/ca.crt"
gw_record_api   # every native-API answer is checked against gateway/api.yaml at the end

V=vgt-$$-v
vg_ctl vault create "$V" >/dev/null
OT=$(gw_principal owner1 user)
vg_ctl role grant owner1 "$V" owner >/dev/null
AT=$(gw_principal agent1 agent)
vg_ctl role grant agent1 "$V" agent >/dev/null
FPO=$(link_fp owner1)
FPA=$(link_fp agent1)
vg_ctl principal cert add owner1 "$FPO" >/dev/null
vg_ctl principal cert add agent1 "$FPA" >/dev/null

EAUTH=-19994
# 1. The attack: fingerprint + invented peer, no token.
out=$(link_wire call 17 cert="$FPO" peer=203.0.113.9:4444)
case "$out" in
"status=$EAUTH "*) vg_log "ok: WHOAMI with owner1's fingerprint alone -> refused" ;;
*) vg_fail "a fingerprint alone authenticated over vaultd's socket: $out" ;;
esac
out=$(link_wire call 4 cert="$FPO" user=owner1 vault="$V" peer=203.0.113.9:4444)
case "$out" in
"status=$EAUTH "*) vg_log "ok: VAULT_GET as owner1 by name + fingerprint -> refused" ;;
*) vg_fail "name + fingerprint authenticated: $out" ;;
esac
# The refusal is audited with the (claimed) source.
vg_ctl audit export | grep '"result":"denied"' | grep -q '203.0.113.9' ||
	vg_fail "the refused fingerprint is not in the audit log"
vg_log "ok: the refusal is audited"

# 2. Both factors over the socket: served.
tf=$(link_secret owner1.token "$OT")
out=$(link_wire call 17 user=owner1 token=@"$tf" cert="$FPO" peer=127.0.0.1:1)
case "$out" in
"status=0 principal=owner1 "*) vg_log "ok: token + bound certificate -> owner1" ;;
*) vg_fail "token + certificate: $out" ;;
esac
# The token without its bound certificate: refused (the cert is a factor).
out=$(link_wire call 17 user=owner1 token=@"$tf" peer=127.0.0.1:1)
case "$out" in
"status=$EAUTH "*) vg_log "ok: owner1's token without its bound certificate -> refused" ;;
*) vg_fail "token without the bound certificate: $out" ;;
esac
# The token with another principal's certificate: refused.
out=$(link_wire call 17 user=owner1 token=@"$tf" cert="$FPA" peer=127.0.0.1:1)
case "$out" in
"status=$EAUTH "*) vg_log "ok: owner1's token with agent1's certificate -> refused" ;;
*) vg_fail "token with another principal's certificate: $out" ;;
esac

# 3. The same through the gateway.
CO="--cert $PKI/owner1.crt --key $PKI/owner1.key"
CA="--cert $PKI/agent1.crt --key $PKI/agent1.key"
# shellcheck disable=SC2086
gw_expect 401 "curl: owner1's certificate, no token" "$(gw_status $CO "$GW_URL/v1/vaults/$V")"
# shellcheck disable=SC2086
gw_expect 200 "curl: owner1's token + certificate" \
	"$(gw_status $CO -u "owner1:$OT" "$GW_URL/v1/vaults/$V")"
gw_expect 401 "curl: owner1's token without its certificate" \
	"$(gw_status -u "owner1:$OT" "$GW_URL/v1/vaults/$V")"
# shellcheck disable=SC2086
gw_expect 401 "curl: owner1's token with agent1's certificate" \
	"$(gw_status $CA -u "owner1:$OT" "$GW_URL/v1/vaults/$V")"
# shellcheck disable=SC2086
gw_expect 200 "curl: agent1 bearer token + certificate" \
	"$(gw_status $CA -H "Authorization: Bearer $AT" "$GW_URL/v1/whoami")"
gw_schema_check
vg_log "PASS cert_token"
