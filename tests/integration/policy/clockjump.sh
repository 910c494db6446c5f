#!/usr/bin/env bash
# clockjump.sh - SPEC §11 trusted time. A wall clock moved forward beyond the
# time vaultd measured (CLOCK_BOOTTIME) raises clock-jump and holds every
# purge and expiry until an Owner accepts it (an MUA grant under a guard); a
# wall clock moved back never rewinds anything; the hold survives a restart.
# Shown twice: with the test daemon's "clock jump" (the wall clock alone),
# and with the production vaultd whose real clock_gettime(CLOCK_REALTIME) is
# moved by an LD_PRELOAD shim (tests/tools/fakeclock.c).
#
#   vaultctl ─unix─► vaultd-testclock                       $VG_WORK/state
#   vaultctl ─unix─► LD_PRELOAD=libvg_fakeclock.so vaultd   $VG_WORK/prod
#                      wall clock = real + $(cat $VG_WORK/offset) seconds
set -eu
. "$VG_SRC/tests/integration/policy/plib.sh"
pl_start
V=cj$$
L=cl$$
G=cg$$
SHIM=$VG_BUILD/tests/tools/libvg_fakeclock.so
[ -f "$SHIM" ] || pl_fail "no $SHIM (meson builds it with the tests)"

# held_purge: the purger refuses to act while a jump is not accepted.
held_purge() {
	pl_expect_fail "purges and expiries are held after a clock jump" pl_root purge run
}

pl_case "setup: an always-on vault with a soft-deleted point; a locked vault under a guard"
pl_root vault create "$V" >/dev/null
pl_root vault create "$L" >/dev/null
pl_role own "$V" owner
pl_role own "$L" owner
pl_user appr
pl_ok pl_root vault set "$V" soft-delete always-on
pl_root item create "$V" a >/dev/null
PA=$(pl_backup "$V" a "$(pl_data a1)")
pl_backup "$V" a "$(pl_data a2)" >/dev/null
pl_ok pl_root point delete "$V" a "$PA"
pl_ok pl_root policy set "$L" week daily=7
pl_root item create "$L" x >/dev/null
pl_ok pl_root item policy "$L" x week
PL1=$(pl_backup "$L" x "$(pl_data x1)")
pl_backup "$L" x "$(pl_data x2)" >/dev/null
pl_ok pl_root vault set "$L" immutability enabled
pl_ok pl_root vault set "$L" immutability locked
pl_root guard create "$G" >/dev/null
pl_root guard approver add "$G" appr >/dev/null
pl_ok pl_root vault set "$L" guard "$G"

pl_case "test clock: the wall clock jumps 16 days; clock-jump is raised, purges and expiries are held"
t0=$(pl_now)
pl_root clock jump $((16 * DAY)) >/dev/null
t1=$(pl_now)
[ $((t1 - t0)) -le 5 ] || pl_fail "the trusted time followed the jump: $t0 -> $t1"
held_purge
pl_alert clock-jump "" clock clock
pl_audited clock clock.jump clock held "the wall clock jumped"
[ "$(pl_point_state "$V" a "$PA")" = soft-deleted ] || pl_fail "the always-on soft-deleted point was purged"
pl_expect_fail "vault $L is immutable: point $L/x/$PL1 has not expired" pl_as own --grant x point delete "$L" x "$PL1"
pl_has_point "$L" x "$PL1"
[ "$(pl_alert_count clock-jump clock)" = 1 ] || pl_fail "clock-jump raised more than once"
held_purge

pl_case "accepting needs an Owner, and under a guard an approved clock-accept grant"
pl_expect_fail "accepting a clock jump is for local root and vault Owners" pl_as appr clock accept
pl_denied appr clock.accept clock "only local root or a vault Owner"
pl_expect_fail "clock-accept on clock is a critical operation under guard $G" pl_as own clock accept
pl_denied own clock.accept clock "clock-accept on clock is a critical operation under guard $G"
pl_expect_fail "clock-accept is mandatory and cannot be excluded" pl_as appr guard exclude "$G" clock-accept
ID=$(pl_as own mua request "$L" clock-accept clock)
pl_ok pl_as appr mua approve "$ID"
out=$(pl_as own --grant "$ID" clock accept)
case "$out" in "clock jump accepted: time accepted: trusted time moved from "*) ;; *) pl_fail "clock accept: $out" ;; esac
pl_audited own clock.accept clock ok "time accepted"
pl_audited own mua.use clock ok clock-accept
t2=$(pl_now)
[ $((t2 - t0)) -ge $((16 * DAY)) ] || pl_fail "accepted time is not the new wall clock: $t0 -> $t2"
# Due now, but never warned (the jump skipped the 48 hours): warned first,
# purged 48 hours later.
pl_purge
[ "$(pl_point_state "$V" a "$PA")" = soft-deleted ] || pl_fail "purged with no upcoming-purge warning first"
pl_alert upcoming-purge "$V" "$V/a/$PA" purger
pl_root alerts "$V" | grep "upcoming-purge" | grep -q "postponed 48 hours" || pl_fail "alerts: $(pl_root alerts "$V")"
pl_advance $((48 * 3600 + 1))
pl_purge
[ -z "$(pl_point_state "$V" a "$PA")" ] || pl_fail "48 hours after its warning, the due point was not purged"
pl_expect_fail "no clock jump is waiting to be accepted" pl_as own --grant "$ID" clock accept

