# shellcheck shell=bash
# smoke-day2.sh - the boot test's "Day 2" steps (issues 13 and 21), sourced
# by smoke-test.sh, which calls:
#   day2_setup             before boot 1: the data disk and the QMP socket
#   day2_boot1             boot 1, after the first backups: the data disk,
#                          reconfiguration, the package upgrade, growing the
#                          data disk, the keys exported and imported
#   day2_boot2             boot 2: the data disk, its size and the new
#                          certificate kept
# It uses smoke-test.sh's g, R, step, fail, tree_sum, $work, $deb, $fp1,
# $kid1, $P_GW; it updates $fp1 and $work/cert.pem when it installs the
# customer's certificate (boot 2 then compares against those).
#
# The data disk is the second virtio disk (/dev/vdb, the seed's data_disk),
# a qcow2 of DAY2_DISK0 bytes grown to DAY2_DISK1 through QEMU's monitor
# (QMP block_resize) while the guest runs; `vaultgate-config grow` then
# extends the ext4 online.

DAY2_DISK0=$((256 * 1024 * 1024))
DAY2_DISK1=$((512 * 1024 * 1024))
day2_drives=()
day2_seed=()

day2_setup() {
	qemu-img create -q -f qcow2 "$work/data.qcow2" "$DAY2_DISK0"
	day2_drives=(-drive "file=$work/data.qcow2,format=qcow2,if=virtio,id=vgdata"
		-qmp "unix:$work/qmp.sock,server=on,wait=off")
	day2_seed=(--data-disk /dev/vdb)
}

# qmp JSON: one QMP command on the running qemu; prints the answer.
qmp() {
	python3 - "$work/qmp.sock" "$1" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(sys.argv[1])
f = s.makefile("rw")
json.loads(f.readline())                      # the greeting
def cmd(c):
    f.write(json.dumps(c) + "\n")
    f.flush()
    while True:                               # skip asynchronous events
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
cmd({"execute": "qmp_capabilities"})
r = cmd(json.loads(sys.argv[2]))
print(json.dumps(r))
sys.exit(1 if "error" in r else 0)
EOF
}

# The data disk in the guest: ext4 on /dev/vdb at /var/lib/vaultgate, with
# vaultd's state on it; prints its size in bytes (df).
day2_check_disk() {
	local src fst
	src=$(g "findmnt -n -o SOURCE /var/lib/vaultgate") || fail "nothing is mounted at /var/lib/vaultgate (the seed's data disk)"
	fst=$(g "findmnt -n -o FSTYPE /var/lib/vaultgate")
	[ "$src" = /dev/vdb ] && [ "$fst" = ext4 ] || fail "/var/lib/vaultgate is $src ($fst), not the data disk /dev/vdb (ext4)"
	g "test -s /var/lib/vaultgate/keys/platform.key && test -d /var/lib/vaultgate/meta && test -d /var/lib/vaultgate/blobs" ||
		fail "vaultd's state is not on the data disk"
	g "systemctl is-active vaultgate-datadisk.service" >/dev/null || fail "vaultgate-datadisk.service is not active"
	g "df -B1 --output=size /var/lib/vaultgate | tail -n 1 | tr -d ' '"
}

