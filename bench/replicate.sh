#!/usr/bin/env bash
# bench/replicate.sh - pull replication and scrub throughput (issue 14),
# printed beside their peers in the same run, never asserted:
#
#   vaultsync   vaultctl sync run: secondary pulls SIZE MiB (one point) from
#               the primary's vaultgw over TLS into its own vaultd (loopback)
#   rclone      rclone sync between two `rclone serve webdav` endpoints over
#               TLS (loopback), the same bytes as one file
#   rsync       rsync over SSH of the same file (only if rsync and sshd are
#               installed: `apt-get install rsync openssh-server`)
#   scrub       vaultctl scrub VAULT on the primary: read, authenticate,
#               decrypt and hash every byte
#   sha256sum   sha256sum of the same bytes (from the page cache)
#
#   bench/replicate.sh [--size MIB] [--dir DIR] [--build DIR]
#
# --size   MiB to replicate (default 1024)
# --dir    where both state dirs and the files go (default /var/tmp)
# --build  meson build dir (default build)
#
# Everything runs on loopback, started and stopped by PID. Not run by test.sh.
set -eu
cd "$(dirname "$0")/.."
size=1024 dir=${TMPDIR:-/var/tmp} build=build
[ "$dir" != /tmp ] || dir=/var/tmp
while [ $# -gt 0 ]; do
	case "$1" in
	--size) size=$2; shift 2 ;;
	--dir) dir=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	*) sed -n '2,22p' "$0" >&2; exit 2 ;;
	esac
done
build=$(cd "$build" && pwd)
VAULTD=$build/vault/vaultd VAULTCTL=$build/vault/vaultctl VAULTGW=$build/gateway/vaultgw
for b in "$VAULTD" "$VAULTCTL" "$VAULTGW" "$build/vault/vaultsync"; do
	[ -x "$b" ] || { echo "build $build first (ninja -C $build)" >&2; exit 2; }
done
W=$(mktemp -d "$dir/vgbench-repl.XXXXXX")
chmod 711 "$W"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT
export NO_PROXY='*' no_proxy='*'
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
rate() { python3 -c "import sys; b=$1; t=$2; print('%8.1f MB/s  (%d MiB in %.2f s)' % (b/t/1e6, b>>20, t))"; }

# start_pair TAG VAULT: vaultd + vaultgw under $W/TAG
start_pair() {
	local t=$1 v=$2 d=$W/$1 port i
	mkdir -p "$d"
	chmod 711 "$d"
	"$VAULTD" --state-dir "$d/state" --socket "$d/vaultd.sock" --socket-group nogroup \
		>>"$W/vaultd-$t.log" 2>&1 &
	pids+=($!)
	for i in $(seq 1 100); do "$VAULTCTL" --socket "$d/vaultd.sock" whoami >/dev/null 2>&1 && break; sleep 0.1; done
	port=$(free_port)
	printf 'listen = 127.0.0.1:%s\nvaultd_socket = %s\nuser = nobody\ntls_dir = %s\nrestic_vault = %s\n' \
		"$port" "$d/vaultd.sock" "$d/tls" "$v" >"$d/gw.conf"
	chmod 600 "$d/gw.conf"
	"$VAULTGW" --config "$d/gw.conf" >>"$W/vaultgw-$t.log" 2>&1 &
	pids+=($!)
	for i in $(seq 1 100); do grep -q "listening on" "$W/vaultgw-$t.log" 2>/dev/null && break; sleep 0.1; done
	eval "SOCK_$t=$d/vaultd.sock URL_$t=https://127.0.0.1:$port CA_$t=$d/tls/server.crt"
}

bytes=$((size * 1048576))
echo "replicate: $size MiB, state and files under $dir" >&2
head -c "$bytes" /dev/urandom >"$W/data.bin"
start_pair A src
start_pair B dst
A() { "$VAULTCTL" --socket "$SOCK_A" "$@"; }
B() { "$VAULTCTL" --socket "$SOCK_B" "$@"; }
A vault create src >/dev/null
A item create src host1 >/dev/null
A backup src host1 --object data.bin "$W/data.bin" >/dev/null
A principal add repl --kind user >"$W/repl.tok"
A role grant repl src replicator >/dev/null
B vault create dst >/dev/null
export VG_SYNC_DIR=$W/sync
B remote add prim "$URL_A" --ca "$CA_A" --user repl --token-file "$W/repl.tok" >/dev/null
B sync create j --remote prim --vault src --to dst >/dev/null
cat "$W/data.bin" >/dev/null
t0=$(now); B sync run j >/dev/null; t1=$(now)
printf 'vaultsync (TLS pull, SHA-256 checked, fsync'"'"'d)   %s\n' "$(rate "$bytes" "$(echo "$t1 - $t0" | bc)")"

# rclone sync between two rclone serve webdav endpoints, over TLS
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$W/rc.key" -out "$W/rc.crt" >/dev/null 2>&1
mkdir -p "$W/rcA" "$W/rcB"
cp "$W/data.bin" "$W/rcA/"
pa=$(free_port) pb=$(free_port)
rclone serve webdav "$W/rcA" --addr "127.0.0.1:$pa" --cert "$W/rc.crt" --key "$W/rc.key" >"$W/rcA.log" 2>&1 &
pids+=($!)
rclone serve webdav "$W/rcB" --addr "127.0.0.1:$pb" --cert "$W/rc.crt" --key "$W/rc.key" >"$W/rcB.log" 2>&1 &
pids+=($!)
sleep 1
t0=$(now)
rclone sync --ca-cert "$W/rc.crt" ":webdav,url='https://127.0.0.1:$pa':" ":webdav,url='https://127.0.0.1:$pb':" \
	>"$W/rclone.log" 2>&1 && sync "$W/rcB/data.bin"
t1=$(now)
if cmp -s "$W/rcA/data.bin" "$W/rcB/data.bin"; then
	printf 'rclone sync (webdav to webdav, TLS)            %s\n' "$(rate "$bytes" "$(echo "$t1 - $t0" | bc)")"
else
	echo "rclone sync: failed: $(tail -2 "$W/rclone.log")"
fi

if command -v rsync >/dev/null && command -v sshd >/dev/null; then
	echo "rsync over SSH: not wired up in this script yet (rsync and sshd are installed)"
else
	echo "rsync over SSH: skipped (rsync or sshd not installed here)"
fi

# scrub beside sha256sum of the same bytes
cat "$W/data.bin" >/dev/null
t0=$(now); sha256sum "$W/data.bin" >/dev/null; t1=$(now)
sha=$(echo "$t1 - $t0" | bc)
t0=$(now); A scrub src >/dev/null; t1=$(now)
scr=$(echo "$t1 - $t0" | bc)
printf 'scrub (read, GCM, SHA-256)                     %s\n' "$(rate "$bytes" "$scr")"
printf 'sha256sum (page cache)                         %s\n' "$(rate "$bytes" "$sha")"
python3 -c "print('scrub / sha256sum: %.2f' % ($sha / $scr))"
