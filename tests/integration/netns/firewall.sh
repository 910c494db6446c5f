#!/usr/bin/env bash
# firewall.sh - vaultnet end to end in real namespaces, real nftables, real TLS.
#
#                 ┌──────────────── vgt-$$-br (bridge + router) ─────────────────┐
#                 │  br0: 10.231.0.1/24 + 10.232.0.1/24                          │
#                 │     vgpe0             ok0                 no0                │
#                 └───────┼────────────────┼───────────────────┼─────────────────┘
#  ┌─ vgt-$$-pe ──────────┴─┐ ┌─ vgt-$$-ok ┴──────────┐ ┌─ vgt-$$-no ────────────┐
#  │ vg0 10.231.0.5/24      │ │ eth0 10.231.0.10/24   │ │ eth0 10.232.0.20/24    │
#  │ table inet vaultgate   │ │ allowed client        │ │ denied client          │
#  │ openssl s_server :443  │ │ listener :9000        │ │                        │
#  │ openssl s_server :8080 │ │                       │ │                        │
#  └────────────────────────┘ └───────────────────────┘ └────────────────────────┘
#
# Asserts: malformed configs are refused with file:line before anything
# exists; the allowed client completes a TLS handshake; the denied client
# gets no answer at all (TCP times out, no RST; nmap finds nothing open;
# no ping reply); a wrong port is silently dropped even from an allowed
# source; the appliance cannot open connections; verify passes, catches a
# hand-added rule with a diff and passes after up; explain names the rule;
# counters rise; up twice changes nothing; watch summarises drops; down
# leaves nothing behind.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/netns/topology.sh"
VAULTNET=$VG_BUILD/netns/vaultnet
vg_init

vgtopo_init "vgt-$$"
_pids=()
cleanup_netns() {
	local p
	for p in "${_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${_pids[@]}"; do wait "$p" 2>/dev/null || true; done
	vgtopo_down
}
vg_on_exit cleanup_netns
start() { "$@" & _pids+=("$!"); }

CONF=$VG_WORK/vaultnet.conf
vn() { "$VAULTNET" "$@" --config "$CONF"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# tcp_probe NS IP PORT: prints "open", "refused" or "timeout"
tcp_probe() {
	local rc=0
	in_ns "$1" timeout 3 bash -c "</dev/tcp/$2/$3" 2>/dev/null || rc=$?
	case $rc in
	0) echo open ;;
	124) echo timeout ;;
	*) echo refused ;;
	esac
}
assert_nothing_applied() {
	[ ! -e "/run/netns/$TOPO_PE" ] || vg_fail "namespace $TOPO_PE exists after a refused config"
	if ip -n "$TOPO_BR" link show vgpe0 >/dev/null 2>&1; then
		vg_fail "veth vgpe0 exists after a refused config"
	fi
}

vgtopo_up

vg_log "malformed configs are refused with file:line, nothing applied"
# bad WANT SED-EXPRESSION [EXTRA LINE...]
bad() {
	local want=$1 expr=$2
	shift 2
	vgtopo_config "$CONF" "$@"
	sed -i "$expr" "$CONF"
	vg_expect_fail "$want" vn up
	vg_expect_fail "$want" "$VAULTNET" --check --config "$CONF"
	assert_nothing_applied
}
bad "$CONF:10: allow_v4: \"10.231.0.300/32\": not an IPv4 CIDR" 's|^allow_v4 = .*|allow_v4 = 10.231.0.300/32|'
bad "$CONF:10: allow_v4: \"10.231.0.64/24\": host bits set (did you mean 10.231.0.0/24?)" \
	's|^allow_v4 = .*|allow_v4 = 10.231.0.64/24|'
bad "$CONF:8: gateway: \"10.232.0.1\": outside the address prefix 10.231.0.5/24" 's|^gateway = .*|gateway = 10.232.0.1|'
bad "$CONF:11: unknown key \"allow\"" 's|x|x|' "allow = 10.0.0.0/8"
bad "$CONF:10: allow_v4: empty allowlist" 's|^allow_v4 = .*|allow_v4 =|'
bad "$CONF: no allowlist: set allow_v4 and/or allow_v6" '/^allow_v4/d'
bad "$CONF:11: duplicate key \"port\" (first set on line 9)" 's|x|x|' "port = 8443"
chmod 0666 "$CONF"
vg_expect_fail "refusing a group- or world-writable file (mode 0666)" vn up
assert_nothing_applied

