#!/usr/bin/env bash
# s3port.sh - vaultnet admits a list of ports (issue 16: `port = 443, 9000`
# for vaultgw's S3 listener): the allowed client reaches both listeners in
# the namespace (an anonymous S3 request gets S3's AccessDenied XML), a port
# not in the list and the denied client get nothing (drop); show, explain,
# export and verify name both ports.
#
#  $TOPO_OK 10.231.0.10 (allowed) --+              +-- $TOPO_PE vg0 10.231.0.5:
#                                   +-- bridge ----+     vaultgw :443 + S3 :9000
#  $TOPO_NO 10.232.0.20 (denied) ---+                    (vaultd over its socket)
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"
. "$VG_SRC/tests/integration/netns/topology.sh"
VAULTNET=$VG_BUILD/netns/vaultnet

vg_init
chmod 711 "$VG_WORK"
vgtopo_init "vgt$$"
vg_on_exit '"$VAULTNET" down --config "$VG_WORK/net.conf" >/dev/null 2>&1 || true'
vg_on_exit 'vgtopo_down'
vgtopo_up
gw_start_vaultd
TOPO_PORT="443, 9000" vgtopo_config "$VG_WORK/net.conf" "vaultd_socket = $VG_SOCK"
"$VAULTNET" up --config "$VG_WORK/net.conf" >"$VG_WORK/vaultnet.log"
vgtopo_attach_pe

GW_CONF=$VG_WORK/vaultgw.conf
GW_PORT=443
gw_write_config "$GW_CONF" "s3_listen = $TOPO_PE_IP:9000"
sed -i "s/^listen = .*/listen = $TOPO_PE_IP:443/" "$GW_CONF"
"$VAULTGW" --config "$GW_CONF" --netns "$TOPO_PE" >>"$VG_WORK/vaultgw.log" 2>&1 &
vg_track $!
vgtopo_wait_listen "$TOPO_PE" 9000 20 || vg_fail "the S3 listener did not come up in $TOPO_PE"
vgtopo_wait_listen "$TOPO_PE" 443 20 || vg_fail "vaultgw did not listen on 443"
CA=$VG_WORK/tls/server.crt

st=$(ip netns exec "$TOPO_OK" curl -s --cacert "$CA" --noproxy '*' -o "$VG_WORK/anon" \
	-w '%{http_code}' --max-time 10 "https://$TOPO_PE_IP:9000/")
[ "$st" = 403 ] && grep -q "<Code>AccessDenied</Code>" "$VG_WORK/anon" ||
	vg_fail "allowed client, S3 port: $st $(cat "$VG_WORK/anon")"
st=$(ip netns exec "$TOPO_OK" curl -s --cacert "$CA" --noproxy '*' -o /dev/null -w '%{http_code}' \
	--max-time 10 "https://$TOPO_PE_IP:443/v1/whoami")
[ "$st" = 401 ] || vg_fail "allowed client, 443: $st"
vg_log "ok: the allowed client reaches 443 and the S3 port 9000"

# a port not in the list, from the allowed client; the S3 port from the denied one
ip netns exec "$TOPO_PE" python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 9001)); s.listen(); time.sleep(60)' "$TOPO_PE_IP" &
vg_track $!
vgtopo_wait_listen "$TOPO_PE" 9001 20 || vg_fail "no listener on 9001"
for probe in "$TOPO_OK 9001" "$TOPO_NO 9000" "$TOPO_NO 443"; do
	read -r ns p <<<"$probe"
	set +e
	ip netns exec "$ns" timeout 3 bash -c "exec 3<>/dev/tcp/$TOPO_PE_IP/$p" 2>/dev/null
	rc=$?
	set -e
	[ "$rc" = 124 ] || vg_fail "$ns to tcp/$p: expected a timeout (dropped), got $rc"
done
vg_log "ok: tcp/9001 (not listed) and the denied client on 443 and 9000 time out"

"$VAULTNET" show --config "$VG_WORK/net.conf" >"$VG_WORK/show" || true
grep -q "# service: tcp/443,9000" "$VG_WORK/show" || vg_fail "show: $(grep service "$VG_WORK/show")"
grep -q "tcp dport 9000" "$VG_WORK/show" || vg_fail "show lists no rule for tcp/9000"
"$VAULTNET" explain --config "$VG_WORK/net.conf" "$TOPO_OK_IP" 9000 >"$VG_WORK/explain" ||
	vg_fail "explain: $(cat "$VG_WORK/explain")"
grep -q "tcp/9000" "$VG_WORK/explain" || vg_fail "explain 9000: $(cat "$VG_WORK/explain")"
"$VAULTNET" export --config "$VG_WORK/net.conf" --json >"$VG_WORK/export.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ports"] == [443, 9000], d["ports"]' \
	"$VG_WORK/export.json" || vg_fail "export: ports"
"$VAULTNET" verify --config "$VG_WORK/net.conf" >"$VG_WORK/verify" || vg_fail "verify: $(cat "$VG_WORK/verify")"
vg_log "ok: show, explain, export and verify name both ports"
echo PASS
