#!/usr/bin/env bash
# softdelete.sh - SPEC §2: soft delete states and retention, frozen windows,
# soft-deleted items, undelete and resume, retention cuts, the purger and
# its alerts, turning soft delete off, and vault soft delete.
#
#   vaultctl (root@local) ─unix─► vaultd-testclock ── $VG_WORK/state
#                                  the test clock moves days ahead; "purge run"
#                                  runs the purger at that time
set -eu
. "$VG_SRC/tests/integration/policy/plib.sh"
pl_start
S=sd$$

# vault NAME: a fresh vault; prints nothing.
vault() { pl_root vault create "$1" >/dev/null; }
# item_state VAULT ITEM: the protection state in `item list` ("" if gone).
item_state() { pl_root item list "$1" | awk -F'\t' -v i="$2" '$1 == i { print $3 }'; }

# blobs: how many encrypted blob files the state holds.
blobs() { find "$VG_STATE/blobs" -type f | wc -l; }

pl_case "default: soft delete on, 14 days"
V=$S-def
vault "$V"
pl_root vault show "$V" | grep -q "soft-delete=on/14d" || pl_fail "default is not on/14d: $(pl_root vault show "$V")"

pl_case "states: off, on and always-on; always-on cannot be left"
pl_ok pl_root vault set "$V" soft-delete off
pl_root vault show "$V" | grep -q "soft-delete=on/" || pl_fail "off took effect before its cooling-off"
pl_expedite "$V"
pl_root vault show "$V" | grep -q "soft-delete=off/" || pl_fail "not off"
pl_ok pl_root vault set "$V" soft-delete on
pl_ok pl_root vault set "$V" soft-delete always-on
pl_root vault show "$V" | grep -q "soft-delete=always-on/" || pl_fail "not always-on"
for to in on off; do
	pl_expect_fail "vault $V: soft delete is always-on and cannot be changed" \
		pl_root vault set "$V" soft-delete "$to"
	pl_denied root@local vault.set "$V" "soft delete is always-on and cannot be changed"
done
pl_root vault show "$V" | grep -q "soft-delete=always-on/" || pl_fail "always-on was left"
pl_expect_fail "soft-delete sometimes: expected off, on or always-on" \
	pl_root vault set "$V" soft-delete sometimes

pl_case "retention: 13 and 181 refused, 14 and 180 accepted"
for d in 13 181 0 abc; do
	pl_expect_fail "soft-delete-days $d: must be between 14 and 180" \
		pl_root vault set "$V" soft-delete-days "$d"
done
pl_denied root@local vault.set "$V" "soft-delete-days 181: must be between 14 and 180"
for d in 14 180; do
	pl_ok pl_root vault set "$V" soft-delete-days "$d"
	pl_root vault show "$V" | grep -q "soft-delete=always-on/${d}d" || pl_fail "days $d not set"
done

pl_case "a soft-deleted item shows no restorable points and cannot be restored or backed up"
V=$S-gone
vault "$V"
pl_root item create "$V" a >/dev/null
DA=$(pl_data gone-a)
PA=$(pl_backup "$V" a "$DA")
pl_ok pl_root item stop "$V" a --delete-data
[ "$(item_state "$V" a)" = soft-deleted ] || pl_fail "item not soft-deleted"
pl_expect_fail "the target is soft-deleted" pl_root points "$V" a
pl_expect_fail "the target is soft-deleted" pl_root restore "$V" a "$PA" --object data -o "$VG_WORK/out/x"
pl_expect_fail "the target is soft-deleted" pl_root backup "$V" a "$DA"
pl_expect_fail "the target is soft-deleted" pl_root item stop "$V" a --delete-data
pl_alert delete-backup-data "$V" "$V/a" root@local
pl_ok pl_root item undelete "$V" a
pl_restore_cmp "$V" a "$PA" "$DA"

pl_case "the window is frozen at delete time: deleted under 30 days, still there on day 29 after a change to 14, purged after day 30"
V=$S-frz
vault "$V"
pl_ok pl_root vault set "$V" soft-delete-days 30
for i in keep gone; do
	pl_root item create "$V" "$i" >/dev/null
