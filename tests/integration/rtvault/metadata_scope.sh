#!/usr/bin/env bash
# metadata_scope.sh - issue 12 item 5: metadata does not leak across vaults.
# The Owner of vault B may not export vault A's audit entries (vaultctl, and
# GET /v1/vaults/A/audit), nor the whole chain (GET /v1/audit); role and
# principal listings show only what concerns the caller's vaults; MUA
# requests are seen only by their requester, the guard's approvers and
# those with a role on a guarded vault; `guard check` shows an Owner the
# overlaps of its own vaults. vaultd decides; the gateway passes.
#
#   ownA, rdA (vault A)  ownB (vault B)  appr (guard G on A)  nobody (no role)
#        └──── vaultctl ──unix──► vaultd ◄──unix── vaultgw ◄──TLS── curl ────┘
set -eu
. "$VG_SRC/tests/integration/rtvault/rtlib.sh"
rt_setup

A=vgt-$$-a
B=vgt-$$-b
G=vgt-$$-g
vg_ctl vault create "$A" >/dev/null
vg_ctl vault create "$B" >/dev/null
vg_ctl item create "$A" secret-host >/dev/null
vg_ctl item create "$B" b-host >/dev/null
rt_role ownA "$A" owner
rt_role rdA "$A" reader
rt_role ownB "$B" owner
rt_user appr
rt_user nobody
printf 'a-data' | vg_ctl backup "$A" secret-host - >/dev/null
printf 'b-data' | vg_ctl backup "$B" b-host - >/dev/null
vg_ctl guard create "$G" >/dev/null
vg_ctl guard approver add "$G" appr >/dev/null
vg_ctl vault set "$A" guard "$G" >/dev/null
RQ=$(rt_as ownA mua request "$A" delete-data "$A/secret-host")
[ -n "$RQ" ] || vg_fail "no MUA request id"

vg_log "audit: vaultctl"
vg_expect_fail "may not security on vault $A" rt_as ownB audit export --vault "$A"
vg_expect_fail "the whole audit chain is for local root" rt_as ownB audit export
vg_expect_fail "the whole audit chain is for local root" rt_as ownA audit export
vg_expect_fail "may not security on vault $A" rt_as rdA audit export --vault "$A"
rt_as ownB audit export --vault "$B" >"$VG_WORK/b.audit"
grep -q "\"target\":\"$B/b-host" "$VG_WORK/b.audit" || vg_fail "ownB does not see B's entries"
! grep -q "$A" "$VG_WORK/b.audit" || vg_fail "ownB's export of B holds A's entries: $(grep "$A" "$VG_WORK/b.audit" | head -3)"
rt_as ownA audit export --vault "$A" >"$VG_WORK/a.audit"
grep -q "\"target\":\"$A/secret-host" "$VG_WORK/a.audit" || vg_fail "ownA does not see A's entries"
! grep -q "$B" "$VG_WORK/a.audit" || vg_fail "ownA's export holds B's entries"
rt_audited ownB audit.export "$A" denied "may not security on vault $A"
rt_audited ownB audit.export - denied "the whole audit chain is for local root"

vg_log "audit: the gateway"
gw_expect 403 "ownB reads vault A's audit" "$(rt_code ownB "$GW_URL/v1/vaults/$A/audit")"
gw_expect 403 "ownB reads the whole audit chain" "$(rt_code ownB "$GW_URL/v1/audit")"
gw_expect 403 "nobody reads vault A's audit" "$(rt_code nobody "$GW_URL/v1/vaults/$A/audit")"
out=$(rt_api ownB "$GW_URL/v1/vaults/$B/audit")
echo "$out" | grep -q "\"target\":\"$B/b-host" || vg_fail "ownB's API audit of B: $out"
! echo "$out" | grep -q "$A" || vg_fail "ownB's API audit of B holds A's entries"
out=$(rt_api ownA "$GW_URL/v1/vaults/$A/audit")
echo "$out" | grep -q "secret-host" || vg_fail "ownA's API audit of A: $out"

vg_log "role and principal listings"
rt_as ownB role list >"$VG_WORK/roles.b"
grep -q "ownB" "$VG_WORK/roles.b" || vg_fail "ownB does not see its own vault's roles: $(cat "$VG_WORK/roles.b")"
! grep -q "$A\|ownA\|rdA" "$VG_WORK/roles.b" || vg_fail "ownB lists vault A's role assignments: $(cat "$VG_WORK/roles.b")"
vg_expect_fail "may not view on vault $A" rt_as ownB role list "$A"
[ -z "$(rt_as nobody role list)" ] || vg_fail "a principal without a role lists role assignments"
rt_as rdA role list "$A" | grep -q ownA || vg_fail "a Reader of A does not see A's role assignments"
rt_as ownB principal list >"$VG_WORK/princ.b"
grep -q "^ownB" "$VG_WORK/princ.b" || vg_fail "ownB does not see itself: $(cat "$VG_WORK/princ.b")"
! grep -q "ownA\|rdA\|appr\|nobody" "$VG_WORK/princ.b" ||
	vg_fail "ownB lists principals of other vaults: $(cat "$VG_WORK/princ.b")"
rt_as ownA principal list | grep -q "^rdA" || vg_fail "ownA does not see its vault's Reader"
vg_ctl principal list | grep -q "^nobody" || vg_fail "local root does not see every principal"

vg_log "MUA requests: vaultctl and the gateway"
[ -z "$(rt_as nobody mua list)" ] || vg_fail "a principal without a role lists MUA requests: $(rt_as nobody mua list)"
[ -z "$(rt_as ownB mua list)" ] || vg_fail "ownB lists vault A's MUA requests"
for who in ownA rdA appr; do
	rt_as "$who" mua list | grep -q "$RQ" || vg_fail "$who does not see the MUA request on A"
done
out=$(rt_api nobody "$GW_URL/v1/guards/$G/requests")
[ "$out" = "[]" ] || vg_fail "nobody lists MUA requests through the API: $out"
out=$(rt_api ownB "$GW_URL/v1/guards/$G/requests")
[ "$out" = "[]" ] || vg_fail "ownB lists A's MUA requests through the API: $out"
rt_api appr "$GW_URL/v1/guards/$G/requests" | grep -q "$RQ" || vg_fail "the approver does not see the request through the API"
vg_log "guard check: an Owner sees the overlaps of its own vaults only"
vg_ctl vault create "$A-2" >/dev/null
vg_ctl role grant ownA "$A-2" owner >/dev/null
vg_ctl guard create "$G-2" >/dev/null
vg_ctl guard approver add "$G-2" ownA >/dev/null
vg_ctl vault set "$A-2" guard "$G-2" >/dev/null
rt_as ownA guard check | grep -q "$A-2" || vg_fail "ownA does not see the overlap on its vault: $(rt_as ownA guard check)"
! rt_as ownB guard check | grep -q "$A\|ownA\|$G" || vg_fail "ownB sees vault A-2's guard overlap: $(rt_as ownB guard check)"
vg_ctl guard check | grep -q "$A-2" || vg_fail "local root does not see every overlap"
vg_ctl audit verify >/dev/null || vg_fail "audit chain does not verify"
rt_done
