#!/usr/bin/env bash
# mua.sh - SPEC §5: resource guards and multi-user authorization.
# Mandatory operations cannot be excluded; default-on ones need a grant
# unless a guard approver excludes them; a grant is bound to one operation
# and one target, used once, within its window (default 1 h, at most 24 h),
# never approved by its requester; a guard without approvers refuses;
# `guard check` reports an Owner who is also an approver; and requests,
# grants, uses, expiries and denials are audited.
#
#   own (Owner of M) ── mua request ──► vaultd-testclock ◄── mua approve ── ap1, ap2
#   root@local: creates guard G (approvers ap1, ap2) and links it to vault M
set -eu
. "$VG_SRC/tests/integration/policy/plib.sh"
pl_start
M=mu$$
G=gm$$
pl_root vault create "$M" >/dev/null
pl_role own "$M" owner
pl_user ap1
pl_user ap2
pl_root guard create "$G" >/dev/null
pl_root guard approver add "$G" ap1 >/dev/null
pl_add_approver "$G" ap2 ap1
pl_ok pl_root vault set "$M" immutability enabled
pl_ok pl_root vault set "$M" immutability disabled
pl_expedite "$M"
pl_ok pl_root vault set "$M" guard "$G"
pl_ok pl_root policy set "$M" p40 daily=40
for i in a b c; do
	pl_root item create "$M" "$i" >/dev/null
	pl_ok pl_root item policy "$M" "$i" p40
	pl_backup "$M" "$i" "$(pl_data "$i-1")" >/dev/null
done
pl_advance 60
for i in a b c; do
	pl_backup "$M" "$i" "$(pl_data "$i-2")" >/dev/null
done
A1=$(pl_points "$M" a | head -n 1)
A2=$(pl_points "$M" a | tail -n 1)

