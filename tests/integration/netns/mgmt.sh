#!/usr/bin/env bash
# mgmt.sh - issue 19.5: image/files/mgmt.nft cannot be used to lock the
# admin out of SSH. The ruleset is loaded into a test namespace (the
# management host's stand-in, on the test segment) with a listener on
# port 22 in place of sshd; no VM is booted.
#
#   vgt-$$-at (attacker)  ──SYN floods, ping flood──► vgt-$$-mg :22 (mgmt.nft)
#   vgt-$$-ok (the admin) ──ssh stand-in───────────► vgt-$$-mg :22
#
# Asserts: one host at 3,000 SYN/s does not take the admin's budget (5 of
# 5); 70,000 SYNs from forged sources fill the per-source meter and the
# admin still connects from an address it never used (5 of 5); a ping flood
# (5,000/s) does not starve IPv6 neighbour discovery (the admin, with cold
# neighbour caches, connects over IPv6); with the seed's ssh_allow (the
# file image/files/mgmt-allow writes for firstboot) only listed sources
# get an answer; mgmt-allow refuses a value that is not a CIDR.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/netns/topology.sh"
. "$VG_SRC/tests/integration/netns/hostile.sh"
vg_init
vgtopo_init "vgt-$$"
TOPO_MG=vgt-$$-mg
cleanup_mg() { [ ! -e "/run/netns/$TOPO_MG" ] || ip netns del "$TOPO_MG"; }
vg_on_exit cleanup_mg
vg_on_exit vgtopo_down

MG_IP=10.231.0.30
MG6=fd00:231::30
OK6=fd00:231::10
AT6=fd00:231::250
MGALLOW=$VG_SRC/image/files/mgmt-allow

vgtopo_up
vgtopo_attacker
_vgtopo_client "$TOPO_MG" mg0 "$MG_IP/24" "$TOPO_GW_A"
ip -n "$TOPO_MG" -6 addr add "$MG6/64" dev eth0 nodad
ip -n "$TOPO_OK" -6 addr add "$OK6/64" dev eth0 nodad
ip -n "$TOPO_AT" -6 addr add "$AT6/64" dev eth0 nodad
ip -n "$TOPO_OK" addr add 10.231.0.11/24 dev eth0
mkdir -p "$VG_WORK/mgmt.d"
sed "s|/etc/vaultgate/mgmt.d/|$VG_WORK/mgmt.d/|" "$VG_SRC/image/files/mgmt.nft" >"$VG_WORK/mgmt.nft"
grep -q "include \"$VG_WORK/mgmt.d/\*.nft\"" "$VG_WORK/mgmt.nft" || vg_fail "mgmt.nft no longer includes mgmt.d"
ip netns exec "$TOPO_MG" nft -f "$VG_WORK/mgmt.nft"
hostile_listen "$TOPO_MG" :: 22
MGMAC=$(vgtopo_mac "$TOPO_MG" eth0)

n=$(hostile_connects "$TOPO_OK" "$MG_IP" 22 2)
[ "$n" = 2 ] || vg_fail "before any flood the admin completed $n of 2"

vg_log "one host, 3,000 SYN/s from its own address"
hostile_flood_bg eth0 "$MGMAC" "$MG_IP" syn 22 24000 3000 "$TOPO_AT_IP" >/dev/null
fpid=$HOSTILE_PID
sleep 1
n=$(hostile_connects "$TOPO_OK" "$MG_IP" 22 5)
kill "$fpid" 2>/dev/null || true
wait "$fpid" 2>/dev/null || true
[ "$n" = 5 ] || vg_fail "during one host's SYN flood the admin completed $n of 5"
vg_log "the admin completed 5 of 5"

vg_log "70,000 SYNs from forged sources (10.224.0.0/12), then 1,500/s"
hostile_flood eth0 "$MGMAC" "$MG_IP" syn 22 70000 0 10.224.0.0/12 >/dev/null
full=$(ip netns exec "$TOPO_MG" nft -j list set inet vaultgate_mgmt ssh_rate_v4 |
	python3 -c 'import json,sys; print(sum(len(x["set"].get("elem", [])) for x in json.load(sys.stdin)["nftables"] if "set" in x))')
[ "$full" -ge 65535 ] || vg_fail "the forged flood did not fill the meter ($full): the test proves nothing"
hostile_flood_bg eth0 "$MGMAC" "$MG_IP" syn 22 30000 1500 10.224.0.0/12 >/dev/null
fpid=$HOSTILE_PID
n=$(hostile_connects "$TOPO_OK" "$MG_IP" 22 5 10.231.0.11)
kill "$fpid" 2>/dev/null || true
wait "$fpid" 2>/dev/null || true
[ "$n" = 5 ] || vg_fail "with the meter full the admin (from an address it had not used) completed $n of 5"
vg_log "the admin completed 5 of 5 with the meter full"

vg_log "a ping flood (5,000/s) and IPv6 neighbour discovery"
ip -n "$TOPO_OK" neigh flush dev eth0
ip -n "$TOPO_MG" neigh flush dev eth0
hostile_flood_bg eth0 "$MGMAC" "$MG6" ping 0 40000 5000 "$AT6" >/dev/null
fpid=$HOSTILE_PID
sleep 1
n=$(hostile_connects "$TOPO_OK" "$MG6" 22 5 "$OK6")
kill "$fpid" 2>/dev/null || true
wait "$fpid" 2>/dev/null || true
[ "$n" = 5 ] || vg_fail "during the ping flood the admin completed $n of 5 over IPv6 (neighbour discovery starved?)"
vg_log "the admin completed 5 of 5 over IPv6 during the ping flood"

vg_log "ssh_allow from the seed: only listed sources"
vg_expect_fail 'mgmt-allow: "10.0.0.0/33" is not an IPv4 or IPv6 address or address/prefix' "$MGALLOW" 10.0.0.0/33
vg_expect_fail 'mgmt-allow: "; flush ruleset" is not an IPv4 or IPv6 address or address/prefix' "$MGALLOW" "; flush ruleset"
"$MGALLOW" "$TOPO_OK_IP/32" "$OK6" >"$VG_WORK/mgmt.d/ssh-allow.nft"
ip netns exec "$TOPO_MG" nft -f "$VG_WORK/mgmt.nft"
n=$(hostile_connects "$TOPO_OK" "$MG_IP" 22 2)
[ "$n" = 2 ] || vg_fail "a listed admin completed $n of 2"
n=$(hostile_connects "$TOPO_OK" "$MG6" 22 1 "$OK6")
[ "$n" = 1 ] || vg_fail "a listed IPv6 admin did not connect"
n=$(hostile_connects "$TOPO_AT" "$MG_IP" 22 2)
[ "$n" = 0 ] || vg_fail "an unlisted host connected ($n of 2)"
n=$(hostile_connects "$TOPO_OK" "$MG_IP" 22 1 10.231.0.11)
[ "$n" = 0 ] || vg_fail "an unlisted address of the admin's host connected"
vg_log "PASS"
