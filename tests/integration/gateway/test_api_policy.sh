#!/usr/bin/env bash
# test_api_policy.sh - the native API's management routes over vaultd's
# security policy: vault settings (PATCH), policies, PINs, point delete and
# undelete, MUA (request, approve, and the grant presented with
# X-Vaultgate-Grant), alerts, the per-vault audit, immutability; every
# refusal with vaultd's stable code.
#
#   curl (olga: Owner, alice: Operator, gina: guard approver) ──TLS──► vaultgw ──unix──► vaultd
#   root@local (vaultctl): creates guard g1 and links it to vault v1
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

gw_setup
gw_record_api   # every native-API answer is checked against gateway/api.yaml at the end
vg_ctl vault create v1 >/dev/null
vg_ctl item create v1 host1 >/dev/null
OLGA=$(gw_principal olga user)
ALICE=$(gw_principal alice user)
GINA=$(gw_principal gina user)
vg_ctl role grant olga v1 owner >/dev/null
vg_ctl role grant alice v1 operator >/dev/null
O="-u olga:$OLGA"
A="-u alice:$ALICE"
V=$GW_URL/v1/vaults/v1
errcode() { python3 -c 'import json,sys; print(json.load(sys.stdin)["error"])'; }
jget() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

# A committed point with one object.
point() {
	local p
	p=$(gw_curl $O -X POST "$V/items/host1/points" | jget point)
	printf 'data %s' "$p" | gw_curl $O -T - "$V/items/host1/points/$p/objects/f" >/dev/null
	gw_curl $O -X POST "$V/items/host1/points/$p/commit" >/dev/null
	echo "$p"
}
P1=$(point)
P2=$(point)

# --- vault settings -------------------------------------------------------------------------------
gw_expect 403 "PATCH vault as an Operator" "$(gw_status $A -X PATCH -d '{"soft_delete_days":30}' "$V")"
gw_expect 400 "PATCH two settings at once" "$(gw_status $O -X PATCH -d '{"soft_delete_days":30,"guard":"x"}' "$V")"
gw_expect 400 "PATCH an unknown setting" "$(gw_status $O -X PATCH -d '{"colour":"red"}' "$V")"
gw_expect 200 "PATCH soft_delete_days as the Owner" "$(gw_status $O -X PATCH -d '{"soft_delete_days":30}' "$V")"
gw_curl $O "$V" | grep -q 'soft-delete=on/30d' || vg_fail "soft_delete_days not applied: $(gw_curl $O "$V")"
[ "$(gw_curl $O -X PATCH -d '{"soft_delete_days":13}' "$V" | errcode)" = policy ] ||
	vg_fail "13 days accepted"
gw_expect 403 "soft_delete_days 181 (policy)" "$(gw_status $O -X PATCH -d '{"soft_delete_days":181}' "$V")"

# --- policies ----------------------------------------------------------------------------------------
gw_expect 200 "PUT a policy" "$(gw_status $O -X PUT -d '{"retention":"daily=7,weekly=4"}' "$V/policies/p1")"
gw_curl $O "$V/policies" | grep -q '"name":"p1"' || vg_fail "policy list"
gw_expect 403 "PUT a policy below the floors" "$(gw_status $O -X PUT -d '{"retention":"daily=3"}' "$V/policies/p2")"
gw_expect 200 "PATCH an item's policy" "$(gw_status $O -X PATCH -d '{"policy":"p1"}' "$V/items/host1")"

# --- PIN -----------------------------------------------------------------------------------------------
pin=$(gw_curl $O -X POST "$V/pin" | jget pin)
case "$pin" in [0-9][0-9][0-9][0-9][0-9][0-9]*) ;; *) vg_fail "pin: $pin" ;; esac
gw_expect 403 "PIN as an Operator" "$(gw_status $A -X POST "$V/pin")"
grep -q "$pin" "$VG_WORK/vaultgw.log" && vg_fail "the PIN reached the gateway's log"
vg_log "ok: PIN generated, shown once, not logged"

