#!/usr/bin/env bash
# bench/gateway.sh - vaultgw (+ vaultd) against its peers, in one run, on
# loopback, TLS 1.3 everywhere:
#
#   1 GiB native upload / restore (curl)   vs  nginx WebDAV PUT / GET (curl)
#   restic backup / restore of a 1 GiB     vs  rclone serve restic
#     tree of incompressible files             (TLS, htpasswd, --append-only)
#   RSS of vaultgw holding 1,000 idle TLS 1.3 connections
#
# Prints MB/s, server CPU-seconds per GiB (vaultgw and vaultd summed, and
# each), and the ratios against the targets. Figures are printed, never
# asserted: timings depend on the machine.
#
#   bench/gateway.sh [--mib N] [--repeat R]
#       N MiB of data (default 1024); each figure is the best of R runs
#       (default 1). Run as root, after a build, on a machine otherwise idle.
#
#   curl/restic ──TLS 1.3──► vaultgw :P1 ──unix──► vaultd   (state: $W/vault)
#   curl        ──TLS 1.3──► nginx   :P2 (dav_methods PUT)  (files: $W/dav)
#   restic      ──TLS 1.3──► rclone serve restic :P3        (files: $W/rclone)
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=1024
REPEAT=1
while [ $# -gt 0 ]; do
	case "$1" in
	--mib) MIB=$2; shift 2 ;;
	--repeat) REPEAT=$2; shift 2 ;;
	*) echo "usage: $0 [--mib N] [--repeat R]" >&2; exit 2 ;;
	esac
done
B=$PWD/build
[ -x "$B/gateway/vaultgw" ] || { echo "build first: meson setup build && ninja -C build" >&2; exit 1; }
for p in nginx rclone restic curl openssl python3; do
	command -v "$p" >/dev/null || { echo "missing $p (scripts/install-deps.sh)" >&2; exit 1; }
done

W=$(mktemp -d /var/tmp/vgbench.XXXXXX)
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
# CPU ticks (user + system) of processes, threads included.
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

echo "== preparing $MIB MiB of incompressible data in $W"
head -c $((MIB * 1024 * 1024)) /dev/urandom >"$W/blob.bin"
mkdir -p "$W/tree"
nfiles=$(( MIB / 16 > 0 ? MIB / 16 : 1 ))
for i in $(seq 1 "$nfiles"); do
	head -c $((MIB * 1024 * 1024 / nfiles)) /dev/urandom >"$W/tree/f$i.bin"
done
GIB=$(f "$MIB / 1024" 4)

# --- vaultd + vaultgw ----------------------------------------------------------------
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
max_connections_per_principal = 2000
idle_timeout = 300
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
$CTL item create bench files >/dev/null
$CTL item create bench repo --kind restic >/dev/null

# --- nginx (WebDAV PUT/GET) ------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$W/peer.key" -out "$W/peer.crt" 2>/dev/null
P2=$(free_port)
mkdir -p "$W/dav" "$W/nginx-tmp" "$W/nginx-logs"
chown nobody:nogroup "$W/dav" "$W/nginx-tmp"
cat >"$W/nginx.conf" <<EOF
user nobody nogroup;
worker_processes auto;
pid $W/nginx.pid;
error_log $W/nginx-logs/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $W/nginx-tmp;
	client_max_body_size 0;
	sendfile on;
	server {
		listen 127.0.0.1:$P2 ssl;
		ssl_certificate $W/peer.crt;
		ssl_certificate_key $W/peer.key;
		ssl_protocols TLSv1.3;
		root $W/dav;
		location / {
			dav_methods PUT DELETE;
			create_full_put_path on;
		}
	}
}
EOF
nginx -c "$W/nginx.conf" -p "$W" -g 'daemon off;' &
NG=$!
PIDS+=("$NG")
wait_port "$P2"
ng_pids() { echo "$NG" $(pgrep -P "$NG" || true); }

