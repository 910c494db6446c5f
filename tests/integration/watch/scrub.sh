#!/usr/bin/env bash
# scrub.sh - issue 14: `vaultctl scrub [VAULT] [--rate MB/s]` re-reads every
# blob and checks every GCM tag and the plaintext's SHA-256. A flipped bit
# (in a later segment, where a restore of the first bytes would never look)
# and a missing blob are found: integrity-failure (critical) names vault,
# item, point and object, the failure is audited, scrub exits 1. A clean
# vault scrubs clean (exit 0). The rate limit holds, progress shows in
# /metrics while it runs, only local root scrubs every vault and an
# Operator none; vaultd --scrub-every runs it on its own.
#
#   vaultctl (root@local, or --user) ──unix──► vaultd-testclock ── $VG_WORK/state
set -eu
. "$VG_SRC/tests/integration/watch/wlib.sh"
w_setup

V=vgt-$$-v
W=vgt-$$-w
M=1048576
vg_ctl vault create "$V" >/dev/null
vg_ctl vault create "$W" >/dev/null
vg_ctl item create "$V" i1 >/dev/null
vg_ctl item create "$W" j1 >/dev/null
vg_random_file "$VG_WORK/big" $((3 * M + 4321))
vg_random_file "$VG_WORK/small" 777
P1=$(vg_ctl backup "$V" i1 --object big "$VG_WORK/big")
P2=$(vg_ctl backup "$V" i1 --object small "$VG_WORK/small")
vg_ctl backup "$W" j1 "$VG_WORK/small" >/dev/null
vg_ctl point delete "$V" i1 "$P2" >/dev/null   # soft-deleted points are scrubbed too

out=$(vg_ctl scrub)
echo "$out" | grep -q "scrubbed 3 objects, $((3 * M + 4321 + 777 + 777)) bytes in [0-9]*s: 0 damaged" ||
	vg_fail "clean scrub: $out"
vg_ctl audit export | grep -F '"op":"scrub.done"' | grep -qF '"result":"ok"' || vg_fail "scrub.done not audited"
vg_log "ok: a clean state scrubs clean (every vault, soft-deleted points too)"

# ---- who may scrub ----------------------------------------------------------------
vg_ctl principal add c1 --kind user >"$VG_WORK/c1.tok"
vg_ctl principal add o1 --kind user >"$VG_WORK/o1.tok"
vg_ctl role grant c1 "$V" contributor >/dev/null
vg_ctl role grant o1 "$V" operator >/dev/null
as() { local u=$1; shift; "$VAULTCTL" --socket "$VG_SOCK" --user "$u" --token-file "$VG_WORK/$u.tok" "$@"; }
vg_expect_fail "every vault is for local root" as c1 scrub
vg_expect_fail "principal o1 (operator) may not policy" as o1 scrub "$V"
vg_expect_fail "may not policy" as c1 scrub "$W"
as c1 scrub "$V" | grep -q "scrubbed 2 objects" || vg_fail "a Contributor cannot scrub its vault"
vg_expect_fail "not found" vg_ctl scrub vgt-$$-nosuch
vg_ctl audit export | grep -F '"principal":"o1","op":"scrub"' | grep -qF '"result":"denied"' ||
	vg_fail "the refused scrub is not audited"
vg_log "ok: root scrubs all, a Contributor its vault, an Operator nothing (audited)"

# ---- rate limit and progress ---------------------------------------------------------
t0=$(date +%s%N)
vg_ctl scrub "$V" --rate 1 >"$VG_WORK/slow.out" &
SP=$!
vg_track "$SP"
seen=0
for _ in $(seq 1 60); do
	if vg_ctl metrics | grep -qx "vaultgate_scrub_running 1"; then
		done_b=$(vg_ctl metrics | sed -n 's/^vaultgate_scrub_bytes_done //p')
		tot_b=$(vg_ctl metrics | sed -n 's/^vaultgate_scrub_bytes //p')
		[ "$tot_b" = $((3 * M + 4321 + 777)) ] || vg_fail "progress total $tot_b"
		[ "$done_b" -lt "$tot_b" ] && seen=1 && break
	fi
	sleep 0.05
done
[ $seen = 1 ] || vg_fail "no scrub progress in /metrics while it ran"
vg_expect_fail "a scrub is already running" vg_ctl scrub "$V"
wait "$SP" || vg_fail "the rate-limited scrub failed: $(cat "$VG_WORK/slow.out")"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -ge 2500 ] || vg_fail "3 MiB at 1 MB/s took only ${ms} ms"
vg_ctl metrics | grep -qx "vaultgate_scrub_running 0" || vg_fail "scrub still running"
vg_log "ok: --rate 1 holds (${ms} ms for 3 MiB), progress visible, one scrub at a time"