pl_case "test clock: the wall clock goes back 30 days; nothing rewinds"
pl_root clock jump -$((30 * DAY)) >/dev/null
t3=$(pl_now)
[ "$t3" -ge "$t2" ] || pl_fail "the trusted time went back: $t2 -> $t3"
pl_purge
PB=$(pl_backup "$V" a "$(pl_data a3)")
out=$(pl_root point delete "$V" a "$PB")
T=$(date -u -d "${out##*until }" +%s)
[ "$T" -ge $((t2 + 14 * DAY)) ] || pl_fail "a deletion after the clock went back purges early: $T"

pl_case "the high-water mark survives a restart (the test clock's offsets do not)"
vg_stop_vaultd
vg_start_vaultd "$VG_STATE" "$VG_SOCK" "$VAULTD_TEST"
t4=$(pl_now)
[ "$t4" -ge "$t3" ] || pl_fail "after a restart the trusted time went back: $t3 -> $t4"
pl_purge
[ "$(pl_point_state "$V" a "$PB")" = soft-deleted ] || pl_fail "PB purged after the restart"
pl_audit_intact

pl_case "one pass never removes more than a bounded share of a vault: mass-purge, and the rest at the next pass"
M=cm$$
pl_root vault create "$M" >/dev/null
pl_root item create "$M" a >/dev/null
for n in $(seq 12); do
	pl_backup "$M" a "$(pl_data "m$n" 500)" >/dev/null
done
for p in $(pl_points "$M" a | head -n 11); do
	pl_ok pl_root point delete "$M" a "$p"
done
pl_advance $((13 * DAY))
pl_purge   # the upcoming-purge warnings
pl_advance $((2 * DAY))
pl_purge
left=$(pl_root points "$M" a --all | awk -F'\t' '$3 == "soft-deleted"' | wc -l)
[ "$left" = 1 ] || pl_fail "after the first pass $left soft-deleted points remain, want 1 (bound 10 a pass)"
pl_alert mass-purge "$M" "$M" purger
pl_audited purger purge.bound "$M" held "11 due"
pl_purge
left=$(pl_root points "$M" a --all | awk -F'\t' '$3 == "soft-deleted"' | wc -l)
[ "$left" = 0 ] || pl_fail "the next pass left $left"
[ "$(pl_points "$M" a | wc -l)" = 1 ] || pl_fail "the kept point went too"
[ "$(pl_alert_count mass-purge "$M")" = 1 ] || pl_fail "mass-purge raised more than once"

pl_case "production vaultd, real wall clock moved by the LD_PRELOAD shim: +16 days is held"
vg_stop_vaultd
P=pc$$
OFF=$VG_WORK/offset
echo 0 >"$OFF"
VG_SOCK=$VG_WORK/prod.sock
start_prod() {
	LD_PRELOAD=$SHIM VG_FAKECLOCK_FILE=$OFF "$VAULTD" --state-dir "$VG_WORK/prod" --socket "$VG_SOCK" \
		>>"$VG_WORK/vaultd.log" 2>&1 &
	VAULTD_PID=$!
	vg_track "$VAULTD_PID"
	vg_wait_socket "$VG_SOCK"
}
# last_unix: the time of the newest audit entry (the production daemon has no "clock advance").
last_unix() { pl_root audit export | tail -n 1 | sed 's/.*"unix":\([0-9]*\),.*/\1/'; }
start_prod
pl_root vault create "$P" >/dev/null
pl_root item create "$P" a >/dev/null
Q1=$(pl_backup "$P" a "$(pl_data q1)")
pl_backup "$P" a "$(pl_data q2)" >/dev/null
pl_ok pl_root point delete "$P" a "$Q1"
u0=$(last_unix)
echo $((16 * DAY)) >"$OFF"
held_purge
pl_alert clock-jump "" clock clock
[ "$(pl_point_state "$P" a "$Q1")" = soft-deleted ] || pl_fail "the jump purged Q1"
pl_root item create "$P" b >/dev/null
u1=$(last_unix)
[ $((u1 - u0)) -le 5 ] || pl_fail "the production daemon followed the jump: $u0 -> $u1"

pl_case "production: the hold survives a restart with the clock still ahead; an Owner accepts it"
vg_stop_vaultd
start_prod
held_purge
[ "$(pl_point_state "$P" a "$Q1")" = soft-deleted ] || pl_fail "Q1 purged after the restart"
pl_ok pl_root clock accept
pl_purge
[ "$(pl_point_state "$P" a "$Q1")" = soft-deleted ] || pl_fail "Q1 purged with no upcoming-purge warning first"
pl_alert upcoming-purge "$P" "$P/a/$Q1" purger
# 49 hours on (the wall clock moved again: held again, accepted again).
echo $((16 * DAY + 49 * 3600)) >"$OFF"
held_purge
pl_ok pl_root clock accept
pl_purge
[ -z "$(pl_point_state "$P" a "$Q1")" ] || pl_fail "Q1, warned 49 hours ago, not purged"
u2=$(last_unix)

pl_case "production: a cooling-off cannot be cut short (expedite is the test daemon's only)"
pl_ok pl_root vault set "$P" soft-delete off
ID=$(pl_pending_ids "$P")
pl_expect_fail "only the test daemon can end a cooling-off early" pl_root pending expedite "$ID"
pl_denied root@local pending.expedite "$ID" "only the test daemon can end a cooling-off early"
pl_root vault show "$P" | grep -q "soft-delete=on/" || pl_fail "soft delete went off at once in production"
pl_ok pl_root pending cancel "$ID"

pl_case "production: the wall clock set back 10 days rewinds nothing"
echo $((6 * DAY + 49 * 3600)) >"$OFF"
pl_purge
pl_root item create "$P" c >/dev/null
u3=$(last_unix)
[ "$u3" -ge "$u2" ] || pl_fail "the trusted time went back: $u2 -> $u3"
pl_audit_intact
vg_stop_vaultd
pl_done
