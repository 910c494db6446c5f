#!/usr/bin/env bash
# auditor.sh - SPEC §1: the auditor role. A principal of kind auditor (added
# by local root only) reads every vault's audit entries (the global chain
# too), alerts and reports, and nothing else: no object data, no metadata
# views beyond those, no change of any kind. Every refusal is audited.
#
#   aud (auditor) ─┐
#   ow (Owner of A) ┼─ vaultctl ─unix─► vaultd-testclock     vaults A, B
#   root@local ─────┘
set -eu
. "$VG_SRC/tests/integration/policy/plib.sh"
pl_start
A=aa$$
B=ab$$
pl_root vault create "$A" >/dev/null
pl_root vault create "$B" >/dev/null
pl_role ow "$A" owner
pl_root item create "$A" i >/dev/null
pl_root item create "$B" j >/dev/null
PA=$(pl_backup "$A" i "$(pl_data a1)")
PB=$(pl_backup "$B" j "$(pl_data b1)")
pl_ok pl_root point delete "$B" j "$PB"   # an alert in B

pl_case "only local root adds an auditor; an auditor holds no role"
pl_expect_fail "only local root adds auditor principals" pl_as ow principal add aud2 --kind auditor
pl_denied ow principal.add aud2 "only local root adds auditor principals"
pl_user aud auditor
pl_root principal list | grep -q "^aud	auditor	" || pl_fail "principal list: $(pl_root principal list)"
pl_expect_fail "monitors and auditors hold none" pl_root role grant aud "$A" reader
[ "$(pl_as aud whoami)" = aud ] || pl_fail "whoami"

pl_case "an auditor reads every vault's audit entries, the whole chain, alerts and reports"
pl_as aud audit export >"$VG_WORK/aud.json"
grep -qF "\"target\":\"$A/i/$PA\"" "$VG_WORK/aud.json" || pl_fail "the chain lacks vault A's entries"
grep -qF "\"op\":\"point.delete\",\"target\":\"$B/j/$PB\"" "$VG_WORK/aud.json" || pl_fail "the chain lacks B's delete"
[ "$(wc -l <"$VG_WORK/aud.json")" = "$(pl_root audit export | wc -l)" ] || pl_fail "the auditor sees less than root"
pl_as aud audit export --vault "$B" | grep -qF "\"target\":\"$B/j/$PB\"" || pl_fail "audit export --vault B"
pl_ok pl_as aud audit verify
pl_as aud alerts --json | grep -qF "\"name\":\"delete-backup-data\",\"severity\":\"critical\",\"principal\":\"root@local\",\"vault\":\"$B\"" ||
	pl_fail "alerts: $(pl_as aud alerts)"
pl_as aud alerts "$B" | grep -q "delete-backup-data" || pl_fail "alerts B"
pl_as aud report --json >"$VG_WORK/aud-report.json"
grep -qF "\"$A\"" "$VG_WORK/aud-report.json" && grep -qF "\"$B\"" "$VG_WORK/aud-report.json" ||
	pl_fail "the report does not cover both vaults"
pl_ok pl_as aud report "$A"

pl_case "an auditor reads no object data and changes nothing (each refusal audited)"
pl_expect_fail "principal aud (no role) may not restore on vault $A" \
	pl_as aud restore "$A" i "$PA" --object data -o "$VG_WORK/out/x"
pl_denied aud object.get "$A/i" "principal aud (no role) may not restore on vault $A"
[ ! -s "$VG_WORK/out/x" ] || pl_fail "the auditor got object data"
pl_expect_fail "principal aud (no role) may not view on vault $A" pl_as aud points "$A" i
pl_expect_fail "principal aud (no role) may not backup on vault $A" pl_as aud backup "$A" i "$(pl_data a2)"
pl_expect_fail "principal aud (no role) may not stop on vault $A" pl_as aud point delete "$A" i "$PA"
pl_expect_fail "principal aud (no role) may not security on vault $A" pl_as aud vault set "$A" soft-delete off
pl_expect_fail "may not create vaults" pl_as aud vault create "$A-x"
pl_expect_fail "only local root runs the purger" pl_as aud purge run
pl_expect_fail "only local root or a vault Owner acknowledges" pl_as aud audit acknowledge --reason x
pl_denied aud point.delete "$A/i" "principal aud (no role) may not stop on vault $A"
pl_has_point "$A" i "$PA"
[ -z "$(pl_pending_ids "$A")" ] || pl_fail "the auditor left a pending change"

pl_case "nothing was lost"
pl_all_restorable "$A"
pl_audit_intact
pl_done
