#!/usr/bin/env bash
# e2e.sh - the private endpoint end to end: the real vaultgw inside the
# namespace vaultnet built, the real restic client in the allowed client's
# namespace, the denied client on the same L2 segment getting nothing.
#
#                 +------------------ $TOPO_BR (bridge) -------------------+
#                 |  br0 10.231.0.1/24 + 10.232.0.1/24 (router)             |
#                 +-----+-----------------+-------------------+-------------+
#                       |                 |                   |
#  +- $TOPO_PE ---------+--+ +- $TOPO_OK -+--------+ +- $TOPO_NO +----------+
#  | vg0 10.231.0.5/24     | | 10.231.0.10 allowed | | 10.232.0.20 denied   |
#  | vaultgw :443 (nobody) | | restic, curl        | | bash /dev/tcp, ping  |
#  +----------+------------+ +---------------------+ +----------------------+
#             | unix socket (the socket is a path: it crosses namespaces)
#             v
#         vaultd (host namespace, state in $VG_WORK)
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
vgtopo_config "$VG_WORK/net.conf" "vaultd_socket = $VG_SOCK"
"$VAULTNET" up --config "$VG_WORK/net.conf" >"$VG_WORK/vaultnet.log"
vgtopo_attach_pe

# vaultgw binds only the private IP, inside the namespace; its first start
# makes a certificate whose SAN is that IP.
GW_PORT=$TOPO_PORT
GW_CONF=$VG_WORK/vaultgw.conf
gw_write_config "$GW_CONF" "restic_vault = e2e"
sed -i "s/^listen = .*/listen = $TOPO_PE_IP:$TOPO_PORT/" "$GW_CONF"
"$VAULTGW" --config "$GW_CONF" --netns "$TOPO_PE" >>"$VG_WORK/vaultgw.log" 2>&1 &
GW_PID=$!
vg_track "$GW_PID"
vgtopo_wait_listen "$TOPO_PE" "$TOPO_PORT" 20 || vg_fail "vaultgw did not listen in $TOPO_PE"
GW_CA=$VG_WORK/tls/server.crt
ss -Hltn "sport = :$TOPO_PORT" | grep -q . && vg_fail "vaultgw listens in the host namespace"
ip netns exec "$TOPO_PE" ss -Hltn "sport = :$TOPO_PORT" | grep -q "$TOPO_PE_IP:$TOPO_PORT" ||
	vg_fail "vaultgw does not listen on the private IP only"
openssl x509 -in "$GW_CA" -noout -checkip "$TOPO_PE_IP" | grep -q "does match" ||
	vg_fail "the generated certificate does not name the private IP"

vg_ctl vault create e2e >/dev/null
tok=$(gw_principal agent1 agent)
vg_ctl role grant agent1 e2e agent >/dev/null
vg_ctl item create e2e repo1 --kind restic --agent agent1 >/dev/null

vg_log "allowed client: restic init, backup, restore through $TOPO_PE_IP"
mkdir -p "$VG_WORK/src/sub"
head -c 3000000 /dev/urandom >"$VG_WORK/src/big.bin"
echo "from the allowed client" >"$VG_WORK/src/sub/note.txt"
echo pw >"$VG_WORK/pw"
export RESTIC_PASSWORD_FILE=$VG_WORK/pw RESTIC_CACHE_DIR=$VG_WORK/cache
repo="rest:https://agent1:$tok@$TOPO_PE_IP:$TOPO_PORT/restic/repo1/"
r() { ip netns exec "$TOPO_OK" restic -q --cacert "$GW_CA" -r "$repo" "$@"; }
r init
r backup "$VG_WORK/src" >/dev/null
r snapshots | grep -q "$VG_WORK/src" || vg_fail "no snapshot listed"
r restore latest --target "$VG_WORK/out"
diff -r "$VG_WORK/src" "$VG_WORK/out$VG_WORK/src" || vg_fail "restore differs"
vg_log "restored byte-exact"

vg_log "denied client: tcp/443 times out (no RST), ping gets no reply"
set +e
ip netns exec "$TOPO_NO" timeout 3 bash -c "exec 3<>/dev/tcp/$TOPO_PE_IP/$TOPO_PORT" 2>/dev/null
rc=$?
set -e
[ "$rc" = 124 ] || vg_fail "denied client: expected a timeout (124), got $rc"
if ip netns exec "$TOPO_NO" ping -c 1 -W 1 "$TOPO_PE_IP" >/dev/null 2>&1; then
	vg_fail "denied client: ping was answered"
fi
vg_log "denied client: restic fails without reaching the server"
if ip netns exec "$TOPO_NO" timeout 20 restic -q --cacert "$GW_CA" -r "$repo" \
	-o rest.connections=1 snapshots >/dev/null 2>&1; then
	vg_fail "denied client: restic reached the repository"
fi

vg_log "the firewall is intact and audited"
"$VAULTNET" verify --config "$VG_WORK/net.conf" >/dev/null
vg_ctl audit export | grep -q '"op":"firewall.apply"' || vg_fail "no firewall.apply audit entry"
vg_ctl audit verify >/dev/null
echo "e2e: ok"