# --- rclone serve restic ---------------------------------------------------------------------
P3=$(free_port)
RPASS=$(openssl rand -hex 16)
printf 'bench:%s\n' "$(openssl passwd -apr1 "$RPASS")" >"$W/htpasswd"
mkdir -p "$W/rclone"
rclone serve restic --addr "127.0.0.1:$P3" --cert "$W/peer.crt" --key "$W/peer.key" \
	--htpasswd "$W/htpasswd" --append-only "$W/rclone" >"$W/rclone.log" 2>&1 &
RC=$!
PIDS+=("$RC")
wait_port "$P3"

# measure PIDS... -- COMMAND: prints "secs cpu_secs" for one run; COMMAND
# gets the run number as its last argument. best: the fastest of REPEAT.
measure() {
	local pids=() t0 t1 c0 c1 run=$RUN
	while [ "$1" != -- ]; do pids+=("$1"); shift; done
	shift
	sync
	c0=$(ticks "${pids[@]}")
	t0=$(now)
	"$@" "$run" >/dev/null
	t1=$(now)
	c1=$(ticks "${pids[@]}")
	echo "$(f "$t1 - $t0" 3) $(f "($c1 - $c0) / $HZ" 3)"
}
best() {
	local b="" out
	for RUN in $(seq 1 "$REPEAT"); do
		out=$(measure "$@")
		if [ -z "$b" ] || awk "BEGIN{exit !(${out%% *} < ${b%% *})}"; then b=$out; fi
	done
	echo "$b"
}
report() {  # LABEL SECS CPU [CPU-of-vaultgw-alone]
	printf '  %-30s %8.1f MB/s %7.2f s   server CPU %5.2f s/GiB' "$1" \
		"$(f "$MIB * 1.048576 / $2" 1)" "$2" "$(f "$3 / $GIB" 2)"
	[ -n "${4:-}" ] && printf '  (vaultgw alone %5.2f)' "$(f "$4 / $GIB" 2)"
	printf '\n'
}
C() { curl -sS --fail --tlsv1.3 --tls-max 1.3 --noproxy '*' "$@"; }
VC() { C --cacert "$GWCA" -u "bench:$TOK" "$@"; }
V1=https://127.0.0.1:$P1/v1/vaults/bench/items/files/points

