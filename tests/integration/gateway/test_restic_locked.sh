#!/usr/bin/env bash
# test_restic_locked.sh - SPEC §3 and §10 on a locked (immutable) vault, with
# the test clock: every restic file is locked until its upload time plus its
# item's daily retention (7 days here). Unmodified restic 0.14 through the
# real vaultgw (TLS) and vaultd-testclock.
#
#   restic / curl ──TLS──► vaultgw 127.0.0.1:$GW_PORT (nobody, restic_vault lk)
#                                 │ unix
#                                 ▼
#                          vaultd-testclock (root)
#
# 1. The agent's forget --prune, key remove, key passwd and raw DELETEs of
#    every file type are 403 (append-only), even on a locked vault; locks go.
# 2. Listings show lock_until; the Owner's DELETEs of a young pack and a
#    young snapshot are 403 "retention lock until T", audited.
# 3. Eight days later: the Owner's forget --prune of the old snapshot
#    succeeds, softly (restic deleted shows it with its lock_until); a new
#    snapshot's DELETE is refused until its own lock ends.
# 4. The purger warns (upcoming-purge) 48 h before and purges after the
#    vault's 14-day window (purge-complete); the purged file cannot be
#    undeleted.
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

VAULTD_BIN=$VAULTD_TEST gw_setup "restic_vault = lk"
DAY=86400

AG=$(gw_principal agent1 agent)
OWN=$(gw_principal own1 user)
vg_ctl vault create lk >/dev/null
vg_ctl role grant agent1 lk agent >/dev/null
vg_ctl role grant own1 lk owner >/dev/null
vg_ctl policy set lk week daily=7 >/dev/null
for i in 1 2 3; do
	vg_ctl item create lk repo$i --kind restic --agent agent1 >/dev/null
	vg_ctl item policy lk repo$i week >/dev/null
done
# (a lower retention is a weakening change: expedite its cooling-off, SPEC §11)
for id in $(vg_ctl pending lk | cut -f1); do vg_ctl pending expedite "$id" >/dev/null; done
vg_ctl item list lk | grep -q "^repo1" || vg_fail "items"
vg_ctl vault set lk immutability enabled >/dev/null
vg_ctl vault set lk immutability locked >/dev/null

export RESTIC_PASSWORD=correct-horse
rs() {
	local repo=$1 cred=$2
	shift 2
	restic --no-cache --cacert "$GW_CA" -r "rest:https://$cred@127.0.0.1:$GW_PORT/restic/$repo/" "$@"
}
ra() { rs repo1 "agent1:$AG" "$@"; }
ro() { rs repo1 "own1:$OWN" "$@"; }
first() {
	local out
	out=$("$@")
	echo "${out%%$'\n'*}"
}
nsnap() { "$@" snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
del_as() {
	local code
	code=$(curl -s -o "$VG_WORK/del.body" -w '%{http_code}' --cacert "$GW_CA" --noproxy '*' \
		-u "$1" -X DELETE "$GW_URL/restic/repo1/$2")
	echo "$code $(tr -d '\n' <"$VG_WORK/del.body")"
}
vnow() { date -u -d "$(vg_ctl clock advance 0 | sed 's/^vaultd time is now //')" +%s; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
echo "new-password-1" >"$VG_WORK/newpw"

src=$VG_WORK/src
mkdir -p "$src"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$src/big.bin"
echo small >"$src/small.txt"

for i in 1 2 3; do rs repo$i "agent1:$AG" init >/dev/null 2>&1 || vg_fail "init repo$i"; done
T0=$(vnow)
(cd "$VG_WORK" && ra backup src) >"$VG_WORK/b1.log" 2>&1 || vg_fail "backup 1: $(tail -3 "$VG_WORK/b1.log")"
rs repo2 "agent1:$AG" key add --new-password-file "$VG_WORK/newpw" >/dev/null 2>&1 || vg_fail "key add"
[ -z "$(ra list locks)" ] || vg_fail "the agent's locks were not removed"
vg_log "ok: locked vault: init, backup; the agent's locks are removed"

# ---- 1. the agent's attack --------------------------------------------------------------
id=$(rs repo2 "agent1:$AG" key list --json | python3 -c 'import json,sys; print([k["id"] for k in json.load(sys.stdin) if not k["current"]][0])')
ra forget "$(first ra list snapshots)" --prune >"$VG_WORK/forget.log" 2>&1 &
p1=$!
rs repo2 "agent1:$AG" key remove "$id" >"$VG_WORK/keyrm.log" 2>&1 &
p2=$!
rs repo3 "agent1:$AG" key passwd --new-password-file "$VG_WORK/newpw" >"$VG_WORK/passwd.log" 2>&1 &
p3=$!
vg_track $p1
vg_track $p2
vg_track $p3
for p in $p1 $p2 $p3; do
	if wait $p; then vg_fail "an agent's destructive restic command succeeded on a locked vault"; fi
done
for f in forget keyrm passwd; do grep -q 403 "$VG_WORK/$f.log" || vg_fail "$f: $(tail -3 "$VG_WORK/$f.log")"; done
for t in config keys data index snapshots; do
	case $t in
	config) p=config ;;
	data) p=data/$(first ra list packs) ;;
	*) p=$t/$(first ra list $t) ;;
	esac
	st=$(del_as "agent1:$AG" "$p")
	case "$st" in "403 "*append-only*) ;; *) vg_fail "agent DELETE $p: $st" ;; esac
