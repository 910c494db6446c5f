#!/usr/bin/env bash
# flood.sh - issue 19.1: spoofed SYNs must not lock allowed agents out.
#
#   vgt-$$-at (attacker, on the agents' segment) ──forged SYNs──► vgt-$$-pe :443
#   vgt-$$-ok (the real agent, 10.231.0.10)       ──connects────► vgt-$$-pe :443
#
# allow_v4 covers 10.224.0.0/12 (a million addresses), allow_v6 a /64: the
# attacker forges 70,000 SYNs from each, more than a per-source meter can
# hold (both at once), then keeps ~1,500/s going on each. Asserts: the meter is full (the attack worked), and
# still the real agent completes 5 of 5 connections; a source over its own
# per-source rate is still dropped (the limit holds for sources the meter
# tracks); the same with IPv6 and an allowlisted /64; verify stays clean.
# Bounded: at most 70,000 + 1,500/s packets, only inside this test's
# namespaces.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/netns/topology.sh"
. "$VG_SRC/tests/integration/netns/hostile.sh"
VAULTNET=$VG_BUILD/netns/vaultnet
vg_init
vgtopo_init "vgt-$$"
vg_on_exit vgtopo_down

CONF=$VG_WORK/vaultnet.conf
vn() { "$VAULTNET" "$@" --config "$CONF"; }
# meter NAME: "SIZE TRACKED" of a per-source meter, from vaultnet show
meter() {
	vn show | awk -v s="$1" '$1 == "set" && $2 == s { on = 1 } on && $1 == "size" { size = $2 }
		on && /source\(s\) tracked/ { print size, $2; exit }'
}
PE6=fd00:231::5
OK6=fd00:231::10
OK6b=fd00:231::11
OKb=10.231.0.11

vgtopo_up
vgtopo_attacker
ip -n "$TOPO_OK" -6 addr add "$OK6/64" dev eth0 nodad
ip -n "$TOPO_OK" -6 addr add "$OK6b/64" dev eth0 nodad
# a second address of the agent: one the meter has never seen
ip -n "$TOPO_OK" addr add "$OKb/24" dev eth0
vgtopo_config "$CONF" "conn_rate = 5/second" "conn_burst = 10" "address6 = $PE6/64" "allow_v6 = fd00:231::/64"
sed -i 's|^allow_v4 = .*|allow_v4 = 10.224.0.0/12|' "$CONF"
vn up >/dev/null
vgtopo_attach_pe
hostile_listen "$TOPO_PE" :: 443
PEMAC=$(vgtopo_mac "$TOPO_PE" vg0)

n=$(hostile_connects "$TOPO_OK" "$TOPO_PE_IP" 443 3)
[ "$n" = 3 ] || vg_fail "before the flood the agent completed $n of 3 connections"
n=$(hostile_connects "$TOPO_OK" "$PE6" 443 2 "$OK6")
[ "$n" = 2 ] || vg_fail "before the flood the agent completed $n of 2 IPv6 connections"

read -r size4 _ <<<"$(meter rate_v4)"
read -r size6 _ <<<"$(meter rate_v6)"
vg_log "70,000 forged SYNs from 10.224.0.0/12 and 70,000 from fd00:231::/64 (meters of $size4 and $size6), at once"
hostile_flood_bg eth0 "$PEMAC" "$TOPO_PE_IP" syn 443 70000 0 10.224.0.0/12 >"$VG_WORK/flood4.log"
f4=$HOSTILE_PID
hostile_flood_bg eth0 "$PEMAC" "$PE6" syn 443 70000 0 fd00:231::/64 >"$VG_WORK/flood6.log"
f6=$HOSTILE_PID
wait "$f4" "$f6"
vg_log "IPv4: $(cat "$VG_WORK/flood4.log"); IPv6: $(cat "$VG_WORK/flood6.log")"
read -r _ have <<<"$(meter rate_v4)"
[ "$have" -ge "$size4" ] || vg_fail "the flood did not fill the IPv4 meter ($have of $size4 entries): the test proves nothing"
read -r _ have <<<"$(meter rate_v6)"
[ "$have" -ge "$size6" ] || vg_fail "the flood did not fill the IPv6 meter ($have of $size6 entries): the test proves nothing"

vg_log "then 1,500/s on each while the agent connects from addresses the meters never saw"
hostile_flood_bg eth0 "$PEMAC" "$TOPO_PE_IP" syn 443 30000 1500 10.224.0.0/12 >/dev/null
f4=$HOSTILE_PID
hostile_flood_bg eth0 "$PEMAC" "$PE6" syn 443 30000 1500 fd00:231::/64 >/dev/null
f6=$HOSTILE_PID
n=$(hostile_connects "$TOPO_OK" "$TOPO_PE_IP" 443 5 "$OKb")
[ "$n" = 5 ] || vg_fail "during the flood the allowed agent ($OKb, not yet in the meter) completed $n of 5 connections (meter: $(meter rate_v4))"
n=$(hostile_connects "$TOPO_OK" "$PE6" 443 5 "$OK6b")
[ "$n" = 5 ] || vg_fail "during the IPv6 flood the allowed agent ($OK6b) completed $n of 5 connections"
vg_log "the agent completed 5 of 5 on each family during the flood"

vg_log "a source the meter tracks is still held to its own rate"
# 10.231.0.10 is in the meter; 200 SYNs from it at once exceed 5/s burst 10
drops() {
	ip netns exec "$TOPO_PE" nft -j list chain inet vaultgate input | python3 -c '
import json,sys
for x in json.load(sys.stdin)["nftables"]:
    r = x.get("rule")
    if r and r.get("comment","").startswith("everything else"):
        print([e for e in r["expr"] if "counter" in e][0]["counter"]["packets"])'
}
before=$(drops)
hostile_flood eth0 "$PEMAC" "$TOPO_PE_IP" syn 443 200 0 "$TOPO_OK_IP" >/dev/null
after=$(drops)
[ $((after - before)) -ge 150 ] || vg_fail "only $((after - before)) of 200 over-rate SYNs from one tracked source were dropped"
kill "$f4" "$f6" 2>/dev/null || true
wait "$f4" 2>/dev/null || true
wait "$f6" 2>/dev/null || true

out=$(vn verify) || vg_fail "verify after the floods: $out"
vn down >/dev/null
vg_log "PASS"
