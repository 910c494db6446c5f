#!/usr/bin/env bash
# replicate_ns.sh - issue 14: pull replication through a namespace pair, each
# appliance in its own network namespace with its own vaultnet ruleset.
#
#                ┌──────────── vgt-$$-br: br0 10.241.0.1/24 ─────────────┐
#                └────┬──────────────┬──────────────┬──────────────┬─────┘
#  ┌ vgt-$$-pa ───────┴──┐ ┌ vgt-$$-pb ┴──────────┐ ┌ vgt-$$-cl ───┴─┐ ┌ vgt-$$-xx ┴────┐
#  │ primary 10.241.0.5  │ │ secondary 10.241.0.6 │ │ client .10     │ │ other host .9  │
#  │ vaultgw A :8443     │ │ vaultgw B :8443      │ │ restic backup  │ │ listens :8443  │
#  │ allow_v4 = .6, .10  │ │ allow_v4 = .10       │ │ to A, restore  │ │                │
#  │ no egress           │ │ egress = .5 8443     │ │ from B         │ │                │
#  │                     │ │ vaultsync (pulls A)  │ │                │ │                │
#  └─────────────────────┘ └──────────────────────┘ └────────────────┘ └────────────────┘
#  vaultd A and vaultd B stay in the host namespace (UNIX sockets only).
#
# Asserts: vaultsync, run inside the secondary's namespace, pulls a native
# item and a restic repository from the primary's gateway through both
# rulesets; every copy restores byte-exact (native through vaultd B, restic
# from the client through vaultgw B); a sync to a destination not in the
# secondary's egress list fails and the secondary's firewall drops and
# counts it (the host itself is reachable: it is the firewall); the primary
# opens no connection (no egress) and admits no other source; both rulesets
# verify clean (conntrack included) after the transfers; explain --to names
# the deciding rules.
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"
vg_init
chmod 711 "$VG_WORK"
VAULTNET=$VG_BUILD/netns/vaultnet
M=1048576
SRC=vgt-$$-src
DST=vgt-$$-dst
BR=vgt-$$-br NSA=vgt-$$-pa NSB=vgt-$$-pb NSC=vgt-$$-cl NSX=vgt-$$-xx
IPA=10.241.0.5 IPB=10.241.0.6 IPC=10.241.0.10 IPX=10.241.0.9 PORT=8443

_pids=()
cleanup_ns() {
	local p ns
	for p in "${_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${_pids[@]}"; do wait "$p" 2>/dev/null || true; done
	for ns in "$NSA" "$NSB" "$NSC" "$NSX" "$BR"; do
		[ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null || true
	done
}
vg_on_exit cleanup_ns
start() { "$@" & _pids+=("$!"); }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# tcp_probe NS IP PORT: "open", "refused" or "timeout"
tcp_probe() {
	local rc=0
	in_ns "$1" timeout 3 bash -c "</dev/tcp/$2/$3" 2>/dev/null || rc=$?
	case $rc in 0) echo open ;; 124) echo timeout ;; *) echo refused ;; esac
}
expect_probe() {
	local want=$1 got
	shift
	got=$(tcp_probe "$@")
	[ "$got" = "$want" ] || vg_fail "tcp $2 port $3 from $1: expected $want, got $got"
}
wait_listen() {
	for _ in $(seq 1 400); do
		in_ns "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.05
	done
	vg_fail "nothing listens on tcp/$2 in $1"
}
# out_drops CONF: packets counted by the output chain's last rule
out_drops() {
	"$VAULTNET" export --json --config "$1" |
		jq -r '[.chains[] | select(.name == "output") | .rules[-1].packets] | add'
}

# ---- the segment: bridge, a client and another host -----------------------------------
ip netns add "$BR"
ip -n "$BR" link set lo up
ip -n "$BR" link add br0 type bridge
ip -n "$BR" addr add 10.241.0.1/24 dev br0
ip -n "$BR" link set br0 up
host_ns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip -n "$1" link add eth0 type veth peer name "$2" netns "$BR"
	ip -n "$1" addr add "$3/24" dev eth0
	ip -n "$1" link set eth0 up
	ip -n "$BR" link set "$2" master br0 up
}
host_ns "$NSC" cl0 "$IPC"
host_ns "$NSX" xx0 "$IPX"

