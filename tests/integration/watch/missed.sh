#!/usr/bin/env bash
# missed.sh - issue 14: missed backups. `item set V I expect-every 1h`: once
# an item's last success is older than that, the purger's pass raises
# backup-missed (error) once per missed window (1h, 2h, ...), never for an
# item without an expectation or a stopped one; the next success clears it
# (audited backup-missed.cleared, the gauge drops to 0); the last-backup
# gauge is there for every item. Time moves with the test clock.
#
#   vaultctl (root@local) ──unix──► vaultd-testclock   (clock advance, purge run)
set -eu
. "$VG_SRC/tests/integration/watch/wlib.sh"
w_setup

V=vgt-$$-v
vg_ctl vault create "$V" >/dev/null
for i in i1 i2 i3; do vg_ctl item create "$V" $i >/dev/null; done
vg_random_file "$VG_WORK/f" 4096
adv() { vg_ctl clock advance "$1" >/dev/null; vg_ctl purge run >/dev/null; }
missed() { vg_ctl alerts | grep -F "$(printf '\tbackup-missed\t')" | grep -cF "target=$V/${1:-i1}	" || true; }

vg_expect_fail "expect-every 30s: expected a duration from 1m to 366d" vg_ctl item set "$V" i1 expect-every 30s
vg_expect_fail "expect-every 1x: expected a duration" vg_ctl item set "$V" i1 expect-every 1x
vg_expect_fail "expect-every 400d" vg_ctl item set "$V" i1 expect-every 400d
vg_ctl item set "$V" i1 expect-every 1h >/dev/null
vg_ctl item set "$V" i3 expect-every 2h >/dev/null   # never backed up
vg_ctl audit export | grep -F '"op":"item.set"' | grep -qF '"reason":"expect-every=3600s"' ||
	vg_fail "item.set expect-every not audited"

vg_ctl backup "$V" i1 "$VG_WORK/f" >/dev/null
vg_ctl backup "$V" i2 "$VG_WORK/f" >/dev/null
adv 3500
[ "$(missed)" = 0 ] && [ "$(missed i3)" = 0 ] || vg_fail "backup-missed before the window ended"
adv 200                                   # 3700 s after the backup: window 1 missed
[ "$(missed)" = 1 ] || vg_fail "want 1 backup-missed, got $(missed)"
w_alert backup-missed "item $V/i1: no successful backup for"
vg_ctl alerts | grep -F "$(printf '\terror\tbackup-missed\t')" | grep -qF "missed window 1" ||
	vg_fail "backup-missed is not an error naming its window: $(vg_ctl alerts | grep backup-missed)"
adv 60
vg_ctl purge run >/dev/null
[ "$(missed)" = 1 ] || vg_fail "backup-missed raised twice in one window"
vg_ctl metrics >"$VG_WORK/m1.txt"
grep -qx "vaultgate_item_backup_missed{vault=\"$V\",item=\"i1\"} 1" "$VG_WORK/m1.txt" || vg_fail "missed gauge not 1"
grep -qx "vaultgate_item_last_backup_timestamp_seconds{vault=\"$V\",item=\"i3\"} 0" "$VG_WORK/m1.txt" ||
	vg_fail "no last-backup gauge for an item never backed up"
grep -q "^vaultgate_item_last_backup_timestamp_seconds{vault=\"$V\",item=\"i2\"} [1-9]" "$VG_WORK/m1.txt" ||
	vg_fail "no last-backup gauge for i2"
grep -q "item=\"i2\"" <(grep backup_missed "$VG_WORK/m1.txt") && vg_fail "i2 has no expectation but a missed gauge"
vg_ctl report "$V" | grep -q "BACKUP MISSED" || vg_fail "report does not show the missed backup"
vg_log "ok: one backup-missed per window, gauges for every item, report"

adv 3600                                  # window 2
[ "$(missed)" = 2 ] || vg_fail "want 2 backup-missed after window 2, got $(missed)"
vg_ctl alerts | grep -F "item $V/i1" | grep -qF "missed window 2" || vg_fail "no alert for window 2"
# i3 was never backed up: created 7360 s ago, expected every 2 h.
vg_ctl alerts | grep -F "item $V/i3" | grep -qF "never backed up" || vg_fail "no alert for i3 (never backed up)"
[ "$(missed i3)" = 1 ] || vg_fail "want 1 backup-missed for i3, got $(missed i3)"
vg_ctl alerts | grep -qF "item $V/i2" && vg_fail "i2 has no expectation but was alerted"
vg_log "ok: window 2 raises again; an item never backed up is missed too; i2 never"

n=$(missed)
vg_ctl backup "$V" i1 "$VG_WORK/f" >/dev/null
vg_ctl purge run >/dev/null
vg_ctl audit export | grep -F '"op":"backup-missed.cleared"' | grep -F "\"target\":\"$V/i1\"" |
	grep -qF "after 2 missed windows" || vg_fail "the success did not clear backup-missed"
vg_ctl metrics | grep -qx "vaultgate_item_backup_missed{vault=\"$V\",item=\"i1\"} 0" || vg_fail "missed gauge not back to 0"
[ "$(missed)" = "$n" ] || vg_fail "an alert was raised at the success"
vg_log "ok: the next success clears it"

vg_ctl item stop "$V" i3 >/dev/null
n=$(missed)
n3=$(missed i3)
adv 3700                                  # i1's new episode; i3 is stopped
[ "$(missed)" = $((n + 1)) ] || vg_fail "want exactly one new backup-missed for i1, got $(( $(missed) - n ))"
[ "$(missed i3)" = "$n3" ] || vg_fail "a stopped item raised backup-missed"
vg_ctl item set "$V" i1 expect-every none >/dev/null
adv 7200
[ "$(missed)" = $((n + 1)) ] || vg_fail "backup-missed after the expectation was removed"
vg_log "ok: a stopped item and a removed expectation raise nothing"
echo "PASS missed"