done
DK=$(pl_data frz-keep)
PK=$(pl_backup "$V" keep "$DK")
pl_backup "$V" gone "$(pl_data frz-gone)" >/dev/null
pl_root item create "$V" pts >/dev/null
DP1=$(pl_data frz-p1)
P1=$(pl_backup "$V" pts "$DP1")
pl_advance 10
pl_backup "$V" pts "$(pl_data frz-p2)" >/dev/null
pl_ok pl_root item stop "$V" keep --delete-data
pl_ok pl_root item stop "$V" gone --delete-data
pl_ok pl_root point delete "$V" pts "$P1"
pl_ok pl_root vault set "$V" soft-delete-days 14
pl_advance $((29 * DAY))
pl_purge
for i in keep gone; do
	[ "$(item_state "$V" "$i")" = soft-deleted ] || pl_fail "item $i purged before its 30-day window"
done
[ "$(pl_point_state "$V" pts "$P1")" = soft-deleted ] || pl_fail "point purged before its 30-day window"
pl_ok pl_root item undelete "$V" keep
pl_ok pl_root point undelete "$V" pts "$P1"
pl_restore_cmp "$V" keep "$PK" "$DK"
pl_restore_cmp "$V" pts "$P1" "$DP1"
pl_advance $((DAY + 1))
pl_purge
[ -z "$(item_state "$V" gone)" ] || pl_fail "item gone not purged after day 30"
pl_expect_fail "not found" pl_root item undelete "$V" gone
pl_audited purger purge "$V/gone" ok "item purged"
pl_alert purge-complete "$V" "$V/gone" purger
[ "$(item_state "$V" keep)" = stopped-retain ] || pl_fail "undeleted item keep changed"
pl_restore_cmp "$V" keep "$PK" "$DK"

pl_case "undelete returns stopped-retain; backups refused until resume, which prunes what expired (never the newest)"
V=$S-res
vault "$V"
pl_ok pl_root policy set "$V" week daily=7
pl_root item create "$V" a >/dev/null
pl_ok pl_root item policy "$V" a week
R1=$(pl_backup "$V" a "$(pl_data res1)")
pl_advance "$DAY"
R2=$(pl_backup "$V" a "$(pl_data res2)")
pl_advance "$DAY"
DR3=$(pl_data res3)
R3=$(pl_backup "$V" a "$DR3")
pl_ok pl_root item stop "$V" a --delete-data
pl_advance $((10 * DAY))
pl_purge
pl_ok pl_root item undelete "$V" a
[ "$(item_state "$V" a)" = stopped-retain ] || pl_fail "undelete did not give stopped-retain"
pl_audited root@local item.undelete "$V/a" ok "now stopped-retain"
pl_expect_fail "$V/a is not soft-deleted" pl_root item undelete "$V" a
pl_purge
for p in "$R1" "$R2" "$R3"; do
	[ "$(pl_point_state "$V" a "$p")" = active ] || pl_fail "expired point $p gone before resume"
done
pl_expect_fail "item $V/a: protection is stopped; run \"item resume\" first" pl_root backup "$V" a "$DR3"
pl_ok pl_root item resume "$V" a
[ "$(item_state "$V" a)" = protected ] || pl_fail "resume did not give protected"
pl_audited root@local item.resume "$V/a" ok "2 expired points pruned"
[ "$(pl_points "$V" a)" = "$R3" ] || pl_fail "resume left: $(pl_points "$V" a | tr '\n' ' ') (want only $R3)"
pl_restore_cmp "$V" a "$R3" "$DR3"
pl_backup "$V" a "$(pl_data res4)" >/dev/null
pl_expect_fail "is protected, not stopped" pl_root item resume "$V" a

pl_case "a retention reduction soft-deletes the points it cuts; raising retention brings them back"
V=$S-cut
vault "$V"
pl_ok pl_root policy set "$V" long daily=60
pl_root item create "$V" a >/dev/null
pl_ok pl_root item policy "$V" a long
DC1=$(pl_data cut1)
C1=$(pl_backup "$V" a "$DC1")
pl_advance $((10 * DAY))
DC2=$(pl_data cut2)
C2=$(pl_backup "$V" a "$DC2")
pl_advance $((10 * DAY))
C3=$(pl_backup "$V" a "$(pl_data cut3)")
pl_advance $((5 * DAY))
pl_ok pl_root policy set "$V" long daily=7
pl_alert retention-reduced "$V" "$V/long" root@local
[ "$(pl_points "$V" a | wc -l)" = 3 ] || pl_fail "the reduction cut points within its cooling-off"
pl_expedite "$V"
pl_audited purger policy.modify "$V/long" ok "2 points cut to soft delete"
for p in "$C1" "$C2"; do
	[ "$(pl_point_state "$V" a "$p")" = soft-deleted ] || pl_fail "cut point $p is not soft-deleted"
