#!/usr/bin/env bash
# bench/restic_prune.sh - `restic forget --prune` through vaultgw (+ vaultd)
# beside rclone serve restic, on loopback, TLS 1.3 (SPEC §10, issue 10).
#
# Each server gets the same repository: snapshot 1 of a tree A, snapshot 2 of
# a tree B (half the size each, incompressible), then the timed `restic forget
# --keep-last 1 --group-by host --prune` drops A's packs. On vaultgate the
# Owner prunes (an agent may not: append-only) and every delete is soft
# (listed by `vaultctl restic deleted`, purged after the vault's window);
# rclone deletes the files. Prints wall seconds, the servers' CPU-seconds
# and how many files each delete touched. Figures are printed, never
# asserted.
#
#   bench/restic_prune.sh [--mib N]
#       N MiB repository (default 1024). Run as root, after a build, on a
#       machine otherwise idle. Not run by test.sh.
#
#   restic ──TLS 1.3──► vaultgw :P1 ──unix──► vaultd   (state: $W/vault)
#   restic ──TLS 1.3──► rclone serve restic :P2        (files: $W/rclone)
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=1024
while [ $# -gt 0 ]; do
	case "$1" in
	--mib) MIB=$2; shift 2 ;;
	*) echo "usage: $0 [--mib N]" >&2; exit 2 ;;
	esac
done
B=$PWD/build
[ -x "$B/gateway/vaultgw" ] || { echo "build first: meson setup build && ninja -C build" >&2; exit 1; }
for p in rclone restic openssl python3; do
	command -v "$p" >/dev/null || { echo "missing $p (scripts/install-deps.sh)" >&2; exit 1; }
done

W=$(mktemp -d /var/tmp/vgprune.XXXXXX)
chmod 711 "$W"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT
export NO_PROXY='*' no_proxy='*'
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
	for _ in $(seq 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "nothing listens on $1" >&2
	exit 1
}
ticks() {
	local t=0 p
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo "$t"
}
HZ=$(getconf CLK_TCK)
now() { date +%s.%N; }
f() { awk "BEGIN{printf \"%.${2:-2}f\", $1}"; }

echo "== preparing a $MIB MiB tree (A and B, $((MIB / 2)) MiB each) in $W"
nfiles=$(( MIB / 32 > 0 ? MIB / 32 : 1 ))
mkdir -p "$W/tree/a" "$W/tree/b"
for i in $(seq 1 "$nfiles"); do
	head -c $((MIB * 1024 * 1024 / 2 / nfiles)) /dev/urandom >"$W/tree/a/f$i.bin"
	head -c $((MIB * 1024 * 1024 / 2 / nfiles)) /dev/urandom >"$W/tree/b/f$i.bin"
done

# --- vaultd + vaultgw -----------------------------------------------------------------
VS=$W/vaultd.sock
"$B/vault/vaultd" --state-dir "$W/vault" --socket "$VS" --socket-group nogroup >"$W/vaultd.log" 2>&1 &
VD=$!
PIDS+=("$VD")
CTL="$B/vault/vaultctl --socket $VS"
for _ in $(seq 100); do $CTL whoami >/dev/null 2>&1 && break; sleep 0.1; done
P1=$(free_port)
cat >"$W/vaultgw.conf" <<EOF
listen = 127.0.0.1:$P1
vaultd_socket = $VS
user = nobody
tls_dir = $W/gwtls
restic_vault = bench
max_body_restic = 1073741824
EOF
chmod 600 "$W/vaultgw.conf"
"$B/gateway/vaultgw" --config "$W/vaultgw.conf" >"$W/vaultgw.log" 2>&1 &
GW=$!
PIDS+=("$GW")
wait_port "$P1"
GWCA=$W/gwtls/server.crt
$CTL vault create bench >/dev/null
TOK=$($CTL principal add bench --kind user | grep -o 'vg_[0-9a-f]\{64\}' | head -1)
$CTL role grant bench bench owner >/dev/null
$CTL item create bench repo --kind restic >/dev/null

# --- rclone serve restic (no --append-only: prune deletes) -----------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$W/peer.key" -out "$W/peer.crt" 2>/dev/null
P2=$(free_port)
RPASS=$(openssl rand -hex 16)
printf 'bench:%s\n' "$(openssl passwd -apr1 "$RPASS")" >"$W/htpasswd"
mkdir -p "$W/rclone"
rclone serve restic --addr "127.0.0.1:$P2" --cert "$W/peer.crt" --key "$W/peer.key" \
	--htpasswd "$W/htpasswd" "$W/rclone" >"$W/rclone.log" 2>&1 &
RC=$!
PIDS+=("$RC")
wait_port "$P2"

export RESTIC_PASSWORD=bench-password
V="restic --no-cache -q --cacert $GWCA -r rest:https://bench:$TOK@127.0.0.1:$P1/restic/repo/"
R="restic --no-cache -q --cacert $W/peer.crt -r rest:https://bench:$RPASS@127.0.0.1:$P2/bench/"

# build REPO-CMD: init, a snapshot of a, then one of b (own packs each).
build() {
	$1 init >/dev/null
	(cd "$W" && $1 backup tree/a >/dev/null)
	(cd "$W" && $1 backup tree/b >/dev/null)
}
# prune REPO-CMD PIDS...: prints "secs cpu_secs packs_before packs_after".
prune() {
	local cmd=$1 t0 t1 c0 c1 before after
	shift
	before=$($cmd list packs | wc -l)
	sync
	c0=$(ticks "$@")
	t0=$(now)
	$cmd forget --keep-last 1 --group-by host --prune >"$W/prune.log" 2>&1
	t1=$(now)
	c1=$(ticks "$@")
	after=$($cmd list packs | wc -l)
	echo "$(f "$t1 - $t0" 3) $(f "($c1 - $c0) / $HZ" 3) $before $after"
}

echo "== building the two repositories"
build "$V"
build "$R"

echo "== restic forget --keep-last 1 --group-by host --prune"
read -r vs vc vb va < <(prune "$V" "$GW" "$VD")
read -r rs rc rb ra < <(prune "$R" "$RC")
$V check >/dev/null || { echo "vaultgate repository does not check after prune" >&2; exit 1; }
$R check >/dev/null || { echo "rclone repository does not check after prune" >&2; exit 1; }
soft=$($CTL restic deleted bench repo | wc -l)
printf '  %-28s %7.2f s   server CPU %6.2f s   packs %s -> %s\n' "vaultgw + vaultd" "$vs" "$vc" "$vb" "$va"
printf '  %-28s %7.2f s   server CPU %6.2f s   packs %s -> %s\n' "rclone serve restic" "$rs" "$rc" "$rb" "$ra"
echo "  vaultgate: $soft files soft-deleted (recoverable with vaultctl restic undelete until the window ends)"
echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) (other work skews every figure)"
printf '  prune wall vaultgate / rclone    %5.2fx\n' "$(f "$vs / $rs")"