# ---- damage ---------------------------------------------------------------------------
BIG=$(find "$VG_WORK/state/blobs" -type f -size +3M)
[ -n "$BIG" ] || vg_fail "no big blob"
vg_flip_bit "$BIG" $((48 + M + 16 + 1000)) 3          # segment 1 of 4
# A restore of the first bytes does not read segment 1: only scrub finds it.
vg_ctl restore "$V" i1 "$P1" --object big --range 0-99 -o "$VG_WORK/head" >/dev/null
set +e
out=$(vg_ctl scrub "$V" 2>&1)
rc=$?
set -e
[ $rc = 1 ] || vg_fail "scrub of a damaged vault exited $rc: $out"
echo "$out" | grep -qF "DAMAGED: vault $V item i1 point $P1 object big: segment 1 of 4: GCM tag check failed" ||
	vg_fail "scrub does not name the damage: $out"
echo "$out" | grep -q "1 damaged" || vg_fail "summary: $out"
vg_ctl alerts | grep -F "$(printf '\tcritical\tintegrity-failure\t')" | grep -qF "target=$V/i1/$P1/big" ||
	vg_fail "no integrity-failure alert naming the object: $(vg_ctl alerts | tail -3)"
vg_ctl audit export | grep -F '"op":"scrub.object"' | grep -F "\"target\":\"$V/i1/$P1/big\"" |
	grep -qF '"result":"failed"' || vg_fail "the damage is not audited"
vg_ctl scrub "$W" | grep -q "0 damaged" || vg_fail "the other vault is not clean"
vg_ctl metrics | grep -qx "vaultgate_jobs_total{vault=\"$V\",kind=\"scrub\",result=\"failed\"} 1" ||
	vg_fail "no failed scrub job: $(vg_ctl metrics | grep scrub)"
vg_ctl metrics | grep -q "^vaultgate_jobs_total{vault=\"$V\",kind=\"scrub\",result=\"ok\"} [1-9]" ||
	vg_fail "no ok scrub job: $(vg_ctl metrics | grep jobs_total)"
vg_ctl report "$V" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
jobs = [j for j in r["jobs"] if j["kind"] == "scrub"]
assert any(j["result"] == "failed" and "1 damaged" in j["detail"] for j in jobs), jobs
' || vg_fail "the report lists no failed scrub job"
vg_log "ok: a flipped bit in segment 1 is found, named, alerted (critical), audited; exit 1; a failed scrub job"

# A blob gone from the disk.
SMALL=$(find "$VG_WORK/state/blobs" -type f -size -2k | head -1)
rm -f "$SMALL"
set +e
out=$(vg_ctl scrub 2>&1)
rc=$?
set -e
[ $rc = 1 ] || vg_fail "scrub with a missing blob exited $rc"
echo "$out" | grep -q "2 damaged" || vg_fail "want 2 damaged: $out"
echo "$out" | grep -q "blob cannot be opened" || vg_fail "the missing blob is not named: $out"
vg_log "ok: a missing blob is found"

# ---- scheduled -------------------------------------------------------------------------
n=$(w_count_alert integrity-failure)
vg_stop_vaultd
"$VAULTD_TEST" --state-dir "$VG_WORK/state" --socket "$VG_SOCK" --socket-group nogroup \
	--scrub-every 2s --scrub-rate 100 >>"$VG_WORK/vaultd.log" 2>&1 &
VAULTD_PID=$!
vg_track "$VAULTD_PID"
vg_wait_socket "$VG_SOCK"
for _ in $(seq 1 100); do
	vg_ctl metrics | grep -q "^vaultgate_scrub_runs_total [1-9]" && break
	sleep 0.1
done
vg_ctl metrics | grep -q "^vaultgate_scrub_runs_total [1-9]" || vg_fail "no scheduled scrub ran"
[ "$(w_count_alert integrity-failure)" -ge $((n + 2)) ] || vg_fail "the scheduled scrub raised no alert"
grep -q "scheduled scrub: 3 objects, .* 2 damaged" "$VG_WORK/vaultd.log" || vg_fail "no scheduled scrub log line"
vg_log "ok: vaultd --scrub-every runs the scrub on its own"
echo "PASS scrub"
