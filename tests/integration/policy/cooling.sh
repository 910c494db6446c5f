#!/usr/bin/env bash
# cooling.sh - SPEC §11 cooling-off and SPEC §2 truthful delete results.
# A change that weakens protection is accepted as pending, alerted at once,
# and takes effect only after the vault's soft-delete window; any Owner or
# guard approver can cancel it; an MUA grant does not shorten the wait.
# Every delete answers what really happened.
#
#   vaultctl (root@local, owner, thief, appr) ─unix─► vaultd-testclock
#   the test clock moves the days; "purge run" is the purger pass that
#   applies what is due
set -eu
. "$VG_SRC/tests/integration/policy/plib.sh"
pl_start
V=co$$
G=cg$$
pl_root vault create "$V" >/dev/null
pl_role owner "$V" owner
pl_role thief "$V" owner
pl_role reader "$V" reader
pl_root item create "$V" a >/dev/null
P1=$(pl_backup "$V" a "$(pl_data a1)")
P2=$(pl_backup "$V" a "$(pl_data a2)")

pl_case "a delete says what happened: soft-deleted until T (the API too)"
out=$(pl_as thief point delete "$V" a "$P1")
until=$(pl_root points "$V" a --all | awk -F'\t' -v p="$P1" '$1 == p { print $3 }')
[ "$until" = soft-deleted ] || pl_fail "points --all state: $until"
case "$out" in
"point deleted in vault: $V: soft-deleted until "*Z) ;;
*) pl_fail "point delete said: $out" ;;
esac
T=$(date -u -d "${out##*until }" +%s)
[ $((T - $(pl_now))) -ge $((14 * DAY - 5)) ] || pl_fail "until $T is not 14 days on"
pl_audited thief point.delete "$V/a/$P1" ok "soft-deleted, purge after $T"
pl_ok pl_root point undelete "$V" a "$P1"

pl_case "soft delete off is held as pending, alerted at once; deletes stay soft meanwhile"
out=$(pl_as thief vault set "$V" soft-delete off)
case "$out" in *"pending until "*"(id "*")") ;; *) pl_fail "vault set said: $out" ;; esac
ID=$(pl_pending_ids "$V")
[ "$(printf '%s\n' "$ID" | wc -l)" = 1 ] || pl_fail "pending ids: $ID"
pl_root pending "$V" | grep -q "^$ID	$V	soft-delete	on -> off	by=thief	requested=" ||
	pl_fail "pending list: $(pl_root pending "$V")"
pl_as reader pending "$V" | grep -q "soft-delete" || pl_fail "a Reader does not see the pending change"
pl_root pending "$V" --json | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert len(rows) == 1, rows
r = rows[0]
assert r["what"] == "soft-delete" and r["from"] == "on" and r["to"] == "off", r
assert r["requested_by"] == "thief" and r["alert"] == "soft-delete-disabled", r
assert r["requested_at"].endswith("Z") and r["effective_at"].endswith("Z"), r
' || pl_fail "pending --json"
pl_alert soft-delete-disabled "$V" "$V" thief
pl_root alerts "$V" | grep "soft-delete-disabled" | grep -q "pending $ID" || pl_fail "alerts $V: $(pl_root alerts "$V")"
pl_audited thief vault.set "$V" pending "soft-delete on -> off requested: pending $ID"
pl_root vault show "$V" | grep -q "soft-delete=on/14d" || pl_fail "off took effect at once"
out=$(pl_as thief point delete "$V" a "$P1")
case "$out" in *": soft-deleted until "*) ;; *) pl_fail "a delete in the cooling-off said: $out" ;; esac
pl_expect_fail "a change of soft-delete is already pending ($ID)" pl_as thief vault set "$V" soft-delete off

pl_case "the old protection holds for the whole window; then the change takes effect, audited and alerted"
pl_advance $((14 * DAY - 60))
pl_purge
pl_root vault show "$V" | grep -q "soft-delete=on/14d" || pl_fail "off took effect before 14 days"
[ "$(pl_point_state "$V" a "$P1")" = soft-deleted ] || pl_fail "P1 purged within its window"
pl_advance 61
pl_purge
pl_root vault show "$V" | grep -q "soft-delete=off/14d" || pl_fail "off not in effect after 14 days"
[ -z "$(pl_pending_ids "$V")" ] || pl_fail "still pending after it took effect"
pl_audited purger pending.apply "$V" ok "pending $ID: soft-delete on -> off requested by thief is now in effect"
pl_alert soft-delete-disabled "$V" "$V" purger
out=$(pl_as thief point delete "$V" a "$P2")
[ "$out" = "point deleted in vault: $V: permanently deleted" ] || pl_fail "with off in effect: $out"
[ -z "$(pl_point_state "$V" a "$P2")" ] || pl_fail "a permanent delete left the point"
pl_audited thief point.delete "$V/a/$P2" ok "permanently deleted (soft delete is off)"
pl_ok pl_root vault set "$V" soft-delete on