# --- point delete and undelete (soft) -----------------------------------------------------------------
gw_expect 403 "point delete as an Operator" "$(gw_status $A -X DELETE "$V/items/host1/points/$P1")"
gw_expect 200 "point delete as the Owner" "$(gw_status $O -X DELETE "$V/items/host1/points/$P1")"
gw_curl $O "$V/items/host1/points?all=true" | grep -q "\"id\":\"$P1\",\"state\":\"soft-deleted\"" ||
	vg_fail "point not soft-deleted: $(gw_curl $O "$V/items/host1/points?all=true")"
gw_expect 200 "point undelete" "$(gw_status $O -X POST "$V/items/host1/points/$P1/undelete")"
gw_curl $O "$V/items/host1/points" | grep -q "\"id\":\"$P1\"" || vg_fail "point not back"
# What the delete did comes from vaultd (SPEC §2), and the API says it.
out=$(gw_curl $O -X DELETE "$V/items/host1/points/$P1")
echo "$out" | python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["state"] == "soft-deleted", o
assert o["result"].startswith("soft-deleted until ") and o["result"].endswith("Z"), o
assert o["purge_at"] > 0, o' || vg_fail "point delete answered: $out"
gw_expect 200 "point undelete" "$(gw_status $O -X POST "$V/items/host1/points/$P1/undelete")"

# --- a weakening change is pending (SPEC §11); the GET of the vault shows it --------------------------
out=$(gw_curl $O -X PATCH -d '{"soft_delete":"off"}' "$V")
echo "$out" | grep -q '"state":"pending"' || vg_fail "PATCH soft_delete off answered: $out"
out=$(gw_curl $O "$V")
echo "$out" | python3 -c '
import json, sys
o = json.load(sys.stdin)
p = [x for x in o["pending"] if x["what"] == "soft-delete"]
assert len(p) == 1 and p[0]["to"] == "off", o
assert p[0]["requested_by"] == "olga" and p[0]["effective_at"] > p[0]["requested_at"], o' ||
	vg_fail "GET vault: $out"
echo "$out" | grep -q 'soft-delete=on/30d' || vg_fail "off took effect at once: $out"
vg_ctl pending cancel "$(vg_ctl pending v1 | awk -F'\t' '$3 == "soft-delete" { print $1 }')" >/dev/null
gw_curl $O "$V" | grep -q '"what":"soft-delete"' && vg_fail "the cancelled change is still listed"
vg_log "ok: deletes say what happened; pending changes are listed on the vault"

# --- MUA: a guard makes delete-data need a grant ---------------------------------------------------------
vg_ctl guard create g1 >/dev/null
vg_ctl guard approver add g1 gina >/dev/null
vg_ctl vault set v1 guard g1 >/dev/null
out=$(gw_curl $O -X DELETE "$V/items/host1/points/$P2")
[ "$(echo "$out" | errcode)" = mua-required ] || vg_fail "delete without a grant: $out"
gw_expect 403 "delete without a grant" "$(gw_status $O -X DELETE "$V/items/host1/points/$P2")"
ID=$(gw_curl $O -X POST -d "{\"vault\":\"v1\",\"operation\":\"delete-data\",\"target\":\"v1/host1/$P2\"}" \
	"$GW_URL/v1/guards/g1/requests" | jget id)
gw_curl $O "$GW_URL/v1/guards/g1/requests" | grep -q "\"id\":\"$ID\"" || vg_fail "request list"
gw_expect 403 "the requester approves their own request" \
	"$(gw_status $O -X POST "$GW_URL/v1/guards/g1/requests/$ID/approve")"
gw_expect 200 "the approver approves" \
	"$(gw_status -u "gina:$GINA" -X POST -d '{"window":600}' "$GW_URL/v1/guards/g1/requests/$ID/approve")"
