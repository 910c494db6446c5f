#!/usr/bin/env bash
# config.sh - image/files/vaultgate-config outside the VM (issue 21): the
# appliance's files in a private /etc/vaultgate, the real vaultnet building
# the namespace, the real vaultgw in it (SIGHUP reloads its certificate),
# real vaultd recording every change and refusal, clients on both subnets.
#
#                 +------------------ $TOPO_BR (bridge) -------------------+
#                 |  br0 10.231.0.1/24 + 10.232.0.1/24 (router)             |
#                 +-----+-----------------+-------------------+-------------+
#  +- $TOPO_PE ---------+--+ +- $TOPO_OK -+--------+ +- $TOPO_NO +----------+
#  | vg0 10.231.0.5/24     | | 10.231.0.10         | | 10.232.0.20          |
#  | vaultgw :443 (nobody) | | restic, curl        | | curl                 |
#  +----------+------------+ +---------------------+ +----------------------+
#             | unix socket
#             v
#         vaultd (host namespace)
#
# Refused, each leaving every file as it was and audited: a bad CIDR, a
# CIDR with host bits, a certificate not matching its key, one without the
# data IP, one not verifying against the given CA, a data IP the customer
# certificate does not name, a malformed address. Applied: a new allowlist
# (the old client times out, the new one connects, vaultnet verify OK), a
# customer certificate (reloaded by SIGHUP, restic works against the new
# CA), new SANs (a new self-signed certificate).
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"
. "$VG_SRC/tests/integration/netns/topology.sh"
VAULTNET=$VG_BUILD/netns/vaultnet
CONFIG=$VG_SRC/image/files/vaultgate-config

vg_init
chmod 711 "$VG_WORK"
vgtopo_init "vgt$$"
ETC=$VG_WORK/etc
mkdir -p "$ETC/tls"
vg_on_exit '"$VAULTNET" down --config "$ETC/vaultnet.conf" >/dev/null 2>&1 || true'
vg_on_exit 'vgtopo_down'
vgtopo_up
gw_start_vaultd

# The files first boot would have written.
vgtopo_config "$ETC/vaultnet.conf" "vaultd_socket = $VG_SOCK"
chmod 0644 "$ETC/vaultnet.conf"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=vgt \
	-addext "subjectAltName=IP:$TOPO_PE_IP" -keyout "$ETC/tls/key.pem" -out "$ETC/tls/cert.pem" 2>/dev/null
chgrp nogroup "$ETC/tls/key.pem"
chmod 0640 "$ETC/tls/key.pem"
chmod 0755 "$ETC" "$ETC/tls"
cat >"$ETC/vaultgw.conf" <<EOF
listen = $TOPO_PE_IP:$TOPO_PORT
vaultd_socket = $VG_SOCK
user = nobody
tls_cert = $ETC/tls/cert.pem
tls_key = $ETC/tls/key.pem
restic_vault = cfg
EOF
chmod 0600 "$ETC/vaultgw.conf"
"$VAULTNET" up --config "$ETC/vaultnet.conf" >"$VG_WORK/vaultnet.log"
vgtopo_attach_pe
"$VAULTGW" --config "$ETC/vaultgw.conf" --netns "$TOPO_PE" >>"$VG_WORK/vaultgw.log" 2>&1 &
GW_PID=$!
vg_track "$GW_PID"
vgtopo_wait_listen "$TOPO_PE" "$TOPO_PORT" 20 || vg_fail "vaultgw did not listen"

export VG_ETC=$ETC VG_VAULTNET=$VAULTNET VG_VAULTGW=$VAULTGW VG_VAULTCTL=$VAULTCTL VAULTD_SOCKET=$VG_SOCK
export VG_GW_RELOAD="kill -HUP $GW_PID" VG_GW_RESTART="false" VG_GW_GROUP=nogroup VG_HOSTNAME=vgt-appliance
cfg() { bash "$CONFIG" "$@"; }
sums() { sha256sum "$ETC/vaultnet.conf" "$ETC/vaultgw.conf" "$ETC/tls/cert.pem" "$ETC/tls/key.pem"; }
# refused WANT ARGS...: fails naming WANT, every file unchanged, the refusal audited.
refused() {
	local want=$1 before
	shift
	before=$(sums)
	vg_expect_fail "$want" cfg "$@"
	[ "$(sums)" = "$before" ] || vg_fail "a refused '$*' changed a file"
	vg_ctl audit export | tail -n 3 | grep '"config\.' | grep -qF "refused: " ||
		vg_fail "the refusal of '$*' is not audited"
	vg_log "ok: refused: $* -> $want"
}
reach() { # reach NS -> HTTP status of GET /v1/whoami (000: no connection within 3 s)
	ip netns exec "$1" curl -s -o /dev/null -w '%{http_code}' --max-time 3 --cacert "$2" \
		"https://$TOPO_PE_IP/v1/whoami" || true
}