# request OP TARGET: a request by own; prints its id.
request() {
	local id
	id=$(pl_as own mua request "$M" "$1" "$2")
	case "$id" in [0-9a-f]*) ;; *) pl_fail "no request id: $id" ;; esac
	printf '%s\n' "$id"
}
# grant OP TARGET [WINDOW]: a request by own, approved by ap1; prints its id.
grant() {
	local id
	id=$(request "$1" "$2")
	if [ $# -ge 3 ]; then
		pl_ok pl_as ap1 mua approve "$id" --window "$3"
	else
		pl_ok pl_as ap1 mua approve "$id"
	fi
	printf '%s\n' "$id"
}
# needs OP TARGET AUDITOP CMD...: own's CMD is refused for want of a grant, audited.
needs() {
	local op=$1 target=$2 aop=$3 why
	shift 3
	why="$op on $target is a critical operation under guard $G: request an approval (vaultctl mua request) and present the grant"
	pl_expect_fail "$why" pl_as own "$@"
	pl_denied own "$aop" "$target" "$why"
}

pl_case "a guard without approvers refuses every request (never an automatic approval)"
M0=$M-0
G0=g0$$
pl_root vault create "$M0" >/dev/null
pl_role own "$M0" owner
pl_root guard create "$G0" >/dev/null
pl_ok pl_root vault set "$M0" guard "$G0"
pl_expect_fail "guard $G0 has no approvers: every request is refused" \
	pl_as own mua request "$M0" soft-delete-off "$M0"
pl_denied own mua.request "$M0" "guard $G0 has no approvers: every request is refused"
pl_expect_fail "soft-delete-off on $M0 is a critical operation under guard $G0" \
	pl_as own vault set "$M0" soft-delete off
pl_root vault show "$M0" | grep -q "soft-delete=on/" || pl_fail "soft delete turned off without approval"

pl_case "mandatory operations cannot be excluded, even by an approver"
for op in soft-delete-off guard-unlink; do
	pl_expect_fail "$op is mandatory and cannot be excluded" pl_as ap1 guard exclude "$G" "$op"
	pl_denied ap1 guard.exclude "$G/$op" "$op is mandatory and cannot be excluded"
done
needs soft-delete-off "$M" vault.set vault set "$M" soft-delete off
needs guard-unlink "$M" vault.set vault set "$M" guard none
pl_root guard create "$G-other" >/dev/null
needs guard-unlink "$M" vault.set vault set "$M" guard "$G-other"
pl_root vault show "$M" | grep -q "soft-delete=on/14d immutability=disabled guard=$G " ||
	pl_fail "vault settings changed: $(pl_root vault show "$M")"

pl_case "default-on operations need a grant"
needs delete-data "$M/a/$A1" point.delete point delete "$M" a "$A1"
needs delete-data "$M/b" item.stop item stop "$M" b --delete-data
needs stop-protection "$M/b" item.stop item stop "$M" b
needs retention-reduce "$M/p40" policy.set policy set "$M" p40 daily=30
needs pin-generate "$M" pin.generate pin generate "$M"
needs delete-data "$M" vault.delete vault delete "$M"
pl_ok pl_root vault set "$M" immutability enabled
needs immutability-disable "$M" vault.set vault set "$M" immutability disabled
ID=$(grant immutability-disable "$M")
pl_ok pl_as own --grant "$ID" vault set "$M" immutability disabled
pl_alert immutability-disabled "$M" "$M" own
pl_expedite "$M"
pl_ok pl_root policy set "$M" p9 daily=9
needs retention-reduce "$M/c" item.policy item policy "$M" c p9
pl_all_restorable

pl_case "an approver may exclude a default-on operation (and include it again); an owner may not"
pl_expect_fail "only an approver of guard $G may change what it protects" pl_as own guard exclude "$G" stop-protection
pl_denied own guard.exclude "$G/stop-protection" "only an approver of guard $G may change what it protects"
pl_expect_fail "only an approver of guard $G may change what it protects" pl_root guard exclude "$G" stop-protection
pl_expect_fail "guard-change on $G/exclude/stop-protection is a critical operation under guard $G" \
	pl_as ap1 guard exclude "$G" stop-protection
pl_guard_change ap1 ap2 "$G" exclude stop-protection
pl_audited ap1 guard.exclude "$G/stop-protection" ok ""
pl_alert guard-changed "" "$G" ap1
pl_ok pl_as own item stop "$M" b
pl_ok pl_as own item resume "$M" b
pl_guard_change ap2 ap1 "$G" include stop-protection
needs stop-protection "$M/b" item.stop item stop "$M" b

pl_case "the flow: request, approval by another principal, one use within the window"
ID=$(grant stop-protection "$M/b")
pl_audited own mua.request "$M/b" ok "request $ID: stop-protection on $M/b"
pl_audited ap1 mua.approve "$ID" ok "granted stop-protection on $M/b for 3600s"
pl_as own --grant "$ID" item stop "$M" b >/dev/null
pl_audited own mua.use "$M/b" ok stop-protection
pl_ok pl_as own item resume "$M" b
pl_expect_fail "grant $ID was already used" pl_as own --grant "$ID" item stop "$M" b
pl_denied own item.stop "$M/b" "grant $ID was already used"
pl_root mua list | grep -q "^$ID	used	stop-protection	$M/b	guard=$G	by=own	" || pl_fail "mua list does not show $ID used"

pl_case "a grant is bound to its operation and its target"
ID=$(grant delete-data "$M/a/$A1")
pl_expect_fail "grant $ID is for delete-data on $M/a/$A1, not delete-data on $M/a/$A2" \
	pl_as own --grant "$ID" point delete "$M" a "$A2"
pl_denied own point.delete "$M/a/$A2" "grant $ID is for delete-data on $M/a/$A1, not delete-data on $M/a/$A2"
pl_expect_fail "grant $ID is for delete-data on $M/a/$A1, not delete-data on $M/a" \
	pl_as own --grant "$ID" item stop "$M" a --delete-data
pl_expect_fail "grant $ID is for delete-data on $M/a/$A1, not retention-reduce on $M/p40" \
	pl_as own --grant "$ID" policy set "$M" p40 daily=30
pl_has_point "$M" a "$A2"
pl_role thief "$M" owner
pl_expect_fail "grant $ID belongs to own" pl_as thief --grant "$ID" point delete "$M" a "$A1"
pl_denied thief point.delete "$M/a/$A1" "grant $ID belongs to own"
# The misuses did not spend it: the bound use still works, once.
pl_ok pl_as own --grant "$ID" point delete "$M" a "$A1"
pl_ok pl_as own point undelete "$M" a "$A1"
pl_expect_fail "grant $ID was already used" pl_as own --grant "$ID" point delete "$M" a "$A1"
pl_has_point "$M" a "$A1"

pl_case "the default window is 1 hour: a grant used at 1 h + 1 s is refused"
M2=$M-2
pl_root vault create "$M2" >/dev/null
pl_role own "$M2" owner
pl_ok pl_root vault set "$M2" guard "$G"
pl_root item create "$M2" x >/dev/null
X1=$(pl_backup "$M2" x "$(pl_data x1)")
pl_advance 60
X2=$(pl_backup "$M2" x "$(pl_data x2)")
ID=$(request delete-data "$M2/x/$X1")
t0=$(pl_now)
pl_ok pl_as ap1 mua approve "$ID"
until=$(pl_root mua list | awk -F'\t' -v id="$ID" '$1 == id { sub(/^until=/, "", $7); print $7 }')
w=$(($(date -u -d "$until" +%s) - t0))
[ "$w" -ge 3600 ] && [ "$w" -le 3602 ] || pl_fail "default window is ${w}s, not 1 h"
pl_advance 3601
pl_expect_fail "grant $ID expired" pl_as own --grant "$ID" point delete "$M2" x "$X1"
pl_denied own point.delete "$M2/x/$X1" "grant $ID expired"
pl_root mua list | grep -q "^$ID	expired	" || pl_fail "mua list does not show $ID expired"
pl_purge
pl_audited purger mua.expire "$ID" ok "grant for delete-data on $M2/x/$X1 requested by own expired"
[ "$(pl_audit_count "\"op\":\"mua.expire\",\"target\":\"$ID\"")" = 1 ] || pl_fail "expiry not audited exactly once"
pl_has_point "$M2" x "$X1"
ID=$(request delete-data "$M2/x/$X1")
pl_ok pl_as ap1 mua approve "$ID"
pl_advance 3590
pl_ok pl_as own --grant "$ID" point delete "$M2" x "$X1"

pl_case "a grant that expires unused is audited once, by the purger's next pass"
ID=$(request delete-data "$M2/x/$X2")
pl_ok pl_as ap1 mua approve "$ID" --window 60
pl_purge
[ "$(pl_audit_count "\"op\":\"mua.expire\",\"target\":\"$ID\"")" = 0 ] || pl_fail "expiry audited early"
pl_advance 61
pl_purge
pl_purge
pl_audited purger mua.expire "$ID" ok "grant for delete-data on $M2/x/$X2 requested by own expired"
[ "$(pl_audit_count "\"op\":\"mua.expire\",\"target\":\"$ID\"")" = 1 ] || pl_fail "expiry not audited exactly once"

pl_case "a window is at most 24 hours: 25 h refused, 24 h accepted and honoured"
ID=$(request delete-data "$M2/x/$X2")
pl_expect_fail "a grant window is at most 24 hours" pl_as ap1 mua approve "$ID" --window 90000
pl_audited ap1 mua.approve "$ID" failed "a grant window is at most 24 hours"
pl_ok pl_as ap1 mua approve "$ID" --window 86400
pl_advance $((86400 - 30))
pl_ok pl_as own --grant "$ID" point delete "$M2" x "$X2"
pl_ok pl_as own point undelete "$M2" x "$X2"

pl_case "a requester cannot approve their own request; a non-approver cannot approve"
pl_role ap1 "$M2" reader
ID=$(pl_as ap1 mua request "$M2" delete-data "$M2/x/$X2")
pl_expect_fail "a requester cannot approve their own request" pl_as ap1 mua approve "$ID"
pl_denied ap1 mua.approve "$ID" "a requester cannot approve their own request"
ID=$(request delete-data "$M2/x/$X2")
pl_expect_fail "own is not an approver of guard $G" pl_as own mua approve "$ID"
pl_denied own mua.approve "$ID" "own is not an approver of guard $G"
pl_expect_fail "request $ID is still pending, not approved" pl_as own --grant "$ID" point delete "$M2" x "$X2"
pl_ok pl_as ap2 mua deny "$ID"
pl_audited ap2 mua.deny "$ID" ok "denied delete-data on $M2/x/$X2"
pl_expect_fail "request $ID is denied, not approved" pl_as own --grant "$ID" point delete "$M2" x "$X2"
pl_expect_fail "request $ID is no longer pending" pl_as ap1 mua approve "$ID"
pl_expect_fail "grant 0123456789abcdef0123456789abcdef does not exist" \
	pl_as own --grant 0123456789abcdef0123456789abcdef point delete "$M2" x "$X2"
pl_has_point "$M2" x "$X2"

pl_case "mandatory operations go through with a grant, and raise their alerts"
M3=$M-3
pl_root vault create "$M3" >/dev/null
pl_role own "$M3" owner
pl_ok pl_root vault set "$M3" guard "$G"
ID=$(request soft-delete-off "$M3")
pl_ok pl_as ap2 mua approve "$ID"
pl_ok pl_as own --grant "$ID" vault set "$M3" soft-delete off
pl_alert soft-delete-disabled "$M3" "$M3" own
ID=$(request guard-unlink "$M3")
pl_ok pl_as ap2 mua approve "$ID"
pl_ok pl_as own --grant "$ID" vault set "$M3" guard none
pl_alert mua-removed "$M3" "$M3" own
# Both wait out their cooling-off (SPEC §11): the grant does not shorten it.
pl_root vault show "$M3" | grep -q "soft-delete=on/14d immutability=disabled guard=$G " ||
	pl_fail "a weakening took effect before its cooling-off: $(pl_root vault show "$M3")"
[ "$(pl_pending_ids "$M3" | wc -l)" = 2 ] || pl_fail "not two pending changes: $(pl_root pending "$M3")"
pl_expedite "$M3"
pl_root vault show "$M3" | grep -q "soft-delete=off/14d immutability=disabled guard=- " ||
	pl_fail "guard not unlinked: $(pl_root vault show "$M3")"

pl_case "guard check reports an Owner who is also an approver, and exits non-zero"
out=$(pl_root guard check) || pl_fail "guard check failed with no overlap: $out"
[ "$out" = "no principal is both a vault Owner and an approver of its guard" ] || pl_fail "guard check: $out"
pl_role ap2 "$M" owner
set +e
out=$(pl_root guard check)
rc=$?
set -e
[ "$rc" = 1 ] || pl_fail "guard check exit $rc with an overlap"
[ "$out" = "OVERLAP: ap2 is Owner of vault $M and approver of its guard $G: MUA is defeated" ] ||
	pl_fail "guard check: $out"
pl_expect_fail "guard check is for local root and vault Owners" pl_as ap1 guard check

pl_case "nothing was lost"
grep -v "	$X1	" "$VG_WORK/points.tsv" >"$VG_WORK/points.keep"
mv "$VG_WORK/points.keep" "$VG_WORK/points.tsv"
pl_all_restorable
pl_audit_intact
pl_done
