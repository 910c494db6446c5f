#!/usr/bin/env bash
# quickstart.sh - run the vaultgate appliance on built-in defaults on this
# machine and show backups and restores through it.
#
#  vgqs-ok (allowed client) --+                        +-- vgqs-pe: vaultgw on 10.231.0.5:443,
#  10.231.0.10                +-- vgqs-br (bridge) ----+   nftables allowlist (vaultnet)
#  vgqs-no (denied client) ---+                        +--unix socket--> vaultd (host namespace)
#  10.232.0.20
#
# restic and curl run from the allowed client's namespace through the private
# IP; the denied client gets no answer at all. vaultctl shows the same data
# from the console. Leaves everything running and writes
# build/quickstart/agent.env for pointing your own restic at it.
#
# Idempotent: re-running rebuilds what changed, tears down and rebuilds the
# demo namespaces (vgqs-*), restarts the daemons on the same state and
# certificate, and reuses the agent's token.
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

# The demo network: four namespaces of our own, rebuilt on every run.
. ./tests/integration/netns/topology.sh
vgtopo_init vgqs
NETCONF=$QS/vaultnet.conf
if [ -f "$NETCONF" ]; then
	./build/netns/vaultnet down --config "$NETCONF" >/dev/null 2>&1 || true
fi
vgtopo_down
vgtopo_up

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

echo "== vaultnet: namespace $TOPO_PE, private IP $TOPO_PE_IP, allowlist, no outbound"
S3PORT=9000
# vaultnet admits both listeners: 443 and the S3 port
TOPO_PORT="$TOPO_PORT, $S3PORT" vgtopo_config "$NETCONF" "vaultd_socket = $SOCK"
./build/netns/vaultnet up --config "$NETCONF"
vgtopo_attach_pe
port=$TOPO_PORT
# A certificate from an earlier run must name this private IP, or it is made anew.
if [ -f "$QS/tls/server.crt" ] &&
	! openssl x509 -in "$QS/tls/server.crt" -noout -checkip "$TOPO_PE_IP" | grep -q "does match"; then
	rm -rf "$QS/tls"
fi
cat >"$QS/vaultgw.conf" <<EOF
# vaultgw configuration written by quickstart.sh (see gateway/README.md)
listen = $TOPO_PE_IP:$port
vaultd_socket = $SOCK
user = $GWUSER
tls_dir = $QS/tls
restic_vault = $VAULT
s3_listen = $TOPO_PE_IP:$S3PORT
s3_vault = $VAULT
EOF
chmod 600 "$QS/vaultgw.conf"
echo "== starting vaultgw in $TOPO_PE on https://$TOPO_PE_IP:$port"
"$PWD/build/gateway/vaultgw" --config "$QS/vaultgw.conf" --netns "$TOPO_PE" --check >/dev/null
seen=$(grep -c "listening on" "$QS/vaultgw.log" 2>/dev/null || true)
setsid ./build/gateway/vaultgw --config "$QS/vaultgw.conf" --netns "$TOPO_PE" >>"$QS/vaultgw.log" 2>&1 </dev/null &
echo $! >"$QS/vaultgw.pid"
for _ in $(seq 100); do
	[ "$(grep -c "listening on" "$QS/vaultgw.log" 2>/dev/null || true)" -gt "${seen:-0}" ] && break
	sleep 0.1
done
grep -q "listening on $TOPO_PE_IP:$port" "$QS/vaultgw.log" || { tail -5 "$QS/vaultgw.log"; exit 1; }
CA=$QS/tls/server.crt
URL=https://$TOPO_PE_IP:$port
IN_OK="ip netns exec $TOPO_OK"
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
	[ "$($IN_OK curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -u "$AGENT:$token" "$URL/v1/whoami")" != 200 ]; then
	# A lost or stale token: rotate it (an agent's rotation needs a PIN).
	pin=$($CTL pin generate "$VAULT" | grep -o '[0-9]\{6,\}' | head -1)
	token=$($CTL principal rotate "$AGENT" --vault "$VAULT" --pin "$pin" | grep -o 'vg_[0-9a-f]\{64\}' | head -1)
fi
[ -n "$token" ] || { echo "could not obtain a token for $AGENT" >&2; exit 1; }
$CTL role grant "$AGENT" "$VAULT" agent >/dev/null
$CTL item list "$VAULT" | grep -q "^$RITEM\b" || $CTL item create "$VAULT" "$RITEM" --kind restic --agent "$AGENT"
$CTL item list "$VAULT" | grep -q "^$FITEM\b" || $CTL item create "$VAULT" "$FITEM" --agent "$AGENT"

