#!/usr/bin/env bash
# egress.sh - vaultnet's egress rule kind (issue 14) in real namespaces.
#
#   vgt-$$-pe  10.231.0.5/24, fd00:231::5/64    the appliance: egress =
#              10.231.0.10 7000-7001, fd00:231::10 7000
#   vgt-$$-ok  10.231.0.10/24, fd00:231::10/64  listens on tcp 7000, 7001, 7002
#              (v4 and v6)
#   vgt-$$-no  10.232.0.20/24                   listens on tcp 7000 (routed)
#
# Asserts: malformed egress lines (bad CIDR, bad range, too many, IPv6
# without address6) are refused with file:line and nothing is applied; the
# namespace connects to each admitted destination and port (IPv4 range,
# IPv6); a port outside the range, a family's other port and another host
# are dropped (timeout, no reset: the listeners are there) and counted by
# the output chain's last rule; explain --to names the deciding rule; show
# and export --json list the egress rules; verify passes with an open
# egress connection (conntrack) and a re-apply keeps it; without the egress
# line the namespace opens nothing again.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/netns/topology.sh"
VAULTNET=$VG_BUILD/netns/vaultnet
vg_init

vgtopo_init "vgt-$$"
_pids=()
cleanup_egress() {
	local p
	for p in "${_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${_pids[@]}"; do wait "$p" 2>/dev/null || true; done
	vgtopo_down
}
vg_on_exit cleanup_egress
start() { "$@" & _pids+=("$!"); }

CONF=$VG_WORK/vaultnet.conf
vn() { "$VAULTNET" "$@" --config "$CONF"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# tcp_probe NS IP PORT: "open", "refused" or "timeout"
tcp_probe() {
	local rc=0
	in_ns "$1" timeout 3 bash -c "</dev/tcp/$2/$3" 2>/dev/null || rc=$?
	case $rc in
	0) echo open ;;
	124) echo timeout ;;
	*) echo refused ;;
	esac
}
expect_probe() {
	local want=$1 got
	shift
	got=$(tcp_probe "$@")
	[ "$got" = "$want" ] || vg_fail "tcp $2 port $3 from $1: expected $want, got $got"
}
assert_nothing_applied() {
	[ ! -e "/run/netns/$TOPO_PE" ] || vg_fail "namespace $TOPO_PE exists after a refused config"
}
# the output chain's rule with this comment prefix: its packet counter
out_packets() {
	vn export --json | jq -r --arg c "$1" \
		'[.chains[] | select(.name == "output") | .rules[] | select(.comment != null and (.comment | startswith($c))) | .packets] | add // -1'
}

# listen NS PORT...: accepts and holds connections on every port, v4 and v6
cat >"$VG_WORK/listen.py" <<'EOF'
import select, socket, sys
ls = []
for p in sys.argv[1:]:
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", int(p)))
    s.listen(64)
    ls.append(s)
held = []
while True:
    r, _, _ = select.select(ls, [], [])
    for s in r:
        c, _ = s.accept()
        held.append(c)
EOF
listen() {
	local ns=$1
	shift
	start ip netns exec "$ns" python3 "$VG_WORK/listen.py" "$@"
}

vgtopo_up
ip -n "$TOPO_OK" addr add fd00:231::10/64 dev eth0 nodad

EG="egress = 10.231.0.10 7000-7001, fd00:231::10 7000"

