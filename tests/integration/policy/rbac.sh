#!/usr/bin/env bash
# rbac.sh - SPEC §1: the permission matrix, row by row, for Reader, Agent
# (own item and another's), Operator, Contributor and Owner. Every denial
# is refused with its reason and leaves a "denied" audit entry naming the
# principal, the operation, the target and the reason.
#
#   rd (reader) ─┐
#   ag1 (agent) ─┤                 vault rb: items "own" (ag1's), "other" (root's)
#   op (operator)┼─ vaultctl ─unix─► vaultd-testclock ── $VG_WORK/state
#   co (contrib.)┤
#   ow (owner) ──┘   nobody: a user with no role on rb
set -eu
. "$VG_SRC/tests/integration/policy/plib.sh"
pl_start

V=rb-$$
pl_root vault create "$V" >/dev/null
pl_agent "$V" ag1
pl_root item create "$V" own --agent ag1 >/dev/null
pl_root item create "$V" other >/dev/null
for r in rd:reader op:operator co:contributor ow:owner; do
	pl_role "${r%%:*}" "$V" "${r#*:}"
done
pl_user nobody
D_OWN=$(pl_data own)
D_OTHER=$(pl_data other)
P_OWN=$(pl_backup "$V" own "$D_OWN")
P_OTHER=$(pl_backup "$V" other "$D_OTHER")
pl_advance 60

# deny NAME ROLE PERM OP TARGET CMD...: refused with the matrix reason, audited.
deny() {
	local who=$1 role=$2 perm=$3 op=$4 target=$5 why
	shift 5
	why="principal $who ($role) may not $perm on vault $V"
	pl_expect_fail "$why" pl_as "$who" "$@"
	pl_denied "$who" "$op" "$target" "$why"
}
# deny_agent OP ITEM CMD...: ag1 acting on an item that is not its own.
deny_agent() {
	local op=$1 item=$2 why
	shift 2
	why="agent ag1 may act only on its own items, not $V/$item"
	pl_expect_fail "$why" pl_as ag1 "$@"
	pl_denied ag1 "$op" "$V/$item" "$why"
}

pl_case "view: reader, operator, contributor and owner see the vault, items, points and alerts"
for p in rd op co ow; do
	pl_as "$p" vault show "$V" | grep -q "^vault $V: active" || pl_fail "$p cannot view $V"
	pl_as "$p" item list "$V" | grep -q "^other" || pl_fail "$p cannot list items"
	pl_as "$p" points "$V" other | grep -q "^$P_OTHER" || pl_fail "$p cannot list points"
	pl_ok pl_as "$p" alerts "$V"
done

pl_case "view: an agent sees only its own items and their points"
[ "$(pl_as ag1 item list "$V" | cut -f1)" = own ] || pl_fail "agent item list is not just its own item"
pl_as ag1 points "$V" own | grep -q "^$P_OWN" || pl_fail "agent cannot list its own points"
deny_agent point.list other points "$V" other
deny_agent object.list other objects "$V" other "$P_OTHER"

pl_case "view: an agent sees only the alerts about its own items"
XO=$(pl_backup "$V" own "$(pl_data own-x)")
pl_ok pl_root point delete "$V" own "$XO"
XT=$(pl_backup "$V" other "$(pl_data other-x)")
pl_ok pl_root point delete "$V" other "$XT"
pl_ok pl_root vault set "$V" soft-delete-days 20
pl_as ag1 alerts "$V" --json >"$VG_WORK/ag1.alerts"
grep -qF "\"target\":\"$V/own/" "$VG_WORK/ag1.alerts" || pl_fail "agent does not see its own item's alert"
! grep -qF "\"target\":\"$V/other" "$VG_WORK/ag1.alerts" || pl_fail "agent sees another item's alert"
pl_as ag1 alerts --json >"$VG_WORK/ag1.alerts"
! grep -qF "\"target\":\"$V/other" "$VG_WORK/ag1.alerts" || pl_fail "agent sees another item's alert"
pl_as rd alerts "$V" | grep -qF "target=$V/other/" || pl_fail "a reader does not see every alert of the vault"
pl_ok pl_root point undelete "$V" own "$XO"
pl_ok pl_root point undelete "$V" other "$XT"

pl_case "view: a principal without a role on the vault sees nothing"
deny nobody "no role" view vault.get "$V" vault show "$V"
deny nobody "no role" view item.list "$V" item list "$V"
deny nobody "no role" view point.list "$V/other" points "$V" other
[ -z "$(pl_as nobody vault list)" ] || pl_fail "vault list shows nobody a vault"

pl_case "protect: reader and agent refused; operator, contributor, owner create items and register agents"
deny rd reader protect item.create "$V" item create "$V" x-rd
deny rd reader protect agent.register "$V" agent register "$V" ag-rd
deny ag1 agent protect item.create "$V" item create "$V" x-ag
deny ag1 agent protect agent.register "$V" agent register "$V" ag-ag
for p in op co ow; do
	pl_ok pl_as "$p" item create "$V" "it-$p"
	pl_ok pl_as "$p" agent register "$V" "ag-$p"
done

pl_case "backup: reader refused; agent only on its own item; operator, contributor, owner allowed"
deny rd reader backup point.begin "$V/other" backup "$V" other "$D_OTHER"
deny_agent point.begin other backup "$V" other "$D_OTHER"
pl_backup "$V" own "$(pl_data own2)" ag1 >/dev/null
for p in op co ow; do
	pl_backup "$V" other "$(pl_data "other-$p")" "$p" >/dev/null
	pl_advance 60
