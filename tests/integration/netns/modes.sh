#!/usr/bin/env bash
# modes.sh - vaultnet's other link modes and IPv6, from inside a scratch
# "host" namespace so no interface of the real host is touched.
#
#  ┌──────────── vgt-$$-host (vaultnet runs here, via nsenter --net) ───────┐
#  │  nic0 (veth end: stands in for the data NIC)  eth9 (veth end: a parent)│
#  └───────┼──────────────────────────────────────────┼──────────────────────┘
#          │ link = physical: moved in                │ link = macvlan: mv0 on eth9
#  ┌───────┴── vgt-$$-pe ──────────┐       ┌──────────┴── vgt-$$-mv ─────────┐
#  │ nic0 10.241.0.5/24            │       │ mv0 10.242.0.5/24               │
#  │ fd00:241::5/64, allow_v6      │       │                                 │
#  │ openssl s_server [..5]:8443   │       └─────────────────────────────────┘
#  └───────────────────────────────┘
#  nic0's peer nic0p stays in the host namespace with fd00:241::10 (in
#  allow_v6) and fd00:241::99 (not): IPv6 clients on the same link.
#
# Asserts: physical mode moves the NIC in and `down` gives it back; macvlan
# mode creates the link on its parent and `down` removes it; an IPv6
# address, gateway6 and allow_v6 produce a table that verifies clean (v6
# sets, ND rules) and really admits the allowed IPv6 source while the
# other gets silence (neighbour discovery works both ways through the
# ND rules); a kernel refusal is mapped back to its rule and leaves the
# table in force; both namespaces are gone after down.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
VAULTNET=$VG_BUILD/netns/vaultnet
vg_init