done
[ "$(pl_points "$V" a)" = "$C3" ] || pl_fail "after the cut: $(pl_points "$V" a | tr '\n' ' ')"
pl_expect_fail "was cut by retention: raise the policy's retention to bring it back" \
	pl_root point undelete "$V" a "$C1"
pl_purge
pl_ok pl_root policy set "$V" long daily=40
pl_audited root@local policy.modify "$V/long" ok "0 points cut to soft delete, 2 restored"
pl_restore_cmp "$V" a "$C1" "$DC1"
pl_restore_cmp "$V" a "$C2" "$DC2"

pl_case "a point cut by retention and not brought back is purged after its window"
V=$S-cutp
vault "$V"
pl_ok pl_root policy set "$V" long daily=60
pl_root item create "$V" a >/dev/null
pl_ok pl_root item policy "$V" a long
K1=$(pl_backup "$V" a "$(pl_data cutp1)")
pl_advance $((10 * DAY))
DK2=$(pl_data cutp2)
K2=$(pl_backup "$V" a "$DK2")
pl_advance $((DAY))
pl_ok pl_root policy set "$V" long daily=7
pl_expedite "$V"
[ "$(pl_point_state "$V" a "$K1")" = soft-deleted ] || pl_fail "not cut"
pl_advance $((14 * DAY - 10))
pl_purge
[ "$(pl_point_state "$V" a "$K1")" = soft-deleted ] || pl_fail "cut point purged before its window"
pl_advance 11
pl_purge
[ -z "$(pl_point_state "$V" a "$K1")" ] || pl_fail "cut point not purged after its window"
pl_alert purge-complete "$V" "$V/a/$K1" purger
pl_restore_cmp "$V" a "$K2" "$DK2"

pl_case "the purger: upcoming-purge 48 h before, purge only after purge_at, purge-complete after"
V=$S-pur
vault "$V"
pl_root item create "$V" a >/dev/null
pl_root item create "$V" b >/dev/null
U1=$(pl_backup "$V" a "$(pl_data pur1)")
pl_advance 10
DU2=$(pl_data pur2)
U2=$(pl_backup "$V" a "$DU2")
pl_backup "$V" b "$(pl_data pur3)" >/dev/null
pl_ok pl_root point delete "$V" a "$U1"
pl_ok pl_root item stop "$V" b --delete-data
pl_advance $((14 * DAY - 48 * 3600 - 10))   # 48 h + 10 s before purge_at
pl_purge
[ "$(pl_alert_count upcoming-purge "$V/a/$U1")" = 0 ] || pl_fail "upcoming-purge more than 48 h ahead"
pl_advance 20   # 48 h - 10 s before purge_at
pl_purge
pl_purge
[ "$(pl_alert_count upcoming-purge "$V/a/$U1")" = 1 ] || pl_fail "not exactly one upcoming-purge for the point"
[ "$(pl_alert_count upcoming-purge "$V/b")" = 1 ] || pl_fail "not exactly one upcoming-purge for the item"
pl_alert upcoming-purge "$V" "$V/a/$U1" purger
pl_advance $((48 * 3600 - 20))   # purge_at - 10 s
pl_purge
[ "$(pl_point_state "$V" a "$U1")" = soft-deleted ] || pl_fail "point purged before purge_at"
[ "$(item_state "$V" b)" = soft-deleted ] || pl_fail "item purged before purge_at"
[ "$(pl_alert_count purge-complete "$V/a/$U1")" = 0 ] || pl_fail "purge-complete before the purge"
nb=$(blobs)
pl_advance 11
pl_purge
[ "$(blobs)" = $((nb - 2)) ] || pl_fail "purge left the data on disk: $nb blob files before, $(blobs) after"
[ -z "$(pl_point_state "$V" a "$U1")" ] || pl_fail "point not purged at purge_at"
[ -z "$(item_state "$V" b)" ] || pl_fail "item not purged at purge_at"
pl_alert purge-complete "$V" "$V/a/$U1" purger
pl_alert purge-complete "$V" "$V/b" purger
pl_audited purger purge "$V/a/$U1" ok "point purged"
pl_restore_cmp "$V" a "$U2" "$DU2"

