#!/usr/bin/env bash
# immutability.sh - SPEC §3: disabled -> enabled -> locked (locked is
# forever), what an immutable vault refuses (unexpired deletes, retention
# lowering, moves to a weaker policy, stop with delete) and what it still
# allows (raising retention, stop with retain, new points), and disabling
# under MUA with its alert.
#
#   vaultctl (root@local, appr) ─unix─► vaultd-testclock ── $VG_WORK/state
#   vaults: <x>-en (enabled), <x>-lk (locked), <x>-dis (disable + guard)
set -eu
. "$VG_SRC/tests/integration/policy/plib.sh"
pl_start
S=im$$

pl_case "disabled -> locked is refused: enable first"
V=$S-lk
pl_root vault create "$V" >/dev/null
pl_expect_fail "vault $V: immutability must be enabled before it can be locked" \
	pl_root vault set "$V" immutability locked
pl_denied root@local vault.set "$V" "immutability must be enabled before it can be locked"
pl_root vault show "$V" | grep -q "immutability=disabled" || pl_fail "state changed"

pl_case "disabled -> enabled -> locked is accepted; locked cannot be left"
pl_ok pl_root vault set "$V" immutability enabled
pl_ok pl_root vault set "$V" immutability locked
pl_root vault show "$V" | grep -q "immutability=locked" || pl_fail "not locked"
for to in enabled disabled; do
	pl_expect_fail "vault $V: immutability is locked, which is irreversible" \
		pl_root vault set "$V" immutability "$to"
	pl_denied root@local vault.set "$V" "immutability is locked, which is irreversible"
done
pl_root vault show "$V" | grep -q "immutability=locked" || pl_fail "locked was left"
pl_ok pl_root vault set "$V" immutability locked

E=$S-en
pl_root vault create "$E" >/dev/null
pl_ok pl_root vault set "$E" immutability enabled
for v in "$E" "$V"; do
	pl_ok pl_root policy set "$v" p35 daily=35
	pl_ok pl_root policy set "$v" p20 daily=20
	pl_ok pl_root policy set "$v" p50 daily=50
	for i in a b; do
		pl_root item create "$v" "$i" >/dev/null
		pl_ok pl_root item policy "$v" "$i" p35
		pl_backup "$v" "$i" "$(pl_data "$v-$i-1")" >/dev/null
	done
done
pl_root item create "$V" c >/dev/null
pl_backup "$V" c "$(pl_data "$V-c-1")" >/dev/null
pl_advance 60
pl_backup "$V" c "$(pl_data "$V-c-2")" >/dev/null
for v in "$E" "$V"; do
	for i in a b; do
		pl_backup "$v" "$i" "$(pl_data "$v-$i-2")" >/dev/null
	done
done

for v in "$E" "$V"; do
	st=$(pl_root vault show "$v" | sed 's/.*immutability=\([a-z]*\).*/\1/')
	P=$(pl_points "$v" a | head -n 1)

	pl_case "$st: deleting an unexpired point is refused"
	pl_expect_fail "vault $v is immutable: point $v/a/$P has not expired" pl_root point delete "$v" a "$P"
	pl_denied root@local point.delete "$v/a/$P" "vault $v is immutable: point $v/a/$P has not expired"

	pl_case "$st: lowering retention 35 -> 30 days is refused, 35 -> 40 accepted"
	pl_expect_fail "vault $v is immutable: policy p35 cannot lower retention (daily=35,weekly=0,monthly=0,yearly=0 -> daily=30,weekly=0,monthly=0,yearly=0)" \
		pl_root policy set "$v" p35 daily=30
	pl_denied root@local policy.set "$v/p35" "vault $v is immutable: policy p35 cannot lower retention"
	pl_ok pl_root policy set "$v" p35 daily=40
	pl_ok pl_root policy set "$v" p35 daily=40,weekly=8,monthly=6,yearly=2
	pl_expect_fail "vault $v is immutable: policy p35 cannot lower retention" \
		pl_root policy set "$v" p35 daily=40,weekly=8,monthly=6
	pl_root policy list "$v" | grep -q "^p35	daily=40,weekly=8,monthly=6,yearly=2$" || pl_fail "p35 not raised"
	pl_expect_fail "vault $v is immutable: policy default cannot lower retention (daily=30," \
		pl_root policy set "$v" default daily=7

	pl_case "$st: moving an item to a lower-retention policy is refused, to a higher one accepted"
	pl_expect_fail "vault $v is immutable: moving a from policy p35 to the lower-retention policy p20 is refused" \
		pl_root item policy "$v" a p20
	pl_denied root@local item.policy "$v/a" "moving a from policy p35 to the lower-retention policy p20 is refused"
	pl_ok pl_root policy set "$v" p99 daily=99,weekly=9,monthly=7,yearly=3
	pl_ok pl_root item policy "$v" a p99

	pl_case "$st: stop protection with delete data is refused while unexpired points exist"
	pl_expect_fail "vault $v is immutable: b holds unexpired recovery points, so stop protection with delete data is refused (stop with retain data instead)" \
		pl_root item stop "$v" b --delete-data
	pl_denied root@local item.stop "$v/b" "so stop protection with delete data is refused"

	pl_case "$st: deleting the vault is refused while it holds unexpired points"
	pl_expect_fail "vault $v is immutable and item a holds unexpired recovery points" pl_root vault delete "$v"
	pl_denied root@local vault.delete "$v" "is immutable and item a holds unexpired recovery points"

	pl_case "$st: stop with retain data, resume and new backups are allowed"
	pl_ok pl_root item stop "$v" b
	pl_root item list "$v" | grep -q "^b	files	stopped-retain" || pl_fail "b not stopped-retain"
	pl_ok pl_root item resume "$v" b
	pl_backup "$v" b "$(pl_data "$v-b-3")" >/dev/null