vg_log "up: namespace, veth, addresses, routes, table in one batch"
vgtopo_config "$CONF" "nflog_group = 7"
vn --check | grep -q "^configuration OK"
vn up >"$VG_WORK/up.log"
grep -q "namespace $TOPO_PE up: veth vg0, table inet vaultgate with 11 rules" "$VG_WORK/up.log" ||
	vg_fail "unexpected up output: $(cat "$VG_WORK/up.log")"
vgtopo_attach_pe
in_ns "$TOPO_PE" ip -4 addr show dev vg0 | grep -q "inet $TOPO_PE_IP/24" || vg_fail "address not set"
in_ns "$TOPO_PE" ip route show default | grep -q "via $TOPO_GW_A dev vg0" || vg_fail "default route not set"
in_ns "$TOPO_PE" ip link show lo | grep -q "UP" || vg_fail "lo is not up"
in_ns "$TOPO_PE" nft list table inet vaultgate >"$VG_WORK/ruleset.nft"
grep -q 'policy drop;' "$VG_WORK/ruleset.nft"
[ "$(grep -c 'policy drop;' "$VG_WORK/ruleset.nft")" = 3 ] || vg_fail "not every chain has policy drop"
# every rule carries a counter and a comment
rules=$(grep -cE '^\s+(ct|iif|oif|tcp|icmp|log|counter)' "$VG_WORK/ruleset.nft")
[ "$rules" = 11 ] || vg_fail "expected 11 rules, found $rules"
[ "$(grep -E '^\s+(ct|iif|oif|tcp|icmp|log|counter)' "$VG_WORK/ruleset.nft" | grep -c 'counter packets .* comment "')" = 11 ] ||
	vg_fail "a rule lacks a counter or a comment"
sed 's/comment ".*"//' "$VG_WORK/ruleset.nft" | grep -qw reject && vg_fail "the ruleset rejects: it must only drop"
vn verify | grep -q "matches the configuration" || vg_fail "verify after up"

vg_log "the gateway stand-in: openssl s_server on $TOPO_PE_IP:443 (and :8080, a port not allowed)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=vaultgate-test \
	-keyout "$VG_WORK/key.pem" -out "$VG_WORK/cert.pem" 2>/dev/null
# vaultnet exec enters the namespace with vn_netns_enter() and execs: the PID is the server's
start "$VAULTNET" exec --config "$CONF" -- openssl s_server -quiet -www -accept "$TOPO_PE_IP:443" \
	-cert "$VG_WORK/cert.pem" -key "$VG_WORK/key.pem" >"$VG_WORK/s_server.log" 2>&1
start "$VAULTNET" exec --config "$CONF" -- openssl s_server -quiet -www -accept "$TOPO_PE_IP:8080" \
	-cert "$VG_WORK/cert.pem" -key "$VG_WORK/key.pem" >"$VG_WORK/s_server8080.log" 2>&1
# and a listener in the allowed client's namespace, for the outbound test
start ip netns exec "$TOPO_OK" openssl s_server -quiet -www -accept "$TOPO_OK_IP:9000" \
	-cert "$VG_WORK/cert.pem" -key "$VG_WORK/key.pem" >"$VG_WORK/s_server_ok.log" 2>&1
vgtopo_wait_listen "$TOPO_PE" 443
vgtopo_wait_listen "$TOPO_PE" 8080
vgtopo_wait_listen "$TOPO_OK" 9000

vg_log "control: the denied client's network works (it reaches the allowed client's listener)"
[ "$(tcp_probe "$TOPO_NO" "$TOPO_OK_IP" 9000)" = open ] || vg_fail "the denied client cannot reach $TOPO_OK_IP:9000: the topology is broken"

vg_log "allowed client: TLS handshake with the gateway"
in_ns "$TOPO_OK" curl -sk --max-time 10 -o "$VG_WORK/curl.out" -w '%{http_code}\n' "https://$TOPO_PE_IP/" >"$VG_WORK/curl.code" ||
	vg_fail "curl from the allowed client failed"
[ "$(cat "$VG_WORK/curl.code")" = 200 ] || vg_fail "curl got HTTP $(cat "$VG_WORK/curl.code")"
in_ns "$TOPO_OK" timeout 10 openssl s_client -connect "$TOPO_PE_IP:443" -brief </dev/null >"$VG_WORK/s_client.log" 2>&1 ||
	vg_fail "s_client from the allowed client failed: $(cat "$VG_WORK/s_client.log")"
grep -q "Protocol version: TLSv1.3" "$VG_WORK/s_client.log" || vg_fail "no TLS 1.3 handshake: $(cat "$VG_WORK/s_client.log")"
in_ns "$TOPO_OK" ping -c 1 -W 2 "$TOPO_PE_IP" >/dev/null || vg_fail "the allowed client gets no ping reply"

vg_log "allowed client, port 8080 (a listener, but not allowed): no answer"
[ "$(tcp_probe "$TOPO_OK" "$TOPO_PE_IP" 8080)" = timeout ] || vg_fail "tcp/8080 answered the allowed client"

vg_log "denied client: tcp/443 times out (dropped, no RST)"
r=$(tcp_probe "$TOPO_NO" "$TOPO_PE_IP" 443)
[ "$r" = timeout ] || vg_fail "denied client: tcp/443 gave '$r', expected a timeout"
r=$(tcp_probe "$TOPO_NO" "$TOPO_PE_IP" 22)
[ "$r" = timeout ] || vg_fail "denied client: tcp/22 gave '$r', expected a timeout"

vg_log "denied client: no ping reply"
if in_ns "$TOPO_NO" ping -c 2 -W 1 "$TOPO_PE_IP" >/dev/null 2>&1; then
	vg_fail "the denied client got a ping reply"
fi

vg_log "denied client: nmap -Pn -p- finds nothing open"
# All 65535 ports. Every probe is dropped, so nmap's congestion control
# would crawl (over 10 minutes); --min-rate 4000 keeps the full scan at
# about 35 s. The traffic stays on the test's own veths.
in_ns "$TOPO_NO" nmap -Pn -n -p- --min-rate 4000 --max-retries 1 -oG "$VG_WORK/nmap.gnmap" "$TOPO_PE_IP" >"$VG_WORK/nmap.log" 2>&1
grep -q "Ports:" "$VG_WORK/nmap.gnmap" && grep "Ports:" "$VG_WORK/nmap.gnmap" | grep -Eq '/(open|closed)/' &&
	vg_fail "nmap found open or closed (answering) ports: $(grep Ports: "$VG_WORK/nmap.gnmap")"
grep -Eq "65535 (filtered|ignored)|Ignored State: filtered \(65535\)|are in ignored states|are filtered" \
	"$VG_WORK/nmap.log" "$VG_WORK/nmap.gnmap" || vg_fail "nmap did not report all ports filtered: $(cat "$VG_WORK/nmap.log")"

vg_log "the appliance opens no connection (output dropped)"
r=$(tcp_probe "$TOPO_PE" "$TOPO_OK_IP" 9000)
[ "$r" != open ] || vg_fail "the appliance connected out to $TOPO_OK_IP:9000"
if in_ns "$TOPO_PE" ping -c 1 -W 1 "$TOPO_OK_IP" >/dev/null 2>&1; then
	vg_fail "the appliance could ping out"
fi

vg_log "counters rose on the rules that matched"
vn export --json >"$VG_WORK/export.json"
cnt() { jq -r --arg c "$1" --arg m "$2" \
	'[.chains[] | select(.name == $c) | .rules[] | select(.comment | startswith($m)) | .packets] | add // 0' \
	"$VG_WORK/export.json"; }
[ "$(cnt input "gateway: new connections")" -ge 2 ] || vg_fail "gateway rule counter did not rise"
[ "$(cnt input "ping from allow_v4")" -ge 1 ] || vg_fail "ping rule counter did not rise"
[ "$(cnt input "everything else: log")" -ge 3 ] || vg_fail "log-drop counter did not rise"
[ "$(cnt input "replies and data")" -ge 1 ] || vg_fail "established counter did not rise"
[ "$(cnt output "everything else the appliance sends")" -ge 1 ] || vg_fail "output drop counter did not rise"
jq -e '.in_sync == true and (.config_sha256 | length == 64) and (.ruleset_sha256 | length == 64)
	and (.sets[] | select(.name == "allow_v4") | .elements == ["10.231.0.10", "10.231.0.64/26"])' \
	"$VG_WORK/export.json" >/dev/null || vg_fail "export: unexpected document"

vg_log "explain"
vn explain "$TOPO_OK_IP" >"$VG_WORK/ex1"
grep -q "new connection from $TOPO_OK_IP to tcp/443: ACCEPT" "$VG_WORK/ex1" || vg_fail "explain allowed: $(cat "$VG_WORK/ex1")"
grep -q 'decided by chain input rule 4 (handle [0-9]*, [0-9]* packets so far): "gateway: new connections' "$VG_WORK/ex1" ||
	vg_fail "explain allowed, rule: $(cat "$VG_WORK/ex1")"
vn explain "$TOPO_NO_IP" >"$VG_WORK/ex2"
grep -q "new connection from $TOPO_NO_IP to tcp/443: DROP" "$VG_WORK/ex2" || vg_fail "explain denied: $(cat "$VG_WORK/ex2")"
grep -q 'decided by chain input rule 7 .*"everything else: log to NFLOG group 7, then drop (never reject)"' "$VG_WORK/ex2" ||
	vg_fail "explain denied, rule: $(cat "$VG_WORK/ex2")"
vn explain "$TOPO_OK_IP" 8080 >"$VG_WORK/ex3"
grep -q "new connection from $TOPO_OK_IP to tcp/8080: DROP" "$VG_WORK/ex3" || vg_fail "explain wrong port: $(cat "$VG_WORK/ex3")"
vn explain 10.231.0.70 ping | grep -q "echo request (ping) from 10.231.0.70: ACCEPT" || vg_fail "explain ping"

vg_log "watch: one drop summary per source per interval"
start "$VAULTNET" watch --config "$CONF" --interval 2 >"$VG_WORK/watch.log" 2>&1
watch_pid=${_pids[-1]}
for _ in $(seq 100); do grep -q "^watching NFLOG group 7" "$VG_WORK/watch.log" && break; sleep 0.1; done
grep -q "^watching NFLOG group 7" "$VG_WORK/watch.log" || vg_fail "watch did not start: $(cat "$VG_WORK/watch.log")"
tcp_probe "$TOPO_NO" "$TOPO_PE_IP" 443 >/dev/null &
p1=$!
tcp_probe "$TOPO_NO" "$TOPO_PE_IP" 8443 >/dev/null &
p2=$!
wait "$p1" "$p2" || true
# the probes may straddle a summary boundary: look at every line for the source
for _ in $(seq 100); do
	grep "^firewall.drops $TOPO_NO_IP: " "$VG_WORK/watch.log" | grep -Eq ' 443(,|$)' &&
		grep "^firewall.drops $TOPO_NO_IP: " "$VG_WORK/watch.log" | grep -Eq ' 8443(,|$)' && break
	sleep 0.1
done
lines=$(grep "^firewall.drops $TOPO_NO_IP: " "$VG_WORK/watch.log" || true)
[ -n "$lines" ] || vg_fail "no drop summary for $TOPO_NO_IP: $(cat "$VG_WORK/watch.log")"
echo "$lines" | grep -Evq "^firewall.drops $TOPO_NO_IP: [0-9]+ packets? to ports? [0-9, ]+$" &&
	vg_fail "malformed drop summary: $lines"
echo "$lines" | grep -Eq ' 443(,|$)' && echo "$lines" | grep -Eq ' 8443(,|$)' || vg_fail "ports missing from: $lines"
grep "^firewall.drops " "$VG_WORK/watch.log" | grep -v "$TOPO_NO_IP" | grep -q . &&
	vg_fail "drops from another source: $(cat "$VG_WORK/watch.log")"
kill -TERM "$watch_pid"
wait "$watch_pid" || vg_fail "watch did not exit cleanly on SIGTERM"

vg_log "drift: a rule added by hand is caught with a diff"
in_ns "$TOPO_PE" nft add rule inet vaultgate input tcp dport 22 accept
rc=0
vn verify >"$VG_WORK/drift.log" || rc=$?
[ "$rc" = 1 ] || vg_fail "verify exit $rc on drift, expected 1"
grep -q "DRIFT: table inet vaultgate differs from the configuration in 1 place" "$VG_WORK/drift.log" ||
	vg_fail "verify output: $(cat "$VG_WORK/drift.log")"
# the foreign rule in nft's own syntax, its expressions on the next line
grep -q "^+ chain input: unexpected rule at position 8: handle [0-9]*, no comment: tcp dport 22 accept$" "$VG_WORK/drift.log" ||
	vg_fail "verify diff (nft syntax): $(cat "$VG_WORK/drift.log")"
grep -q "^      (expressions: .*cmp eq reg 1 0x00001600" "$VG_WORK/drift.log" ||
	vg_fail "verify diff (expressions): $(cat "$VG_WORK/drift.log")"
vn show >"$VG_WORK/show-drift.log" || true
grep -q "^		#   tcp dport 22 accept$" "$VG_WORK/show-drift.log" || vg_fail "show: foreign rule: $(cat "$VG_WORK/show-drift.log")"
rc=0
vn explain "$TOPO_OK_IP" >"$VG_WORK/ex-drift" || rc=$?
[ "$rc" = 1 ] || vg_fail "explain on a drifted table should exit 1 (got $rc)"
# the warning comes before the verdict, never after it
head -n 1 "$VG_WORK/ex-drift" | grep -q "^WARNING: the live table differs from the configuration (1 differences)" ||
	vg_fail "explain under drift does not lead with the warning: $(cat "$VG_WORK/ex-drift")"
grep -q "^new connection from $TOPO_OK_IP to tcp/443: ACCEPT" "$VG_WORK/ex-drift" || vg_fail "explain under drift: $(cat "$VG_WORK/ex-drift")"
in_ns "$TOPO_PE" nft add table inet vaultgate '{ flags dormant; }'
vn verify >"$VG_WORK/drift2.log" || true
grep -q "dormant: it filters nothing" "$VG_WORK/drift2.log" || vg_fail "a dormant table was not reported"
in_ns "$TOPO_PE" nft add table ip sneaky
vn verify >"$VG_WORK/drift3.log" || true
grep -q "^+ table ip sneaky: another table in the namespace" "$VG_WORK/drift3.log" || vg_fail "another table was not reported"
in_ns "$TOPO_PE" nft delete table ip sneaky

vg_log "up repairs drift, and up twice changes nothing"
vn up >/dev/null
vn verify >/dev/null || vg_fail "verify after a repairing up"
in_ns "$TOPO_PE" nft -s list ruleset >"$VG_WORK/r1.nft"
in_ns "$TOPO_PE" ip -o addr show >"$VG_WORK/a1"
vn up >/dev/null
in_ns "$TOPO_PE" nft -s list ruleset >"$VG_WORK/r2.nft"
in_ns "$TOPO_PE" ip -o addr show >"$VG_WORK/a2"
cmp -s "$VG_WORK/r1.nft" "$VG_WORK/r2.nft" || vg_fail "the second up changed the ruleset: $(diff "$VG_WORK/r1.nft" "$VG_WORK/r2.nft")"
cmp -s "$VG_WORK/a1" "$VG_WORK/a2" || vg_fail "the second up changed the addresses"
[ "$(tcp_probe "$TOPO_OK" "$TOPO_PE_IP" 443)" = open ] || vg_fail "the allowed client lost access after re-apply"

vg_log "down leaves nothing behind"
for p in "${_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
_pids=()
vn down | grep -q "namespace $TOPO_PE down"
[ ! -e "/run/netns/$TOPO_PE" ] || vg_fail "namespace left behind"
ip netns list | grep -q "^$TOPO_PE\b" && vg_fail "namespace still listed"
ip -n "$TOPO_BR" link show vgpe0 >/dev/null 2>&1 && vg_fail "veth peer left behind"
rc=0
vn verify >"$VG_WORK/after.log" || rc=$?
[ "$rc" = 1 ] && grep -q "table inet vaultgate: missing" "$VG_WORK/after.log" || vg_fail "verify after down: $(cat "$VG_WORK/after.log")"
vn down >/dev/null    # idempotent
vg_log "PASS"