pl_case "turning soft delete off keeps the windows of what is already soft-deleted (never an instant purge)"
V=$S-off
vault "$V"
pl_root item create "$V" a >/dev/null
pl_root item create "$V" b >/dev/null
pl_root item create "$V" c >/dev/null
DO=$(pl_data off-a)
PO=$(pl_backup "$V" a "$DO")
pl_backup "$V" b "$(pl_data off-b)" >/dev/null
DC=$(pl_data off-c)
PC=$(pl_backup "$V" c "$DC")
pl_advance 10
pl_backup "$V" c "$(pl_data off-c2)" >/dev/null
pl_ok pl_root item stop "$V" a --delete-data
pl_ok pl_root point delete "$V" c "$PC"
pl_ok pl_root vault set "$V" soft-delete off
pl_alert soft-delete-disabled "$V" "$V" root@local
pl_purge
pl_advance $((13 * DAY))
pl_purge
[ "$(item_state "$V" a)" = soft-deleted ] || pl_fail "item soft-deleted before off was purged early"
[ "$(pl_point_state "$V" c "$PC")" = soft-deleted ] || pl_fail "point soft-deleted before off was purged early"
pl_ok pl_root item undelete "$V" a
pl_restore_cmp "$V" a "$PO" "$DO"
pl_ok pl_root point undelete "$V" c "$PC"
pl_restore_cmp "$V" c "$PC" "$DC"
# Off takes effect after its 14-day cooling-off (SPEC §11), at a purger pass.
pl_root vault show "$V" | grep -q "soft-delete=on/" || pl_fail "off took effect within its cooling-off"
pl_advance $((DAY + 1))
pl_purge
pl_root vault show "$V" | grep -q "soft-delete=off/" || pl_fail "off not in effect after its cooling-off"
pl_audited purger pending.apply "$V" ok "soft-delete on -> off requested by root@local is now in effect"
# With soft delete off, a new deletion purges at once (and says so).
out=$(pl_root item stop "$V" b --delete-data)
[ "$out" = "protection of $V/b stopped, data permanently deleted" ] || pl_fail "item stop said: $out"
[ -z "$(item_state "$V" b)" ] || pl_fail "with soft delete off, b was not purged"
pl_alert delete-backup-data "$V" "$V/b" root@local

pl_case "deleting a vault soft-deletes it; undelete brings it back; after its window it is purged"
V=$S-vd
vault "$V"
pl_role former "$V" owner
pl_role former2 "$V" reader
pl_ok pl_root vault set "$V" soft-delete-days 20
pl_root item create "$V" a >/dev/null
DV=$(pl_data vd)
PV=$(pl_backup "$V" a "$DV")
pl_ok pl_root vault delete "$V"
pl_root vault list | grep -q "^$V	soft-deleted" || pl_fail "vault not soft-deleted"
pl_alert delete-backup-data "$V" "$V" root@local
pl_expect_fail "the target is soft-deleted" pl_root backup "$V" a "$DV"
pl_expect_fail "the target is soft-deleted" pl_root restore "$V" a "$PV" --object data -o "$VG_WORK/out/x"
pl_advance $((19 * DAY))
pl_purge
pl_ok pl_root vault undelete "$V"
pl_restore_cmp "$V" a "$PV" "$DV"
pl_expect_fail "vault $V is not soft-deleted" pl_root vault undelete "$V"
pl_ok pl_root vault delete "$V"
pl_advance $((18 * DAY + 1))
pl_purge
pl_alert upcoming-purge "$V" "$V" purger
pl_root vault list | grep -q "^$V	soft-deleted" || pl_fail "vault purged before its window"
nb=$(blobs)
pl_advance $((2 * DAY))
pl_purge
! pl_root vault list | grep -q "^$V	" || pl_fail "vault not purged after its window"
[ "$(blobs)" = $((nb - 1)) ] || pl_fail "vault purge left its data on disk"
pl_alert purge-complete "$V" "$V" purger
pl_expect_fail "not found" pl_root vault undelete "$V"

pl_case "a purged vault's role assignments go with it: a new vault of the same name starts with none"
vault "$V"
[ -z "$(pl_root role list "$V")" ] || pl_fail "the new vault inherited roles: $(pl_root role list "$V")"
pl_expect_fail "principal former (no role) may not view on vault $V" pl_as former vault show "$V"
pl_expect_fail "principal former (no role) may not delete-vault on vault $V" pl_as former vault delete "$V"

pl_case "a vault with soft delete off is still soft-deleted for at least 14 days"
V=$S-vdoff
vault "$V"
pl_ok pl_root vault set "$V" soft-delete off
pl_expedite "$V"
out=$(pl_root vault delete "$V")
case "$out" in "vault deleted: $V: soft-deleted until "*) ;; *) pl_fail "vault delete said: $out" ;; esac
pl_advance $((13 * DAY))
pl_purge
pl_ok pl_root vault undelete "$V"

pl_case "nothing else was lost"
pl_audit_intact
pl_done
