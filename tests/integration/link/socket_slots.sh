#!/usr/bin/env bash
# socket_slots.sh - issue 12 item 3: a member of vaultd's socket group
# (nobody:nogroup here, the gateway's seat) must not lock local root out.
# 300 connections that complete HELLO and sit idle get at most 252 slots;
# root's vaultctl is still served. Connections that never send HELLO are
# closed after 5 s (handshake timeout), freeing their slots.
#
#   vgwire.py hold (nobody, 300 x connect) ──┐
#   vaultctl (root)  ────────────────────────┴─unix─► vaultd (256 slots, 4 for uid 0)
set -eu
. "$VG_SRC/tests/integration/link/lib_link.sh"

vg_init
chmod 711 "$VG_WORK"
gw_start_vaultd
HOLD=""
hold() {  # N [hello]: held connections, report in $VG_WORK/held
	rm -f "$VG_WORK/held"
	(exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- /usr/bin/python3 "$VGWIRE" \
		"$VG_SOCK" hold "$@" >"$VG_WORK/held" 2>>"$VG_WORK/vgwire.log") &
	HOLD=$!
	vg_track "$HOLD"
	local i=0
	while ! grep -q '^held' "$VG_WORK/held" 2>/dev/null; do
		[ $i -lt 600 ] || vg_fail "vgwire.py hold did not report"
		sleep 0.1
		i=$((i + 1))
	done
}
unhold() {  # and wait until vaultd has freed the slots
	local i=0
	kill "$HOLD" 2>/dev/null || true
	wait "$HOLD" 2>/dev/null || true
	until link_wire call 1 >/dev/null 2>&1; do
		[ $i -lt 100 ] || vg_fail "slots not freed after the holder left"
		sleep 0.1
		i=$((i + 1))
	done
}

vg_log "300 idle connections after HELLO, as a socket-group member"
hold 300 hello
n=$(awk '{print $2}' "$VG_WORK/held")
[ "$n" = 252 ] || vg_fail "a socket-group member holds $n connections, want 252 (4 kept for root)"
vg_log "ok: the member holds 252"
out=$(timeout 10 "$VAULTCTL" --socket "$VG_SOCK" whoami 2>&1) ||
	vg_fail "root's vaultctl was locked out: $out"
case "$out" in *root@local*) ;; *) vg_fail "root's whoami: $out" ;; esac
vg_log "ok: root's vaultctl is served: $out"
out=$(link_wire call 1 2>&1) && vg_fail "a 253rd connection of the member was served: $out"
vg_log "ok: the member's next connection is refused"
grep -q "connection of uid 65534 refused: .* (4 slots kept for uid 0)" "$VG_WORK/vaultd.log" ||
	vg_fail "the refusal is not logged"
unhold

vg_log "a connection that never sends HELLO is closed after 5 s"
out=$(link_wire probe)
case "$out" in
"closed after "*) s=${out#closed after }; s=${s%.*}
	[ "$s" -ge 4 ] && [ "$s" -le 7 ] || vg_fail "closed after ${s}s, want ~5" ;;
*) vg_fail "a silent connection stayed open: $out" ;;
esac
vg_log "ok: $out s"

vg_log "300 silent connections: their slots come back after the timeout"
hold 300
sleep 6
out=$(link_wire call 1 2>&1) || vg_fail "slots of silent connections were not freed: $out"
case "$out" in "status=0 "*) ;; *) vg_fail "ping after the timeout: $out" ;; esac
vg_log "ok: the member connects again after the silent ones timed out"
unhold
vg_log "PASS socket_slots"
