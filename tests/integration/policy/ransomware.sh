#!/usr/bin/env bash
# ransomware.sh - the scenario: an attacker holds a stolen Owner token
# ("mallory", a principal with the Owner role on vault R; NOT local root).
# R is immutable (locked), has always-on soft delete and a resource guard
# whose only approver ("sec") is a separate principal. mallory tries every
# destructive path it can reach. Each attempt is refused with its reason
# and audited as "denied"; the two SPEC allows an Owner (shortening the
# soft-delete window, revoking the legitimate owner) are shown to be
# harmless and recoverable. Afterwards every recovery point still
# restores byte-exact, the vault's settings and policies are unchanged, no
# destructive alert was raised, and the audit chain verifies. Then the same
# token against a vault with no guard and default settings (R3): soft delete
# off is held for its cooling-off, every delete stays soft, 0 points lost.
#
#   mallory (Owner of R, stolen token) ─┐
#   alice (legitimate Owner of R, R2) ──┼─ vaultctl ─unix─► vaultd-testclock
#   sec (approver of guard G, no role) ─┤                  R:  locked, always-on/30d, guard G
#   agw (agent of R, item "web") ───────┘                  R2: alice's other vault
set -eu
. "$VG_SRC/tests/integration/policy/plib.sh"
pl_start
R=rw$$
R2=rx$$
G=gr$$

# --- the security admin's setup (local root) ---------------------------------
pl_root vault create "$R" >/dev/null
pl_root vault create "$R2" >/dev/null
pl_role alice "$R" owner
pl_role alice "$R2" owner
pl_role mallory "$R" owner
pl_user sec
pl_agent "$R" agw
pl_root item create "$R" db >/dev/null
pl_root item create "$R" web --agent agw >/dev/null
pl_root item create "$R2" files >/dev/null
pl_ok pl_root policy set "$R" gold daily=35,weekly=8,monthly=6
pl_ok pl_root policy set "$R" bronze daily=7
pl_ok pl_root item policy "$R" db gold
pl_ok pl_root item policy "$R" web gold
for n in 1 2 3; do
	pl_backup "$R" db "$(pl_data "db$n" $((n * 700000)))" >/dev/null
	pl_backup "$R" web "$(pl_data "web$n" 5000)" agw >/dev/null
	pl_backup "$R2" files "$(pl_data "files$n" 4000)" >/dev/null
	pl_advance "$DAY"
done
pl_ok pl_root vault set "$R" soft-delete-days 30
pl_ok pl_root vault set "$R" soft-delete always-on
pl_ok pl_root vault set "$R" immutability enabled
pl_ok pl_root vault set "$R" immutability locked
pl_root guard create "$G" >/dev/null
pl_root guard create "$G-lax" >/dev/null
pl_root guard approver add "$G" sec >/dev/null
pl_ok pl_root vault set "$R" guard "$G"
pl_root guard check >/dev/null || pl_fail "the setup itself has an Owner/approver overlap"
DB1=$(pl_points "$R" db | head -n 1)
WEB1=$(pl_points "$R" web | head -n 1)
snapshot() {
	{
		pl_root vault show "$R"
		pl_root vault show "$R2"
		pl_root policy list "$R"
		pl_root item list "$R"
		pl_root points "$R" db --all
		pl_root points "$R" web --all
		pl_root points "$R2" files --all
		pl_root role list "$R2"
	} >"$1"
}
snapshot "$VG_WORK/before"
ALERTS0=$(pl_root alerts --json | wc -l)

# refused WHY OP TARGET CMD...: mallory's attempt is refused with WHY and
# leaves a denied audit entry (op, target, reason).
REFUSED=0
refused() {
	local why=$1 op=$2 target=$3
	shift 3
	REFUSED=$((REFUSED + 1))
	pl_expect_fail "$why" pl_as mallory "$@"
	pl_denied mallory "$op" "$target" "$why"
}