# ---- two appliances: vaultd in the host namespace, vaultnet + vaultgw in their own ----
# appliance TAG NS IP PEER VAULT [CONFIG LINE...]
appliance() {
	local t=$1 ns=$2 ip=$3 peer=$4 v=$5 d=$VG_WORK/$1
	shift 5
	mkdir -p "$d"
	chmod 711 "$d"
	"$VAULTD" --state-dir "$d/state" --socket "$d/vaultd.sock" --socket-group nogroup \
		>>"$VG_WORK/vaultd-$t.log" 2>&1 &
	vg_track $!
	vg_wait_socket "$d/vaultd.sock"
	{
		echo "netns = $ns"
		echo "link = veth"
		echo "ifname = vg0"
		echo "peer = $peer"
		echo "peer_netns = $BR"
		echo "address = $ip/24"
		echo "port = $PORT"
		echo "vaultd_socket = $d/vaultd.sock"
		for l in "$@"; do echo "$l"; done
	} >"$d/net.conf"
	chmod 600 "$d/net.conf"
	"$VAULTNET" up --config "$d/net.conf" >>"$VG_WORK/vaultnet-$t.log" 2>&1 ||
		vg_fail "vaultnet up $t: $(tail -3 "$VG_WORK/vaultnet-$t.log")"
	ip -n "$BR" link set "$peer" master br0 up
	printf 'listen = %s:%s\nvaultd_socket = %s\nuser = nobody\ntls_dir = %s\nrestic_vault = %s\n' \
		"$ip" "$PORT" "$d/vaultd.sock" "$d/tls" "$v" >"$d/gw.conf"
	chmod 600 "$d/gw.conf"
	"$VAULTGW" --config "$d/gw.conf" --netns "$ns" >>"$VG_WORK/vaultgw-$t.log" 2>&1 &
	vg_track $!
	wait_listen "$ns" "$PORT"
	eval "SOCK_$t=$d/vaultd.sock CA_$t=$d/tls/server.crt NET_$t=$d/net.conf"
}
appliance A "$NSA" "$IPA" vgpa0 "$SRC" "allow_v4 = $IPB/32, $IPC/32"
appliance B "$NSB" "$IPB" vgpb0 "$DST" "allow_v4 = $IPC/32" "egress = $IPA $PORT"
A() { "$VAULTCTL" --socket "$SOCK_A" "$@"; }
B() { "$VAULTCTL" --socket "$SOCK_B" "$@"; }
# the secondary's vaultctl (and the vaultsync it runs) inside its namespace
Bns() { in_ns "$NSB" "$VAULTCTL" --socket "$SOCK_B" "$@"; }
export VG_SYNC_DIR=$VG_WORK/sync
vg_log "two appliances up: primary $NSA, secondary $NSB"

# ---- the primary: a native item and a restic repository (backed up from the client) --
A vault create "$SRC" >/dev/null
A item create "$SRC" host1 >/dev/null
vg_random_file "$VG_WORK/f1" $((3 * M + 17))
vg_random_file "$VG_WORK/f2" 5000
A backup "$SRC" host1 --object f1 "$VG_WORK/f1" >/dev/null
A backup "$SRC" host1 --object f2 "$VG_WORK/f2" >/dev/null
AG=$(A principal add ag1 --kind agent | grep -o 'vg_[0-9a-f]\{64\}')
A role grant ag1 "$SRC" agent >/dev/null
A item create "$SRC" repo --kind restic --agent ag1 >/dev/null
export RESTIC_PASSWORD=vgt-$$ RESTIC_CACHE_DIR=$VG_WORK/cache
mkdir -p "$VG_WORK/tree/a"
vg_random_file "$VG_WORK/tree/a/big" $((2 * M + 3))
for i in 1 2 3; do vg_random_file "$VG_WORK/tree/small$i" $((i * 999)); done
RA="rest:https://ag1:$AG@$IPA:$PORT/restic/repo/"
in_ns "$NSC" restic --cacert "$CA_A" -r "$RA" init >"$VG_WORK/ri.log" 2>&1 ||
	vg_fail "restic init: $(tail -3 "$VG_WORK/ri.log")"
in_ns "$NSC" restic --cacert "$CA_A" -r "$RA" backup "$VG_WORK/tree" >"$VG_WORK/rb.log" 2>&1 ||
	vg_fail "restic backup: $(tail -3 "$VG_WORK/rb.log")"
A principal add repl --kind user >"$VG_WORK/repl.tok"
A role grant repl "$SRC" replicator >/dev/null

# ---- the secondary pulls through both rulesets ----------------------------------------
B vault create "$DST" >/dev/null
B remote add prim "https://$IPA:$PORT" --ca "$CA_A" --user repl --token-file "$VG_WORK/repl.tok" >/dev/null
B sync create j1 --remote prim --vault "$SRC" --to "$DST" >/dev/null
e0=$("$VAULTNET" export --json --config "$NET_B" |
	jq -r '[.chains[] | select(.name == "output") | .rules[] | select(.comment | startswith("egress:")) | .packets] | add')
out=$(Bns sync run j1 2>&1) || vg_fail "sync run in $NSB: $out"
echo "$out" | grep -q "sync j1: 2 points (2 objects), [1-9][0-9]* restic files" || vg_fail "first run: $out"
e1=$("$VAULTNET" export --json --config "$NET_B" |
	jq -r '[.chains[] | select(.name == "output") | .rules[] | select(.comment | startswith("egress:")) | .packets] | add')
