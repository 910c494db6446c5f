#!/usr/bin/env bash
# retention.sh - SPEC §7: retention floors (daily 7 days, weekly 4 weeks,
# monthly 3 months, yearly 1 year), the expiry every point gets (GFS: the
# first point of a week, month or year is kept longer), and the newest point
# of an item that expiry never prunes.
#
#   vaultctl (root@local) ─unix─► vaultd-testclock ── $VG_WORK/state
#   the clock is first moved to the 15th of a month, 12:00 UTC, so that the
#   week/month/year a point falls in is known
set -eu
. "$VG_SRC/tests/integration/policy/plib.sh"
pl_start
V=rt$$
pl_root vault create "$V" >/dev/null

# times_of ITEM POINT: committed and expiry of a point, in unix seconds.
times_of() {
	local line
	line=$(pl_root points "$V" "$1" --all | awk -F'\t' -v p="$2" '$1 == p')
	[ -n "$line" ] || pl_fail "point $1/$2 not listed"
	printf '%s %s\n' "$(date -u -d "$(cut -f2 <<<"$line")" +%s)" \
		"$(date -u -d "$(cut -f6 <<<"$line" | sed 's/^expires=//')" +%s)"
}
# expect_expiry ITEM POINT "DATE OFFSET" (a GNU date relative: "+7 days").
expect_expiry() {
	local c e want
	read -r c e <<<"$(times_of "$1" "$2")"
	want=$(date -u -d "$(date -u -d "@$c" '+%Y-%m-%d %H:%M:%S') UTC $3" +%s)
	[ "$e" = "$want" ] || pl_fail "point $1/$2 committed $(date -u -d "@$c") expires $(date -u -d "@$e"), want $3"
}

pl_case "floors: below is refused with the floor named; at the floor is accepted"
pl_expect_fail "daily retention 6 days is below the floor of 7 days" pl_root policy set "$V" f daily=6
pl_denied root@local policy.set "$V/f" "daily retention 6 days is below the floor of 7 days"
pl_expect_fail "daily retention 0 days is below the floor of 7 days" pl_root policy set "$V" f weekly=4
pl_expect_fail "weekly retention 3 weeks is below the floor of 4 weeks" pl_root policy set "$V" f daily=7,weekly=3
pl_expect_fail "monthly retention 2 months is below the floor of 3 months" pl_root policy set "$V" f daily=7,monthly=2
# Years are whole numbers: below one year there is only 0 (the tier off).
pl_expect_fail "yearly=0.5: expected a whole number" pl_root policy set "$V" f daily=7,yearly=0.5
pl_expect_fail "unknown policy key \"hourly\"" pl_root policy set "$V" f daily=7,hourly=24
! pl_root policy list "$V" | grep -q "^f	" || pl_fail "a refused policy was stored"
pl_ok pl_root policy set "$V" f daily=7
pl_ok pl_root policy set "$V" gfs daily=7,weekly=4,monthly=3,yearly=1
pl_root policy list "$V" | grep -q "^gfs	daily=7,weekly=4,monthly=3,yearly=1$" || pl_fail "gfs not stored"
pl_expect_fail "weekly retention 3 weeks is below the floor of 4 weeks" pl_root policy set "$V" gfs daily=7,weekly=3
pl_root policy list "$V" | grep -q "^gfs	daily=7,weekly=4,monthly=3,yearly=1$" || pl_fail "a refused change altered gfs"

pl_case "each point gets an expiry from its policy (first of year: 1 year, of week: 4 weeks, others: 7 days)"
t=$(pl_now)
target=$(date -u -d "$(date -u -d "@$t" +%Y-%m-15) 12:00:00 UTC" +%s)
[ "$target" -gt "$t" ] || target=$(date -u -d "$(date -u -d "@$t" +%Y-%m-15) 12:00:00 UTC +1 month" +%s)
pl_advance $((target - t))
pl_root item create "$V" g >/dev/null
pl_ok pl_root item policy "$V" g gfs
G1=$(pl_backup "$V" g "$(pl_data g1)")
pl_advance 60
G2=$(pl_backup "$V" g "$(pl_data g2)")
pl_advance $((8 * DAY))
G3=$(pl_backup "$V" g "$(pl_data g3)")
expect_expiry g "$G1" "+1 year"
expect_expiry g "$G2" "+7 days"
expect_expiry g "$G3" "+28 days"
pl_root item create "$V" d >/dev/null
D1=$(pl_backup "$V" d "$(pl_data d1)")
expect_expiry d "$D1" "+30 days"

pl_case "the newest point is never pruned by expiry, even after years without backups"
pl_ok pl_root policy set "$V" short daily=7
pl_root item create "$V" n >/dev/null
pl_ok pl_root item policy "$V" n short
N1=$(pl_backup "$V" n "$(pl_data n1)")
pl_advance "$DAY"
DN2=$(pl_data n2)
N2=$(pl_backup "$V" n "$DN2")
pl_advance $((400 * DAY))
pl_purge
[ "$(pl_points "$V" n)" = "$N2" ] || pl_fail "after expiry: $(pl_points "$V" n | tr '\n' ' ') (want only $N2)"
pl_audited purger point.expire "$V/n/$N1" ok expired
pl_advance $((3000 * DAY))
pl_purge
[ "$(pl_points "$V" n)" = "$N2" ] || pl_fail "the newest point was pruned"
pl_restore_cmp "$V" n "$N2" "$DN2"

pl_case "a retention cut never takes the newest point either"
pl_ok pl_root policy set "$V" long daily=60
pl_root item create "$V" c >/dev/null
pl_ok pl_root item policy "$V" c long
C1=$(pl_backup "$V" c "$(pl_data c1)")
pl_advance "$DAY"
DC2=$(pl_data c2)
C2=$(pl_backup "$V" c "$DC2")
pl_advance $((30 * DAY))
pl_ok pl_root policy set "$V" long daily=7
pl_expedite "$V"
[ "$(pl_point_state "$V" c "$C1")" = soft-deleted ] || pl_fail "the older point was not cut"
[ "$(pl_points "$V" c)" = "$C2" ] || pl_fail "the newest point was cut"
pl_restore_cmp "$V" c "$C2" "$DC2"

pl_case "after years, every item still holds its newest point, byte-exact"
pl_purge
[ "$(pl_points "$V" g)" = "$G3" ] || pl_fail "g: $(pl_points "$V" g | tr '\n' ' ') (want only $G3)"
pl_restore_cmp "$V" g "$G3" "$VG_WORK/data/g3"
[ "$(pl_points "$V" d)" = "$D1" ] || pl_fail "d lost its only point"
pl_restore_cmp "$V" d "$D1" "$VG_WORK/data/d1"
pl_restore_cmp "$V" n "$N2" "$DN2"
pl_restore_cmp "$V" c "$C2" "$DC2"
pl_audit_intact
pl_done
