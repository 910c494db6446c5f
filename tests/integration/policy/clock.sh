#!/usr/bin/env bash
# clock.sh - the one injectable clock (DESIGN "Time"): only the test daemon
# can be moved, only forward, only by local root; the production vaultd
# refuses and audits the attempt.
#
#   vaultctl ─unix─► vaultd (production, clock_real.c)     $VG_WORK/prod
#   vaultctl ─unix─► vaultd-testclock (clock_test.c)       $VG_WORK/state
set -eu
. "$VG_SRC/tests/integration/policy/plib.sh"
pl_start

pl_case "the test daemon moves forward for local root"
t0=$(pl_now)
pl_advance $((3 * DAY))
t1=$(pl_now)
[ $((t1 - t0)) -ge $((3 * DAY)) ] && [ $((t1 - t0)) -le $((3 * DAY + 5)) ] || pl_fail "moved $((t1 - t0))s"
pl_expect_fail "clock advance -5: expected seconds" pl_root clock advance -5

pl_case "the test daemon refuses anyone but local root, and audits it"
V=ck$$
pl_root vault create "$V" >/dev/null
pl_role ow "$V" owner
pl_expect_fail "only local root may move the test clock" pl_as ow clock advance 60
pl_denied ow clock.advance - "only local root may move the test clock"
t2=$(pl_now)
[ $((t2 - t1)) -le 5 ] || pl_fail "the clock moved for an owner"

pl_case "production vaultd refuses to move its clock, and audits it"
TEST_PID=$VAULTD_PID
TEST_SOCK=$VG_SOCK
VG_SOCK=$VG_WORK/prod.sock
vg_start_vaultd "$VG_WORK/prod" "$VG_SOCK" "$VAULTD"
pl_expect_fail "this vaultd has no test clock: time cannot be changed" pl_root clock advance 60
pl_denied root@local clock.advance - "this vaultd has no test clock"
# Its audit entries carry wall time.
t=$(pl_root audit export | tail -n 1 | sed 's/.*"unix":\([0-9]*\),.*/\1/')
now=$(date +%s)
[ $((t - now)) -le 5 ] && [ $((now - t)) -le 5 ] || pl_fail "production clock is not wall time ($t vs $now)"
pl_audit_intact
vg_stop_vaultd
VG_SOCK=$TEST_SOCK
VAULTD_PID=$TEST_PID
pl_audit_intact
pl_done
