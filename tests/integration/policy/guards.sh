#!/usr/bin/env bash
# guards.sh - SPEC §11: guards govern themselves. Once a guard has an
# approver, adding or removing an approver or changing an exclusion needs a
# guard-change grant approved by another existing approver, for everyone,
# local root included, and raises guard-changed. guard check also reports
# approvers created by an Owner of a vault the guard protects.
#
#   root@local, alice (Owner of V), sec (approver of G), sec2 ─► vaultd-testclock
#   V: guard G
set -eu
. "$VG_SRC/tests/integration/policy/plib.sh"
pl_start
V=gv$$
G=gg$$
pl_root vault create "$V" >/dev/null
pl_role alice "$V" owner
pl_user sec
pl_user sec2
pl_root guard create "$G" >/dev/null
pl_ok pl_root guard approver add "$G" sec
pl_alert guard-changed "" "$G" root@local
pl_ok pl_root vault set "$V" guard "$G"
pl_root item create "$V" a >/dev/null
PA=$(pl_backup "$V" a "$(pl_data a1)")
pl_backup "$V" a "$(pl_data a2)" >/dev/null

pl_case "attack: local root adds a throw-away approver, approves its own request, deletes: refused"
pl_user throwaway
n0=$(pl_alert_count guard-changed "$G")
pl_expect_fail "guard-change on $G/approver-add/throwaway is a critical operation under guard $G" \
	pl_root guard approver add "$G" throwaway
pl_denied root@local guard.approver "$G/throwaway" "guard-change on $G/approver-add/throwaway is a critical operation"
ID=$(pl_root mua request "$V" delete-data "$V/a/$PA")
pl_expect_fail "throwaway is not an approver of guard $G" pl_as throwaway mua approve "$ID"
pl_expect_fail "request $ID is still pending, not approved" \
	"$VAULTCTL" --socket "$VG_SOCK" --grant "$ID" point delete "$V" a "$PA"
pl_has_point "$V" a "$PA"
[ "$(pl_alert_count guard-changed "$G")" = "$n0" ] || pl_fail "a refused change raised guard-changed"

pl_case "attack: the single approver adds a second identity of its own: refused (it cannot approve itself)"
ID=$(pl_as sec mua request "$G" guard-change "$G/approver-add/sec2")
pl_expect_fail "a requester cannot approve their own request" pl_as sec mua approve "$ID"
pl_expect_fail "request $ID is still pending, not approved" pl_as sec --grant "$ID" guard approver add "$G" sec2
pl_denied sec guard.approver "$G/sec2" "request $ID is still pending, not approved"
pl_expect_fail "changes are requested by local root or its approvers" \
	pl_as alice mua request "$G" guard-change "$G/approver-add/alice"

pl_case "the legitimate way: root asks, the existing approver grants, the change is alerted and audited"
ID=$(pl_root mua request "$G" guard-change "$G/approver-add/sec2")
pl_ok pl_as sec mua approve "$ID"
pl_expect_fail "grant $ID is for guard-change on $G/approver-add/sec2, not guard-change on $G/approver-add/throwaway" \
	"$VAULTCTL" --socket "$VG_SOCK" --grant "$ID" guard approver add "$G" throwaway
out=$("$VAULTCTL" --socket "$VG_SOCK" --grant "$ID" guard approver add "$G" sec2)
[ "$out" = "guard $G: approver sec2 added" ] || pl_fail "approver add: $out"
pl_audited root@local mua.use "$G/approver-add/sec2" ok guard-change
pl_audited root@local guard.approver.add "$G/sec2" ok ""
pl_alert guard-changed "" "$G" root@local
[ "$(pl_alert_count guard-changed "$G")" = $((n0 + 1)) ] || pl_fail "guard-changed not raised once"

pl_case "exclusions need another approver's grant too"
pl_expect_fail "guard-change on $G/exclude/delete-data is a critical operation under guard $G" \
	pl_as sec guard exclude "$G" delete-data
pl_guard_change sec sec2 "$G" exclude delete-data
pl_alert guard-changed "" "$G" sec
pl_guard_change sec2 sec "$G" include delete-data
pl_expect_fail "delete-data on $V/a/$PA is a critical operation under guard $G" pl_root point delete "$V" a "$PA"

pl_case "removing an approver is governed the same way"
pl_expect_fail "guard-change on $G/approver-remove/sec is a critical operation under guard $G" \
	pl_as sec2 guard approver remove "$G" sec

pl_case "guard check reports an approver created by an Owner of a vault the guard protects"
out=$(pl_root guard check) || pl_fail "guard check with no overlap: $out"
pl_as alice principal add alt >"$VG_WORK/tok/alt"
ID=$(pl_root mua request "$G" guard-change "$G/approver-add/alt")
pl_ok pl_as sec mua approve "$ID"
pl_ok "$VAULTCTL" --socket "$VG_SOCK" --grant "$ID" guard approver add "$G" alt
set +e
out=$(pl_root guard check)
rc=$?
set -e
[ "$rc" = 1 ] || pl_fail "guard check exit $rc with an Owner-made approver"
[ "$out" = "CREATED BY OWNER: approver alt of guard $G was created by alice, Owner of vault $V: MUA is defeated" ] ||
	pl_fail "guard check: $out"

pl_case "nothing was lost"
pl_all_restorable
pl_audit_intact
pl_done
