# hostile.sh - helpers for the tests with a hostile neighbour (sourced).
#
#   hostile_listen NS IP PORT      a TCP listener (accept, write "ok", close) in NS
#   hostile_connects NS IP PORT N [SRC]  how many of N connections complete (3 s each)
#   hostile_flood ARGS...          rawflood.py from the attacker namespace
#   hostile_flood_bg ARGS...       the same in the background; $HOSTILE_PID is the
#                                  forger itself (kill -TERM ends it, by PID)
#   nft_set_count NS SET           elements in SET of table inet vaultgate
#
# Needs: topology.sh sourced and vgtopo_init done, lib.sh's vg_track.

RAWFLOOD=$VG_SRC/tests/integration/netns/rawflood.py

hostile_listen() {
	local ns=$1 ip=$2 port=$3
	ip netns exec "$ns" python3 -c '
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(4096)
while True:
    c, _ = s.accept()
    try:
        c.sendall(b"ok\n")
    except OSError:
        pass
    c.close()
' "$ip" "$port" &
	vg_track "$!"
	vgtopo_wait_listen "$ns" "$port"
}

hostile_connects() {
	local ns=$1 ip=$2 port=$3 n=$4 src=${5:-}
	ip netns exec "$ns" python3 -c '
import socket, sys
ip, port, n, src = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
ok = 0
for _ in range(n):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        if src:
            s.bind((src, 0))
        s.connect((ip, port))
        if s.recv(3) == b"ok\n":
            ok += 1
    except OSError:
        pass
    s.close()
print(ok)
' "$ip" "$port" "$n" "$src"
}

# hostile_flood IFACE DSTMAC DSTIP KIND DPORT COUNT PPS SRC [--smac MAC]
hostile_flood() {
	ip netns exec "$TOPO_AT" timeout 120 python3 "$RAWFLOOD" "$@"
}

# hostile_flood_bg ARGS...: `ip netns exec` and `timeout` both exec, so the
# PID is the forger's own (timeout passes SIGTERM on to python)
hostile_flood_bg() {
	ip netns exec "$TOPO_AT" timeout 120 python3 "$RAWFLOOD" "$@" &
	HOSTILE_PID=$!
	vg_track "$HOSTILE_PID"
}

nft_set_count() {
	ip netns exec "$1" nft -j list set inet vaultgate "$2" |
		python3 -c 'import json,sys; d=json.load(sys.stdin)["nftables"]; print(sum(len(x["set"].get("elem", [])) for x in d if "set" in x))'
}
