#!/usr/bin/env bash
# pending_owner.sh - issue 12 item 7: a pending point belongs to its opener.
# op1 begins a native point; op2 (another Operator) and ow (the vault's
# Owner) may not upload into it, commit it or abort it, through the API or
# vaultctl; each refusal is audited. op1 can; local root may abort one.
#
#   op1, op2, ow ──curl──► vaultgw ──► vaultd      root@local ──vaultctl──┘
set -eu
. "$VG_SRC/tests/integration/rtvault/rtlib.sh"
rt_setup

V=vgt-$$-v
vg_ctl vault create "$V" >/dev/null
vg_ctl item create "$V" host1 >/dev/null
rt_role op1 "$V" operator
rt_role op2 "$V" operator
rt_role ow "$V" owner
U=$GW_URL/v1/vaults/$V/items/host1/points
WHY="only the principal that began a pending point may upload into it, commit it or abort it"

newpoint() {
	rt_api "$1" -X POST "$U" | python3 -c 'import json,sys; print(json.load(sys.stdin)["point"])'
}
head -c 5000 /dev/urandom >"$VG_WORK/a.bin"
head -c 5000 /dev/urandom >"$VG_WORK/b.bin"

P=$(newpoint op1)
for who in op2 ow; do
	gw_expect 403 "$who uploads into op1's pending point" \
		"$(rt_code "$who" -X PUT --data-binary @"$VG_WORK/b.bin" "$U/$P/objects/evil")"
	gw_expect 403 "$who commits op1's pending point" "$(rt_code "$who" -X POST "$U/$P/commit")"
	gw_expect 403 "$who aborts op1's pending point" "$(rt_code "$who" -X POST "$U/$P/abort")"
	vg_expect_fail "$WHY" rt_as "$who" point abort "$V" host1 "$P"
	rt_audited "$who" object.put "$V/host1/$P/evil" denied "$WHY"
	rt_audited "$who" point.commit "$V/host1/$P" denied "$WHY"
	rt_audited "$who" point.abort "$V/host1/$P" denied "$WHY"
done
body=$(rt_api op2 -X PUT --data-binary @"$VG_WORK/b.bin" "$U/$P/objects/evil2")
echo "$body" | grep -qF "$WHY" || vg_fail "the API refusal does not say why: $body"

gw_expect 201 "op1 uploads into its own point" \
	"$(rt_code op1 -X PUT --data-binary @"$VG_WORK/a.bin" "$U/$P/objects/data")"
out=$(rt_api op1 -X POST "$U/$P/commit")
echo "$out" | grep -q '"objects":1' || vg_fail "op1's commit: $out"
objs=$(rt_api op1 "$U/$P/objects")
echo "$objs" | grep -q '"name":"data"' || vg_fail "object list: $objs"
! echo "$objs" | grep -q 'evil' || vg_fail "another principal's object got into op1's point: $objs"
rt_api op1 "$U/$P/objects/data" -o "$VG_WORK/a.out"
cmp -s "$VG_WORK/a.bin" "$VG_WORK/a.out" || vg_fail "restore of op1's point differs"

# Local root may abort someone else's pending point (clean-up), nobody else.
P2=$(newpoint op1)
vg_ctl point abort "$V" host1 "$P2" >/dev/null || vg_fail "local root could not abort op1's pending point"
gw_expect 404 "op1's aborted point is gone" \
	"$(rt_code op1 -X PUT --data-binary @"$VG_WORK/a.bin" "$U/$P2/objects/data")"
# The opener aborts its own.
P3=$(newpoint op2)
gw_expect 403 "op1 aborts op2's point" "$(rt_code op1 -X POST "$U/$P3/abort")"
gw_expect 200 "op2 aborts its own point" "$(rt_code op2 -X POST "$U/$P3/abort")"
vg_ctl audit verify >/dev/null || vg_fail "audit chain does not verify"
rt_done