pl_case "delete recovery points"
refused "vault $R is immutable: point $R/db/$DB1 has not expired" point.delete "$R/db/$DB1" \
	point delete "$R" db "$DB1"
refused "vault $R is immutable: point $R/web/$WEB1 has not expired" point.delete "$R/web/$WEB1" \
	point delete "$R" web "$WEB1"

pl_case "delete items (stop protection with delete data), or just stop them"
refused "vault $R is immutable: db holds unexpired recovery points, so stop protection with delete data is refused" \
	item.stop "$R/db" item stop "$R" db --delete-data
refused "stop-protection on $R/web is a critical operation under guard $G" item.stop "$R/web" item stop "$R" web

pl_case "lower retention, or move items to a weaker policy"
refused "vault $R is immutable: policy gold cannot lower retention" policy.set "$R/gold" \
	policy set "$R" gold daily=7
refused "vault $R is immutable: policy gold cannot lower retention" policy.set "$R/gold" \
	policy set "$R" gold daily=400
refused "vault $R is immutable: moving db from policy gold to the lower-retention policy bronze is refused" \
	item.policy "$R/db" item policy "$R" db bronze

pl_case "disable soft delete, or disable immutability"
refused "vault $R: soft delete is always-on and cannot be changed" vault.set "$R" vault set "$R" soft-delete off
refused "vault $R: soft delete is always-on and cannot be changed" vault.set "$R" vault set "$R" soft-delete on
refused "vault $R: immutability is locked, which is irreversible" vault.set "$R" vault set "$R" immutability disabled
refused "vault $R: immutability is locked, which is irreversible" vault.set "$R" vault set "$R" immutability enabled

pl_case "unlink the guard, or swap it for a laxer one"
refused "guard-unlink on $R is a critical operation under guard $G" vault.set "$R" vault set "$R" guard none
refused "guard-unlink on $R is a critical operation under guard $G" vault.set "$R" vault set "$R" guard "$G-lax"

pl_case "exclude the guard's protections, or make itself an approver"
for op in delete-data retention-reduce stop-protection pin-generate; do
	refused "only an approver of guard $G may change what it protects" guard.exclude "$G/$op" \
		guard exclude "$G" "$op"
done
refused "guard-unlink is mandatory and cannot be excluded" guard.exclude "$G/guard-unlink" guard exclude "$G" guard-unlink
refused "managed by local root and " guard.approver "$G" guard approver add "$G" mallory
refused "managed by local root and " guard.approver "$G" guard approver remove "$G" sec
refused "only local root creates " guard.create "$G-mine" guard create "$G-mine"

pl_case "approve its own request"
ID=$(pl_as mallory mua request "$R" guard-unlink "$R")
refused "mallory is not an approver of guard $G" mua.approve "$ID" mua approve "$ID"
refused "request $ID is still pending, not approved" vault.set "$R" --grant "$ID" vault set "$R" guard none

pl_case "delete the vault"
refused "vault $R is immutable and item db holds unexpired recovery points" vault.delete "$R" vault delete "$R"

pl_case "get a security PIN, then change the agent's credential"
refused "pin-generate on $R is a critical operation under guard $G" pin.generate "$R" pin generate "$R"
refused "this operation needs a security PIN (vaultctl pin generate $R)" principal.rotate agw \
	principal rotate agw --vault "$R"
refused "rotating an agent's credential needs --vault VAULT and a security PIN" principal.rotate agw \
	principal rotate agw
refused "this operation needs a security PIN" principal.cert agw \
	principal cert add agw "$(printf x | sha256sum | cut -d' ' -f1)" --vault "$R"
pl_ok pl_as agw points "$R" web

pl_case "take over other principals: rotate their tokens, map its certificate to them"
for who in alice sec; do
	refused "a user's credential is changed only by that user or by local root" principal.rotate "$who" \
		principal rotate "$who"
	refused "a user's credential is changed only by that user or by local root" principal.cert "$who" \
		principal cert add "$who" "$(printf x | sha256sum | cut -d' ' -f1)"
