#!/usr/bin/env bash
# quickstart.sh - run the vaultgate appliance (vaultd + vaultgw) on built-in
# defaults on this machine, on 127.0.0.1, and show backups and restores
# through it: with restic (REST backend), with curl (native API), and with
# vaultctl. Leaves both daemons running and writes build/quickstart/agent.env
# for pointing your own restic at it.
#
# Idempotent: re-running rebuilds what changed, restarts the two daemons on
# the same state, certificate and port, and reuses the agent's token.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh
[ -d build ] || meson setup build -Dwerror=true >/dev/null
ninja -C build >/dev/null

QS=$PWD/build/quickstart
STATE=$QS/state
SOCK=$QS/vaultd.sock
CTL="$PWD/build/vault/vaultctl --socket $SOCK"
GWUSER=vaultgw
VAULT=demo
AGENT=agent1
RITEM=host1-restic
FITEM=host1-files
mkdir -p "$QS"
chmod 755 "$QS"

# Stop the daemons of an earlier run (by their recorded PIDs).
stop_pid() {  # NAME
	local f=$QS/$1.pid old
	[ -f "$f" ] || return 0
	old=$(cat "$f")
	if kill -0 "$old" 2>/dev/null && grep -q "$1" "/proc/$old/cmdline" 2>/dev/null; then
		kill -TERM "$old"
		while kill -0 "$old" 2>/dev/null; do sleep 0.1; done
	fi
	rm -f "$f"
}
stop_pid vaultgw
stop_pid vaultd

# vaultgw drops to an unprivileged user that may use vaultd's socket.
if ! getent passwd "$GWUSER" >/dev/null; then
	echo "== creating system user $GWUSER (vaultgw runs as it)"
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$GWUSER"
fi

echo "== starting vaultd (state: $STATE, socket: $SOCK, group $GWUSER)"
setsid ./build/vault/vaultd --state-dir "$STATE" --socket "$SOCK" --socket-group "$GWUSER" \
	>>"$QS/vaultd.log" 2>&1 </dev/null &
echo $! >"$QS/vaultd.pid"
for _ in $(seq 100); do $CTL whoami >/dev/null 2>&1 && break; sleep 0.1; done
$CTL whoami >/dev/null

# The same port as last time if it is still free, else a free one.
port=$(cat "$QS/port" 2>/dev/null || echo 0)
port=$(python3 - "$port" <<'EOF'
import socket, sys
want = int(sys.argv[1])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", want))
except OSError:
    s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
EOF
)
echo "$port" >"$QS/port"
cat >"$QS/vaultgw.conf" <<EOF
# vaultgw configuration written by quickstart.sh (see gateway/README.md)
listen = 127.0.0.1:$port
vaultd_socket = $SOCK
user = $GWUSER
tls_dir = $QS/tls
restic_vault = $VAULT
EOF
chmod 600 "$QS/vaultgw.conf"
echo "== starting vaultgw on https://127.0.0.1:$port"
"$PWD/build/gateway/vaultgw" --config "$QS/vaultgw.conf" --check >/dev/null
seen=$(grep -c "listening on" "$QS/vaultgw.log" 2>/dev/null || true)
setsid ./build/gateway/vaultgw --config "$QS/vaultgw.conf" >>"$QS/vaultgw.log" 2>&1 </dev/null &
echo $! >"$QS/vaultgw.pid"
for _ in $(seq 100); do
	[ "$(grep -c "listening on" "$QS/vaultgw.log" 2>/dev/null || true)" -gt "${seen:-0}" ] && break
	sleep 0.1
done
grep -q "listening on 127.0.0.1:$port" "$QS/vaultgw.log" || { tail -5 "$QS/vaultgw.log"; exit 1; }
CA=$QS/tls/server.crt
URL=https://127.0.0.1:$port
fpr=$(openssl x509 -in "$CA" -noout -fingerprint -sha256 | cut -d= -f2)
echo "certificate $CA"
echo "SHA-256 fingerprint $fpr (agents pin it with --cacert)"

echo "== vault $VAULT, agent $AGENT, items $RITEM (restic) and $FITEM (files)"
$CTL vault show "$VAULT" >/dev/null 2>&1 || $CTL vault create "$VAULT"
$CTL item list "$VAULT" | grep -q '^host1\b' || $CTL item create "$VAULT" host1
token=""
[ -f "$QS/agent.env" ] && token=$(sed -n 's/^VG_TOKEN=//p' "$QS/agent.env")
if ! $CTL principal list | grep -q "^$AGENT\b"; then
	token=$($CTL principal add "$AGENT" --kind agent | grep -o 'vg_[0-9a-f]\{64\}' | head -1)
elif [ -z "$token" ] ||
	[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -u "$AGENT:$token" "$URL/v1/whoami")" != 200 ]; then
	# A lost or stale token: rotate it (an agent's rotation needs a PIN).
	pin=$($CTL pin generate "$VAULT" | grep -o '[0-9]\{6,\}' | head -1)
	token=$($CTL principal rotate "$AGENT" --vault "$VAULT" --pin "$pin" | grep -o 'vg_[0-9a-f]\{64\}' | head -1)