# agent_restic PIN: the enrolled agent's restic (its env file only) with
# the certificate pin PIN: a backup of tree, then a byte-exact restore.
agent_restic() {
	local pin=$1 dir=$work/restored-agent-$2
	rm -rf "$dir"
	(cd "$work" && env -i PATH="$PATH" HOME="$work" RESTIC_PASSWORD=agent-repository-password PIN="$pin" DIR="$dir" \
		sh -c 'set -a; . ./agent/agent.env; set +a; restic --cacert "$PIN" --no-cache -q backup tree &&
			restic --cacert "$PIN" --no-cache -q restore latest --target "$DIR"') || return 1
	diff <(tree_sum "$work/tree") <(tree_sum "$dir/tree") >/dev/null || fail "the agent's restore ($2) is not byte-exact"
}

# The gateway's answer to the Owner's whoami through the forward (200), or
# 000 when nothing answers within 8 s. Authenticated: failed attempts would
# count against the source's limit, which restic shares. The token goes
# through curl's stdin, not its argv.
gw_status() {
	printf 'user = "owner:%s"\n' "$(cat "$work/owner.token")" |
		curl -sk --max-time 8 -K - -o /dev/null -w '%{http_code}' "https://127.0.0.1:$P_GW/v1/whoami" 2>/dev/null || true
}
# gw_pinned PIN: the same with the certificate checked against PIN.
gw_pinned() {
	printf 'user = "owner:%s"\n' "$(cat "$work/owner.token")" |
		curl -s --max-time 20 -K - --cacert "$1" -o /dev/null "https://127.0.0.1:$P_GW/v1/whoami"
}

# (Outputs are read whole before grep: with pipefail, a grep -q that quits
# early makes the writer's SIGPIPE fail the pipeline.)
audit_has() {	# audit_has OPNAME TEXT
	local a
	a=$(g "vaultctl audit export")
	a=$(grep "\"$1\"" <<<"$a" || true)
	grep -q -- "$2" <<<"$a" || fail "the audit chain has no $1 entry with \"$2\""
}

# ---- issue 21: the allowlist and the certificate after first boot -----------------

day2_reconfigure() {
	local out fpn fps pin ca
	step "day 2: allowlist changed (vaultgate-config allow): a removed source is refused, re-added it works"
	[ "$(gw_status)" = 200 ] || fail "the Owner's whoami through the gateway: $(gw_status)"
	if g "vaultgate-config allow 10.0.2.300/32" >"$work/allow-bad.out" 2>&1; then
		fail "vaultgate-config allow took an invalid CIDR"
	fi
	grep -q refused "$work/allow-bad.out" || fail "allow 10.0.2.300/32: $(cat "$work/allow-bad.out")"
	# 10.0.2.2 (slirp's forward: the only source the host can be) removed.
	g "vaultgate-config allow 192.0.2.0/24" >"$work/allow.out" 2>&1 || fail "vaultgate-config allow: $(cat "$work/allow.out")"
	g "grep -qx 'allow_v4 = 192.0.2.0/24' /etc/vaultgate/vaultnet.conf" || fail "vaultnet.conf does not hold the new allowlist"
	[[ $(g "ip netns exec vg-pe nft list table inet vaultgate") == *192.0.2.0/24* ]] || fail "the vg-pe ruleset does not admit 192.0.2.0/24"
	[ "$(gw_status)" = 000 ] || fail "a source removed from the allowlist still reaches the gateway"
	g "vaultgate-config allow 10.0.2.2/32,192.0.2.0/24" >"$work/allow.out" 2>&1 || fail "vaultgate-config allow: $(cat "$work/allow.out")"
	g "vaultnet verify" >/dev/null 2>&1 || fail "vaultnet verify (default config) after the allowlist change"
	[ "$(gw_status)" = 200 ] || fail "the gateway does not answer again after the source came back"
	audit_has config.allow "192.0.2.0/24"
	audit_has config.allow "refused"

	step "day 2: a customer certificate (vaultgate-config tls-cert), agents re-pinned"
	ca=$work/custca
	mkdir -p "$ca"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=smoke customer CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		-keyout "$ca/ca.key" -out "$ca/ca.pem" 2>/dev/null
	mkleaf() {	# mkleaf NAME SANS
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=smoke" \
			-keyout "$ca/$1.key" -out "$ca/$1.csr" 2>/dev/null
		printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' "$2" >"$ca/$1.ext"
		openssl x509 -req -in "$ca/$1.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" -CAcreateserial -days 30 \
			-extfile "$ca/$1.ext" -out "$ca/$1.pem" 2>/dev/null
	}
	mkleaf leaf "IP:10.0.2.15,IP:127.0.0.1,DNS:smoke"
	mkleaf noip "IP:127.0.0.1,DNS:smoke"
	for f in ca.pem leaf.pem leaf.key noip.pem noip.key; do
		g "umask 077; cat > /root/$f" <"$ca/$f"
	done
	if g "vaultgate-config tls-cert /root/noip.pem /root/noip.key --ca /root/ca.pem" >"$work/tls.out" 2>&1; then
		fail "a certificate without the data IP was installed"
	fi
	grep -q "does not name the data IP 10.0.2.15" "$work/tls.out" || fail "tls-cert without the data IP: $(cat "$work/tls.out")"
	if g "vaultgate-config tls-cert /root/leaf.pem /root/noip.key --ca /root/ca.pem" >"$work/tls.out" 2>&1; then
		fail "a certificate was installed with another certificate's key"
	fi
	grep -q "does not match the key" "$work/tls.out" || fail "tls-cert with the wrong key: $(cat "$work/tls.out")"
	g "vaultgate-config tls-cert /root/leaf.pem /root/leaf.key --ca /root/ca.pem" >"$work/tls.out" 2>&1 ||
		fail "vaultgate-config tls-cert: $(cat "$work/tls.out")"
	fpn=$(openssl x509 -noout -fingerprint -sha256 -in "$ca/leaf.pem" | cut -d= -f2)
	# What vaultgw presents now (reloaded on SIGHUP, no restart).
	fps=$(openssl s_client -connect "127.0.0.1:$P_GW" -servername smoke </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 | cut -d= -f2)
	[ "$fps" = "$fpn" ] || fail "vaultgw presents $fps, not the customer certificate $fpn"
	# The old pin is refused; pinned to the customer's CA the agent works.
	pin=$(sed -n 's/^RESTIC_CACERT=//p' "$work/agent/agent.env")
	[ -n "$pin" ] || fail "the agent's env file names no RESTIC_CACERT"
	# (curl: restic would retry a certificate error for minutes)
	if gw_pinned "$pin"; then fail "the old pin (the replaced self-signed certificate) is still accepted"; fi
	gw_pinned "$ca/ca.pem" || fail "curl with the customer CA pinned: exit $?"
	cp "$ca/ca.pem" "$pin"
	agent_restic "$pin" newpin || fail "the enrolled agent's restic with the customer CA pinned"
	audit_has config.tls-cert "$fpn"
	audit_has config.tls-cert "refused"
	cp "$ca/ca.pem" "$work/cert.pem"     # R's --cacert from now on
	fp1=$fpn                             # what boot 2's console must show
	step "day 2: the customer certificate $fpn is served; old pin refused, new pin works"
}

# ---- issue 13: the package upgraded in place, a downgrade refused -------------------

day2_upgrade() {
	local v0 v1 inv0 inv1 gw0 gw1 st
	v0=$(g "dpkg-query -W -f '\${Version}' vaultgate")
	v1="$v0+u1"
	step "day 2: the .deb upgraded in place ($v0 -> $v1): stop, migrate, start"
	rm -rf "$work/repack"
	dpkg-deb -R "$deb" "$work/repack"
	sed -i "s/^Version: .*/Version: $v1/" "$work/repack/DEBIAN/control"
	sed -i "s/^VERSION=.*/VERSION=\"$v1\"/" "$work/repack/DEBIAN/prerm"
	dpkg-deb --root-owner-group -Zgzip -b "$work/repack" "$work/next.deb" >/dev/null
	g "cat > /root/next.deb" <"$work/next.deb"
	g "cat > /root/prev.deb" <"$deb"
	# A point and a restic snapshot from before the upgrade.
	tar -C "$work/tree" -cf - . | g "vaultctl backup smoke tree --object before.tar -" >"$work/point-before" ||
		fail "vaultctl backup before the upgrade"
	inv0=$(g "systemctl show -p InvocationID --value vaultd")
	gw0=$(g "systemctl show -p InvocationID --value vaultgw")
	g "dpkg -i /root/next.deb" >"$work/dpkg-up.out" 2>&1 || fail "dpkg -i (upgrade): $(tail -n 5 "$work/dpkg-up.out")"
	[ "$(g "dpkg-query -W -f '\${Version} \${Status}' vaultgate")" = "$v1 install ok installed" ] ||
		fail "after the upgrade: $(g "dpkg-query -W -f '\${Version} \${Status}' vaultgate")"
	inv1=$(g "systemctl show -p InvocationID --value vaultd")
	gw1=$(g "systemctl show -p InvocationID --value vaultgw")
	[ "$inv1" != "$inv0" ] && [ "$gw1" != "$gw0" ] || fail "the upgrade did not restart vaultd and vaultgw"
	g "systemctl is-active vaultd vaultgw vaultnet" >/dev/null || fail "services down after the upgrade"
	g "vaultnet verify" >/dev/null 2>&1 || fail "vaultnet verify after the upgrade"
	# Everything from before restores byte-exact, on the new binaries.
	g "vaultctl restore smoke tree $(cat "$work/point-before") --object before.tar" >"$work/before.tar"
	rm -rf "$work/restored-up" && mkdir -p "$work/restored-up"
	tar -C "$work/restored-up" -xf "$work/before.tar"
	diff <(tree_sum "$work/tree") <(tree_sum "$work/restored-up") >/dev/null || fail "a point from before the upgrade is not byte-exact"
	# (the restic snapshots from before: restored after the keys import, below, and at boot 2)
	g "vaultctl backup smoke tree --object after.txt -" <<<"after the upgrade" >/dev/null || fail "a new point after the upgrade"
	g "vaultctl audit verify" >/dev/null || fail "audit chain after the upgrade"
	audit_has package.upgrade "upgraded from $v0"

	step "day 2: a downgrade ($v1 -> $v0) is refused, nothing stopped"
	if g "dpkg -i /root/prev.deb" >"$work/dpkg-down.out" 2>&1; then fail "dpkg installed an older vaultgate over a newer one"; fi
	grep -q "refusing to downgrade from $v1 to $v0" "$work/dpkg-down.out" || fail "downgrade: $(tail -n 5 "$work/dpkg-down.out")"
	st=$(g "dpkg-query -W -f '\${Version} \${Status}' vaultgate")
	[ "$st" = "$v1 install ok installed" ] || fail "after the refused downgrade: $st"
	[ "$(g "systemctl show -p InvocationID --value vaultd")" = "$inv1" ] || fail "the refused downgrade restarted vaultd"
	audit_has package.upgrade "refused: downgrade $v1 -> $v0"
	g "rm -f /root/next.deb /root/prev.deb"
	step "day 2: upgraded, restored byte-exact, new backups, chain verifies; downgrade refused"
}

# ---- issue 21: the data disk grown online -------------------------------------------

day2_grow() {
	local before after n
	before=$(day2_check_disk)
	step "day 2: data disk grown: QMP block_resize to $((DAY2_DISK1 >> 20)) MiB, vaultgate-config grow"
	qmp "{\"execute\":\"block_resize\",\"arguments\":{\"device\":\"vgdata\",\"size\":$DAY2_DISK1}}" >"$work/qmp.out" ||
		fail "QMP block_resize: $(cat "$work/qmp.out")"
	for n in $(seq 30); do
		[ "$(g "blockdev --getsize64 /dev/vdb")" = "$DAY2_DISK1" ] && break
		[ "$n" -lt 30 ] || fail "the guest does not see the grown disk: $(g "blockdev --getsize64 /dev/vdb")"
		sleep 1
	done
	g "vaultgate-config grow" >"$work/grow.out" 2>&1 || fail "vaultgate-config grow: $(cat "$work/grow.out")"
	after=$(day2_check_disk)
	[ "$after" -gt $((before + DAY2_DISK0 * 9 / 10)) ] || fail "the data disk's filesystem did not grow ($before -> $after bytes)"
	day2_size=$after
	audit_has config.grow "$before -> $after"
	g "vaultctl restore smoke tree $(cat "$work/point-before") --object before.tar" >"$work/before.tar"
	rm -rf "$work/restored-up" && mkdir -p "$work/restored-up"
	tar -C "$work/restored-up" -xf "$work/before.tar"
	diff <(tree_sum "$work/tree") <(tree_sum "$work/restored-up") >/dev/null || fail "a point is not byte-exact after growing the disk"
	step "day 2: ext4 $before -> $after bytes online; the points are intact"
}

# ---- issue 21: the keys exported, a fresh state directory imports them ----------------

day2_keys() {
	local kid
	step "day 2: keys exported (vaultctl keys export), state re-provisioned, imported: every point restores"
	g "umask 077; printf '%s\n' 'smoke test key passphrase' >/root/keys.pass && vaultctl keys export --to /root/keys.vgk --passphrase-file /root/keys.pass" \
		>/dev/null || fail "vaultctl keys export"
	# Off the box, then the appliance loses everything but meta/, blobs/ and
	# audit.hwm (README, Day 2: a replacement appliance on the old data).
	g "cat /root/keys.vgk && rm /root/keys.vgk" >"$work/keys.vgk"
	head -n 1 "$work/keys.vgk" | grep -qx "vaultgate-keys 1" || fail "keys.vgk: $(head -c 64 "$work/keys.vgk")"
	audit_has keys.export ok
	g "systemctl stop vaultgw vaultd && cd /var/lib/vaultgate &&
		find . -mindepth 1 -maxdepth 1 ! -name meta ! -name blobs ! -name audit.hwm ! -name lost+found -exec rm -rf {} + &&
		test ! -e keys" || fail "re-provisioning the state directory"
	g "umask 077; cat > /root/keys-in.vgk" <"$work/keys.vgk"
	# As root, as the README says: vaultd becomes the state directory's owner.
	g "vaultd --state-dir /var/lib/vaultgate --import-keys /root/keys-in.vgk --passphrase-file /root/keys.pass &&
		rm /root/keys-in.vgk /root/keys.pass" >"$work/import.out" 2>&1 ||
		fail "vaultd --import-keys: $(cat "$work/import.out")"
	[ "$(g "stat -c %U /var/lib/vaultgate/keys/platform.key /var/lib/vaultgate/keys/audit.key | sort -u")" = vaultd ] ||
		fail "the imported keys are not owned by vaultd"
	g "systemctl start vaultd vaultgw" || fail "vaultd on the imported keys: $(g 'journalctl -u vaultd -n 5 --no-pager')"
	kid=$(g "{ printf 'vaultgate platform key id\n'; cat /var/lib/vaultgate/keys/platform.key; } | sha256sum | cut -c1-32")
	[ "$kid" = "$kid1" ] || fail "the imported platform key is $kid, the console said $kid1"
	for p in "$(cat "$work/point")" "$(cat "$work/point-before")"; do
		rm -rf "$work/restored-keys" && mkdir -p "$work/restored-keys"
		g "vaultctl restore smoke tree $p --object $([ "$p" = "$(cat "$work/point")" ] && echo tree.tar || echo before.tar)" |
			tar -C "$work/restored-keys" -xf - || fail "restore of $p on the imported keys"
		diff <(tree_sum "$work/tree") <(tree_sum "$work/restored-keys") >/dev/null || fail "point $p is not byte-exact on the imported keys"
	done
	rm -rf "$work/restored-restic"
	"${R[@]}" restore latest --target "$work/restored-restic" || fail "restic restore on the imported keys"
	diff <(tree_sum "$work/tree") <(tree_sum "$work/restored-restic/tree") >/dev/null ||
		fail "restic restore on the imported keys is not byte-exact"
	rm -rf "$work/restored-imported"
	(cd "$work" && env -i PATH="$PATH" HOME="$work" RESTIC_PASSWORD=agent-repository-password \
		sh -c 'set -a; . ./agent/agent.env; set +a; restic --cacert "$RESTIC_CACERT" --no-cache -q restore latest --target restored-imported') ||
		fail "the agent's restic restore on the imported keys"
	diff <(tree_sum "$work/tree") <(tree_sum "$work/restored-imported/tree") >/dev/null ||
		fail "the agent's restore on the imported keys is not byte-exact"
	g "vaultctl audit verify" >/dev/null || fail "audit chain on the imported keys"
	audit_has keys.import ok
	step "day 2: imported keys (platform key id $kid): every point and snapshot byte-exact, chain verifies"
}

day2_boot1() {
	day2_size=$(day2_check_disk)
	step "day 2: the seed's data disk /dev/vdb (ext4, $day2_size bytes) holds /var/lib/vaultgate"
	day2_reconfigure
	day2_upgrade
	day2_grow
	day2_keys
}

day2_boot2() {
	local s
	s=$(day2_check_disk)
	[ "$s" = "$day2_size" ] || fail "the data disk is $s bytes after the reboot, $day2_size before"
	s=$(g "vaultgate-config show")
	[[ $s == *"$fp1 (customer's)"* ]] || fail "the customer certificate is not kept across the reboot: $s"
	g "vaultnet verify" >/dev/null 2>&1 || fail "vaultnet verify after the reboot"
	[ "$(gw_status)" = 200 ] || fail "the gateway does not answer after the reboot"
}
