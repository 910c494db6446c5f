#!/usr/bin/env bash
# test_restic.sh - the unmodified restic client (0.14) against vaultgw:
# init, backup, snapshots, restore (whole, and --include of one small file:
# ranged reads), check --read-data, a second init refused, a wrong token,
# another agent's item (403), and forget --prune on an immutable vault
# (fails with 403, nothing lost).
#
#   restic ──TLS──► vaultgw 127.0.0.1:$GW_PORT (nobody) ──unix──► vaultd (root)
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

gw_setup

vg_ctl vault create default >/dev/null
AG1=$(gw_principal agent1 agent)
AG2=$(gw_principal agent2 agent)
MON=$(gw_principal mon monitor)
vg_ctl role grant agent1 default agent >/dev/null
vg_ctl role grant agent2 default agent >/dev/null
vg_ctl item create default repo1 --kind restic --agent agent1 >/dev/null
vg_ctl item create default repo2 --kind restic --agent agent2 >/dev/null

export RESTIC_PASSWORD=correct-horse RESTIC_CACHE_DIR=$VG_WORK/cache
R1="rest:https://agent1:$AG1@127.0.0.1:$GW_PORT/restic/repo1/"
r() { restic --cacert "$GW_CA" -r "$R1" "$@"; }

# A tree: incompressible data, small files, an empty file, a symlink.
src=$VG_WORK/src
mkdir -p "$src/a/b" "$src/c"
head -c $((12 * 1024 * 1024)) /dev/urandom >"$src/a/big.bin"
for i in $(seq 1 40); do head -c $((i * 997)) /dev/urandom >"$src/a/b/f$i"; done
echo "the one small file" >"$src/c/small.txt"
: >"$src/c/empty"
ln -s ../a/big.bin "$src/c/link"

r init >"$VG_WORK/init.log" 2>&1 || vg_fail "restic init: $(tail -3 "$VG_WORK/init.log")"
vg_log "ok: restic init"
if r init >"$VG_WORK/init2.log" 2>&1; then vg_fail "a second init succeeded"; fi
grep -q "config file already exists" "$VG_WORK/init2.log" || vg_fail "second init: $(cat "$VG_WORK/init2.log")"
vg_log "ok: a second init is refused"

(cd "$VG_WORK" && r backup src) >"$VG_WORK/backup.log" 2>&1 || vg_fail "backup: $(tail -3 "$VG_WORK/backup.log")"
echo extra >"$src/c/later.txt"
(cd "$VG_WORK" && r backup src) >>"$VG_WORK/backup.log" 2>&1 || vg_fail "second backup"
n=$(r snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 2 ] || vg_fail "snapshots: want 2, got $n"
vg_log "ok: backup x2, snapshots"

r restore latest --target "$VG_WORK/rst" >"$VG_WORK/restore.log" 2>&1 || vg_fail "restore"
diff -r "$src" "$VG_WORK/rst/src" || vg_fail "restored tree differs"
vg_log "ok: restore is identical"

# --include one small file: restic reads its blob with a non-zero Range offset.
rm -rf "$RESTIC_CACHE_DIR"
r restore latest --target "$VG_WORK/one" --include /src/c/small.txt >"$VG_WORK/one.log" 2>&1 ||
	vg_fail "restore --include: $(tail -3 "$VG_WORK/one.log")"
[ "$(find "$VG_WORK/one" -type f | wc -l)" = 1 ] || vg_fail "--include restored more than one file"
cmp "$src/c/small.txt" "$VG_WORK/one/src/c/small.txt" || vg_fail "--include file differs"
m=$(gw_curl -u "mon:$MON" "$GW_URL/metrics")
echo "$m" | grep -q 'vaultgw_requests_total{route="restic_file",code="206"}' ||
	vg_fail "no 206 answers during the restores"
vg_log "ok: restore --include of one file (ranged reads)"

r check --read-data >"$VG_WORK/check.log" 2>&1 || vg_fail "check --read-data: $(tail -3 "$VG_WORK/check.log")"
grep -q "no errors were found" "$VG_WORK/check.log" || vg_fail "check output"
vg_log "ok: check --read-data"

# Wrong token: 401, restic gives up.
if restic --cacert "$GW_CA" -r "rest:https://agent1:vg_$(printf '%064d' 7)@127.0.0.1:$GW_PORT/restic/repo1/" \
	snapshots >"$VG_WORK/bad.log" 2>&1; then
	vg_fail "a wrong token listed snapshots"
fi
grep -q "401" "$VG_WORK/bad.log" || vg_fail "wrong token: $(tail -3 "$VG_WORK/bad.log")"
vg_log "ok: wrong token -> 401"

# agent1 on agent2's item: 403.
if restic --cacert "$GW_CA" -r "rest:https://agent1:$AG1@127.0.0.1:$GW_PORT/restic/repo2/" \
	init >"$VG_WORK/other.log" 2>&1; then
	vg_fail "agent1 initialised agent2's repository"
fi
grep -q "403" "$VG_WORK/other.log" || vg_fail "other item: $(tail -3 "$VG_WORK/other.log")"
vg_log "ok: another agent's item -> 403"

# Immutable vault: forget --prune fails (403) and loses nothing; locks
# can still be removed, so later commands still work.
vg_ctl vault set default immutability enabled >/dev/null
if r forget --keep-last 1 --prune >"$VG_WORK/forget.log" 2>&1; then
	vg_fail "forget --prune succeeded on an immutable vault"
fi
grep -q "403" "$VG_WORK/forget.log" || vg_fail "forget: $(grep -v '^\s' "$VG_WORK/forget.log" | tail -5)"
n=$(r snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 2 ] || vg_fail "snapshots after a refused forget: want 2, got $n"
r check --read-data >"$VG_WORK/check2.log" 2>&1 || vg_fail "check after a refused forget"
r restore latest --target "$VG_WORK/rst2" >/dev/null 2>&1 || vg_fail "restore after a refused forget"
diff -r "$src" "$VG_WORK/rst2/src" || vg_fail "restore after a refused forget differs"
[ -z "$(r list locks 2>/dev/null)" ] || vg_fail "stale locks left behind"
vg_log "ok: forget --prune on an immutable vault -> 403, nothing lost"
vg_log "PASS test_restic"
