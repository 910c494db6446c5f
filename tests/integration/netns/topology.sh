# topology.sh - the 4-namespace private-endpoint demo topology (sourced).
#
#                 ┌──────────────── $TOPO_BR (bridge namespace) ─────────────────┐
#                 │  br0: 10.231.0.1/24 + 10.232.0.1/24, forwarding on (router)  │
#                 │     vgpe0             ok0                 no0                │
#                 └───────┼────────────────┼───────────────────┼─────────────────┘
#                         │ veth           │ veth              │ veth
#  ┌─ $TOPO_PE ───────────┴─┐ ┌─ $TOPO_OK ─┴──────────┐ ┌─ $TOPO_NO ┴────────────┐
#  │ vg0 10.231.0.5/24      │ │ eth0 10.231.0.10/24   │ │ eth0 10.232.0.20/24    │
#  │ made by `vaultnet up`  │ │ allowed client        │ │ denied client: another │
#  │ table inet vaultgate   │ │ (in allow_v4)         │ │ subnet, same L2 segment│
#  │ the gateway :443       │ │                       │ │ (not in allow_v4)      │
#  └────────────────────────┘ └───────────────────────┘ └────────────────────────┘
#
# The appliance namespace and its veth are vaultnet's own work: the topology
# only provides the segment (the bridge) and the two clients, writes the
# vaultnet config, and plugs the appliance's outside end (vgpe0, left in the
# bridge namespace by vaultnet) into br0.
#
#   vgtopo_init PREFIX        names: $PREFIX-br, -pe, -ok, -no (PREFIX unique per run)
#   vgtopo_up                 bridge + both clients
#   vgtopo_config FILE [LINE...]   a vaultnet config for the appliance (mode 0600)
#   vgtopo_attach_pe          after `vaultnet up`: vgpe0 into br0
#   vgtopo_attacker           a hostile neighbour $PREFIX-at (10.231.0.250/24) on br0
#   vgtopo_down               removes everything named PREFIX-*, whatever state it is in
#
# Addresses live only inside these namespaces. Needs root, iproute2.

TOPO_PE_IP=10.231.0.5
TOPO_OK_IP=10.231.0.10
TOPO_NO_IP=10.232.0.20
TOPO_GW_A=10.231.0.1
TOPO_GW_B=10.232.0.1
TOPO_AT_IP=10.231.0.250
TOPO_PORT=443

vgtopo_init() {
	TOPO_PREFIX=$1
	TOPO_BR=$1-br
	TOPO_PE=$1-pe
	TOPO_OK=$1-ok
	TOPO_NO=$1-no
	TOPO_AT=$1-at
}

# vgtopo_client NS IFPEER ADDR/PLEN GW
_vgtopo_client() {
	local ns=$1 peer=$2 addr=$3 gw=$4
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link add eth0 type veth peer name "$peer" netns "$TOPO_BR"
	ip -n "$ns" addr add "$addr" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "$gw"
	ip -n "$TOPO_BR" link set "$peer" master br0 up
}

vgtopo_up() {
	ip netns add "$TOPO_BR"
	ip -n "$TOPO_BR" link set lo up
	ip -n "$TOPO_BR" link add br0 type bridge
	ip -n "$TOPO_BR" addr add "$TOPO_GW_A/24" dev br0
	ip -n "$TOPO_BR" addr add "$TOPO_GW_B/24" dev br0
	ip -n "$TOPO_BR" link set br0 up
	ip netns exec "$TOPO_BR" sysctl -qw net.ipv4.ip_forward=1
	_vgtopo_client "$TOPO_OK" ok0 "$TOPO_OK_IP/24" "$TOPO_GW_A"
	_vgtopo_client "$TOPO_NO" no0 "$TOPO_NO_IP/24" "$TOPO_GW_B"
}

# vgtopo_config FILE [EXTRA LINE...]
vgtopo_config() {
	local f=$1
	shift
	{
		echo "# vaultnet config for the demo topology ($TOPO_PREFIX)"
		echo "netns = $TOPO_PE"
		echo "link = veth"
		echo "ifname = vg0"
		echo "peer = vgpe0"
		echo "peer_netns = $TOPO_BR"
		echo "address = $TOPO_PE_IP/24"
		echo "gateway = $TOPO_GW_A"
		echo "port = $TOPO_PORT"
		echo "allow_v4 = $TOPO_OK_IP/32, 10.231.0.64/26"
		for l in "$@"; do echo "$l"; done
	} >"$f"
	chmod 0600 "$f"
}

# The attacker: a namespace on the agents' segment, where it can forge any
# source address (tests/integration/netns/rawflood.py).
vgtopo_attacker() {
	_vgtopo_client "$TOPO_AT" at0 "$TOPO_AT_IP/24" "$TOPO_GW_A"
}

# vgtopo_mac NS IF: the interface's MAC address.
vgtopo_mac() {
	ip netns exec "$1" cat "/sys/class/net/$2/address"
}

vgtopo_attach_pe() {
	ip -n "$TOPO_BR" link set vgpe0 master br0 up
}

vgtopo_down() {
	local ns
	for ns in "$TOPO_PE" "$TOPO_OK" "$TOPO_NO" "${TOPO_AT:-}" "$TOPO_BR"; do
		[ -n "$ns" ] || continue
		if [ -e "/run/netns/$ns" ]; then
			ip netns del "$ns" 2>/dev/null || true
		fi
	done
}

# vgtopo_wait_listen NS PORT [SECONDS]: until something listens on tcp PORT in NS.
vgtopo_wait_listen() {
	local ns=$1 port=$2 t=${3:-10} i=0
	while [ "$i" -lt $((t * 20)) ]; do
		if ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -q .; then
			return 0
		fi
		sleep 0.05
		i=$((i + 1))
	done
	echo "nothing listens on tcp/$port in $ns after ${t}s" >&2
	return 1
}