done

pl_case "restore: reader refused; agent only its own item; operator, contributor, owner restore byte-exact"
deny rd reader restore object.get "$V/other" restore "$V" other "$P_OTHER" --object data -o "$VG_WORK/out/x"
[ ! -e "$VG_WORK/out/x" ] || pl_fail "a refused restore left a file"
pl_restore_cmp "$V" own "$P_OWN" "$D_OWN" ag1
deny_agent object.get other restore "$V" other "$P_OTHER" --object data -o "$VG_WORK/out/x"
for p in op co ow; do
	pl_restore_cmp "$V" other "$P_OTHER" "$D_OTHER" "$p"
done

pl_case "policy: reader, agent and operator refused; contributor and owner create and modify"
for r in rd:reader ag1:agent op:operator; do
	deny "${r%%:*}" "${r#*:}" policy policy.set "$V" policy set "$V" "p-${r%%:*}" daily=40
done
deny op operator policy item.policy "$V/other" item policy "$V" other default
pl_ok pl_as co policy set "$V" p-co daily=40
pl_ok pl_as co policy set "$V" p-co daily=50
pl_ok pl_as ow policy set "$V" p-ow daily=60
pl_ok pl_as co item policy "$V" it-co p-co
pl_ok pl_as ow item policy "$V" it-ow p-ow
pl_root policy list "$V" | grep -q "^p-co	daily=50," || pl_fail "policy p-co not modified"

pl_case "stop protection: reader, agent and operator refused; contributor and owner stop (retain and delete)"
for r in rd:reader op:operator; do
	deny "${r%%:*}" "${r#*:}" stop item.stop "$V/other" item stop "$V" other
	deny "${r%%:*}" "${r#*:}" stop item.stop "$V/other" item stop "$V" other --delete-data
done
deny ag1 agent stop item.stop "$V/own" item stop "$V" own
deny ag1 agent stop point.delete "$V/own" point delete "$V" own "$P_OWN"
deny op operator stop point.delete "$V/other" point delete "$V" other "$P_OTHER"
deny rd reader stop point.delete "$V/other" point delete "$V" other "$P_OTHER"
pl_ok pl_as co point delete "$V" other "$P_OTHER"
pl_ok pl_as co point undelete "$V" other "$P_OTHER"
pl_ok pl_as co item stop "$V" it-co
pl_ok pl_as ow item stop "$V" it-ow --delete-data
pl_root item list "$V" | grep -q "^it-co	files	stopped-retain" || pl_fail "it-co not stopped-retain"
pl_root item list "$V" | grep -q "^it-ow	files	soft-deleted" || pl_fail "it-ow not soft-deleted"
pl_ok pl_as ow item undelete "$V" it-ow

pl_case "security PIN: reader, agent and operator refused; contributor and owner generate one"
for r in rd:reader ag1:agent op:operator; do
	deny "${r%%:*}" "${r#*:}" pin pin.generate "$V" pin generate "$V"
done
for p in co ow; do
	pl_as "$p" pin generate "$V" | grep -qx '[0-9]\{8\}' || pl_fail "$p got no PIN"
done

pl_case "security settings and role assignments: only the owner"
for r in rd:reader ag1:agent op:operator co:contributor; do
	deny "${r%%:*}" "${r#*:}" security vault.set "$V" vault set "$V" soft-delete-days 30
	deny "${r%%:*}" "${r#*:}" security role.set "$V" role grant nobody "$V" owner
done
pl_ok pl_as ow vault set "$V" soft-delete-days 30
pl_root vault show "$V" | grep -q "soft-delete=on/30d" || pl_fail "owner could not change soft-delete-days"
pl_ok pl_as ow role grant nobody "$V" reader
pl_ok pl_as nobody vault show "$V"
pl_ok pl_as ow role revoke nobody "$V"
deny nobody "no role" view vault.get "$V" vault show "$V"

pl_case "add principals: only local root or a vault owner"
pl_expect_fail "only local root or a vault Owner may add principals" pl_as co principal add mallory
pl_denied co principal.add mallory "only local root or a vault Owner may add principals"

pl_case "delete the vault: contributor refused, owner soft-deletes (and can undelete)"
for r in rd:reader op:operator co:contributor; do
	deny "${r%%:*}" "${r#*:}" delete-vault vault.delete "$V" vault delete "$V"
done
V2=rb2-$$
pl_root vault create "$V2" >/dev/null
pl_role ow "$V2" owner
pl_role co "$V2" contributor
pl_ok pl_as ow vault delete "$V2"
pl_expect_fail "principal co (contributor) may not delete-vault on vault $V2" pl_as co vault undelete "$V2"
pl_denied co vault.undelete "$V2" "principal co (contributor) may not delete-vault on vault $V2"
pl_root vault list | grep -q "^$V2	soft-deleted" || pl_fail "$V2 not soft-deleted"
pl_ok pl_as ow vault undelete "$V2"
pl_root vault list | grep -q "^$V2	active" || pl_fail "$V2 not restored"

pl_case "a bad token is refused and audited"
echo "vg_$(printf '0%.0s' $(seq 64))" >"$VG_WORK/tok/forger"
pl_expect_fail "missing or invalid credentials" pl_as forger vault show "$V"
pl_denied forger vault.get - "missing or invalid credentials"

pl_case "nothing was lost: every point restores byte-exact, the audit chain verifies"
pl_all_restorable
pl_audit_intact
pl_done
