#!/usr/bin/env bash
# vault_audit.sh - the audit chain after a series of real operations
# verifies and exports as JSON lines; then, with vaultd stopped, the LMDB
# file is edited with tests/tools/audit_tamper (one entry's text changed,
# the last entry deleted, two entries swapped, a middle entry deleted) and
# `vaultctl audit verify` must exit 1 naming the entry.
#
#   vaultctl ──unix──► vaultd ──► STATE/meta (LMDB: audit, meta/audit_head)
#                                     ▲
#                     audit_tamper ───┘ (vaultd stopped)
set -eu
. "$VG_SRC/tests/integration/lib.sh"
vg_init
vg_state_init
vg_start_vaultd "$VG_STATE" "$VG_SOCK"

vg_ctl vault create v1 >/dev/null                  # 1 vault.create
vg_ctl item create v1 i1 >/dev/null                # 2 item.create (reason "files")
vg_random_file "$VG_WORK/a" 100000
vg_ctl backup v1 i1 "$VG_WORK/a" >/dev/null        # 3-5 point.begin, object.put, point.commit
vg_ctl backup v1 i1 "$VG_WORK/a" >/dev/null        # 6-8
vg_expect_fail "exists" vg_ctl vault create v1     # 9 vault.create failed
vg_expect_fail "invalid name" vg_ctl item create v1 ..  # 10 item.create denied
N=10

out=$(vg_ctl audit verify)
[ "$out" = "audit chain intact: $N entries" ] || vg_fail "audit verify said: $out"

vg_ctl audit export >"$VG_WORK/audit.jsonl"
[ "$(wc -l <"$VG_WORK/audit.jsonl")" = "$N" ] || vg_fail "export has $(wc -l <"$VG_WORK/audit.jsonl") lines"
python3 - "$VG_WORK/audit.jsonl" "$N" <<'PY'
import json, re, sys
path, n = sys.argv[1], int(sys.argv[2])
ops = []
with open(path) as f:
    for i, line in enumerate(f, 1):
        e = json.loads(line)  # each line on its own is a JSON document
        assert isinstance(e, dict), line
        for k in ("seq", "time", "unix", "principal", "op", "target", "result", "reason", "peer", "hash"):
            assert k in e, (k, line)
        assert e["seq"] == i, (i, line)
        assert re.fullmatch(r"[0-9a-f]{64}", e["hash"]), line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["time"]), line
        ops.append((e["op"], e["result"]))
want = [("vault.create", "ok"), ("item.create", "ok"), ("point.begin", "ok"),
        ("object.put", "ok"), ("point.commit", "ok"), ("point.begin", "ok"),
        ("object.put", "ok"), ("point.commit", "ok"), ("vault.create", "failed"),
        ("item.create", "denied")]
assert ops == want, ops
PY
vg_ctl audit export --from 9 | python3 -c '
import json, sys
seqs = [json.loads(l)["seq"] for l in sys.stdin]
assert seqs == [9, 10], seqs'
vg_stop_vaultd_checked
cp -a "$VG_STATE" "$VG_WORK/pristine"

# tamper LABEL WANT AUDIT_TAMPER-ARGS...: damage a fresh copy, restart,
# and expect `audit verify` to exit 1 with WANT in its message.
tamper() {
	local label=$1 want=$2 rc
	shift 2
	rm -rf "$VG_STATE"
	cp -a "$VG_WORK/pristine" "$VG_STATE"
	"$VG_TOOLS/audit_tamper" "$VG_STATE/meta" "$@" >/dev/null
	vg_start_vaultd "$VG_STATE" "$VG_SOCK"
	set +e
	out=$(vg_ctl audit verify 2>&1)
	rc=$?
	set -e
	[ "$rc" = 1 ] || vg_fail "$label: audit verify exited $rc: $out"
	case "$out" in
	*"$want"*) ;;
	*) vg_fail "$label: expected '$want' in: $out" ;;
	esac
	vg_stop_vaultd_checked
	vg_log "$label: $out"
}

tamper "edited entry 2" "BROKEN at entry 2: entry 2 was altered" edit 2
tamper "edited entry 4" "BROKEN at entry 4: entry 4 was altered" edit 4
tamper "deleted last entry" "BROKEN at entry $N:" delete-last
tamper "deleted entry 5" "BROKEN at entry 5: entry 5 is missing" delete 5
tamper "swapped entries 3 and 7" "BROKEN at entry 3:" swap 3 7
tamper "swapped entries 9 and 10" "BROKEN at entry 9:" swap 9 10
grep -q "AUDIT CHAIN BROKEN" "$VG_WORK/vaultd.log" || vg_fail "vaultd did not warn at start-up"

# The untouched copy still verifies.
rm -rf "$VG_STATE"
cp -a "$VG_WORK/pristine" "$VG_STATE"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
[ "$(vg_ctl audit verify)" = "audit chain intact: $N entries" ] || vg_fail "pristine copy broken"
vg_stop_vaultd_checked
vg_log "ok"
