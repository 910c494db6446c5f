#!/usr/bin/env bash
# test_mtls.sh - client certificates as a second factor: restic
# --tls-client-cert with the agent's token (init, backup, restore, check),
# curl --cert + token; a certificate alone (401: it adds to a token, never
# replaces it; tests/integration/link/cert_token.sh has the attack); the
# token without its bound certificate (401); a certificate from the CA that
# maps to no principal adds nothing to a principal with none bound; one
# from another CA (handshake refused); neither certificate nor token (401).
#
#   restic/curl ──mTLS──► vaultgw (tls_client_ca = $VG_WORK/pki/ca.crt) ──unix──► vaultd
#                          token + SHA-256(client cert DER) ──AUTH_TOKEN, AUTH_CERT──► principal agent1
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

vg_init
chmod 711 "$VG_WORK"
pki=$VG_WORK/pki
mkdir -p "$pki"
mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$1" -keyout "$pki/$1.key" -out "$pki/$1.crt" 2>/dev/null
}
mkclient() {  # NAME CA
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
		-keyout "$pki/$1.key" -out "$pki/$1.csr" 2>/dev/null
	printf 'extendedKeyUsage = clientAuth\n' >"$pki/ext"
	openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$2.crt" -CAkey "$pki/$2.key" \
		-CAcreateserial -days 2 -extfile "$pki/ext" -out "$pki/$1.crt" 2>/dev/null
	cat "$pki/$1.crt" "$pki/$1.key" >"$pki/$1.pem"
}
mkca ca
mkca otherca
mkclient agent1 ca
mkclient stranger ca
mkclient forged otherca
chmod 644 "$pki"/*.crt

GW_PORT=$(gw_free_port)
gw_start_vaultd
gw_start_gateway "tls_client_ca = $pki/ca.crt"
gw_record_api   # every native-API answer is checked against gateway/api.yaml at the end

vg_ctl vault create default >/dev/null
AT=$(gw_principal agent1 agent)
ST=$(gw_principal plain user)
vg_ctl role grant agent1 default agent >/dev/null
vg_ctl item create default repo1 --kind restic --agent agent1 >/dev/null
fp=$(openssl x509 -in "$pki/agent1.crt" -outform DER | sha256sum | cut -d' ' -f1)
vg_ctl principal cert add agent1 "$fp" >/dev/null

out=$(gw_curl --cert "$pki/agent1.crt" --key "$pki/agent1.key" -u "agent1:$AT" "$GW_URL/v1/whoami")
[ "$out" = '{"principal":"agent1","kind":"agent"}' ] || vg_fail "whoami by token + certificate: $out"
vg_log "ok: curl --cert + token -> agent1"
gw_expect 401 "a bound certificate without a token" \
	"$(gw_status --cert "$pki/agent1.crt" --key "$pki/agent1.key" "$GW_URL/v1/whoami")"
gw_expect 401 "agent1's token without its bound certificate" \
	"$(gw_status -u "agent1:$AT" "$GW_URL/v1/whoami")"
gw_expect 401 "a CA-signed certificate mapped to nobody, no token" \
	"$(gw_status --cert "$pki/stranger.crt" --key "$pki/stranger.key" "$GW_URL/v1/whoami")"
gw_expect 200 "an unbound certificate adds nothing to a principal with none bound" \
	"$(gw_status --cert "$pki/stranger.crt" --key "$pki/stranger.key" -u "plain:$ST" "$GW_URL/v1/whoami")"
gw_expect 401 "no certificate, no token" "$(gw_status "$GW_URL/v1/whoami")"
if gw_curl --cert "$pki/forged.crt" --key "$pki/forged.key" "$GW_URL/v1/whoami" >/dev/null 2>&1; then
	vg_fail "a certificate from another CA was accepted"
fi
vg_log "ok: a certificate from another CA fails the handshake"

export RESTIC_PASSWORD=pw RESTIC_CACHE_DIR=$VG_WORK/cache
GW_HP=${GW_URL#https://}
r() { RESTIC_REPOSITORY="rest:https://agent1:$AT@$GW_HP/restic/repo1/" restic --cacert "$GW_CA" --tls-client-cert "$pki/agent1.pem" "$@"; }
src=$VG_WORK/src
mkdir -p "$src"
head -c $((3 * 1024 * 1024)) /dev/urandom >"$src/data.bin"
echo hello >"$src/hello.txt"
r init >"$VG_WORK/init.log" 2>&1 || vg_fail "init with a client certificate: $(tail -3 "$VG_WORK/init.log")"
(cd "$VG_WORK" && r backup src) >"$VG_WORK/backup.log" 2>&1 || vg_fail "backup with a client certificate"
r restore latest --target "$VG_WORK/rst" >/dev/null 2>&1 || vg_fail "restore with a client certificate"
diff -r "$src" "$VG_WORK/rst/src" || vg_fail "restored tree differs"
r check --read-data >/dev/null 2>&1 || vg_fail "check with a client certificate"
vg_log "ok: restic init/backup/restore/check with --tls-client-cert and the token"
if restic --cacert "$GW_CA" --tls-client-cert "$pki/agent1.pem" -r "rest:$GW_URL/restic/repo1/" \
	snapshots >"$VG_WORK/certonly.log" 2>&1; then
	vg_fail "restic with a certificate and no token succeeded"
fi
grep -q 401 "$VG_WORK/certonly.log" || vg_fail "certificate only: $(tail -3 "$VG_WORK/certonly.log")"
vg_log "ok: restic with the certificate alone -> 401"
if restic --cacert "$GW_CA" -r "rest:$GW_URL/restic/repo1/" snapshots >"$VG_WORK/nocert.log" 2>&1; then
	vg_fail "restic without certificate or token succeeded"
fi
grep -q 401 "$VG_WORK/nocert.log" || vg_fail "no certificate: $(tail -3 "$VG_WORK/nocert.log")"
gw_schema_check
vg_log "PASS test_mtls"
