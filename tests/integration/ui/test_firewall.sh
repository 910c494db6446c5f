#!/usr/bin/env bash
# test_firewall.sh - issue 18: the console's firewall page. vaultnet builds
# the private endpoint in its namespace; vaultd asks `vaultnet serve` for
# the console (VG_OP_FIREWALL): first as on the appliance, through a
# socket-activated helper (systemd-socket-activate --accept --inetd, as
# image/units/vaultnet-query.socket), then by running it itself
# (--vaultnet-config); the gateway runs no nft code.
# In headless Chromium the page shows the drift state, the allowlist and
# the live rules with counters, and the explain form gives, for five
# sources, exactly what `vaultnet explain` prints. A rule added by hand
# shows as drift; a Reader is refused (audited).
#
#   chromium ──TLS──► vaultgw 127.0.0.1 (nobody) ──unix──► vaultd (root)
#                                                            │ unix socket (phase 1) or fork+exec (phase 2)
#                                                            ▼
#                                     vaultnet serve: show|verify|export|explain ──► netns vgt-$$-pe
#                                                                                     (table inet vaultgate)
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"
. "$VG_SRC/tests/integration/netns/topology.sh"

PY=/usr/bin/python3
UI=$VG_SRC/tests/integration/ui
VAULTNET=$VG_BUILD/netns/vaultnet

vg_init
chmod 711 "$VG_WORK"
vgtopo_init "vgt-$$"
vg_on_exit vgtopo_down
vgtopo_up
CONF=$VG_WORK/vaultnet.conf
vgtopo_config "$CONF"
"$VAULTNET" up --config "$CONF" >"$VG_WORK/up.log" 2>&1 || vg_fail "vaultnet up: $(tail -3 "$VG_WORK/up.log")"
vgtopo_attach_pe
# A connection attempt from the allowed client: the accept rule counts it.
ip netns exec "$TOPO_OK" timeout 3 bash -c "</dev/tcp/$TOPO_PE_IP/443" 2>/dev/null || true

# serve answers read-only requests only
out=$(echo up | "$VAULTNET" serve --config "$CONF" 2>&1 || true)
echo "$out" | grep -q '^serve: expected show, verify, export or explain' || vg_fail "serve ran up: $out"
echo "$out" | grep -qx 'vaultnet-exit 2' || vg_fail "serve: no exit line: $out"
out=$(echo "explain $TOPO_OK_IP --force" | "$VAULTNET" serve --config "$CONF" 2>&1 || true)
echo "$out" | grep -q '^serve: expected' || vg_fail "serve took an option: $out"
vg_log "ok: vaultnet serve refuses anything but show, verify, export, explain"

# Phase 1, as on the appliance: a socket-activated `vaultnet serve` per
# connection; vaultd only connects (gw_start_vaultd passes VG_STORE_ARGS).
QSOCK=$VG_WORK/vaultnet-query.sock
systemd-socket-activate -l "$QSOCK" --accept --inetd "$VAULTNET" serve --config "$CONF" \
	>"$VG_WORK/socket-activate.log" 2>&1 &
vg_track $!
for _ in $(seq 200); do [ -S "$QSOCK" ] && break; sleep 0.05; done
[ -S "$QSOCK" ] || vg_fail "systemd-socket-activate did not listen"
BASE_ARGS=("${VG_STORE_ARGS[@]}")
VG_STORE_ARGS=("${BASE_ARGS[@]}" --vaultnet-socket "$QSOCK")
GW_PORT=$(gw_free_port)
gw_start_vaultd
gw_start_gateway
OUT=$VG_WORK/screens
mkdir -p "$OUT"

vg_ctl vault create v1 >/dev/null
OLGA=$(gw_principal olga user)
RITA=$(gw_principal rita user)
vg_ctl role grant olga v1 owner >/dev/null
vg_ctl role grant rita v1 reader >/dev/null

# --- what vaultnet itself says, for five sources -------------------------------------------------------
cases=$(
	for c in "$TOPO_OK_IP|" "$TOPO_NO_IP|" "10.231.0.70|" "$TOPO_OK_IP|8080" "$TOPO_OK_IP|ping"; do
		src=${c%|*} port=${c#*|}
		out=$("$VAULTNET" explain --config "$CONF" "$src" $port 2>&1 || true)
		printf '%s\0%s\0%s\0' "$src" "$port" "$out"
	done | $PY -c '
import json, sys
p = sys.stdin.buffer.read().split(b"\0")[:-1]
print(json.dumps([[p[i].decode(), p[i + 1].decode(), p[i + 2].decode()] for i in range(0, len(p), 3)]))')
echo "$cases" | $PY -c '
import json, sys
c = json.load(sys.stdin)
assert len(c) == 5 and "ACCEPT" in c[0][2] and "DROP" in c[1][2] and "ACCEPT" in c[2][2] and "DROP" in c[3][2], c' ||
	vg_fail "vaultnet explain did not give the expected verdicts: $cases"

GW_URL=$GW_URL OLGA=$OLGA RITA=$RITA OUT=$OUT CASES=$cases timeout 240 $PY "$UI/firewall_browser.py" ||
	vg_fail "the firewall browser scenario failed"
n=$(vg_ctl audit export | jq -r 'select(.op == "firewall.view" and .principal == "rita" and .result == "denied") | .op' | wc -l)
[ "$n" -ge 1 ] || vg_fail "rita's refused firewall view is not audited"
vg_log "ok: rita's refusal audited"
n=$(grep -c '^Spawned .*vaultnet' "$VG_WORK/socket-activate.log" || true)
[ "$n" -ge 9 ] || vg_fail "vaultd did not ask through the socket ($n helpers spawned)"
vg_log "ok: phase 1 went through the socket-activated helper ($n queries)"

# Phase 2: vaultd runs the helper itself (--vaultnet-config).
gw_stop_gateway
kill -TERM "$VAULTD_PID"
wait "$VAULTD_PID" 2>/dev/null || true
VG_STORE_ARGS=("${BASE_ARGS[@]}" --vaultnet-config "$CONF" --vaultnet "$VAULTNET")
gw_start_vaultd
gw_start_gateway

# --- drift: a rule added by hand ------------------------------------------------------------------------------
J=$VG_WORK/jar
CSRF=$(gw_curl -c "$J" "$GW_URL/ui/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}')
gw_curl -b "$J" -c "$J" -o /dev/null --data-urlencode user=olga --data-urlencode "token=$OLGA" \
	--data-urlencode "csrf=$CSRF" "$GW_URL/ui/login"
ip netns exec "$TOPO_PE" nft add rule inet vaultgate input tcp dport 22 accept
page=$(gw_curl -b "$J" "$GW_URL/ui/firewall")
echo "$page" | grep -q 'DRIFT' || vg_fail "a hand-added rule does not show as drift"
echo "$page" | grep -q 'NOT FROM THE CONFIGURATION' || vg_fail "the hand-added rule is not marked"
vg_log "ok: a hand-added rule shows as DRIFT and is marked in the rules"
# a source that is not an address never reaches vaultnet
page=$(gw_curl -b "$J" "$GW_URL/ui/firewall?source=10.0.0.1;id&port=22")
echo "$page" | grep -q 'id="explain"' && vg_fail "a bad source was explained"
page=$(gw_curl -b "$J" "$GW_URL/ui/firewall?source=10.0.0.1&port=99999")
echo "$page" | grep -q 'class="error">explain' || vg_fail "port 99999 was not refused"
vg_log "ok: a source or port outside the grammar is refused before vaultnet"
"$VAULTNET" down --config "$CONF" >/dev/null 2>&1 || true
vg_log "PASS test_firewall"