done
pl_ok pl_as alice vault show "$R"
pl_ok pl_as sec mua list

pl_case "guess the approver's token (auth-bruteforce is raised)"
echo "vg_$(printf 'a%.0s' $(seq 64))" >"$VG_WORK/tok/sec-guess"
for n in 1 2 3 4 5 6 7 8 9 10; do
	pl_expect_fail "missing or invalid credentials" "$VAULTCTL" --socket "$VG_SOCK" \
		--user sec --token-file "$VG_WORK/tok/sec-guess" mua list
done
pl_denied sec mua.list - "missing or invalid credentials"
pl_alert auth-bruteforce "" local sec

pl_case "grant itself roles on other vaults"
refused "principal mallory (no role) may not security on vault $R2" role.set "$R2" role grant mallory "$R2" owner
refused "principal mallory (no role) may not security on vault $R2" role.set "$R2" role revoke alice "$R2"
refused "principal mallory (no role) may not view on vault $R2" point.list "$R2/files" points "$R2" files

pl_case "run the purger or move the clock"
refused "only local root runs the purger" purge.run - purge run
refused "only local root may move the test clock" clock.advance - clock advance $((400 * DAY))

pl_case "shorten the soft-delete window 30 -> 14 days: accepted only as a pending change (SPEC §11), alerted at once, cancelled by the legitimate owner"
out=$(pl_as mallory vault set "$R" soft-delete-days 14)
case "$out" in *"pending until "*) ;; *) pl_fail "a shorter window was not held: $out" ;; esac
pl_audited mallory vault.set "$R" pending "soft-delete-days 30 -> 14 requested"
pl_alert retention-reduced "$R" "$R" mallory
pl_root vault show "$R" | grep -q "soft-delete=always-on/30d" || pl_fail "the window shrank at once"
PID14=$(pl_as alice pending "$R" | awk -F'\t' '$3 == "soft-delete-days" { print $1 }')
[ -n "$PID14" ] || pl_fail "alice does not see the pending change: $(pl_as alice pending "$R")"
refused "vault $R is immutable: point $R/db/$DB1 has not expired" point.delete "$R/db/$DB1" \
	point delete "$R" db "$DB1"
pl_ok pl_as alice pending cancel "$PID14"
pl_audited alice pending.cancel "$R" ok "soft-delete-days -> 14 requested by mallory cancelled"
[ -z "$(pl_pending_ids "$R")" ] || pl_fail "still pending: $(pl_root pending "$R")"

pl_case "revoke the legitimate owner: allowed to an Owner by SPEC §1, audited, and recoverable by local root"
pl_ok pl_as mallory role revoke alice "$R"
pl_audited mallory role.revoke "$R/alice" ok ""
pl_expect_fail "principal alice (no role) may not view on vault $R" pl_as alice vault show "$R"
pl_ok pl_root role revoke mallory "$R"
pl_ok pl_root role grant alice "$R" owner
pl_expect_fail "principal mallory (no role) may not view on vault $R" pl_as mallory vault show "$R"
pl_ok pl_as alice vault show "$R"

pl_case "afterwards: nothing changed, nothing was lost, no destructive alert, the audit chain verifies"
snapshot "$VG_WORK/after"
diff -u "$VG_WORK/before" "$VG_WORK/after" >&2 || pl_fail "the vault changed under the attack"
pl_all_restorable
for a in delete-backup-data soft-delete-disabled mua-removed immutability-disabled \
	purge-complete mass-deletion; do
	! pl_root alerts --json | grep -qF "\"name\":\"$a\"" || pl_fail "a $a alert: something was destroyed"
done
# auth-bruteforce, retention-reduced for the request that was held and
# cancelled, and critical-op-denied for mallory's repeated refused critical
# operations (issue 12 item 6).
[ "$(pl_root alerts --json | wc -l)" = $((ALERTS0 + 3)) ] || pl_fail "unexpected alerts: $(pl_root alerts)"
pl_root alerts --json | grep -F '"name":"retention-reduced"' | grep -qF "pending" ||
	pl_fail "the retention-reduced alert does not say the change is pending"
