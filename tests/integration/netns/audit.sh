#!/usr/bin/env bash
# audit.sh - vaultnet's events in vaultd's audit log (VG_OP_EVENT_RECORD).
#
#   vaultd (UNIX socket, host side) ◄── vaultnet up / verify / watch
#                 ┌──────────── vgt-$$-br ──────────┐
#                 │ br0  vgpe0  ok0  no0            │
#                 └────┼───────┼────┼───────────────┘
#   ┌ vgt-$$-pe ───────┴┐ ┌ -ok ┴─────────┐ ┌ -no ┴──────────┐
#   │ 10.231.0.5, nft   │ │ 10.231.0.10   │ │ 10.232.0.20    │
#   └───────────────────┘ └───────────────┘ └────────────────┘
#
# Asserts: up records firewall.apply (target = netns, reason names the
# ruleset digest); verify on drift records firewall.drift (kind
# firewall-drift raises the alert, seen in vaultctl alerts); watch records
# firewall.drops for the denied source; the audit chain still verifies.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/netns/topology.sh"
VAULTNET=$VG_BUILD/netns/vaultnet
vg_init
vgtopo_init "vgt-$$"
vg_on_exit vgtopo_down

VG_SOCK=$VG_WORK/vaultd.sock
vg_start_vaultd "$VG_WORK/state" "$VG_SOCK"
vgtopo_up
CONF=$VG_WORK/vaultnet.conf
vgtopo_config "$CONF" "vaultd_socket = $VG_SOCK"

out=$("$VAULTNET" up --config "$CONF" 2>&1) || vg_fail "up with audit: $out"
vgtopo_attach_pe
digest=$(echo "$out" | sed -n 's/.*ruleset sha256 \([0-9a-f]\{64\}\).*/\1/p')
[ -n "$digest" ] || vg_fail "no digest in: $out"
vg_ctl audit export >"$VG_WORK/audit1.jsonl"
grep firewall.apply "$VG_WORK/audit1.jsonl" | grep "$TOPO_PE" | grep -q "ruleset sha256 $digest" ||
	vg_fail "no firewall.apply entry: $(tail -3 "$VG_WORK/audit1.jsonl")"

ip netns exec "$TOPO_PE" nft add rule inet vaultgate input tcp dport 22 accept
rc=0
"$VAULTNET" verify --config "$CONF" --vaultd-socket "$VG_SOCK" >/dev/null || rc=$?
[ "$rc" = 1 ] || vg_fail "verify on drift exited $rc"
vg_ctl audit export | grep firewall.drift | grep -q "$TOPO_PE" || vg_fail "no firewall.drift entry"

"$VAULTNET" up --config "$CONF" >/dev/null
"$VAULTNET" watch --config "$CONF" --interval 1 >"$VG_WORK/watch.log" 2>&1 &
wpid=$!
vg_track "$wpid"
for _ in $(seq 100); do grep -q "^watching" "$VG_WORK/watch.log" && break; sleep 0.1; done
ip netns exec "$TOPO_NO" timeout 2 bash -c "</dev/tcp/$TOPO_PE_IP/443" 2>/dev/null || true
for _ in $(seq 100); do
	vg_ctl audit export | grep firewall.drops | grep -q "$TOPO_NO_IP" && break
	sleep 0.1
done
vg_ctl audit export | grep firewall.drops | grep "$TOPO_NO_IP" | grep -Eq "[0-9]+ packets? to port 443" ||
	vg_fail "no firewall.drops entry for $TOPO_NO_IP: $(cat "$VG_WORK/watch.log")"
kill -TERM "$wpid"
wait "$wpid" || true
vg_ctl audit verify >/dev/null || vg_fail "the audit chain does not verify"
vg_ctl alerts >"$VG_WORK/alerts" 2>&1 || vg_fail "vaultctl alerts: $(cat "$VG_WORK/alerts")"
grep -q "firewall-drift" "$VG_WORK/alerts" || vg_fail "no firewall-drift alert: $(cat "$VG_WORK/alerts")"
vg_ctl audit export | grep -E "firewall\.(apply|drift|drops)" >&2
"$VAULTNET" down --config "$CONF" >/dev/null
vg_log "PASS"