echo "== S3: keys (vaultctl s3 key), a bucket with Object Lock (COMPLIANCE, 1 day) on https://$TOPO_PE_IP:$S3PORT"
S3URL=https://$TOPO_PE_IP:$S3PORT
BUCKET=vgqs-locked
s3id=""
s3secret=""
if [ -f "$QS/agent.env" ]; then
	s3id=$(sed -n 's/^VG_S3_ACCESS_KEY=//p' "$QS/agent.env")
	s3secret=$(sed -n 's/^VG_S3_SECRET_KEY=//p' "$QS/agent.env")
fi
if [ -z "$s3id" ] || ! $CTL s3 key list "$AGENT" | grep -q "^$s3id"; then
	$CTL s3 key create "$AGENT" >"$QS/s3-agent.keys"
	s3id=$(sed -n 's/^AWS_ACCESS_KEY_ID=//p' "$QS/s3-agent.keys")
	s3secret=$(sed -n 's/^AWS_SECRET_ACCESS_KEY=//p' "$QS/s3-agent.keys")
	rm -f "$QS/s3-agent.keys"
fi
if ! $CTL item list "$VAULT" | grep -q "^$BUCKET\b"; then
	# An Owner creates the bucket through S3 itself (Object Lock is chosen
	# at creation), from the allowed client; its key is deleted after.
	$CTL principal list | grep -q "^qs-admin\b" || $CTL principal add qs-admin --kind user >/dev/null
	$CTL role grant qs-admin "$VAULT" owner >/dev/null
	$CTL s3 key create qs-admin >"$QS/s3-admin.keys"
	(
		. <(sed 's/^/export /' "$QS/s3-admin.keys")
		export AWS_CA_BUNDLE=$CA AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
		export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
		$IN_OK /usr/bin/aws --endpoint-url "$S3URL" s3api create-bucket --bucket "$BUCKET" \
			--object-lock-enabled-for-bucket >/dev/null
		$IN_OK /usr/bin/aws --endpoint-url "$S3URL" s3api put-object-lock-configuration \
			--bucket "$BUCKET" --object-lock-configuration \
			'{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"COMPLIANCE","Days":1}}}'
	)
	$CTL s3 key delete "$(sed -n 's/^AWS_ACCESS_KEY_ID=//p' "$QS/s3-admin.keys")" >/dev/null
	rm -f "$QS/s3-admin.keys"
	$CTL item set "$VAULT" "$BUCKET" agent "$AGENT" >/dev/null
fi

umask 077
cat >"$QS/agent.env" <<EOF
# Written by quickstart.sh: the demo appliance's address and an agent's credentials.
#   . $QS/agent.env
#   ip netns exec "\$VG_CLIENT_NETNS" restic --cacert "\$VG_CACERT" \\
#       -r "rest:https://\$VG_USER:\$VG_TOKEN@\${VG_URL#https://}/restic/\$VG_ITEM/" snapshots
#   vaultnet verify --config "\$VG_NET_CONFIG"
VG_URL=$URL
VG_CACERT=$CA
VG_USER=$AGENT
VG_TOKEN=$token
VG_ITEM=$RITEM
VG_CLIENT_NETNS=$TOPO_OK
VG_DENIED_NETNS=$TOPO_NO
VG_APPLIANCE_NETNS=$TOPO_PE
VG_NET_CONFIG=$NETCONF
# S3 (AWS Signature V4; the same CA): e.g.
#   AWS_ACCESS_KEY_ID=\$VG_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=\$VG_S3_SECRET_KEY AWS_CA_BUNDLE=\$VG_CACERT \\
#   ip netns exec "\$VG_CLIENT_NETNS" aws --endpoint-url "\$VG_S3_URL" s3 cp FILE "s3://\$VG_S3_BUCKET/"
VG_S3_URL=$S3URL
VG_S3_ACCESS_KEY=$s3id
VG_S3_SECRET_KEY=$s3secret
VG_S3_BUCKET=$BUCKET
EOF
umask 022

echo "== S3 from the allowed client: aws s3 cp into $BUCKET (its COMPLIANCE retention applies)"
(
	export AWS_ACCESS_KEY_ID=$s3id AWS_SECRET_ACCESS_KEY=$s3secret AWS_CA_BUNDLE=$CA
	export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
	export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
	echo "hello from quickstart over S3" >"$QS/s3-hello.txt"
	$IN_OK /usr/bin/aws --endpoint-url "$S3URL" s3 cp "$QS/s3-hello.txt" "s3://$BUCKET/hello.txt" >/dev/null
	$IN_OK /usr/bin/aws --endpoint-url "$S3URL" s3api head-object --bucket "$BUCKET" --key hello.txt \
		--query '[ObjectLockMode, ObjectLockRetainUntilDate]' --output text
)

echo "== a sample tree"
sample=$QS/sample
rm -rf "$sample"
mkdir -p "$sample/docs" "$sample/data"
cp README.md "$sample/docs/"
cp -r gateway "$sample/docs/gateway-src"
head -c $((8 * 1024 * 1024 + 12345)) /dev/urandom >"$sample/data/blob.bin"
echo "hello from quickstart" >"$sample/hello.txt"