[ "$e1" -gt "$e0" ] || vg_fail "the egress rule admitted no connection ($e0 -> $e1): the sync did not go through it"
vg_log "ok: $out"

for p in $(B points "$DST" host1 | cut -f1); do
	for o in $(B objects "$DST" host1 "$p" | cut -f1); do
		B restore "$DST" host1 "$p" --object "$o" -o "$VG_WORK/back" >/dev/null
		cmp -s "$VG_WORK/back" "$VG_WORK/$o" || vg_fail "$DST/host1/$p/$o differs from the source"
	done
done
[ "$(B points "$DST" host1 | grep -c .)" = 2 ] || vg_fail "want 2 native points on the secondary"
B principal add rd --kind user >"$VG_WORK/rd.tok"
B role grant rd "$DST" operator >/dev/null
RB="rest:https://rd:$(cat "$VG_WORK/rd.tok")@$IPB:$PORT/restic/repo/"
in_ns "$NSC" restic --cacert "$CA_B" -r "$RB" restore latest --target "$VG_WORK/restored" >"$VG_WORK/rr.log" 2>&1 ||
	vg_fail "restic restore from the secondary: $(tail -3 "$VG_WORK/rr.log")"
diff -r "$VG_WORK/tree" "$VG_WORK/restored$VG_WORK/tree" || vg_fail "restic restore from the secondary differs"
in_ns "$NSC" restic --cacert "$CA_B" -r "$RB" check >"$VG_WORK/rc.log" 2>&1 || vg_fail "restic check on the secondary"
vg_log "ok: native and restic copies restore byte-exact from the secondary"

# ---- a destination outside the egress list: dropped and counted by the secondary ------
cat >"$VG_WORK/listen.py" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(16)
held = []
while True:
    held.append(s.accept()[0])
EOF
start ip netns exec "$NSX" python3 "$VG_WORK/listen.py" "$PORT"
wait_listen "$NSX" "$PORT"
expect_probe open "$NSC" "$IPX" "$PORT"      # the host is there: what stops B is its firewall
B remote add other "https://$IPX:$PORT" --ca "$CA_A" --user repl --token-file "$VG_WORK/repl.tok" >/dev/null
B sync create j2 --remote other --vault "$SRC" --to "$DST" >/dev/null
d0=$(out_drops "$NET_B")
rc=0
out=$(Bns sync run j2 2>&1) || rc=$?
[ "$rc" != 0 ] || vg_fail "a sync to $IPX (not in the egress list) succeeded: $out"
case $out in *"$IPX"*) ;; *) vg_fail "the failed sync does not name the destination: $out" ;; esac
d1=$(out_drops "$NET_B")
[ "$d1" -gt "$d0" ] || vg_fail "the secondary's output drop rule counted nothing ($d0 -> $d1)"
out=$("$VAULTNET" explain --config "$NET_B" --to "$IPX" "$PORT")
case $out in *"DROP"*"none admits this destination"*) ;; *) vg_fail "explain --to $IPX: $out" ;; esac
out=$("$VAULTNET" explain --config "$NET_B" --to "$IPA" "$PORT")
case $out in *"ACCEPT"*"egress: new connections to $IPA/32 tcp/$PORT"*) ;; *) vg_fail "explain --to $IPA: $out" ;; esac
expect_probe timeout "$NSB" "$IPA" 22        # the primary on another port: not in the list either
[ "$(B points "$DST" host1 | grep -c .)" = 2 ] || vg_fail "the failed sync changed the secondary"
vg_log "ok: a destination outside the egress list is dropped and counted ($d0 -> $d1 packets)"

# ---- the primary opens nothing and admits only its allowlist ---------------------------
expect_probe timeout "$NSA" "$IPB" "$PORT"   # no egress on the primary
expect_probe timeout "$NSX" "$IPA" "$PORT"   # not in the primary's allowlist
out=$("$VAULTNET" explain --config "$NET_A" "$IPB" "$PORT")
case $out in *"ACCEPT"*"from allow_v4"*) ;; *) vg_fail "explain $IPB on the primary: $out" ;; esac

# ---- both rulesets still match their configurations, conntrack included ---------------
for t in A B; do
	eval "conf=\$NET_$t"
	"$VAULTNET" verify --config "$conf" >"$VG_WORK/verify-$t.log" 2>&1 ||
		vg_fail "verify $t: $(cat "$VG_WORK/verify-$t.log")"
done
"$VAULTNET" down --config "$NET_B" >/dev/null 2>&1
"$VAULTNET" down --config "$NET_A" >/dev/null 2>&1
vg_log "OK"
