#!/usr/bin/env bash
# alerts_syslog.sh - every alert reaches syslog as one structured line
# (SPEC §8).
#
#   host mount namespace                    private mount namespace (unshare -m)
#   ─────────────────────                   ─────────────────────────────────────
#   syslog_sink.py ◄── $WORK/log.sock ◄──── /dev/log (bind mount) ◄── vaultd-testclock
#     (records datagrams)                   /dev = tmpfs holding only null and log
#   vaultctl ────────────────────────────── unix socket in $WORK ───────┘
#
# This machine has no syslog daemon or journald (no /dev/log), so the test
# brings its own: vaultd runs in a private mount namespace whose /dev/log is
# a datagram socket the test listens on. Nothing on the host changes. The
# test needs root (CAP_SYS_ADMIN) for that namespace and fails without it.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/cmk/cmklib.sh"
vg_init

unshare -m --propagation private true 2>/dev/null || vg_fail "cannot unshare a mount namespace (run as root)"
ST=$VG_WORK/state
VG_SOCK=$VG_WORK/vaultd.sock
LOG=$VG_WORK/syslog.txt
: >"$LOG"

python3 - "$VG_WORK/log.sock" "$LOG" <<'EOF' 2>>"$VG_WORK/sink.log" &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab") as f:
    while True:
        d = s.recv(65536)
        f.write(d.rstrip(b"\0\n") + b"\n")
        f.flush()
EOF
vg_track $!
for _ in $(seq 100); do [ -S "$VG_WORK/log.sock" ] && break; sleep 0.05; done
[ -S "$VG_WORK/log.sock" ] || vg_fail "the syslog sink did not come up"

touch "$VG_WORK/null"
unshare -m --propagation private sh -ec '
	mount --bind /dev/null "$1/null"
	mount -t tmpfs -o mode=0755,size=64k vgt-dev /dev
	touch /dev/null /dev/log
	mount --bind "$1/null" /dev/null
	mount --bind "$1/log.sock" /dev/log
	exec "$2" --state-dir "$3" --socket "$4"' sh "$VG_WORK" "$VAULTD_TEST" "$ST" "$VG_SOCK" \
	>>"$VG_WORK/vaultd.log" 2>&1 &
VAULTD_PID=$!
vg_track "$VAULTD_PID"
vg_wait_socket "$VG_SOCK"
[ ! -e /dev/log ] || [ -S /dev/log ] || vg_fail "the host's /dev changed"

wait_for() {
	local i
	for i in $(seq 200); do
		grep -qF -- "$2" "$1" && return 0
		sleep 0.1
	done
	vg_fail "nothing matching '$2' in $1"
}

vg_log "a security alert: LOG_CRIT (user.crit, <10>)"
vg_ctl vault create v1 >/dev/null
vg_ctl vault set v1 soft-delete off >/dev/null
wait_for "$LOG" 'vaultgate-alert seq=1 name=soft-delete-disabled severity=critical vault="v1" target="v1" principal="root@local" detail="soft-delete on -> off requested: pending '
grep -F 'name=soft-delete-disabled' "$LOG" | grep -q '^<10>' || vg_fail "not at user.crit: $(cat "$LOG")"

vg_log "a job alert: LOG_ERR (user.err, <11>)"
vg_ctl item create v1 host1 >/dev/null
head -c 5000 /dev/urandom >"$VG_WORK/d"
P=$(vg_ctl backup v1 host1 "$VG_WORK/d")
B=$(find "$ST/blobs" -type f | head -1)
python3 -c "import sys;f=open(sys.argv[1],'r+b');f.seek(60);b=f.read(1);f.seek(60);f.write(bytes([b[0]^1]))" "$B"
vg_expect_fail "integrity check failed" vg_ctl restore v1 host1 "$P" -o "$VG_WORK/out"
wait_for "$LOG" "vaultgate-alert seq=2 name=restore-failed severity=error vault=\"v1\" target=\"v1/host1\" principal=\"root@local\""
grep -F 'name=restore-failed' "$LOG" | grep -q '^<11>' || vg_fail "not at user.err: $(cat "$LOG")"
expect_eq "syslog lines" "$(grep -c vaultgate-alert "$LOG")" 2
vg_log "PASS"