done
ra check --read-data >"$VG_WORK/check.log" 2>&1 || vg_fail "check after the attack"
rs repo3 "agent1:$AG" snapshots >/dev/null 2>&1 || vg_fail "repo3's password was changed"
vg_ctl alerts lk --json | grep -q '"restic-delete-denied"' || vg_fail "no restic-delete-denied alert"
vg_log "ok: locked: agent forget --prune, key remove, key passwd, raw DELETEs -> 403; check passes"

# ---- 2. young files: locked, and it shows ------------------------------------------------
repo=$(vg_ctl item list lk | grep '^repo1' | sed 's/.*repo=//')
vg_ctl objects lk repo1 "$repo" >"$VG_WORK/objects.txt"
lock1=$(iso $((T0 + 7 * DAY)))
grep -q "^snapshots:.*lock_until=${lock1:0:13}" "$VG_WORK/objects.txt" ||
	vg_fail "objects: no lock_until near $lock1: $(head -3 "$VG_WORK/objects.txt")"
gw_curl -u "own1:$OWN" "$GW_URL/v1/vaults/lk/items/repo1/points/$repo/objects" | grep -q '"lock_until"' ||
	vg_fail "API object listing without lock_until"
pack=$(first ra list packs)
st=$(del_as "own1:$OWN" "data/$pack")
case "$st" in "403 "*"retention lock until ${lock1:0:13}"*) ;; *) vg_fail "owner DELETE of a young pack: $st" ;; esac
snap1=$(first ra list snapshots)
st=$(del_as "own1:$OWN" "snapshots/$snap1")
case "$st" in "403 "*"retention lock until ${lock1:0:13}"*) ;; *) vg_fail "owner DELETE of a young snapshot: $st" ;; esac
vg_ctl audit export | grep '"restic.delete"' | grep '"own1"' | grep -q 'retention lock until' ||
	vg_fail "the retention-lock refusal is not audited"
[ "$(nsnap ra)" = 1 ] || vg_fail "the snapshot went"
vg_log "ok: locked: lock_until listed; the owner's deletes of young files -> 403 retention lock until $lock1"

# ---- 3. eight days later: the old snapshot can go, softly; the new one cannot -------------
vg_ctl clock advance $((8 * DAY)) >/dev/null
T1=$(vnow)
# (every file is older than its lock now: prune deletes them all, softly)
ro forget "$snap1" --prune >"$VG_WORK/oforget1.log" 2>&1 || vg_fail "owner forget of the old snapshot: $(tail -5 "$VG_WORK/oforget1.log")"
[ "$(nsnap ra)" = 0 ] || vg_fail "the old snapshot is still listed"
vg_ctl restic deleted lk repo1 --json >"$VG_WORK/deleted.json"
python3 - "$VG_WORK/deleted.json" "$snap1" $((T0 + 7 * DAY)) "$T1" <<'EOF' || vg_fail "restic deleted: $(cat "$VG_WORK/deleted.json")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
snap = [r for r in rows if r["name"] == "snapshots:" + sys.argv[2]]
assert snap, rows
r = snap[0]
assert abs(r["lock_until_unix"] - int(sys.argv[3])) < 120, r
assert r["purge_unix"] - r["deleted_unix"] == 14 * 86400 and r["deleted_unix"] >= int(sys.argv[4]), r
assert r["deleted_by"] == "own1", r
assert any(x["name"].startswith("data:") for x in rows), rows
EOF
echo "day 8" >"$src/later.txt"
(cd "$VG_WORK" && ra backup src) >"$VG_WORK/b2.log" 2>&1 || vg_fail "backup 2"
snap2=$(first ra list snapshots)
lock2=$(iso $((T1 + 7 * DAY)))
st=$(del_as "own1:$OWN" "snapshots/$snap2")
case "$st" in "403 "*"retention lock until ${lock2:0:13}"*) ;; *) vg_fail "owner DELETE of the new snapshot: $st" ;; esac
ra check --read-data >"$VG_WORK/check2.log" 2>&1 || vg_fail "check after the owner's prune"
[ "$(vg_ctl points lk repo1 | wc -l)" = 1 ] || vg_fail "the old snapshot's point did not go with it"
vg_log "ok: locked: after the lock the old snapshot goes softly (lock_until shown); the young one -> 403"

# ---- 4. the purger: upcoming-purge, then purge-complete; gone for good ---------------------
vg_ctl clock advance $((13 * DAY)) >/dev/null
vg_ctl purge run >/dev/null
vg_ctl alerts lk --json | grep '"upcoming-purge"' | grep -q '"target":"lk/repo1' || vg_fail "no upcoming-purge alert"
[ -n "$(vg_ctl restic deleted lk repo1)" ] || vg_fail "purged before the window ended"
vg_ctl clock advance $((2 * DAY)) >/dev/null
vg_ctl purge run >/dev/null
vg_ctl alerts lk --json | grep '"purge-complete"' | grep -q '"target":"lk/repo1' || vg_fail "no purge-complete alert"
[ -z "$(vg_ctl restic deleted lk repo1)" ] || vg_fail "soft-deleted files left after the window"
vg_expect_fail "is not soft-deleted" vg_ctl restic undelete lk repo1 "snapshots:$snap1"
[ "$(vg_ctl points lk repo1 --all | wc -l)" = 1 ] || vg_fail "the purged snapshot's point is still there"
ra check --read-data >"$VG_WORK/check3.log" 2>&1 || vg_fail "check after the purge"
vg_log "ok: locked: upcoming-purge at 48 h, purge-complete after 14 days; the purged file is gone"
vg_ctl audit verify >/dev/null || vg_fail "audit chain broken"
vg_log "PASS test_restic_locked"