done

pl_case "an expired point may be deleted even while locked"
# c follows the default policy (daily=30): 31 days on, its first point has expired.
pl_advance $((31 * DAY))
P=$(pl_points "$V" c | head -n 1)
pl_ok pl_root point delete "$V" c "$P"
pl_audited root@local point.delete "$V/c/$P" ok "purge after"
pl_expect_fail "has not expired" pl_root point delete "$V" a "$(pl_points "$V" a | head -n 1)"

pl_case "enabled -> disabled raises immutability-disabled and, under a guard, needs an approval"
D=$S-dis
pl_root vault create "$D" >/dev/null
pl_ok pl_root vault set "$D" immutability enabled
pl_ok pl_root vault set "$D" immutability disabled
pl_alert immutability-disabled "$D" "$D" root@local
pl_audited root@local vault.set "$D" pending "immutability enabled -> disabled requested"
pl_root vault show "$D" | grep -q "immutability=enabled" || pl_fail "disabled before its cooling-off"
pl_expedite "$D"
pl_root vault show "$D" | grep -q "immutability=disabled" || pl_fail "not disabled after its cooling-off"
pl_ok pl_root vault set "$D" immutability enabled
G=g$$
pl_root guard create "$G" >/dev/null
pl_user appr
pl_root guard approver add "$G" appr >/dev/null
pl_ok pl_root vault set "$D" guard "$G"
pl_expect_fail "immutability-disable on $D is a critical operation under guard $G: request an approval (vaultctl mua request) and present the grant" \
	pl_root vault set "$D" immutability disabled
pl_denied root@local vault.set "$D" "immutability-disable on $D is a critical operation under guard $G"
pl_root vault show "$D" | grep -q "immutability=enabled" || pl_fail "disabled without approval"
n0=$(pl_alert_count immutability-disabled "$D")
ID=$(pl_root mua request "$D" immutability-disable "$D")
pl_ok pl_as appr mua approve "$ID"
pl_ok "$VAULTCTL" --socket "$VG_SOCK" --grant "$ID" vault set "$D" immutability disabled
pl_root vault show "$D" | grep -q "immutability=enabled" || pl_fail "the grant shortened the cooling-off"
[ "$(pl_alert_count immutability-disabled "$D")" = $((n0 + 1)) ] || pl_fail "no new immutability-disabled alert"
pl_expedite "$D"
pl_root vault show "$D" | grep -q "immutability=disabled" || pl_fail "approved disable did not apply"
pl_audited root@local mua.use "$D" ok immutability-disable

pl_case "nothing was lost"
# Everything pl_backup made is still there except the one expired point deleted above.
grep -v "	$P	" "$VG_WORK/points.tsv" >"$VG_WORK/points.keep"
mv "$VG_WORK/points.keep" "$VG_WORK/points.tsv"
pl_all_restorable
pl_audit_intact
pl_done