echo "== restic backup and restore from the allowed client ($TOPO_OK, $TOPO_OK_IP) through the private IP"
[ -f "$QS/restic.password" ] || (umask 077; openssl rand -hex 24 >"$QS/restic.password")
export RESTIC_PASSWORD_FILE=$QS/restic.password RESTIC_CACHE_DIR=$QS/restic-cache
repo="rest:https://$AGENT:$token@$TOPO_PE_IP:$port/restic/$RITEM/"
r() { $IN_OK restic --cacert "$CA" -r "$repo" "$@"; }
r cat config >/dev/null 2>&1 || r init
(cd "$QS" && r backup sample)
r snapshots
rm -rf "$QS/restored-restic"
r restore latest --target "$QS/restored-restic"
diff -r "$sample" "$QS/restored-restic/sample" && echo "restic restore is identical"
rm -rf "$QS/restored-one"
r restore latest --target "$QS/restored-one" --include /sample/hello.txt
cmp "$sample/hello.txt" "$QS/restored-one/sample/hello.txt" && echo "restic restore --include of one file is identical"

echo "== curl backup and restore through the native API (from $TOPO_OK)"
c() { $IN_OK curl -sS --fail-with-body --cacert "$CA" -u "$AGENT:$token" "$@"; }
tar -C "$QS" -cf "$QS/sample.tar" sample
point=$(c -X POST "$URL/v1/vaults/$VAULT/items/$FITEM/points" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["point"])')
c -T "$QS/sample.tar" "$URL/v1/vaults/$VAULT/items/$FITEM/points/$point/objects/sample.tar"; echo
c -X POST "$URL/v1/vaults/$VAULT/items/$FITEM/points/$point/commit"; echo
c -o "$QS/restored.tar" "$URL/v1/vaults/$VAULT/items/$FITEM/points/$point/objects/sample.tar"
cmp "$QS/sample.tar" "$QS/restored.tar" && echo "curl restore is byte-exact ($(stat -c %s "$QS/sample.tar") bytes, point $point)"
c -r 0-99 "$URL/v1/vaults/$VAULT/items/$FITEM/points/$point/objects/sample.tar" | cmp - <(head -c 100 "$QS/sample.tar") &&
	echo "a Range request returns exactly bytes 0-99"

echo "== the denied client ($TOPO_NO, $TOPO_NO_IP) gets no answer: no RST, no reply"
set +e
ip netns exec "$TOPO_NO" timeout 3 bash -c "exec 3<>/dev/tcp/$TOPO_PE_IP/$port" 2>/dev/null
rc=$?
set -e
if [ "$rc" = 124 ]; then
	echo "tcp/$port from $TOPO_NO_IP: timed out after 3 s (dropped, as intended)"
else
	echo "tcp/$port from $TOPO_NO_IP: expected a timeout, got exit $rc" >&2
	exit 1
fi
if ip netns exec "$TOPO_NO" ping -c 1 -W 1 "$TOPO_PE_IP" >/dev/null 2>&1; then
	echo "ping from the denied client was answered" >&2
	exit 1
fi
echo "ping from $TOPO_NO_IP: no reply"

echo "== vaultnet show (the live ruleset, counters, addresses, routes)"
./build/netns/vaultnet show --config "$NETCONF"
./build/netns/vaultnet verify --config "$NETCONF"

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
  S3       $S3URL   bucket $BUCKET (Object Lock, COMPLIANCE 1 day); keys in agent.env
The network: appliance $TOPO_PE ($TOPO_PE_IP), allowed client $TOPO_OK ($TOPO_OK_IP),
denied client $TOPO_NO ($TOPO_NO_IP), bridge $TOPO_BR. Audit the firewall:
  ./build/netns/vaultnet verify --config $NETCONF
  ./build/netns/vaultnet explain --config $NETCONF $TOPO_NO_IP $port
Point your own restic at it (from the allowed client's namespace):
  . $QS/agent.env
  export RESTIC_PASSWORD_FILE=$QS/restic.password
  ip netns exec "\$VG_CLIENT_NETNS" restic --cacert "\$VG_CACERT" -r "rest:https://\$VG_USER:\$VG_TOKEN@\${VG_URL#https://}/restic/\$VG_ITEM/" snapshots
Or curl:
  ip netns exec "\$VG_CLIENT_NETNS" curl --cacert "\$VG_CACERT" -u "\$VG_USER:\$VG_TOKEN" "\$VG_URL/v1/vaults/$VAULT/items/$FITEM/points"
To stop it and remove the demo namespaces:
  kill \$(cat $QS/vaultgw.pid) \$(cat $QS/vaultd.pid)
  ./build/netns/vaultnet down --config $NETCONF
  for ns in $TOPO_OK $TOPO_NO $TOPO_BR; do ip netns del \$ns; done
EOT