pl_root alerts --json | grep -F '"name":"critical-op-denied"' | grep -qF '"principal":"mallory"' ||
	pl_fail "no critical-op-denied alert for mallory: $(pl_root alerts)"
# One denied entry per refused attempt, plus the view refused after the cleanup.
n=$(pl_root audit export | grep -F '"principal":"mallory",' | grep -cF '"result":"denied"')
[ "$n" = $((REFUSED + 1)) ] || pl_fail "$n denied audit entries for mallory, want $((REFUSED + 1))"
vg_log "mallory: $REFUSED destructive attempts, all refused and audited"
pl_audit_intact

# --- the same stolen Owner token on a vault as an admin would leave it -------
# R3: default settings (soft delete on, 14 days), NO guard, no immutability.
# mallory turns soft delete off and deletes everything it can reach. Nothing
# is refused, but nothing is lost within the soft-delete window: the change
# is pending for 14 days (SPEC §11), every delete answers "soft-deleted until
# T", the owner sees the alerts and the pending change, cancels it, and
# brings every point back.
pl_case "stolen Owner token, NO guard, default settings: soft delete off, then delete everything: 0 points lost"
R3=rz$$
pl_root vault create "$R3" >/dev/null
pl_role alice "$R3" owner
pl_ok pl_root role grant mallory "$R3" owner
pl_root item create "$R3" db >/dev/null
pl_root item create "$R3" logs >/dev/null
for n in 1 2 3; do
	pl_backup "$R3" db "$(pl_data "r3db$n")" >/dev/null
	pl_backup "$R3" logs "$(pl_data "r3logs$n")" >/dev/null
done
out=$(pl_as mallory vault set "$R3" soft-delete off)
case "$out" in *"pending until "*) ;; *) pl_fail "soft delete off was not held: $out" ;; esac
pl_alert soft-delete-disabled "$R3" "$R3" mallory
pl_as alice pending "$R3" | grep -q "	soft-delete	on -> off	by=mallory	" ||
	pl_fail "alice does not see the pending soft-delete off: $(pl_as alice pending "$R3")"
for p in $(pl_points "$R3" db); do
	out=$(pl_as mallory point delete "$R3" db "$p")
	case "$out" in *": soft-deleted until "*) ;; *) pl_fail "point delete said: $out" ;; esac
done
out=$(pl_as mallory item stop "$R3" logs --delete-data)
case "$out" in *"data soft-deleted until "*) ;; *) pl_fail "item stop said: $out" ;; esac
pl_alert delete-backup-data "$R3" "$R3/logs" mallory
# Thirteen days on, the purger has run and nothing is gone; the change is still pending.
pl_advance $((13 * DAY))
pl_purge
[ "$(pl_root points "$R3" db --all | awk -F'\t' '$3 ~ /deleted/' | wc -l)" = 3 ] ||
	pl_fail "soft-deleted points of db: $(pl_root points "$R3" db --all)"
pl_root vault show "$R3" | grep -q "soft-delete=on/14d" || pl_fail "off took effect early"
ID=$(pl_pending_ids "$R3")
pl_ok pl_as alice pending cancel "$ID"
pl_ok pl_root role revoke mallory "$R3"
pl_ok pl_as alice item undelete "$R3" logs
for p in $(pl_root points "$R3" db --all | cut -f1); do
	pl_ok pl_as alice point undelete "$R3" db "$p"
done
pl_advance $((2 * DAY))
pl_purge
pl_root vault show "$R3" | grep -q "soft-delete=on/14d" || pl_fail "the cancelled change took effect"
pl_all_restorable "$R3"
vg_log "mallory on an unguarded vault: every point of $R3 restored after 13 days"
pl_audit_intact
pl_done
