#!/usr/bin/env bash
# test_api_schema.sh - the native API against its schema, gateway/api.yaml
# (issue 20):
#   1. the router's table (gateway/routes/api.c api_routes) and the schema's
#      paths name the same (method, path) pairs, both ways;
#   2. a tour of every route, success and error paths, recorded by gw_curl
#      (VG_API_RECORD) and every response validated against the schema for
#      its route and status: an undocumented route, method, status,
#      content type or body fails;
#   3. every operation of the schema was called at least once.
#
#   curl (olga: Owner of v1, alice: Operator, gina: approver, mon: monitor)
#     ──TLS──► vaultgw 127.0.0.1 ──unix──► vaultd-testclock
#   root@local (vaultctl): guard g1, an agent registration
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

SCHEMA=$VG_SRC/gateway/api.yaml
CHECK="python3 $VG_SRC/tests/tools/api_schema.py"

# --- 1. router table <-> schema ---------------------------------------------------------------------
$CHECK routes "$SCHEMA" "$VG_SRC/gateway/routes/api.c" || vg_fail "router and schema differ"
vg_log "ok: the router's routes and the schema's are the same set"

VAULTD_BIN=$VAULTD_TEST
gw_setup "max_body_json = 1024"
export VG_API_RECORD=$VG_WORK/api-record.tsv
: >"$VG_API_RECORD"
OLGA=$(gw_principal olga user)
ALICE=$(gw_principal alice user)
GINA=$(gw_principal gina user)
O="-u olga:$OLGA"
A="-u alice:$ALICE"
G="-u gina:$GINA"
U=$GW_URL/v1
jget() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
call() { gw_curl "$@" >/dev/null || true; }

# --- 2. the tour ---------------------------------------------------------------------------------------
call $O "$U/whoami"
call "$U/whoami"                                   # 401
call -u "olga:vg_$(printf '%064d' 0)" "$U/vaults"  # 401
call $O "$U/nothing"                               # 404, no route
call $O -X DELETE "$U/vaults"                      # 405
call $O --path-as-is "$U/vaults/.."                # 400 bad-name
call $O -X POST -d '{"name":"v0"}' "$U/vaults"     # 403: olga owns no vault yet
vg_ctl vault create v0 >/dev/null
vg_ctl role grant olga v0 owner >/dev/null
call $O -X POST -d '{"name":"v1"}' "$U/vaults"     # 201: an Owner may
call $O -X POST -d '{"name":"v1"}' "$U/vaults"     # 409 exists
call $O -X POST -d '{"name":"../x"}' "$U/vaults"   # 400
call $O -X POST -d '[1]' "$U/vaults"               # 400 invalid
call $O -X POST --data-binary "{\"name\":\"$(head -c 2000 /dev/zero | tr '\0' a)\"}" "$U/vaults"  # 413
call $O "$U/vaults"
vg_ctl role grant alice v1 operator >/dev/null
V=$U/vaults/v1
call $O "$V"
call $A "$U/vaults/nov"                            # 403 or 404
call $O -X PATCH -d '{"soft_delete_days":30}' "$V"
call $O -X PATCH -d '{"soft_delete_days":13}' "$V"  # 403 policy
call $O -X PATCH -d '{"colour":"red"}' "$V"         # 400
call $A -X PATCH -d '{"soft_delete_days":30}' "$V"  # 403
call $O -X PATCH -d '{"soft_delete":"off"}' "$V"    # 200 pending
call $O "$V"                                        # with pending
call $O "$V/policies"
call $O -X PUT -d '{"retention":"daily=7,weekly=4"}' "$V/policies/p1"
call $O -X PUT -d '{"retention":"daily=3"}' "$V/policies/p2"   # 403
call $O -X PUT -d '{"value":"daily=3"}' "$V/policies/p2"       # 400
call $O "$V/policies"
call $O -X POST "$V/pin"
call $A -X POST "$V/pin"                            # 403
call $O "$V/alerts"
call $O "$V/alerts?from=x"                          # 400
call $O "$V/audit"
call $O "$V/audit?from=1"
call $O "$U/audit"
call $A "$U/audit"                                  # 403?
call $O "$V/report"
call $O "$V/report?since=x"                         # 400
call $O "$U/report"
call $O "$U/report?since=1"
call $O "$U/jobs"
call "$U/jobs"                                       # 401
call $O -X PUT -d '{"kind":"platform"}' "$V/key"    # 400 already
call $O -X PUT -d '{"kind":"hsm"}' "$V/key"         # 400
call $O -X PUT -d '{"kind":"cmk","name":"k1"}' "$V/key"   # 503 key-unavailable
call $O -X POST -d '{"name":"host1"}' "$V/items"    # 201
call $O -X POST -d '{"name":"host2","kind":"files"}' "$V/items"
call $O -X POST -d '{"name":"host1"}' "$V/items"    # 409
call $O "$V/items"
call $O "$V/items/host1"
call $O "$V/items/nohost"                           # 404
call $O -X PATCH -d '{"policy":"p1"}' "$V/items/host1"
call $O -X PATCH -d '{"policy":"nop"}' "$V/items/host1"   # 404?
call $O -X PATCH -d '{"x":1}' "$V/items/host1"      # 400
I=$V/items/host1
P=$(gw_curl $O -X POST "$I/points" | jget point)
call $O "$I/points"
call $O "$I/points?all=true"
call $O "$I/points/$P"
call $O "$I/points/0123456789abcdef"                 # 404
call $O "$I/points/xyz"                              # 400
printf 'hello schema' | call $O -T - "$I/points/$P/objects/a.txt"
call $O -T "$VG_SRC/gateway/api.yaml" "$I/points/$P/objects/b.yaml?sha256=$(sha256sum "$VG_SRC/gateway/api.yaml" | cut -c1-64)"
call $O -T "$VG_SRC/gateway/api.yaml" "$I/points/$P/objects/c?sha256=xyz"   # 400
call $O -X PUT "$I/points/$P/objects/d"              # 411
call $O "$I/points/$P/objects"                       # 404: not committed yet
call $O -X POST "$I/points/$P/commit"
call $O "$I/points/$P/objects"
call $O -X POST "$I/points/$P/commit"                # 409?
call $O "$I/points/$P"
call $O "$I/points/$P/objects/a.txt"
call $O -r 0-3 "$I/points/$P/objects/a.txt"          # 206
call $O -r 100-200 "$I/points/$P/objects/a.txt"      # 416
call $O -I "$I/points/$P/objects/a.txt"
call $O -I "$I/points/$P/objects/zz"                 # 404 (HEAD: no body)
call $O "$I/points/$P/objects/zz"                    # 404
P2=$(gw_curl $O -X POST "$I/points" | jget point)
call $O -X POST "$I/points/$P2/abort"
P3=$(gw_curl $O -X POST "$I/points" | jget point)
call $O -X DELETE "$I/points/$P3"                    # an uncommitted point
call $A -X DELETE "$I/points/$P"                     # 403
call $O -X DELETE "$I/points/$P"                     # soft-deleted
call $O -X POST "$I/points/$P/undelete"
call $O -X POST "$I/points/$P/undelete"              # 409?
call $O -X POST "$I/resume"
call $O -X DELETE "$V/items/host2"
call $O -X POST "$V/items/host2/undelete"
call $O -X DELETE "$V/items/host2?delete_data=true"
# restic soft deletes (the repository itself is restic's REST backend, out of this schema)
call $O -X POST -d '{"name":"repo1","kind":"restic"}' "$V/items"
call $O "$V/items/repo1/restic/deleted"
call $O -X POST -d '{"all":true}' "$V/items/repo1/restic/undelete"
call $O -X POST -d '{"all":true,"since":5}' "$V/items/repo1/restic/undelete"   # 400
call $A "$V/items/nohost/restic/deleted"             # 403/404
# guards and MUA
vg_ctl guard create g1 >/dev/null
vg_ctl guard approver add g1 gina >/dev/null
vg_ctl vault set v1 guard g1 >/dev/null
call $O -X DELETE "$I/points/$P"                     # 403 mua-required
ID=$(gw_curl $O -X POST -d "{\"vault\":\"v1\",\"operation\":\"delete-data\",\"target\":\"v1/host1/$P\"}" \
	"$U/guards/g1/requests" | jget id)
