#!/usr/bin/env bash
# vault_lock.sh - one vaultd per state directory, and a --check that only looks.
#
#   vaultctl backup (held open) ──unix S1──► vaultd A ──► STATE ◄── vaultd B (S2): refused
#                                                           ▲
#                                            vaultd --check: read-only, beside A
#
# Before the lock, a second vaultd on the same directory ran start-up
# recovery (dropping A's in-flight point) and served beside A, and
# `vaultd --check` did the same: the upload's commit then failed with 404.
# Here: the upload in flight survives both, its point restores byte-exact,
# B names A's pid and socket, and the lock dies with A (kill -9).
set -eu
. "$VG_SRC/tests/integration/lib.sh"
vg_init
vg_state_init
S2=$VG_WORK/second.sock

vg_random_file "$VG_WORK/f0" 3000000
vg_random_file "$VG_WORK/head" 2500000
vg_random_file "$VG_WORK/tail" 1500000
cat "$VG_WORK/head" "$VG_WORK/tail" >"$VG_WORK/f1"

vg_log "--check on a directory vaultd never started: refused, nothing created"
vg_expect_fail "not an initialised state directory" "$VAULTD" --state-dir "$VG_WORK/nothing" --check
[ ! -e "$VG_WORK/nothing" ] || vg_fail "--check created $VG_WORK/nothing"

vg_start_vaultd "$VG_STATE" "$VG_SOCK"
A=$VAULTD_PID
vg_ctl vault create v1 >/dev/null
vg_ctl item create v1 host1 >/dev/null
P0=$(vg_ctl backup v1 host1 "$VG_WORK/f0")

vg_log "an upload held open half-way (stdin gated by a FIFO)"
gate=$VG_WORK/gate
mkfifo "$gate"
{ cat "$VG_WORK/head"; read -r _ <"$gate"; cat "$VG_WORK/tail"; } |
	"$VAULTCTL" --socket "$VG_SOCK" backup v1 host1 - >"$VG_WORK/up.out" 2>"$VG_WORK/up.err" &
UP=$!
vg_track "$UP"

# --check is how this test sees the pending point: it must report it.
seen=0
for _ in $(seq 1 100); do
	out=$("$VAULTD" --state-dir "$VG_STATE" --check 2>&1) || vg_fail "--check beside a live vaultd: $out"
	case "$out" in *"1 uncommitted point "*) seen=1; break ;; esac
	sleep 0.1
done
[ "$seen" = 1 ] || vg_fail "--check never saw the upload in flight: $out"
vg_log "vaultd --check beside A:"
printf '%s\n' "$out" | sed 's/^/    /' >&2
case "$out" in
*"in use by vaultd pid $A socket $VG_SOCK; checked read-only beside it"*) ;;
*) vg_fail "--check did not name the running vaultd (pid $A, socket $VG_SOCK): $out" ;;
esac
case "$out" in *"audit chain: "*" entries, intact"*) ;; *) vg_fail "--check: no audit line: $out" ;; esac
[ "$(printf '%s\n' "$out" | tail -n 1)" = "configuration OK" ] || vg_fail "--check: last line: $out"
blobs_before=$(cd "$VG_STATE/blobs" && find . -type f | sort)

vg_log "a second vaultd on the same directory is refused and changes nothing"
set +e
msg=$(timeout 20 "$VAULTD" --state-dir "$VG_STATE" --socket "$S2" 2>&1)
rc=$?
set -e
[ "$rc" != 0 ] && [ "$rc" != 124 ] || vg_fail "second vaultd: exit $rc (want a refusal): $msg"
case "$msg" in
*"state directory $VG_STATE is in use by vaultd pid $A socket $VG_SOCK; stop that vaultd first"*) ;;
*) vg_fail "second vaultd: message does not name the holder: $msg" ;;
esac
[ ! -e "$S2" ] || vg_fail "second vaultd created its socket $S2"
kill -0 "$A" || vg_fail "vaultd A died"
vg_ctl whoami >/dev/null || vg_fail "vaultd A does not answer after the refused second start"
blobs_after=$(cd "$VG_STATE/blobs" && find . -type f | sort)
[ "$blobs_before" = "$blobs_after" ] || vg_fail "the blob files changed under --check or the refused vaultd"

vg_log "the upload in flight finishes and restores byte-exact"
vg_gate_open "$gate"
wait "$UP" || vg_fail "the held upload failed: $(cat "$VG_WORK/up.err")"
P1=$(cat "$VG_WORK/up.out")
[ -n "$P1" ] || vg_fail "the held upload printed no point id"
vg_ctl restore v1 host1 "$P1" -o "$VG_WORK/r1"
cmp "$VG_WORK/f1" "$VG_WORK/r1" || vg_fail "point $P1 does not restore byte-exact"
vg_ctl restore v1 host1 "$P0" -o "$VG_WORK/r0"
cmp "$VG_WORK/f0" "$VG_WORK/r0" || vg_fail "point $P0 does not restore byte-exact"
vg_ctl audit verify >/dev/null || vg_fail "audit chain broken"

vg_log "--check with no vaultd running touches no file"
vg_stop_vaultd
sleep 0.1
touch "$VG_WORK/mark"
sleep 0.1
out=$("$VAULTD" --state-dir "$VG_STATE" --check 2>&1) || vg_fail "--check on a stopped state: $out"
case "$out" in *"not in use; checked read-only"*"0 uncommitted points"*"configuration OK") ;;
*) vg_fail "--check on a stopped state: $out" ;; esac
changed=$(find "$VG_STATE" -newer "$VG_WORK/mark" ! -name lock.mdb | sed "s|$VG_STATE/||")
[ -z "$changed" ] || vg_fail "--check changed: $changed"

vg_log "the lock dies with its holder: after kill -9, a new vaultd starts"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
kill -KILL "$VAULTD_PID"
wait "$VAULTD_PID" 2>/dev/null || true
rm -f "$VG_SOCK"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_ctl restore v1 host1 "$P1" -o "$VG_WORK/r1b"
cmp "$VG_WORK/f1" "$VG_WORK/r1b" || vg_fail "point $P1 lost after the restart"
vg_ctl audit verify >/dev/null || vg_fail "audit chain broken after the restart"
vg_log "PASS: one vaultd per state directory; --check is read-only"
