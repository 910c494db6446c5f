#!/usr/bin/env bash
# synflood.sh - issue 19: an allowed agent's restic backup during a spoofed
# SYN flood from its own segment, beside the same backup on a quiet one.
#
#   vgt-$$-at (hostile neighbour) ──20,000 forged SYN/s from 10.224.0.0/12──► vaultgw :443
#   vgt-$$-ok (the agent)         ──restic backup of SIZE MiB─────────────► vaultgw :443
#
# Real parts throughout: vaultd, vaultgw inside the namespace `vaultnet up`
# made (allow_v4 = 10.224.0.0/12, so the forged sources are allowed ones
# and fill the per-source meter), restic in the agent's namespace, the
# forger tests/integration/netns/rawflood.py (N processes, rate/N each). Each run backs up fresh random data (no deduplication between
# runs). Prints the wall time of each run, the flood's achieved rate and
# the meter's fill; exits 1 only if a backup fails. Needs root. Not run by
# test.sh: it takes a few minutes.
#
#   bench/synflood.sh [--size MIB] [--rate PPS] [--forgers N]   (defaults 256, 20000, 3)
set -eu
size=256 rate=20000 forgers=3
while [ $# -gt 0 ]; do
	case "$1" in
	--size) size=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	--forgers) forgers=$2; shift 2 ;;
	*) sed -n '2,20p' "$0" >&2; exit 2 ;;
	esac
done
here=$(cd "$(dirname "$0")/.." && pwd)
export VG_SRC=${VG_SRC:-$here} VG_BUILD=${VG_BUILD:-$here/build}
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"
. "$VG_SRC/tests/integration/netns/topology.sh"
. "$VG_SRC/tests/integration/netns/hostile.sh"
VAULTNET=$VG_BUILD/netns/vaultnet

vg_init
chmod 711 "$VG_WORK"
vgtopo_init "vgb$$"
vg_on_exit '"$VAULTNET" down --config "$VG_WORK/net.conf" >/dev/null 2>&1 || true'
vg_on_exit 'vgtopo_down'
vgtopo_up
vgtopo_attacker

gw_start_vaultd
vgtopo_config "$VG_WORK/net.conf" "vaultd_socket = $VG_SOCK"
sed -i 's|^allow_v4 = .*|allow_v4 = 10.224.0.0/12|' "$VG_WORK/net.conf"
"$VAULTNET" up --config "$VG_WORK/net.conf" >/dev/null
vgtopo_attach_pe
GW_PORT=$TOPO_PORT
GW_CONF=$VG_WORK/vaultgw.conf
gw_write_config "$GW_CONF" "restic_vault = bench"
sed -i "s/^listen = .*/listen = $TOPO_PE_IP:$TOPO_PORT/" "$GW_CONF"
"$VAULTGW" --config "$GW_CONF" --netns "$TOPO_PE" >>"$VG_WORK/vaultgw.log" 2>&1 &
vg_track "$!"
vgtopo_wait_listen "$TOPO_PE" "$TOPO_PORT" 20
GW_CA=$VG_WORK/tls/server.crt
vg_ctl vault create bench >/dev/null
tok=$(gw_principal agent1 agent)
vg_ctl role grant agent1 bench agent >/dev/null
vg_ctl item create bench repo1 --kind restic --agent agent1 >/dev/null
echo pw >"$VG_WORK/pw"
export RESTIC_PASSWORD_FILE=$VG_WORK/pw RESTIC_CACHE_DIR=$VG_WORK/cache
repo="rest:https://agent1:$tok@$TOPO_PE_IP:$TOPO_PORT/restic/repo1/"
r() { ip netns exec "$TOPO_OK" restic -q --cacert "$GW_CA" -r "$repo" "$@"; }
r init
PEMAC=$(vgtopo_mac "$TOPO_PE" vg0)

# backup NAME: a fresh SIZE MiB of random data, backed up; prints seconds
backup() {
	local d=$VG_WORK/data-$1 t0 t1
	mkdir -p "$d"
	head -c "$((size * 1048576))" /dev/urandom >"$d/blob.bin"
	t0=$(date +%s.%N)
	r backup "$d" >/dev/null || { echo "FAILED"; return 1; }
	t1=$(date +%s.%N)
	rm -rf "$d"
	echo "$t1 - $t0" | bc
}

echo "== idle segment: restic backup of $size MiB"
idle=$(backup idle) || { echo "synflood.sh: the idle backup failed" >&2; exit 1; }
echo "   $idle s"

echo "== during a forged SYN flood at $rate pkt/s from 10.224.0.0/12 ($forgers forgers)"
half=$((rate / forgers))
fl=()
for i in $(seq "$forgers"); do
	# ip netns exec execs python: $! is the forger itself
	ip netns exec "$TOPO_AT" python3 "$RAWFLOOD" eth0 "$PEMAC" "$TOPO_PE_IP" syn 443 $((half * 900)) "$half" \
		10.224.0.0/12 >"$VG_WORK/flood$i.log" 2>&1 &
	fl+=("$!")
	vg_track "$!"
done
# until the meter is full (3.3 s at 20,000/s), at most 30 s
for _ in $(seq 30); do
	sleep 1
	meter=$("$VAULTNET" show --config "$VG_WORK/net.conf" | awk '$1 == "set" && $2 == "rate_v4" { on = 1 }
		on && $1 == "size" { s = $2 } on && /tracked/ { print $2 " of " s; exit }')
	[ "${meter%% *}" != "${meter##* }" ] || break
done
rc=0
flooded=$(backup flood) || rc=1
for p in "${fl[@]}"; do
	kill -TERM "$p" 2>/dev/null || true
done
for p in "${fl[@]}"; do wait "$p" 2>/dev/null || true; done
sent=0 secs=0
for i in $(seq "$forgers"); do
	read -r n s < <(sed -n 's/^sent \([0-9]*\) in \([0-9.]*\) s$/\1 \2/p' "$VG_WORK/flood$i.log" | tail -1)
	sent=$((sent + ${n:-0}))
	secs=${s:-$secs}
done
achieved=$(echo "scale=0; $sent / ($secs + 0.001)" | bc)
echo "   meter rate_v4 when the backup started: $meter sources"
echo "   flood achieved: $sent packets in ${secs} s (about $achieved pkt/s)"
[ "$rc" = 0 ] || { echo "synflood.sh: the backup during the flood FAILED" >&2; exit 1; }
echo "   $flooded s"
echo
printf '%-44s %10s\n' "restic backup of $size MiB" "wall time"
printf '%-44s %9.1fs\n' "idle segment" "$idle"
printf '%-44s %9.1fs\n' "forged SYN flood, ~$achieved pkt/s" "$flooded"
printf '%-44s %9.2fx\n' "ratio" "$(echo "scale=2; $flooded / $idle" | bc)"