vg_ctl vault create cfg >/dev/null
tok=$(gw_principal agent1 agent)
vg_ctl role grant agent1 cfg agent >/dev/null
vg_ctl item create cfg repo1 --kind restic --agent agent1 >/dev/null
[ "$(reach "$TOPO_OK" "$ETC/tls/cert.pem")" = 401 ] || vg_fail "the allowed client does not reach vaultgw"
[ "$(reach "$TOPO_NO" "$ETC/tls/cert.pem")" = 000 ] || vg_fail "the other subnet reaches vaultgw before any change"

# ---- validation ---------------------------------------------------------------------
refused "vaultnet.conf.new" allow 10.231.0.0/33
refused "host bits" allow "10.232.0.20/24"
refused "is not ADDRESS/PREFIX" data-ip 10.231.0.300/24
refused "neither an IPv4 address nor a DNS name" tls-san "bad_name!"
# Certificates from a customer CA: one good, three bad.
P=$VG_WORK/pki
mkdir -p "$P"
mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=$1" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
		-keyout "$P/$1.key" -out "$P/$1.pem" 2>/dev/null
}
mkleaf() { # mkleaf NAME CA SAN
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
		-keyout "$P/$1.key" -out "$P/$1.csr" 2>/dev/null
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$3" >"$P/$1.ext"
	openssl x509 -req -in "$P/$1.csr" -CA "$P/$2.pem" -CAkey "$P/$2.key" -CAcreateserial -days 20 \
		-extfile "$P/$1.ext" -out "$P/$1.pem" 2>/dev/null
}
mkca custca
mkca otherca
mkleaf good custca "IP:$TOPO_PE_IP,DNS:vault.example"
mkleaf noip custca "DNS:vault.example"
mkleaf foreign otherca "IP:$TOPO_PE_IP"
refused "does not match the key" tls-cert "$P/good.pem" "$P/noip.key" --ca "$P/custca.pem"
refused "does not name the data IP $TOPO_PE_IP" tls-cert "$P/noip.pem" "$P/noip.key" --ca "$P/custca.pem"
refused "does not verify against $P/custca.pem" tls-cert "$P/foreign.pem" "$P/foreign.key" --ca "$P/custca.pem"
refused "not a PEM certificate" tls-cert "$P/good.key" "$P/good.key"

# ---- apply: the allowlist ---------------------------------------------------------------
cfg allow "10.232.0.0/24" >"$VG_WORK/allow.out" 2>&1 || vg_fail "allow: $(cat "$VG_WORK/allow.out")"
grep -q "vaultnet verify OK" "$VG_WORK/allow.out" || vg_fail "allow: $(cat "$VG_WORK/allow.out")"
grep -qx "allow_v4 = 10.232.0.0/24" "$ETC/vaultnet.conf" || vg_fail "allow_v4 not written"
"$VAULTNET" verify --config "$ETC/vaultnet.conf" >/dev/null || vg_fail "vaultnet verify after allow"
"$VAULTNET" show --config "$ETC/vaultnet.conf" | grep -q "10.232.0.0/24" || vg_fail "show does not list the new allowlist"
[ "$(reach "$TOPO_NO" "$ETC/tls/cert.pem")" = 401 ] || vg_fail "the newly allowed subnet does not connect"
[ "$(reach "$TOPO_OK" "$ETC/tls/cert.pem")" = 000 ] || vg_fail "a source outside the new allowlist still connects"
vg_ctl audit export | grep '"config.allow"' | grep '"ok"' | grep -qF -- "-> 10.232.0.0/24" ||
	vg_fail "allow not audited: $(vg_ctl audit export | grep config.allow)"
vg_log "ok: allowlist changed: 10.232.0.20 connects, 10.231.0.10 times out, verify OK, audited"
cfg allow "10.231.0.0/24, 10.232.0.0/24" >/dev/null

# ---- apply: a customer certificate, reloaded by SIGHUP -------------------------------------
mkdir -p "$VG_WORK/src"
head -c 2000000 /dev/urandom >"$VG_WORK/src/a.bin"
echo pw >"$VG_WORK/pw"
export RESTIC_PASSWORD_FILE=$VG_WORK/pw RESTIC_CACHE_DIR=$VG_WORK/cache
repo="rest:https://agent1:$tok@$TOPO_PE_IP/restic/repo1/"
ip netns exec "$TOPO_OK" restic -q --cacert "$ETC/tls/cert.pem" -r "$repo" init >/dev/null
cp "$ETC/tls/cert.pem" "$VG_WORK/old.pem"
cfg tls-cert "$P/good.pem" "$P/good.key" --ca "$P/custca.pem" >"$VG_WORK/cert.out" ||
	vg_fail "tls-cert: $(cat "$VG_WORK/cert.out")"
i=0
until grep -q "SIGHUP: certificate .* reloaded" "$VG_WORK/vaultgw.log"; do
	i=$((i + 1)); [ $i -lt 100 ] || vg_fail "vaultgw did not reload: $(tail -3 "$VG_WORK/vaultgw.log")"; sleep 0.05
