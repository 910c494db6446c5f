#!/usr/bin/env bash
# pin.sh - issue 19.4: on-link agents pinned to their MAC address.
#
#   vgt-$$-at (hostile neighbour, same segment) ──SYNs forged from 10.231.0.10──► vgt-$$-pe
#   vgt-$$-ok (the real 10.231.0.10)           ──connects────────────────────► vgt-$$-pe
#
# Control, without pins: 2,000 SYN/s forged from the agent's address use up
# its per-source budget (5/s, burst 10) and the agent is starved. With
# `pin = 10.231.0.10 MAC` and `pin_onlink = yes`: the forged SYNs are
# dropped (and logged) before the meter, the agent completes 5 of 5 during
# the same flood; the neighbour taking an unused allowed address
# (10.231.0.70) gets no answer; the appliance's neighbour entry for the
# agent is permanent; show, explain and export --json show the pin; verify
# is clean; a pin off the segment or outside the allowlist is refused.
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

vgtopo_up
vgtopo_attacker
OKMAC=$(vgtopo_mac "$TOPO_OK" eth0)
vgtopo_config "$CONF" "conn_rate = 5/second" "conn_burst = 10"
vn up >/dev/null
vgtopo_attach_pe
hostile_listen "$TOPO_PE" 0.0.0.0 443
PEMAC=$(vgtopo_mac "$TOPO_PE" vg0)

starve() {	# starve SECONDS: SYNs forged from the agent's address, 2,000/s
	hostile_flood_bg eth0 "$PEMAC" "$TOPO_PE_IP" syn 443 $(($1 * 2000)) 2000 "$TOPO_OK_IP" >/dev/null
	fpid=$HOSTILE_PID
	sleep 0.5
}

vg_log "control, no pins: forged SYNs from $TOPO_OK_IP starve the real agent"
starve 8
n=$(hostile_connects "$TOPO_OK" "$TOPO_PE_IP" 443 3)
kill "$fpid" 2>/dev/null || true
wait "$fpid" 2>/dev/null || true
vg_log "without pins the agent completed $n of 3"
[ "$n" -lt 3 ] || vg_fail "the control flood did not starve the agent: the test proves nothing"
ip netns exec "$TOPO_AT" ip addr add 10.231.0.70/24 dev eth0
n=$(hostile_connects "$TOPO_AT" "$TOPO_PE_IP" 443 1 10.231.0.70)
[ "$n" = 1 ] || vg_fail "control: the neighbour on an unused allowed address did not connect"

vg_log "pins are refused off the segment and outside the allowlist"
for bad in "pin = 10.232.0.20 $OKMAC|not on-link (outside the address prefix 10.231.0.5/24)" \
	"pin = 10.231.0.200 $OKMAC|not in allow_v4 (pin only allowed agents and the gateway)" \
	"pin = 10.231.0.10 01:00:5e:00:00:01|is not a unicast MAC address" \
	"pin = 10.231.0.10 zz:00:5e:00:00:01|is not a MAC address"; do
	cp "$CONF" "$VG_WORK/bad.conf"
	echo "${bad%%|*}" >>"$VG_WORK/bad.conf"
	vg_expect_fail "${bad#*|}" "$VAULTNET" --check --config "$VG_WORK/bad.conf"
done

vg_log "with pin = $TOPO_OK_IP $OKMAC and pin_onlink = yes"
echo "pin = $TOPO_OK_IP $OKMAC" >>"$CONF"
echo "pin_onlink = yes" >>"$CONF"
# up re-applies the table: the meters start empty again
vn up >/dev/null
starve 10
n=$(hostile_connects "$TOPO_OK" "$TOPO_PE_IP" 443 5)
[ "$n" = 5 ] || vg_fail "with the pin the agent completed $n of 5 during the forged flood"
n=$(hostile_connects "$TOPO_AT" "$TOPO_PE_IP" 443 2 10.231.0.70)
[ "$n" = 0 ] || vg_fail "the neighbour on an unused allowed address still connected ($n of 2)"
kill "$fpid" 2>/dev/null || true
wait "$fpid" 2>/dev/null || true
vg_log "the agent completed 5 of 5; the neighbour on 10.231.0.70 0 of 2"

ip -n "$TOPO_PE" neigh show "$TOPO_OK_IP" | grep -q "lladdr $OKMAC PERMANENT" ||
	vg_fail "the agent's neighbour entry is not pinned: $(ip -n "$TOPO_PE" neigh)"
dropped=$(vn export --json | jq '[.chains[] | select(.name == "input") | .rules[] | select(.comment | startswith("on-link IPv4 sources are pinned")) | .packets] | add')
[ "$dropped" -ge 5000 ] || vg_fail "the pin rule dropped only $dropped forged packets"
vn export --json | jq -e --arg e "$OKMAC . $TOPO_OK_IP" '.sets[] | select(.name == "pin_v4") | .type == "ether_addr . ipv4_addr" and .elements == [$e]' >/dev/null ||
	vg_fail "export does not show the pin: $(vn export --json | jq '.sets')"
vn show | grep -q "elements = { $OKMAC . $TOPO_OK_IP }" || vg_fail "show does not show the pin"
vn explain "$TOPO_OK_IP" | grep -q "pinned: $TOPO_OK_IP counts only from MAC $OKMAC (set pin_v4); from any other MAC: DROP by chain input rule 1" ||
	vg_fail "explain of the pinned agent: $(vn explain "$TOPO_OK_IP")"
vn explain 10.231.0.70 | grep -q 'DROP.*' || vg_fail "explain of an unpinned on-link source"
vn explain 10.231.0.70 | grep -q 'decided by chain input rule 1 .*"on-link IPv4 sources are pinned' ||
	vg_fail "explain of an unpinned on-link source: $(vn explain 10.231.0.70)"
out=$(vn verify) || vg_fail "verify with pins: $out"
ip -n "$TOPO_PE" neigh replace "$TOPO_OK_IP" lladdr 02:00:00:00:00:66 dev vg0 nud permanent
rc=0
vn verify >"$VG_WORK/v.log" || rc=$?
[ "$rc" = 1 ] && grep -q "^+ neighbour $TOPO_OK_IP lladdr 02:00:00:00:00:66 permanent" "$VG_WORK/v.log" ||
	vg_fail "a re-pointed neighbour entry was not caught: $(cat "$VG_WORK/v.log")"
vn down >/dev/null
vg_log "PASS"