fi
[ -n "$token" ] || { echo "could not obtain a token for $AGENT" >&2; exit 1; }
$CTL role grant "$AGENT" "$VAULT" agent >/dev/null
$CTL item list "$VAULT" | grep -q "^$RITEM\b" || $CTL item create "$VAULT" "$RITEM" --kind restic --agent "$AGENT"
$CTL item list "$VAULT" | grep -q "^$FITEM\b" || $CTL item create "$VAULT" "$FITEM" --agent "$AGENT"

umask 077
cat >"$QS/agent.env" <<EOF
# Written by quickstart.sh: the demo appliance's address and an agent's credentials.
#   . $QS/agent.env
#   restic --cacert "\$VG_CACERT" -r "rest:https://\$VG_USER:\$VG_TOKEN@\${VG_URL#https://}/restic/\$VG_ITEM/" snapshots
VG_URL=$URL
VG_CACERT=$CA
VG_USER=$AGENT
VG_TOKEN=$token
VG_ITEM=$RITEM
EOF
umask 022

echo "== a sample tree"
sample=$QS/sample
rm -rf "$sample"
mkdir -p "$sample/docs" "$sample/data"
cp README.md "$sample/docs/"
cp -r gateway "$sample/docs/gateway-src"
head -c $((8 * 1024 * 1024 + 12345)) /dev/urandom >"$sample/data/blob.bin"
echo "hello from quickstart" >"$sample/hello.txt"

echo "== restic backup and restore through vaultgw"
[ -f "$QS/restic.password" ] || (umask 077; openssl rand -hex 24 >"$QS/restic.password")
export RESTIC_PASSWORD_FILE=$QS/restic.password RESTIC_CACHE_DIR=$QS/restic-cache
repo="rest:https://$AGENT:$token@127.0.0.1:$port/restic/$RITEM/"
r() { restic --cacert "$CA" -r "$repo" "$@"; }
r cat config >/dev/null 2>&1 || r init
(cd "$QS" && r backup sample)
r snapshots
rm -rf "$QS/restored-restic"
r restore latest --target "$QS/restored-restic"
diff -r "$sample" "$QS/restored-restic/sample" && echo "restic restore is identical"
rm -rf "$QS/restored-one"
r restore latest --target "$QS/restored-one" --include /sample/hello.txt
cmp "$sample/hello.txt" "$QS/restored-one/sample/hello.txt" && echo "restic restore --include of one file is identical"

echo "== curl backup and restore through the native API"
c() { curl -sS --fail-with-body --cacert "$CA" -u "$AGENT:$token" "$@"; }
tar -C "$QS" -cf "$QS/sample.tar" sample
point=$(c -X POST "$URL/v1/vaults/$VAULT/items/$FITEM/points" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["point"])')
c -T "$QS/sample.tar" "$URL/v1/vaults/$VAULT/items/$FITEM/points/$point/objects/sample.tar"; echo
c -X POST "$URL/v1/vaults/$VAULT/items/$FITEM/points/$point/commit"; echo
c -o "$QS/restored.tar" "$URL/v1/vaults/$VAULT/items/$FITEM/points/$point/objects/sample.tar"
cmp "$QS/sample.tar" "$QS/restored.tar" && echo "curl restore is byte-exact ($(stat -c %s "$QS/sample.tar") bytes, point $point)"
c -r 0-99 "$URL/v1/vaults/$VAULT/items/$FITEM/points/$point/objects/sample.tar" | cmp - <(head -c 100 "$QS/sample.tar") &&
	echo "a Range request returns exactly bytes 0-99"

echo "== vaultctl backup and restore (local console)"
sampleb=$QS/sample.bin
head -c $((8 * 1024 * 1024 + 12345)) /dev/urandom >"$sampleb"
vpoint=$($CTL backup "$VAULT" host1 --object sample.bin "$sampleb")
$CTL restore "$VAULT" host1 "$vpoint" --object sample.bin -o "$QS/restored.bin"
cmp "$sampleb" "$QS/restored.bin" && echo "vaultctl restore is byte-exact"

echo "== the audit log"
$CTL audit verify
$CTL audit export | tail -n 3

cat <<EOT

The appliance keeps running:
  vaultd   PID $(cat "$QS/vaultd.pid")   socket $SOCK   log $QS/vaultd.log
  vaultgw  PID $(cat "$QS/vaultgw.pid")   $URL   log $QS/vaultgw.log
Point your own restic at it:
  . $QS/agent.env
  export RESTIC_PASSWORD_FILE=$QS/restic.password
  restic --cacert "\$VG_CACERT" -r "rest:https://\$VG_USER:\$VG_TOKEN@\${VG_URL#https://}/restic/\$VG_ITEM/" snapshots
Or curl:
  curl --cacert "\$VG_CACERT" -u "\$VG_USER:\$VG_TOKEN" "\$VG_URL/v1/vaults/$VAULT/items/$FITEM/points"
To stop it:
  kill \$(cat $QS/vaultgw.pid) \$(cat $QS/vaultd.pid)
EOT