vg_log "malformed egress lines are refused with file:line, nothing applied"
bad() {
	local want=$1
	shift
	vgtopo_config "$CONF" "$@"
	vg_expect_fail "$want" vn up
	vg_expect_fail "$want" "$VAULTNET" --check --config "$CONF"
	assert_nothing_applied
}
bad "$CONF:11: egress: \"10.231.0.300/32\": not an IPv4 CIDR" "egress = 10.231.0.300/32 7000"
bad "$CONF:11: egress: \"10.231.0.10/24\": host bits set (did you mean 10.231.0.0/24?)" "egress = 10.231.0.10/24 7000"
bad "$CONF:12: egress: \"fd00:231::zz\": not an IPv6 CIDR" "address6 = fd00:231::5/64" "egress = fd00:231::zz 7000"
bad "\"7300-6800\" is not a port or range" "egress = 10.0.9.0/24 7300-6800"
bad "\"0\" is not a port or range" "egress = 10.0.9.0/24 0"
bad "\"1-65536\" is not a port or range" "egress = 10.0.9.0/24 1-65536"
bad "expected \"DEST[/LEN] PORT[-PORT]\"" "egress = 10.0.9.0/24"
bad "a destination of length 0 is every host" "egress = 0.0.0.0/0 443"
bad "$CONF:11: egress: \"fd00:9::/64\": IPv6 but no address6 is set" "egress = fd00:9::/64 443"
many="egress = 10.0.9.0/24 1"
for i in $(seq 2 17); do many="$many, 10.0.9.0/24 $i"; done
bad "$CONF:11: egress: more than 16 entries" "$many"
# sixteen is the limit, not an error
many="egress = 10.0.9.0/24 1"
for i in $(seq 2 16); do many="$many, 10.0.9.0/24 $i"; done
vgtopo_config "$CONF" "$many"
vn --check >/dev/null || vg_fail "sixteen egress entries refused"

vg_log "up with egress rules; listeners in the allowed client and the routed host"
vgtopo_config "$CONF" "address6 = fd00:231::5/64" "$EG"
vn up >"$VG_WORK/up.log" 2>&1 || { cat "$VG_WORK/up.log" >&2; vg_fail "vaultnet up"; }
vgtopo_attach_pe
listen "$TOPO_OK" 7000 7001 7002
listen "$TOPO_NO" 7000
vgtopo_wait_listen "$TOPO_OK" 7002
vgtopo_wait_listen "$TOPO_NO" 7000
# the listeners answer: the client itself reaches them (no firewall there)
expect_probe open "$TOPO_NO" "$TOPO_OK_IP" 7002
expect_probe open "$TOPO_OK" "$TOPO_NO_IP" 7000

vg_log "admitted destinations connect; the rest are dropped (no reset) and counted"
d0=$(out_packets "everything else the appliance sends")
[ "$d0" -ge 0 ] || vg_fail "no output drop rule in export"
expect_probe open "$TOPO_PE" "$TOPO_OK_IP" 7000
expect_probe open "$TOPO_PE" "$TOPO_OK_IP" 7001
expect_probe open "$TOPO_PE" fd00:231::10 7000
expect_probe timeout "$TOPO_PE" "$TOPO_OK_IP" 7002
expect_probe timeout "$TOPO_PE" fd00:231::10 7001
expect_probe timeout "$TOPO_PE" "$TOPO_NO_IP" 7000
d1=$(out_packets "everything else the appliance sends")
[ "$d1" -ge $((d0 + 3)) ] || vg_fail "output drops counted $d0 -> $d1, expected at least 3 more (one SYN per refused connect)"
e4=$(out_packets "egress: new connections to 10.231.0.10/32 tcp/7000-7001")
e6=$(out_packets "egress: new connections to fd00:231::10/128 tcp/7000")
[ "$e4" -eq 2 ] || vg_fail "the IPv4 egress rule counted $e4 new connections, expected 2"
[ "$e6" -eq 1 ] || vg_fail "the IPv6 egress rule counted $e6 new connections, expected 1"

