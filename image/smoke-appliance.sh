# shellcheck shell=bash
# smoke-appliance.sh - issue 13's steps of the image boot test, sourced by
# smoke-test.sh (its g, step, fail, work, here): customer-managed keys in a
# SoftHSM2 token inside the VM, alerts and audit anchors to a syslog
# collector over TLS on the host side, the vaultnet watch unit, the banner,
# and systemd-analyze security of every vaultgate unit.
#
#   app_init    before boot 1: the collector's CA and certificate, the
#               collector (smoke-collector.py) on a free loopback port, the
#               seed options (APP_SEED) and the management netdev's guestfwd
#               (APP_MGMT_FWD: the guest's 10.0.2.100:6514 reaches the
#               collector through a relay qemu runs per connection).
#               NTP: slirp drops every guest UDP datagram under restrict=on,
#               so the NTP server is reached through a third NIC (APP_QEMU: a
#               slirp stack without restrict, 10.0.3.0/24, whose host alias
#               10.0.3.2 is this host's 127.0.0.1): an SNTP responder the test
#               runs on 127.0.0.1:123. The guest's management firewall admits
#               only udp/123 to 10.0.3.2 from it (the seed's ntp:); the test
#               gives eth2 its address over SSH.
#   app_checks  in boot 1, after the other checks.

APP_SYSLOG=10.0.2.100:6514
APP_NTP=10.0.3.2
app_cpid="" app_npid=""

app_cleanup() {
	local p
	for p in $app_cpid $app_npid; do
		if kill -0 "$p" 2>/dev/null; then
			kill "$p" 2>/dev/null || true
		fi
	done
}

app_init() {
	local py d=$work/collector
	py=$(command -v python3) || fail "python3 is needed for the syslog collector"
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=vgt-$$-syslog-ca" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
		-keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=collector" \
		-keyout "$d/key.pem" -out "$d/req.pem" 2>/dev/null
	printf 'subjectAltName=IP:10.0.2.100\nextendedKeyUsage=serverAuth\n' > "$d/ext"
	openssl x509 -req -in "$d/req.pem" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
		-extfile "$d/ext" -out "$d/cert.pem" 2>/dev/null
	# Another CA, for the refusal.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=vgt-$$-other-ca" \
		-keyout "$d/other.key" -out "$d/other.pem" 2>/dev/null
	: > "$work/syslog.rx"
	"$py" "$here/smoke-collector.py" serve "$d/cert.pem" "$d/key.pem" "$d/port" "$work/syslog.rx" \
		> "$d/collector.log" 2>&1 &
	app_cpid=$!
	for _ in $(seq 100); do [ -s "$d/port" ] && break; sleep 0.1; done
	[ -s "$d/port" ] || fail "the syslog collector did not start: $(cat "$d/collector.log")"
	[ -z "$(ss -Hlun 'sport = :123' src 127.0.0.1)" ] && [ -z "$(ss -Hlun 'sport = :123' src 0.0.0.0)" ] ||
		fail "127.0.0.1:123 is taken on this host: the boot test's SNTP server needs it"
	"$py" "$here/smoke-collector.py" sntp 127.0.0.1 "$work/sntp.count" > "$d/sntp.log" 2>&1 &
	app_npid=$!
	sleep 1
	kill -0 "$app_npid" 2>/dev/null || fail "the SNTP server did not start: $(cat "$d/sntp.log")"
	APP_QEMU=(-netdev "user,id=ntp,net=10.0.3.0/24,host=$APP_NTP" -device virtio-net-pci,netdev=ntp)
	APP_SEED=(--syslog "$APP_SYSLOG" --syslog-ca "$d/ca.pem" --ntp "$APP_NTP")
	APP_MGMT_FWD=",guestfwd=tcp:$APP_SYSLOG-cmd:$py $here/smoke-collector.py relay $(cat "$d/port")"
}

# app_wait_rx PATTERN WHAT: the collector received a line matching PATTERN.
app_wait_rx() {
	for _ in $(seq 90); do
		grep -aEq "$1" "$work/syslog.rx" && return 0
		sleep 1
	done
	fail "the syslog collector received no $2 within 90 s (got: $(tr -c '[:print:]\n' ' ' < "$work/syslog.rx" | tail -c 600))"
}

# g_has CMD PATTERN: CMD's output (over SSH) has a line matching PATTERN. Not
# "g CMD | grep -q": grep leaves at the first match, ssh then dies of SIGPIPE,
# and pipefail fails the pipeline whenever more output followed.
g_has() {
	local out
	out=$(g "$1") || return 1
	grep -q -- "$2" <<<"$out"
}

app_security() {	# app_security UNIT: the overall exposure, inside the VM
	g "systemd-analyze security --no-pager $1" | awk '/Overall exposure level/ { print $(NF-2), $(NF-1) }'
}