HOST=vgt-$$-host
PE=vgt-$$-pe
MV=vgt-$$-mv
_pids=()
cleanup_modes() {
	local ns p
	for p in "${_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	for ns in "$PE" "$MV" "$HOST"; do
		[ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null
	done
	return 0
}
vg_on_exit cleanup_modes
command -v nsenter >/dev/null || vg_fail "nsenter (util-linux) is needed"
hvn() { nsenter --net="/run/netns/$HOST" "$VAULTNET" "$@"; }

ip netns add "$HOST"
# veth ends stand in for NICs (the dummy driver may not be built)
ip -n "$HOST" link add nic0 type veth peer name nic0p
ip -n "$HOST" link add eth9 type veth peer name eth9p
ip -n "$HOST" link set eth9 up

vg_log "physical: the NIC is moved into the namespace, with IPv4 and IPv6"
P=$VG_WORK/physical.conf
cat >"$P" <<EOT
netns = $PE
link = physical
ifname = nic0
address = 10.241.0.5/24
address6 = fd00:241::5/64
gateway = 10.241.0.1
gateway6 = fd00:241::1
routes = 10.250.0.0/16 via 10.241.0.2, fd00:250::/48 via fd00:241::2
allow_v4 = 10.241.0.0/24
allow_v6 = fd00:241::/121, fd00:9::9
port = 8443
EOT
chmod 600 "$P"
hvn up --config "$P" >/dev/null
ip -n "$HOST" link show nic0 >/dev/null 2>&1 && vg_fail "nic0 is still in the host namespace"
ip -n "$PE" -6 addr show dev nic0 | grep -q "fd00:241::5/64" || vg_fail "IPv6 address missing"
ip -n "$PE" -6 route show default | grep -q "via fd00:241::1" || vg_fail "IPv6 default route missing"
ip -n "$PE" route show 10.250.0.0/16 | grep -q "via 10.241.0.2" || vg_fail "IPv4 route missing"
ip -n "$PE" -6 route show fd00:250::/48 | grep -q "via fd00:241::2" || vg_fail "IPv6 route missing"
hvn verify --config "$P" | grep -q "matches the configuration" || vg_fail "verify (IPv6 ruleset)"
ip netns exec "$PE" nft list table inet vaultgate >"$VG_WORK/v6.nft"
tr -s '\n\t' '  ' <"$VG_WORK/v6.nft" | grep -q 'elements = { fd00:9::9, fd00:241::/121 }' || vg_fail "allow_v6 elements: $(grep -A3 allow_v6 "$VG_WORK/v6.nft")"
grep -q 'tcp dport 8443 ip6 saddr @allow_v6 ct state new add @rate_v6' "$VG_WORK/v6.nft" || vg_fail "v6 gateway rule"
[ "$(grep -c 'icmpv6 type nd-neighbor-' "$VG_WORK/v6.nft")" = 4 ] || vg_fail "expected 4 ND rules (in and out)"
hvn explain --config "$P" fd00:9::9 8443 | grep -q "ACCEPT" || vg_fail "explain v6 allowed"

vg_log "IPv6 traffic: the allowed source completes TLS, the other one gets no answer"
ip -n "$HOST" link set nic0p up
ip -n "$HOST" addr add fd00:241::10/64 dev nic0p nodad
ip -n "$HOST" addr add fd00:241::99/64 dev nic0p nodad
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=vaultgate-test \
	-keyout "$VG_WORK/key.pem" -out "$VG_WORK/cert.pem" 2>/dev/null
hvn exec --config "$P" -- openssl s_server -quiet -www -accept "[fd00:241::5]:8443" \
	-cert "$VG_WORK/cert.pem" -key "$VG_WORK/key.pem" >"$VG_WORK/s_server6.log" 2>&1 &
_pids+=("$!")
for _ in $(seq 200); do ip netns exec "$PE" ss -Hltn 'sport = :8443' | grep -q . && break; sleep 0.05; done
code=$(ip netns exec "$HOST" curl -sk -g --max-time 10 --interface fd00:241::10 -o /dev/null -w '%{http_code}' \
	"https://[fd00:241::5]:8443/") || vg_fail "curl over IPv6 from the allowed source failed"
[ "$code" = 200 ] || vg_fail "curl over IPv6 got HTTP $code"
rc=0
ip netns exec "$HOST" curl -sk -g --max-time 3 --interface fd00:241::99 -o /dev/null "https://[fd00:241::5]:8443/" || rc=$?
[ "$rc" = 28 ] || vg_fail "the denied IPv6 source got exit $rc from curl, expected 28 (timeout)"
kill "${_pids[0]}"
wait "${_pids[0]}" || true
_pids=()
hvn explain --config "$P" fd00:9::8 8443 | grep -q "DROP" || vg_fail "explain v6 denied"
hvn down --config "$P" >/dev/null
[ ! -e "/run/netns/$PE" ] || vg_fail "namespace $PE left behind"
ip -n "$HOST" link show nic0 >/dev/null 2>&1 || vg_fail "nic0 did not come back to the host namespace"

vg_log "macvlan: created on its parent, removed by down"
M=$VG_WORK/macvlan.conf
cat >"$M" <<EOT
netns = $MV
link = macvlan
ifname = mv0
parent = eth9
address = 10.242.0.5/24
allow_v4 = 10.242.0.0/24
EOT
chmod 600 "$M"
hvn up --config "$M" >/dev/null
ip -n "$MV" -d link show mv0 | grep -q "macvlan mode bridge" || vg_fail "mv0 is not a bridge-mode macvlan"
hvn verify --config "$M" >/dev/null || vg_fail "verify (macvlan)"

vg_log "a refused apply names its rule and leaves the table in force (one atomic batch)"
cp "$M" "$M.bad"
printf 'conn_rate = 1/day\nconn_burst = 1000000\n' >>"$M.bad"
vg_expect_fail 'up: the kernel refused rule 4 of chain input ("gateway: new connections to tcp/443 from allow_v4, at most 1/day per source"): Value too large for defined data type' \
	hvn up --config "$M.bad"
hvn verify --config "$M" >/dev/null || vg_fail "the refused batch changed the table"
hvn up --config "$M" >/dev/null    # idempotent with the link already there
hvn down --config "$M" >/dev/null
[ ! -e "/run/netns/$MV" ] || vg_fail "namespace $MV left behind"
[ "$(ip -n "$HOST" -o link show | wc -l)" = 5 ] || vg_fail "the host namespace gained or lost links: $(ip -n "$HOST" -o link show)"

vg_log "a missing parent is reported, and the namespace up created is removed again"
sed -i 's/^parent = eth9/parent = eth7/' "$M"
vg_expect_fail "up: creating macvlan mv0 on eth7: No such device" hvn up --config "$M"
[ ! -e "/run/netns/$MV" ] || vg_fail "a failed up left namespace $MV behind"
vg_log "PASS"