echo "== $MIB MiB single object, curl, TLS 1.3 (best of $REPEAT)"
declare -a PTS
native_up() {  # RUN
	local p
	p=$(VC -X POST "$V1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["point"])')
	VC -T "$W/blob.bin" "$V1/$p/objects/blob.bin"
	VC -X POST "$V1/$p/commit"
	echo "$p" >"$W/point"
}
native_down() { VC -o /dev/null "$V1/$(cat "$W/point")/objects/blob.bin"; }
nginx_put() { C --cacert "$W/peer.crt" -T "$W/blob.bin" "https://127.0.0.1:$P2/blob$1.bin"; }
nginx_get() { C --cacert "$W/peer.crt" -o /dev/null "https://127.0.0.1:$P2/blob1.bin"; }
cat "$W/blob.bin" >/dev/null
read -r up_s up_c < <(best "$GW" "$VD" -- native_up)
read -r up_s1 up_g < <(RUN=x; measure "$GW" -- native_up)
read -r ng_up_s ng_up_c < <(best $(ng_pids) -- nginx_put)
read -r dn_s dn_c < <(best "$GW" "$VD" -- native_down)
read -r dn_s1 dn_g < <(RUN=x; measure "$GW" -- native_down)
read -r ng_dn_s ng_dn_c < <(best $(ng_pids) -- nginx_get)
report "vaultgw native upload" "$up_s" "$up_c" "$up_g"
report "nginx WebDAV PUT" "$ng_up_s" "$ng_up_c"
report "vaultgw native restore" "$dn_s" "$dn_c" "$dn_g"
report "nginx GET" "$ng_dn_s" "$ng_dn_c"
: "$up_s1" "$dn_s1"

echo "== restic 0.14: backup and restore of a $MIB MiB tree, $nfiles files (best of $REPEAT)"
export RESTIC_PASSWORD=bench-password
R="restic --no-cache -q"
vrepo() { echo "rest:https://bench:$TOK@127.0.0.1:$P1/restic/repo$1/"; }
rrepo() { echo "rest:https://bench:$RPASS@127.0.0.1:$P3/bench$1/"; }
for i in $(seq 1 "$REPEAT") x; do
	$CTL item create bench "repo$i" --kind restic >/dev/null
	$R --cacert "$GWCA" -r "$(vrepo "$i")" init >/dev/null
	$R --cacert "$W/peer.crt" -r "$(rrepo "$i")" init >/dev/null
done
cat "$W"/tree/* >/dev/null
v_backup() { (cd "$W" && $R --cacert "$GWCA" -r "$(vrepo "$1")" backup tree); }
r_backup() { (cd "$W" && $R --cacert "$W/peer.crt" -r "$(rrepo "$1")" backup tree); }
v_restore() { rm -rf "$W/vr"; $R --cacert "$GWCA" -r "$(vrepo 1)" restore latest --target "$W/vr"; }
r_restore() { rm -rf "$W/rr"; $R --cacert "$W/peer.crt" -r "$(rrepo 1)" restore latest --target "$W/rr"; }
read -r vb_s vb_c < <(best "$GW" "$VD" -- v_backup)
read -r vb_s1 vb_g < <(RUN=x; measure "$GW" -- v_backup)
read -r rb_s rb_c < <(best "$RC" -- r_backup)
read -r vr_s vr_c < <(best "$GW" "$VD" -- v_restore)
read -r vr_s1 vr_g < <(RUN=x; measure "$GW" -- v_restore)
read -r rr_s rr_c < <(best "$RC" -- r_restore)
cmp "$W/tree/f1.bin" "$W/vr/tree/f1.bin" && cmp "$W/tree/f1.bin" "$W/rr/tree/f1.bin"
report "vaultgw restic backup" "$vb_s" "$vb_c" "$vb_g"
report "rclone serve restic backup" "$rb_s" "$rb_c"
report "vaultgw restic restore" "$vr_s" "$vr_c" "$vr_g"
report "rclone serve restic restore" "$rr_s" "$rr_c"
: "$vb_s1" "$vr_s1"

echo "== 1,000 idle TLS 1.3 connections to vaultgw"
ulimit -n 8192
rss=$(python3 tests/integration/gateway/conns.py "$P1" "$GWCA" 1000 --tls13 --auth "bench:$TOK" \
	--hold 1 --rss-pid "$GW")
echo "  $rss"
rss_kib=$(echo "$rss" | sed 's/.*rss_kib=\([0-9]*\).*/\1/')

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) (other work skews every figure)"

echo "== ratios (target)"
printf '  native upload / nginx PUT        %5.2fx  (>= 0.80)\n' "$(f "$ng_up_s / $up_s")"
printf '  native restore / nginx GET       %5.2fx  (>= 0.80)\n' "$(f "$ng_dn_s / $dn_s")"
printf '  restic backup wall / rclone      %5.2fx  (<= 1.00)\n' "$(f "$vb_s / $rb_s")"
printf '  restic backup CPU/GiB / rclone   %5.2fx  (<= 0.50; vaultgw + vaultd)\n' "$(f "$vb_c / $rb_c")"
printf '  restic backup CPU/GiB / rclone   %5.2fx  (vaultgw alone)\n' "$(f "$vb_g / $rb_c")"
printf '  restic restore wall / rclone     %5.2fx\n' "$(f "$vr_s / $rr_s")"
printf '  RSS, 1000 idle TLS connections   %5.1f MiB (<= 64)\n' "$(f "$rss_kib / 1024" 1)"