call $O -X POST -d '{"vault":"v1"}' "$U/guards/g1/requests"   # 400
call $O "$U/guards/g1/requests"
call $O -X POST "$U/guards/g1/requests/$ID/approve"  # 403 own request
call $G -X POST -d '{"window":"x"}' "$U/guards/g1/requests/$ID/approve"   # 400
call $G -X POST -d '{"window":600}' "$U/guards/g1/requests/$ID/approve"
call $O -H "X-Vaultgate-Grant: $ID" -X DELETE "$I/points/$P"
ID2=$(gw_curl $O -X POST -d "{\"vault\":\"v1\",\"operation\":\"delete-data\",\"target\":\"v1/host1\"}" \
	"$U/guards/g1/requests" | jget id)
call $G -X POST "$U/guards/g1/requests/$ID2/deny"
call $G -X POST "$U/guards/g1/requests/nosuch/deny"  # 404
call $O "$U/guards/g1/requests"
# vault delete and undelete (a new vault without guard)
call $O -X POST -d '{"name":"v3"}' "$U/vaults"
call $O -X DELETE "$U/vaults/v3"
call $O -X POST "$U/vaults/v3/undelete"
call $O -X PATCH -d '{"immutability":"enabled"}' "$U/vaults/v3"
call $O -X DELETE "$U/vaults/v3"                     # 403 immutable?
# enrolment (no credential)
vg_ctl agent register v1 agx -o "$VG_WORK/agx.cred" --endpoint https://192.0.2.1 \
	--ca-fingerprint "$(printf '%064d' 0)" >/dev/null
REG=$(sed -n 's/^VG_REGISTRATION_TOKEN=//p' "$VG_WORK/agx.cred")
call -X POST -d '{"agent":"agx"}' "$U/agents/activate"                        # 400
call -X POST -d '{"agent":"agx","registration_token":"vg_nope"}' "$U/agents/activate"   # 401
call -X POST -d "{\"agent\":\"agx\",\"registration_token\":\"$REG\"}" "$U/agents/activate"
call $O "$U/agents/activate"                          # 405

# --- 3. validate ---------------------------------------------------------------------------------------
vg_log "recorded $(wc -l <"$VG_API_RECORD") native-API responses"
$CHECK validate "$SCHEMA" "$VG_API_RECORD" --require-all-operations ||
	vg_fail "responses do not match gateway/api.yaml"
vg_log "PASS test_api_schema"