vg_log "explain --to, show and export name the egress rules"
out=$(vn explain --to "$TOPO_OK_IP" 7001)
case $out in
*"to 10.231.0.10 tcp/7001: ACCEPT"*"(handle "*"egress: new connections to 10.231.0.10/32 tcp/7000-7001"*) ;;
*) vg_fail "explain --to 10.231.0.10 7001: $out" ;;
esac
out=$(vn explain --to "$TOPO_OK_IP" 7002)
case $out in
*"tcp/7002: DROP"*"chain output rule"*"everything else the appliance sends"*"none admits this destination"*) ;;
*) vg_fail "explain --to 10.231.0.10 7002: $out" ;;
esac
out=$(vn explain --to fd00:231::10 7000)
case $out in *"ACCEPT"*"fd00:231::10/128 tcp/7000"*) ;; *) vg_fail "explain --to v6: $out" ;; esac
vg_expect_fail "explain --to: expected DESTINATION PORT" vn explain --to "$TOPO_OK_IP"
vg_expect_fail "not a port" vn explain --to "$TOPO_OK_IP" 0
out=$(vn show)
case $out in
*"ip daddr 10.231.0.10/32 tcp dport 7000-7001 ct state new counter packets 2"*"ip6 daddr fd00:231::10/128 tcp dport 7000 ct state new"*) ;;
*) vg_fail "show lacks the egress rules: $out" ;;
esac
[ "$(vn export --json | jq -c '.egress')" = \
	'[{"destination":"10.231.0.10/32","protocol":"tcp","port_from":7000,"port_to":7001},{"destination":"fd00:231::10/128","protocol":"tcp","port_from":7000,"port_to":7000}]' ] ||
	vg_fail "export .egress: $(vn export --json | jq -c '.egress')"
[ "$(vn export --json | jq -r '.in_sync')" = true ] || vg_fail "export says not in sync"

vg_log "verify passes with an open egress connection; a re-apply keeps it"
start ip netns exec "$TOPO_PE" bash -c "exec 3<>/dev/tcp/$TOPO_OK_IP/7001; exec sleep 60"
for _ in $(seq 100); do
	in_ns "$TOPO_PE" conntrack -L -p tcp --dport 7001 --state ESTABLISHED 2>/dev/null | grep -q . && break
	sleep 0.1
done
in_ns "$TOPO_PE" conntrack -L -p tcp --dport 7001 --state ESTABLISHED 2>/dev/null | grep -q . ||
	vg_fail "no established egress connection to hold"
vn verify >"$VG_WORK/verify.log" 2>&1 || { cat "$VG_WORK/verify.log" >&2; vg_fail "verify with an egress flow open"; }
vn up >/dev/null 2>&1 || vg_fail "second up"
in_ns "$TOPO_PE" conntrack -L -p tcp --dport 7001 --state ESTABLISHED 2>/dev/null | grep -q . ||
	vg_fail "a re-apply pruned an admitted egress connection"
vn verify >/dev/null || vg_fail "verify after the re-apply"
# a hand-added egress rule is drift
in_ns "$TOPO_PE" nft add rule inet vaultgate output ip daddr 10.232.0.20 tcp dport 7000 accept
vg_expect_fail "DRIFT" vn verify

vg_log "without the egress line the namespace opens nothing (today's behaviour)"
vgtopo_config "$CONF" "address6 = fd00:231::5/64"
vn up >/dev/null 2>&1 || vg_fail "up without egress"
expect_probe timeout "$TOPO_PE" "$TOPO_OK_IP" 7000
out=$(vn explain --to "$TOPO_OK_IP" 7000)
case $out in *"DROP"*"0 egress rules in the configuration: the namespace opens no connection"*) ;;
*) vg_fail "explain --to without egress: $out" ;; esac
[ "$(vn export --json | jq -c '.egress')" = "[]" ] || vg_fail "export .egress without egress lines"
# the open egress flow is no longer admitted: up pruned it
! in_ns "$TOPO_PE" conntrack -L -p tcp --dport 7001 --state ESTABLISHED 2>/dev/null | grep -q . ||
	vg_fail "an egress flow survived the removal of its rule"
vn verify >/dev/null || vg_fail "verify without egress"
vn down >/dev/null 2>&1
vg_log "OK"