pl_case "an Owner cancels a pending change; a Reader may not"
P3=$(pl_backup "$V" a "$(pl_data a3)")
pl_ok pl_root policy set "$V" default daily=30
pl_root item create "$V" b >/dev/null
pl_backup "$V" b "$(pl_data b1)" >/dev/null
out=$(pl_as thief policy set "$V" default daily=7)
case "$out" in *"pending until "*) ;; *) pl_fail "retention reduction not held: $out" ;; esac
pl_alert retention-reduced "$V" "$V/default" thief
ID=$(pl_pending_ids "$V")
pl_root pending "$V" | grep -q "	policy default	daily=30,[^	]* -> daily=7,[^	]*	by=thief	" ||
	pl_fail "pending list: $(pl_root pending "$V")"
pl_root policy list "$V" | grep -q "^default	daily=30," || pl_fail "the policy changed at once"
pl_expect_fail "may be cancelled by an Owner of the vault or an approver of its guard" \
	pl_as reader pending cancel "$ID"
pl_denied reader pending.cancel "$ID" "may be cancelled by an Owner of the vault or an approver of its guard"
pl_ok pl_as owner pending cancel "$ID"
pl_audited owner pending.cancel "$V" ok "policy default -> daily=7,weekly=0,monthly=0,yearly=0 requested by thief cancelled"
pl_advance $((15 * DAY))
pl_purge
pl_root policy list "$V" | grep -q "^default	daily=30," || pl_fail "the cancelled reduction took effect"
pl_expect_fail "no pending change $ID" pl_as owner pending cancel "$ID"

pl_case "under a guard: the grant is consumed at the request and does not shorten the wait; an approver cancels"
pl_user appr
pl_root guard create "$G" >/dev/null
pl_root guard approver add "$G" appr >/dev/null
pl_ok pl_root vault set "$V" guard "$G"
pl_ok pl_root vault set "$V" immutability enabled
GR=$(pl_as thief mua request "$V" immutability-disable "$V")
pl_ok pl_as appr mua approve "$GR"
out=$(pl_as thief --grant "$GR" vault set "$V" immutability disabled)
case "$out" in *"pending until "*) ;; *) pl_fail "the grant shortened the cooling-off: $out" ;; esac
pl_alert immutability-disabled "$V" "$V" thief
pl_root vault show "$V" | grep -q "immutability=enabled" || pl_fail "disabled at once"
ID=$(pl_pending_ids "$V")
pl_expect_fail "vault $V is immutable: point $V/a/$P3 has not expired" pl_as thief point delete "$V" a "$P3"
pl_ok pl_as appr pending cancel "$ID"
pl_audited appr pending.cancel "$V" ok "immutability -> disabled requested by thief cancelled"
GR=$(pl_as thief mua request "$V" guard-unlink "$V")
pl_ok pl_as appr mua approve "$GR"
out=$(pl_as thief --grant "$GR" vault set "$V" guard none)
case "$out" in *"pending until "*) ;; *) pl_fail "guard unlink not held: $out" ;; esac
pl_alert mua-removed "$V" "$V" thief
pl_root vault show "$V" | grep -q "guard=$G " || pl_fail "the guard was unlinked at once"
pl_ok pl_as owner pending cancel "$(pl_pending_ids "$V")"
pl_root vault show "$V" | grep -q "guard=$G " || pl_fail "the guard went"

pl_case "a shorter soft-delete window waits out the current one"
V2=$V-w
pl_root vault create "$V2" >/dev/null
pl_ok pl_root vault set "$V2" soft-delete-days 30
out=$(pl_root vault set "$V2" soft-delete-days 14)
case "$out" in *"pending until "*) ;; *) pl_fail "a shorter window was not held: $out" ;; esac
pl_advance $((29 * DAY))
pl_purge
pl_root vault show "$V2" | grep -q "soft-delete=on/30d" || pl_fail "the window shrank before 30 days"
pl_advance $((DAY + 1))
pl_purge
pl_root vault show "$V2" | grep -q "soft-delete=on/14d" || pl_fail "the window did not shrink after 30 days"

pl_case "nothing else was lost"
pl_audit_intact
pl_done