done
served=$(ip netns exec "$TOPO_OK" openssl s_client -connect "$TOPO_PE_IP:443" </dev/null 2>/dev/null |
	openssl x509 -noout -fingerprint -sha256 | cut -d= -f2)
[ "$served" = "$(openssl x509 -in "$P/good.pem" -noout -fingerprint -sha256 | cut -d= -f2)" ] ||
	vg_fail "vaultgw serves $served, not the customer certificate"
kill -0 "$GW_PID" || vg_fail "vaultgw died on SIGHUP"
[ "$(reach "$TOPO_OK" "$P/custca.pem")" = 401 ] || vg_fail "the new certificate does not verify against the customer CA"
[ "$(reach "$TOPO_OK" "$VG_WORK/old.pem")" = 000 ] || vg_fail "the old pin still verifies"
ip netns exec "$TOPO_OK" restic -q --cacert "$P/custca.pem" -r "$repo" backup "$VG_WORK/src" >/dev/null ||
	vg_fail "restic after the certificate change"
vg_ctl audit export | grep '"config.tls-cert"' | grep -q '"ok"' || vg_fail "tls-cert not audited"
vg_log "ok: customer certificate installed, SIGHUP reload, restic works against the customer CA"

# A data IP the customer certificate does not name: refused before anything moves.
refused "the customer certificate does not name 10.231.0.6" data-ip 10.231.0.6/24

# ---- apply: new names, self-signed again -------------------------------------------------------
cfg tls-san "vault1.example.internal,10.231.0.99" >"$VG_WORK/san.out" || vg_fail "tls-san: $(cat "$VG_WORK/san.out")"
openssl x509 -in "$ETC/tls/cert.pem" -noout -ext subjectAltName | grep -q "IP Address:$TOPO_PE_IP, DNS:vgt-appliance, DNS:vault1.example.internal, IP Address:10.231.0.99" ||
	vg_fail "SANs: $(openssl x509 -in "$ETC/tls/cert.pem" -noout -ext subjectAltName)"
i=0
until [ "$(grep -c "SIGHUP: certificate .* reloaded" "$VG_WORK/vaultgw.log")" -ge 2 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || vg_fail "vaultgw did not reload the self-signed certificate"; sleep 0.05
done
[ "$(reach "$TOPO_OK" "$ETC/tls/cert.pem")" = 401 ] || vg_fail "the new self-signed certificate does not verify"
cfg show | grep -q "vaultnet verify: OK" || vg_fail "show: $(cfg show)"
vg_log "ok: tls-san: new self-signed certificate with the names, reloaded; show reports verify OK"
# ---- the webhook: checked by vaultnotify's own --check, files written ---------------------
export VG_VAULTNOTIFY=$VG_BUILD/vault/vaultnotify VG_SYSTEMCTL=true
refused "is not https://IPv4[:PORT]/PATH" webhook http://192.0.2.7/hook "$P/custca.pem"
refused "is not https://IPv4[:PORT]/PATH" webhook https://hooks.example/hook "$P/custca.pem"
refused "not a PEM certificate" webhook https://192.0.2.7:8443/hook "$P/good.key"
cfg webhook https://192.0.2.7:8443/hook "$P/custca.pem" >"$VG_WORK/hook.out" 2>&1 || vg_fail "webhook: $(cat "$VG_WORK/hook.out")"
grep -qx "VG_WEBHOOK_URL=https://192.0.2.7:8443/hook" "$ETC/webhook.env" || vg_fail "webhook.env"
grep -qx "VAULTD_OPTS=--alert-outbox" "$ETC/vaultd.env" || vg_fail "vaultd.env"
grep -q "ip daddr 192.0.2.7 tcp dport 8443 counter accept" "$ETC/mgmt.d/webhook.nft" || vg_fail "webhook.nft"
cmp -s "$ETC/webhook-ca.pem" "$P/custca.pem" || vg_fail "the receiver's CA was not installed"
vg_ctl audit export | grep '"config.webhook"' | grep -q '"ok"' || vg_fail "webhook not audited"
cfg webhook none >/dev/null
[ ! -e "$ETC/webhook.env" ] && [ ! -e "$ETC/vaultd.env" ] && [ ! -e "$ETC/mgmt.d/webhook.nft" ] || vg_fail "webhook none left files"
vg_log "ok: webhook: refusals (http, a name, a key as CA), then env, CA, outbox and firewall rule written; none removes them"

# vaultnet's looking commands default to the appliance's file.
if [ ! -e /etc/vaultgate/vaultnet.conf ]; then
	vg_expect_fail "/etc/vaultgate/vaultnet.conf: cannot open" "$VAULTNET" verify
	vg_expect_fail "/etc/vaultgate/vaultnet.conf: cannot open" "$VAULTNET" show
	vg_log "ok: vaultnet show/verify default to /etc/vaultgate/vaultnet.conf"
fi
vg_log "PASS"
