#!/usr/bin/env bash
# audit_broken.sh - issue 12 item 8: a broken audit chain is more than a
# log line. An entry is edited with tests/tools/audit_tamper while vaultd
# is stopped; at the next start vaultd raises audit-broken (critical),
# refuses every change (reads still work) until local root or an Owner runs
# `vaultctl audit acknowledge --reason TEXT`, and afterwards `audit verify`
# reports the known break and verifies everything from the acknowledgment
# on: new damage, before or after it, is still found.
#
#   vaultctl (root@local, ow, rd) ──unix──► vaultd ── $VG_WORK/state
#   audit_tamper ──LMDB──► $VG_WORK/state/meta   (vaultd stopped)
set -eu
. "$VG_SRC/tests/integration/lib.sh"
vg_init
vg_state_init
T0=$(date +%s)
mkdir -p "$VG_WORK/tok"
V=vgt-$$-v
as() { local w=$1; shift; "$VAULTCTL" --socket "$VG_SOCK" --user "$w" --token-file "$VG_WORK/tok/$w" "$@"; }
tamper() { "$VG_TOOLS/audit_tamper" "$VG_STATE/meta" "$@" >/dev/null; }
BROKEN="the audit chain is broken"

vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_ctl vault create "$V" >/dev/null
vg_ctl item create "$V" host >/dev/null
vg_ctl principal add ow >"$VG_WORK/tok/ow"
vg_ctl principal add rd >"$VG_WORK/tok/rd"
vg_ctl role grant ow "$V" owner >/dev/null
vg_ctl role grant rd "$V" reader >/dev/null
head -c 4000 /dev/urandom >"$VG_WORK/d1"
P1=$(vg_ctl backup "$V" host "$VG_WORK/d1")
vg_stop_vaultd_checked

vg_log "an entry edited while vaultd was stopped"
tamper edit 3
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
grep -q "AUDIT CHAIN BROKEN: entry 3 was altered" "$VG_WORK/vaultd.log" || vg_fail "no start-up warning"
vg_ctl alerts --json | grep -F '"name":"audit-broken","severity":"critical"' | grep -qF "entry 3 was altered" ||
	vg_fail "no audit-broken alert: $(vg_ctl alerts --json)"
vg_expect_fail "BROKEN at entry 3" vg_ctl audit verify

vg_log "changes are refused, by anyone; reads work"
vg_expect_fail "$BROKEN (entry 3 was altered (HMAC mismatch))" vg_ctl vault create "$V-2"
vg_expect_fail "$BROKEN" vg_ctl backup "$V" host "$VG_WORK/d1"
vg_expect_fail "$BROKEN" as ow point delete "$V" host "$P1"
vg_expect_fail "$BROKEN" as ow vault set "$V" soft-delete-days 20
vg_ctl points "$V" host | grep -q "^$P1" || vg_fail "points are not listed"
vg_ctl restore "$V" host "$P1" -o "$VG_WORK/r1"
cmp -s "$VG_WORK/d1" "$VG_WORK/r1" || vg_fail "restore differs"
vg_ctl audit export | grep -F '"principal":"ow","op":"point.delete"' | grep -qF '"result":"denied"' ||
	vg_fail "the refusal is not audited"
vg_ctl audit export | grep -qF '"principal":"system","op":"audit.broken"' || vg_fail "no audit.broken entry"

vg_log "acknowledgment: a reason, by local root or an Owner only"
vg_expect_fail "needs a reason" vg_ctl audit acknowledge --reason ""
vg_expect_fail "only local root or a vault Owner" as rd audit acknowledge --reason "nothing to see"
vg_expect_fail "$BROKEN" vg_ctl vault create "$V-2"
out=$(as ow audit acknowledge --reason "restored from the incident ticket INC-42")
ACK=$(echo "$out" | sed -n 's/^audit break acknowledged at entry \([0-9]*\)$/\1/p')
[ -n "$ACK" ] || vg_fail "acknowledge: $out"
vg_expect_fail "nothing to acknowledge" vg_ctl audit acknowledge --reason again
vg_ctl audit export --from "$ACK" | head -1 | grep -F '"principal":"ow","op":"audit.acknowledge"' |
	grep -qF "break at entry 3 acknowledged (entry 3 was altered (HMAC mismatch)): restored from the incident ticket INC-42" ||
	vg_fail "the acknowledgment is not audited with its reason"

vg_log "after it: changes work, and verify reports the known break"
head -c 4000 /dev/urandom >"$VG_WORK/d2"
P2=$(vg_ctl backup "$V" host "$VG_WORK/d2")
vg_ctl vault create "$V-2" >/dev/null
out=$(vg_ctl audit verify) || vg_fail "verify after the acknowledgment: $out"
echo "$out" | grep -q "known break at entry 3, acknowledged at entry $ACK" || vg_fail "verify: $out"
vg_stop_vaultd_checked
n0=$(grep -c "AUDIT CHAIN BROKEN" "$VG_WORK/vaultd.log")
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
[ "$(grep -c "AUDIT CHAIN BROKEN" "$VG_WORK/vaultd.log")" = "$n0" ] || vg_fail "broken again after a clean restart"
vg_ctl item create "$V" host2 >/dev/null
N=$(vg_ctl audit export | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])')
vg_stop_vaultd_checked
cp -a "$VG_STATE" "$VG_WORK/acked"

vg_log "new damage after the acknowledgment is found"
tamper edit $((ACK + 2))
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_expect_fail "BROKEN at entry $((ACK + 2)): entry $((ACK + 2)) was altered" vg_ctl audit verify
vg_expect_fail "$BROKEN" vg_ctl vault create "$V-3"
vg_stop_vaultd_checked

vg_log "new damage before the known break is found"
rm -rf "$VG_STATE"; cp -a "$VG_WORK/acked" "$VG_STATE"
tamper edit 2
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_expect_fail "BROKEN at entry 2: entry 2 was altered" vg_ctl audit verify
vg_stop_vaultd_checked

vg_log "removing the acknowledgment entry is found"
rm -rf "$VG_STATE"; cp -a "$VG_WORK/acked" "$VG_STATE"
tamper delete "$ACK"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_expect_fail "BROKEN at entry" vg_ctl audit verify
vg_stop_vaultd_checked

rm -rf "$VG_STATE"; cp -a "$VG_WORK/acked" "$VG_STATE"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_ctl audit verify | grep -q "^audit chain intact" || vg_fail "the acknowledged copy does not verify"
[ "$N" -gt "$ACK" ] || vg_fail "no entries after the acknowledgment"
vg_ctl restore "$V" host "$P2" -o "$VG_WORK/r2"
cmp -s "$VG_WORK/d2" "$VG_WORK/r2" || vg_fail "restore of the point made after the acknowledgment differs"
vg_stop_vaultd_checked
printf 'audit_broken.sh: passed in %ds\n' $(($(date +%s) - T0))