app_checks() {
	local before after u a line seq hash sums
	step "issue 13: vaultnet watch unit, banner (allowlist, agent restic line, clock)"
	g "systemctl is-active vaultnet-watch.service" >/dev/null || fail "vaultnet-watch.service is not active"
	grep -aq "vaultgate: allowlist (agents' sources): 10.0.2.2/32" "$serial" || fail "the banner shows no allowlist"
	grep -aq 'vaultgate: agent restic: set -a; . /etc/restic/vaultgate.env; set +a; restic --cacert "$RESTIC_CACERT" backup PATH' "$serial" ||
		fail "the banner shows no agent restic command line"
	grep -aq "vaultgate: clock: .* (NTP $APP_NTP)" "$serial" || fail "the banner shows no clock line with the seed's NTP server"

	step "issue 13: time from the host's SNTP server (seed ntp: $APP_NTP, through eth2)"
	g "ip addr add 10.0.3.15/24 dev eth2 && ip link set eth2 up && systemctl restart systemd-timesyncd" ||
		fail "configuring eth2 for the NTP server"
	g_has "nft list chain inet vaultgate_mgmt output" "ip daddr $APP_NTP udp dport 123 .*accept" ||
		fail "no outbound management rule for the NTP server"
	for _ in $(seq 120); do
		[ "$(g "timedatectl show -p NTPSynchronized --value")" = yes ] && break
		sleep 1
	done
	[ "$(g "timedatectl show -p NTPSynchronized --value")" = yes ] ||
		fail "timedatectl: not synchronised within 120 s ($(g 'timedatectl timesync-status' | tr '\n' ' ' | head -c 300))"
	[ "$(cat "$work/sntp.count" 2>/dev/null || echo 0)" -ge 1 ] || fail "the SNTP server answered nothing, yet the clock says synchronised"
	g_has "timedatectl timesync-status" "Server: $APP_NTP" || fail "timesyncd is not synchronised to $APP_NTP"
	g_has "vaultctl report" "^clock: synchronised" || fail "vaultctl report does not show the clock synchronised"

	step "issue 13: syslog over TLS to the host's collector (seed: $APP_SYSLOG, pinned CA)"
	# The anchor vaultctl makes now (vaultd anchored at start too: seq=0).
	line=$(g "vaultctl audit anchor" | grep -oE 'seq=[0-9]+ hash=[0-9a-f]{64}') || fail "vaultctl audit anchor"
	seq=${line#seq=}; seq=${seq%% *}; hash=${line##*hash=}
	app_wait_rx "[0-9]+ <[0-9]+>1 [^ ]+ [^ ]+ vaultd [0-9]+ - - *vaultgate-anchor seq=$seq hash=$hash " \
		"RFC 5424 line with the audit anchor seq=$seq"
	g "vaultctl audit verify --anchor $seq:$hash" >/dev/null || fail "the anchor the collector received does not verify on the appliance"
	g_has "nft list chain inet vaultgate_mgmt output" "ip daddr 10.0.2.100 tcp dport 6514 .*accept" ||
		fail "no outbound management rule for the syslog collector"
	# A collector whose certificate the given CA does not sign: refused,
	# audited, and the previous configuration keeps forwarding (below).
	sums=$(g "sha256sum /etc/vaultgate/syslog-ca.pem /etc/rsyslog.d/60-vaultgate-remote.conf")
	g "cat > /root/other-ca.pem" < "$work/collector/other.pem"
	if g "vaultgate-config syslog $APP_SYSLOG --ca /root/other-ca.pem" > "$work/syslog-refused.out" 2>&1; then
		fail "vaultgate-config syslog accepted a collector its CA does not verify"
	fi
	grep -q "refused: .*no TLS handshake verified by /root/other-ca.pem" "$work/syslog-refused.out" ||
		fail "the refusal does not say why: $(cat "$work/syslog-refused.out")"
	[ "$(g "sha256sum /etc/vaultgate/syslog-ca.pem /etc/rsyslog.d/60-vaultgate-remote.conf")" = "$sums" ] ||
		fail "the refused syslog change was not rolled back"
	g_has "vaultctl audit export" '"op":"config.syslog".*refused' || fail "the refused syslog change is not audited"

	step "issue 13: customer-managed key in a SoftHSM2 token inside the VM"
	before=$(app_security vaultd.service)
	# The token's files belong to vaultd (it opens them): the tools run as
	# vaultd, and read the key from a file of its own on tmpfs, removed after.
	g 'set -eu
		asv() { setpriv --reuid=vaultd --regid=vaultgate --groups=softhsm --inh-caps=-all "$@"; }
		asv softhsm2-util --init-token --free --label vgcmk --pin 1234 --so-pin 87654321
		umask 077
		head -c 32 /dev/urandom > /root/cmk-a.bin
		printf 1234 > /root/cmk.pin
		install -o vaultd -m 0400 /root/cmk-a.bin /dev/shm/cmk-a.bin
		asv pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label vgcmk \
			--login --pin 1234 --write-object /dev/shm/cmk-a.bin --type secrkey --key-type AES:32 --label cmk-a \
			--sensitive --private
		rm -f /dev/shm/cmk-a.bin' > "$work/hsm.out" 2>&1 ||
		fail "initialising the SoftHSM2 token in the VM: $(tail -n 5 "$work/hsm.out")"
	# A wrong token label: refused by vaultd --check, nothing changes.
	if g "vaultgate-config pkcs11 /usr/lib/softhsm/libsofthsm2.so nosuchtoken /root/cmk.pin" > "$work/p11-refused.out" 2>&1; then
		fail "vaultgate-config pkcs11 accepted a token that does not exist"
	fi
	g "test ! -e /etc/systemd/system/vaultd.service.d/vaultgate-pkcs11.conf" || fail "the refused pkcs11 change left a drop-in"
	g "vaultgate-config pkcs11 /usr/lib/softhsm/libsofthsm2.so vgcmk /root/cmk.pin" > "$work/p11.out" 2>&1 ||
		fail "vaultgate-config pkcs11: $(cat "$work/p11.out")"
	after=$(app_security vaultd.service)
	APP_SCORES="vaultd.service: $before without a token, $after with SoftHSM2"
	g "vaultctl vault create cmkv && vaultctl item create cmkv tree && vaultctl vault key cmkv cmk cmk-a" >/dev/null ||
		fail "a vault under the CMK"
	tar -C "$work/tree" -cf - . | g "vaultctl backup cmkv tree --object tree.tar -" > "$work/cmk.point" ||
		fail "vaultctl backup into the CMK vault"
	g_has "vaultctl vault show cmkv" "key=pkcs11:token=vgcmk;object=cmk-a .*key-state=ok" ||
		fail "the vault is not under the token's key: $(g 'vaultctl vault show cmkv')"
	step "issue 13: the key deleted from the token: key unavailable, alert, syslog"
	g 'setpriv --reuid=vaultd --regid=vaultgate --groups=softhsm --inh-caps=-all pkcs11-tool \
		--module /usr/lib/softhsm/libsofthsm2.so --token-label vgcmk --login --pin 1234 \
		--delete-object --type secrkey --label cmk-a' > "$work/hsm.out" 2>&1 ||
		fail "deleting the key from the token: $(tail -n 5 "$work/hsm.out")"
	if g "vaultctl restore cmkv tree $(cat "$work/cmk.point") --object tree.tar" > /dev/null 2> "$work/cmk-gone.err"; then
		fail "a restore under a deleted key succeeded"
	fi
	grep -q "key unavailable: no AES key labelled 'cmk-a' in token 'vgcmk'" "$work/cmk-gone.err" ||
		fail "the restore does not say key unavailable: $(cat "$work/cmk-gone.err")"
	g_has "vaultctl alerts cmkv" "critical	cmk-unavailable	vault=cmkv" || fail "no cmk-unavailable alert"
	app_wait_rx 'vaultd [0-9]+ - - *vaultgate-alert seq=[0-9]+ name=cmk-unavailable severity=critical vault="cmkv"' \
		"cmk-unavailable alert"
	step "issue 13: the key imported again from the escrow copy: restore byte-exact"
	g 'set -eu
		install -o vaultd -m 0400 /root/cmk-a.bin /dev/shm/cmk-a.bin
		setpriv --reuid=vaultd --regid=vaultgate --groups=softhsm --inh-caps=-all pkcs11-tool \
			--module /usr/lib/softhsm/libsofthsm2.so --token-label vgcmk --login --pin 1234 \
			--write-object /dev/shm/cmk-a.bin --type secrkey --key-type AES:32 --label cmk-a --sensitive --private
		rm -f /dev/shm/cmk-a.bin' > "$work/hsm.out" 2>&1 || fail "importing the key again: $(tail -n 5 "$work/hsm.out")"
	g "vaultctl restore cmkv tree $(cat "$work/cmk.point") --object tree.tar" > "$work/cmk-tree.tar" ||
		fail "restore after the key came back"
	rm -rf "$work/restored-cmk"
	mkdir -p "$work/restored-cmk"
	tar -C "$work/restored-cmk" -xf "$work/cmk-tree.tar"
	diff <(tree_sum "$work/tree") <(tree_sum "$work/restored-cmk") >/dev/null || fail "the CMK restore is not byte-exact"
	g "vaultctl audit verify" >/dev/null || fail "audit chain after the CMK steps"

	step "issue 13: systemd-analyze security of every vaultgate unit, in the VM"
	# One SSH call: every unit's overall exposure ("UNIT SCORE WORD").
	g 'for u in $(systemctl list-unit-files --no-legend vaultd.service vaultgw.service "vaultnet*.service" \
			vaultnotify.service vaultsync.service "vaultgate-*.service" | awk "{print \$1}"); do
			case $u in *@.service) continue ;; esac
			printf "%s " "$u"; systemd-analyze security --no-pager "$u" | awk "/Overall exposure level/ { print \$(NF-2), \$(NF-1) }"
		done' > "$work/scores.txt" || fail "systemd-analyze security in the VM"
	sed 's/^/   /' "$work/scores.txt"
	APP_SCORES="$APP_SCORES; $(paste -sd ';' "$work/scores.txt" | sed 's/;/; /g')"
}
