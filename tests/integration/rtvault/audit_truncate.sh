#!/usr/bin/env bash
# audit_truncate.sh - issue 12 item 9: the audit log cannot be cut back to
# an older head without the key. The attack exactly: save the MAC'd head,
# let an Owner delete a point (vaultd is SIGKILLed right after it: no
# shutdown writes anything), then dump the LMDB
# environment with mdb_dump, drop the newer entries, write the old head
# back and mdb_load it. The chain that is left verifies on its own; the
# high-water mark outside LMDB (STATE/audit.hwm) makes the next start find
# the cut: audit-broken is raised, changes are refused, `audit verify`
# fails. Deleting the mark as well is found too. The acknowledgment lets
# the vault go on, and verify names the known break.
#
#   vaultctl ──unix──► vaultd ── $VG_WORK/state/{meta (LMDB), audit.hwm}
#   mdb_dump | edit | mdb_load ──► $VG_WORK/state/meta   (vaultd stopped)
set -eu
. "$VG_SRC/tests/integration/lib.sh"
vg_init
vg_state_init
T0=$(date +%s)
mkdir -p "$VG_WORK/tok"
V=vgt-$$-v
as() { local w=$1; shift; "$VAULTCTL" --socket "$VG_SOCK" --user "$w" --token-file "$VG_WORK/tok/$w" "$@"; }
HEADKEY=$(printf audit_head | od -An -tx1 | tr -d ' \n')

# head_of META: the stored audit_head value (hex).
head_of() { mdb_dump -s meta "$1" | awk -v k=" $HEADKEY" '$0 == k { getline; print; exit }' | tr -d ' '; }

# cut_back META SEQ HEADHEX: the attack. Entries after SEQ go, the head is
# the saved one, everything else (the point deletion) stays.
cut_back() {
	local meta=$1 seq=$2 head=$3
	mdb_dump -a "$meta" >"$VG_WORK/dump.txt"
	python3 - "$VG_WORK/dump.txt" "$seq" "$HEADKEY" "$head" >"$VG_WORK/dump2.txt" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
seq, headkey, head = int(sys.argv[2]), sys.argv[3], sys.argv[4]
out, db, i = [], None, 0
while i < len(lines):
    l = lines[i]
    if l.startswith("database="):
        db = l.split("=", 1)[1]
    if l.startswith(" ") and i + 1 < len(lines):
        k, v = l, lines[i + 1]
        i += 2
        if db == "audit" and int(k.strip(), 16) > seq:
            continue
        if db == "meta" and k.strip() == headkey:
            v = " " + head
        out += [k, v]
        continue
    out.append(l)
    i += 1
print("\n".join(out), end="")
PY
	rm -rf "$VG_WORK/newmeta"
	mkdir "$VG_WORK/newmeta"
	mdb_load -f "$VG_WORK/dump2.txt" "$VG_WORK/newmeta"
	cp "$VG_WORK/newmeta/data.mdb" "$meta/data.mdb"
	rm -f "$meta/lock.mdb"
}

vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_ctl vault create "$V" >/dev/null
vg_ctl item create "$V" host >/dev/null
vg_ctl principal add ow >"$VG_WORK/tok/ow"
vg_ctl role grant ow "$V" owner >/dev/null
head -c 4000 /dev/urandom >"$VG_WORK/d1"
head -c 4000 /dev/urandom >"$VG_WORK/d2"
P1=$(vg_ctl backup "$V" host "$VG_WORK/d1")
P2=$(vg_ctl backup "$V" host "$VG_WORK/d2")
vg_stop_vaultd_checked

vg_log "save the head; the Owner deletes a point"
SEQ=$(mdb_dump -s audit "$VG_STATE/meta" | grep -c '^ 00000000000000' || true)
OLDHEAD=$(head_of "$VG_STATE/meta")
[ -n "$OLDHEAD" ] && [ "$SEQ" -gt 5 ] || vg_fail "no head saved ($SEQ entries)"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
as ow point delete "$V" host "$P1" >/dev/null
! vg_ctl points "$V" host | grep -q "^$P1" || vg_fail "the Owner's delete did not happen"
# Killed at once (no shutdown that could write the mark): the mark moved
# with the request.
vg_kill_vaultd
cp -a "$VG_STATE" "$VG_WORK/before-attack"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_ctl audit export | grep -qF "\"op\":\"point.delete\",\"target\":\"$V/host/$P1\"" || vg_fail "no point.delete entry"
vg_stop_vaultd_checked
rm -rf "$VG_STATE"; cp -a "$VG_WORK/before-attack" "$VG_STATE"

