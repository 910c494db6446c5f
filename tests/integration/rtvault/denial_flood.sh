#!/usr/bin/env bash
# denial_flood.sh - issue 12 item 6: refused requests do not fill the disk.
# A Reader sends 3,300 forbidden requests over one keep-alive TLS
# connection: 2,000 item creates, 1,000 point deletes (a critical
# operation) and 300 reads of vaults it has no role on, each with another
# name. Stated bound: the audit log grows by at most 100 entries for all
# of it (it grew by one per refusal before). The first refusal of each kind
# is there, verbatim; the repeats are one aggregate entry with their count
# (written at a flush: every 30 s, before an export, at shutdown); denial-flood and
# critical-op-denied are raised; every request still got its 403; the
# chain verifies. An Owner's requests meanwhile are served.
#
#   flood.py (rd) ──TLS keep-alive──► vaultgw ──unix──► vaultd
set -eu
. "$VG_SRC/tests/integration/rtvault/rtlib.sh"
rt_setup

V=vgt-$$-v
BOUND=100
vg_ctl vault create "$V" >/dev/null
vg_ctl item create "$V" host >/dev/null
P=$(printf 'keep me' | vg_ctl backup "$V" host -)
rt_role rd "$V" reader
rt_role ow "$V" owner
rt_role op "$V" operator
count() { vg_ctl audit export | wc -l; }
N0=$(count)

cat >"$VG_WORK/flood.py" <<'PY'
import base64, http.client, ssl, sys, collections
port, ca, cred, v, p, mode = sys.argv[1:7]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
c = http.client.HTTPSConnection("127.0.0.1", int(port), context=ctx)
h = {"Authorization": "Basic " + base64.b64encode(cred.encode()).decode(),
     "Content-Type": "application/json"}
seen = collections.Counter()
def go(method, path, body=None):
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    r.read()
    seen[r.status] += 1
if mode == "reader":
    for i in range(2000):
        go("POST", "/v1/vaults/%s/items" % v, '{"name":"evil"}')
    for i in range(1000):
        go("DELETE", "/v1/vaults/%s/items/host/points/%s" % (v, p))
    for i in range(300):
        go("GET", "/v1/vaults/nope-%d" % i)
else:  # an Operator's failing change, repeated: the item exists
    for i in range(500):
        go("POST", "/v1/vaults/%s/items" % v, '{"name":"host"}')
print(dict(seen))
PY
python3 "$VG_WORK/flood.py" "$GW_PORT" "$GW_CA" "rd:$(cat "$VG_WORK/tok/rd")" "$V" "$P" reader >"$VG_WORK/flood.out"
[ "$(cat "$VG_WORK/flood.out")" = "{403: 3300}" ] || vg_fail "not every forbidden request got 403: $(cat "$VG_WORK/flood.out")"
python3 "$VG_WORK/flood.py" "$GW_PORT" "$GW_CA" "op:$(cat "$VG_WORK/tok/op")" "$V" "$P" operator >"$VG_WORK/flood.out"
[ "$(cat "$VG_WORK/flood.out")" = "{409: 500}" ] || vg_fail "not every failing create got 409: $(cat "$VG_WORK/flood.out")"
N1=$(count)
vg_log "audit entries: $N0 before, $N1 after 3,300 refusals and 500 failures"

gw_expect 200 "the Owner is served meanwhile" "$(rt_code ow "$GW_URL/v1/vaults/$V/items/host/points")"
vg_ctl alerts --json >"$VG_WORK/alerts.json"
grep -F '"name":"denial-flood","severity":"critical","principal":"rd"' "$VG_WORK/alerts.json" >/dev/null ||
	vg_fail "no denial-flood alert: $(cat "$VG_WORK/alerts.json")"
grep -F '"name":"critical-op-denied","severity":"critical","principal":"rd"' "$VG_WORK/alerts.json" |
	grep -qF "\"target\":\"$V/host\"" || vg_fail "no critical-op-denied alert: $(cat "$VG_WORK/alerts.json")"
[ "$(grep -c '"name":"denial-flood","severity":"critical","principal":"rd"' "$VG_WORK/alerts.json")" = 1 ] ||
	vg_fail "denial-flood raised more than once for rd"
[ "$(grep -c '"name":"denial-flood","severity":"critical","principal":"op"' "$VG_WORK/alerts.json")" = 1 ] ||
	vg_fail "no single denial-flood for op's failures"
! grep -F '"name":"critical-op-denied"' "$VG_WORK/alerts.json" | grep -qF '"principal":"op"' ||
	vg_fail "critical-op-denied for failures that were no refusals"

vg_log "a restart (its flush) adds nothing more than the bound"
vg_stop_vaultd_checked
gw_start_vaultd
N2=$(count)
vg_log "audit entries: $N2 after the flush (bound: $N0 + $BOUND)"
[ $((N2 - N0)) -le $BOUND ] || vg_fail "the audit log grew by $((N2 - N0)) entries for 3,800 refusals and failures (bound $BOUND)"
vg_ctl audit export --from $((N0 + 1)) >"$VG_WORK/new.jsonl"
python3 - "$VG_WORK/new.jsonl" "$V" <<'PY' || vg_fail "first denials or aggregates wrong: $(tail -5 "$VG_WORK/new.jsonl")"
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
v = sys.argv[2]
def kind(op, target):
    return [r for r in rows if r["principal"] == "rd" and r["op"] == op and r["target"] == target
            and r["result"] == "denied"]
for op, target, n, why in (("item.create", v, 2000, "principal rd (reader) may not protect on vault " + v),
                          ("point.delete", v + "/host", 1000, "may not")):
    k = kind(op, target)
    assert k, (op, "no entry")
    assert "[repeated" not in k[0]["reason"] and why in k[0]["reason"], k[0]
    reps = sum(int(re.search(r"\[repeated (\d+) more time", r["reason"]).group(1)) for r in k[1:])
    assert len(k) >= 2 and reps == n - 1, (op, len(k), reps)
f = [r for r in rows if r["principal"] == "op" and r["op"] == "item.create" and r["result"] == "failed"]
assert f and "[repeated" not in f[0]["reason"], f
assert sum(int(re.search(r"\[repeated (\d+) more time", r["reason"]).group(1)) for r in f[1:]) == 499, f
firsts = [r for r in rows if r["principal"] == "rd" and r["op"] == "vault.get"]
assert 1 <= len(firsts) <= 60, len(firsts)
over = [r for r in rows if r["principal"] == "rd" and r["op"] == "denials" and r["target"] == "*"]
extra = sum(int(re.search(r"\[(\d+) refusals? in \d+s, aggregated\]", r["reason"]).group(1)) for r in over)
assert len(firsts) + extra == 300, (len(firsts), extra)
PY
vg_ctl audit verify >/dev/null || vg_fail "audit chain does not verify"
rt_done