gw_expect 200 "delete with the grant (X-Vaultgate-Grant)" \
	"$(gw_status $O -H "X-Vaultgate-Grant: $ID" -X DELETE "$V/items/host1/points/$P2")"
gw_expect 403 "the grant is used up" \
	"$(gw_status $O -H "X-Vaultgate-Grant: $ID" -X DELETE "$V/items/host1/points/$P1")"

# --- alerts and the per-vault audit ------------------------------------------------------------------------
gw_curl $O "$V/alerts" | grep -q 'delete-backup-data' || vg_fail "no delete-backup-data alert: $(gw_curl $O "$V/alerts")"
audit=$(gw_curl $O "$V/audit")
echo "$audit" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert rows, "empty audit"
for r in rows:
    assert r["target"] == "v1" or r["target"].startswith("v1/"), r
assert any(r["op"] == "point.delete" and r["peer"] == "127.0.0.1" for r in rows)
' || vg_fail "per-vault audit: $audit"
vg_log "ok: alerts and the per-vault audit (client address recorded)"

# --- report and key ------------------------------------------------------------------------------------------
gw_curl $O "$V/report" | grep -q '"kind":"item","vault":"v1","item":"host1"' || vg_fail "report: $(gw_curl $O "$V/report")"
gw_expect 400 "move to the key it already uses" "$(gw_status $O -X PUT -d '{"kind":"platform"}' "$V/key")"
gw_expect 503 "a CMK without a PKCS#11 token (key unavailable)" \
	"$(gw_status $O -X PUT -d '{"kind":"cmk","name":"k1"}' "$V/key")"
gw_expect 400 "a key of no kind" "$(gw_status $O -X PUT -d '{"kind":"hsm"}' "$V/key")"

# --- wrong PINs are rate-limited: 5, then 429 (SPEC §11) ------------------------------------------------------
vg_ctl vault create v2 >/dev/null
vg_ctl agent register v2 agx -o "$VG_WORK/agx.cred" --endpoint https://192.0.2.1 \
	--ca-fingerprint "$(printf '%064d' 0)" >/dev/null
AGX=$(sed -n 's/^VG_REGISTRATION_TOKEN=//p' "$VG_WORK/agx.cred" | vg_ctl agent activate agx --token-file - |
	grep -o 'vg_[0-9a-f]\{64\}' | head -1)
vg_ctl item create v2 hx --agent agx >/dev/null
for n in 1 2 3 4 5; do
	gw_expect 403 "wrong PIN $n" "$(gw_status -u "agx:$AGX" -H "X-Vaultgate-Pin: 0000000$n" \
		-X DELETE "$GW_URL/v1/vaults/v2/items/hx?delete_data=true")"
done
gw_expect 429 "a PIN after 5 wrong ones" "$(gw_status -u "agx:$AGX" -H "X-Vaultgate-Pin: 00000009" \
	-X DELETE "$GW_URL/v1/vaults/v2/items/hx?delete_data=true")"
vg_ctl alerts --json | grep -F '"name":"pin-bruteforce"' | grep -qF '"target":"agx"' ||
	vg_fail "no pin-bruteforce alert: $(vg_ctl alerts)"
vg_log "ok: wrong PINs are rate-limited (429) and raise pin-bruteforce"

# --- immutability ------------------------------------------------------------------------------------------
gw_expect 200 "enable immutability" "$(gw_status $O -X PATCH -d '{"immutability":"enabled"}' "$V")"
out=$(gw_curl $O -X DELETE "$V/items/host1/points/$P1")
[ "$(echo "$out" | errcode)" = immutable ] || vg_fail "delete under immutability: $out"
gw_expect 403 "vault delete as an Operator" "$(gw_status $A -X DELETE "$V")"
vg_ctl audit verify >/dev/null
gw_schema_check
vg_log "PASS test_api_policy"