vg_log "the attack: mdb_dump, drop the newer entries, old head back, mdb_load"
cut_back "$VG_STATE/meta" "$SEQ" "$OLDHEAD"
[ "$(head_of "$VG_STATE/meta")" = "$OLDHEAD" ] || vg_fail "the old head was not written back"
cp -a "$VG_STATE" "$VG_WORK/attacked"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
! vg_ctl audit export | grep -qF "\"op\":\"point.delete\"" || vg_fail "the attack left the deletion in the log"
! vg_ctl points "$V" host | grep -q "^$P1" || vg_fail "the attack brought the point back (not this attack)"
grep -q "AUDIT CHAIN BROKEN: the audit log ends at entry $SEQ, but it had reached entry" "$VG_WORK/vaultd.log" ||
	vg_fail "vaultd did not find the cut: $(tail -3 "$VG_WORK/vaultd.log")"
vg_ctl alerts --json | grep -F '"name":"audit-broken","severity":"critical"' | grep -qF "were cut" ||
	vg_fail "no audit-broken alert"
vg_expect_fail "BROKEN at entry $((SEQ + 1)): the audit log ends at entry $SEQ" vg_ctl audit verify
vg_expect_fail "the audit chain is broken" as ow point delete "$V" host "$P2"
vg_expect_fail "the audit chain is broken" vg_ctl vault create "$V-2"
vg_stop_vaultd_checked

vg_log "a restart finds it again (the mark does not move while broken)"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_expect_fail "is not the one the log held (${VG_STATE}/audit.hwm): the log was cut back" vg_ctl audit verify
vg_stop_vaultd_checked

vg_log "the attack with the mark deleted too"
rm -rf "$VG_STATE"; cp -a "$VG_WORK/attacked" "$VG_STATE"
rm -f "$VG_STATE/audit.hwm"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_expect_fail "audit.hwm is missing, but the chain head says it was kept" vg_ctl audit verify
vg_expect_fail "the audit chain is broken" vg_ctl vault create "$V-2"
vg_stop_vaultd_checked

vg_log "a cut by one entry only, and a cut and rewrite to the same length"
rm -rf "$VG_STATE"; cp -a "$VG_WORK/before-attack" "$VG_STATE"
N=$(mdb_dump -s audit "$VG_STATE/meta" | grep -c '^ 00000000000000' || true)
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_ctl audit verify | grep -q "intact: $N entries" || vg_fail "the copy before the attack does not verify"
vg_stop_vaultd_checked
"$VG_TOOLS/audit_tamper" "$VG_STATE/meta" delete-last >/dev/null
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_expect_fail "BROKEN" vg_ctl audit verify
vg_stop_vaultd_checked
rm -rf "$VG_STATE"; cp -a "$VG_WORK/attacked" "$VG_STATE"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_stop_vaultd_checked
grep -q "AUDIT CHAIN BROKEN" "$VG_WORK/vaultd.log" || vg_fail "lost the warning"

vg_log "acknowledged: the vault goes on, verify names the known break"
rm -rf "$VG_STATE"; cp -a "$VG_WORK/attacked" "$VG_STATE"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
as ow audit acknowledge --reason "log cut back; deletion of $P1 confirmed by the Owner" >/dev/null
out=$(vg_ctl audit verify) || vg_fail "verify after the acknowledgment: $out"
echo "$out" | grep -q "known break at entry $((SEQ + 1))" || vg_fail "verify: $out"
vg_ctl vault create "$V-2" >/dev/null
vg_stop_vaultd_checked
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_ctl audit verify | grep -q "^audit chain intact" || vg_fail "not intact after a restart"
vg_ctl vault create "$V-3" >/dev/null
vg_stop_vaultd_checked
printf 'audit_truncate.sh: passed in %ds\n' $(($(date +%s) - T0))
