#!/usr/bin/env bash
# test_restic_ransom.sh - SPEC §10: a restic repository survives the agent's
# own credential in an attacker's hands, and an Owner's deletes are soft.
# Unmodified restic 0.14 through the real vaultgw (TLS) and vaultd.
#
#   restic / curl ──TLS──► vaultgw A 127.0.0.1:$PORT_A (restic_vault default, later off) ─┐
#                 ──TLS──► vaultgw B 127.0.0.1:$PORT_B (restic_vault aon)                 ─┴unix─► vaultd-testclock
#
# 1. vaults "default" (soft delete on) and "aon" (always-on): the agent's
#    forget --prune, key remove, key passwd (restic retries each refusal
#    for about a minute, so the six run side by side, one repository each)
#    and raw DELETEs of config, keys/, data/, index/ and snapshots/ are 403
#    with a reason, audited, alerted once per item (restic-delete-denied),
#    counted toward mass-deletion; check --read-data passes after. A new
#    snapshot is the item's last successful backup.
# 2. The Owner forgets every snapshot with --prune and changes the password:
#    files vanish at once, answers say "soft-deleted until T", the snapshot
#    points go with their files, restic-key-removed (critical) is raised;
#    `vaultctl restic undelete --all` brings it all back: check passes and
#    both snapshots restore byte-exact with the old password.
# 3. point delete / undelete of a snapshot point moves the snapshot file.
# 4. A flipped bit in a pack raises integrity-failure (critical) and an
#    audit entry on a restic GET.
# 5. vault "off" (soft delete off): the Owner's DELETE of a data file is
#    "permanently deleted"; of a key, config and a snapshot "soft-deleted";
#    the Owner's undelete API brings them back, an agent's is refused.
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

# The test daemon: soft delete off waits out its cooling-off (SPEC §11)
# unless expedited, which only vaultd-testclock allows.
VAULTD_BIN=$VAULTD_TEST gw_setup

AG=$(gw_principal agent1 agent)
OWN=$(gw_principal own1 user)
for v in default aon off; do
	vg_ctl vault create $v >/dev/null
	vg_ctl role grant agent1 $v agent >/dev/null
	vg_ctl role grant own1 $v owner >/dev/null
	for i in 1 2 3; do vg_ctl item create $v repo$i --kind restic --agent agent1 >/dev/null; done
done
vg_ctl vault set aon soft-delete always-on >/dev/null
vg_ctl vault set off soft-delete off >/dev/null
for id in $(vg_ctl pending off | cut -f1); do vg_ctl pending expedite "$id" >/dev/null; done
vg_ctl vault show off | grep -q "soft-delete.*off" || vg_fail "soft delete is not off: $(vg_ctl vault show off)"

# Gateway A serves vault default; a second one, B, serves aon.
gw_stop_gateway
gw_start_gateway "restic_vault = default"
PORT_A=$GW_PORT
PID_A=$GW_PID
GW_PORT=$(gw_free_port)
gw_start_gateway "restic_vault = aon"
PORT_B=$GW_PORT
GW_PORT=$PORT_A
declare -A PORT=([default]=$PORT_A [aon]=$PORT_B [off]=$PORT_A)

export RESTIC_PASSWORD=correct-horse
# rs VAULT REPO USER:TOKEN args...: restic against one repository.
rs() {
	local v=$1 repo=$2 cred=$3
	shift 3
	restic --no-cache --cacert "$GW_CA" -r "rest:https://$cred@127.0.0.1:${PORT[$v]}/restic/$repo/" "$@"
}
# first CMD...: the first line of CMD's output (never cut restic off with a
# closed pipe: it would die holding its lock).
first() {
	local out
	out=$("$@")
	echo "${out%%$'\n'*}"
}
nsnap() { "$@" snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
echo "new-password-1" >"$VG_WORK/newpw"

# del_as VAULT USER:TOKEN PATH: a raw DELETE on repo1; prints "STATUS BODY".
del_as() {
	local code
	code=$(curl -s -o "$VG_WORK/del.body" -w '%{http_code}' --cacert "$GW_CA" --noproxy '*' \
		-u "$2" -X DELETE "https://127.0.0.1:${PORT[$1]}/restic/repo1/$3")
	echo "$code $(tr -d '\n' <"$VG_WORK/del.body")"
}

alerts() { vg_ctl alerts "$1" --json; }
# count_alert VAULT NAME [TARGET-PREFIX]
count_alert() { alerts "$1" | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if json.loads(l)["name"] == sys.argv[1] and
          json.loads(l)["target"].startswith(sys.argv[2])))' "$2" "${3:-}"; }

src=$VG_WORK/src
mkdir -p "$src/a"
head -c $((3 * 1024 * 1024)) /dev/urandom >"$src/a/big.bin"
for i in $(seq 1 20); do head -c $((i * 777)) /dev/urandom >"$src/a/f$i"; done

# Each vault: repo1 with two snapshots, repo2 with a second key, repo3.
for v in default aon; do
	A="agent1:$AG"
	for i in 1 2 3; do
		rs $v repo$i "$A" init >"$VG_WORK/init.log" 2>&1 || vg_fail "$v: init repo$i: $(tail -3 "$VG_WORK/init.log")"
	done
	(cd "$VG_WORK" && rs $v repo1 "$A" backup src) >"$VG_WORK/b1.log" 2>&1 || vg_fail "$v: backup 1"
	[ $v = default ] && cp -a "$src" "$VG_WORK/ref1"
	echo "later $v" >"$src/a/later.txt"
	(cd "$VG_WORK" && rs $v repo1 "$A" backup src) >"$VG_WORK/b2.log" 2>&1 || vg_fail "$v: backup 2"
	[ $v = default ] && cp -a "$src" "$VG_WORK/ref2"
	rs $v repo2 "$A" key add --new-password-file "$VG_WORK/newpw" >/dev/null 2>&1 || vg_fail "$v: agent key add"
done
vg_ctl report default --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
items = [i for v in d["vaults"] for i in v["items"] if i["name"] == "repo1"]
assert items and items[0]["last_success"] > 0, d' || vg_fail "report: repo1 has no last success"
vg_ctl metrics | grep -q '^vaultgate_last_backup_timestamp_seconds{vault="default",item="repo1"} [1-9]' ||
	vg_fail "metrics: no last-backup time for repo1"
vg_ctl item list default | grep -q "^repo1.*last-backup=2" || vg_fail "item list: repo1 never backed up"
vg_log "ok: a restic snapshot is the item's last successful backup (report, metrics, item list)"

# ---- 1. the agent's attack, on default and aon at once -------------------------------
pids=()
for v in default aon; do
	A="agent1:$AG"
	id=$(rs $v repo2 "$A" key list --json | python3 -c 'import json,sys; print([k["id"] for k in json.load(sys.stdin) if not k["current"]][0])')
	rs $v repo1 "$A" forget --keep-last 1 --prune >"$VG_WORK/forget-$v.log" 2>&1 &
	pids+=($!)
	rs $v repo2 "$A" key remove "$id" >"$VG_WORK/keyrm-$v.log" 2>&1 &
	pids+=($!)
	rs $v repo3 "$A" key passwd --new-password-file "$VG_WORK/newpw" >"$VG_WORK/passwd-$v.log" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do vg_track "$p"; done
for p in "${pids[@]}"; do
	if wait "$p"; then vg_fail "an agent's destructive restic command succeeded (see the logs)"; fi
done
for v in default aon; do
	for f in forget keyrm passwd; do
		grep -q "403" "$VG_WORK/$f-$v.log" || vg_fail "$v: $f: $(tail -3 "$VG_WORK/$f-$v.log")"
	done
	vg_log "ok: $v: agent forget --prune, key remove, key passwd -> 403"
done

for v in default aon; do
	A="agent1:$AG"
	for t in config keys data index snapshots; do
		case $t in
		config) p=config ;;
		data) p=data/$(first rs $v repo1 "$A" list packs) ;;
		*) p=$t/$(first rs $v repo1 "$A" list $t) ;;
		esac
		st=$(del_as $v "$A" "$p")
		case "$st" in
		"403 "*append-only*) ;;
		*) vg_fail "$v: agent DELETE $p: $st" ;;
		esac
	done
	vg_log "ok: $v: agent DELETE of config, keys, data, index, snapshots -> 403 (append-only)"
	# The old passwords still open everything; nothing was lost.
	[ "$(nsnap rs $v repo1 "$A")" = 2 ] || vg_fail "$v: snapshots after the attack"
	[ "$(rs $v repo2 "$A" key list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
		vg_fail "$v: repo2 lost a key"
	rs $v repo3 "$A" snapshots >/dev/null 2>&1 || vg_fail "$v: repo3's password was changed"
	rs $v repo1 "$A" check --read-data >"$VG_WORK/check-$v.log" 2>&1 || vg_fail "$v: check after the attack: $(tail -3 "$VG_WORK/check-$v.log")"
	grep -q "no errors were found" "$VG_WORK/check-$v.log" || vg_fail "$v: check output"
	for i in 1 2 3; do
		[ -z "$(vg_ctl restic deleted $v repo$i)" ] || vg_fail "$v: something was soft-deleted in repo$i"
	done
	vg_log "ok: $v: check --read-data passes, 2 snapshots, keys and passwords intact, nothing deleted"
	# Seen: one restic-delete-denied alert per item (rate-limited), a
	# mass-deletion alert, restic-key-added warnings, denials in the audit.
	for i in 1 2 3; do
		[ "$(count_alert $v restic-delete-denied "$v/repo$i/")" = 1 ] ||
			vg_fail "$v: restic-delete-denied alerts for repo$i: $(alerts $v | grep denied)"
	done
	alerts $v | grep '"restic-delete-denied"' | grep -q '"severity":"critical".*"principal":"agent1"' ||
		vg_fail "$v: restic-delete-denied alert fields"
	alerts $v | grep '"restic-key-added"' | grep -q '"severity":"warning"' || vg_fail "$v: no restic-key-added warning"
	n=$(vg_ctl audit export | grep '"restic.delete"' | grep "\"target\":\"$v/repo" | grep '"denied"' | grep -c 'append-only' || true)
	[ "$n" -ge 8 ] || vg_fail "$v: $n audited append-only denials"
	vg_log "ok: $v: alerts (restic-delete-denied once per item, restic-key-added) and $n audit entries"
done
# mass-deletion fires once per principal per 10 minutes.
[ "$(( $(count_alert default mass-deletion) + $(count_alert aon mass-deletion) ))" -ge 1 ] ||
	vg_fail "no mass-deletion alert for the agent's denied deletes"
vg_log "ok: the denied deletes count toward mass-deletion"

# ---- 2. the Owner prunes everything and changes the password; undelete --all -------
ra() { rs default repo1 "agent1:$AG" "$@"; }
ro() { rs default repo1 "own1:$OWN" "$@"; }
ids=$(ra snapshots --json | python3 -c 'import json,sys; print(" ".join(s["id"] for s in json.load(sys.stdin)))')
st=$(del_as default "own1:$OWN" "locks/$(printf '%064d' 1)")
[ "$st" = "200 not found: nothing deleted" ] || vg_fail "owner DELETE of a missing lock: $st"
# shellcheck disable=SC2086
ro forget $ids --prune >"$VG_WORK/oforget.log" 2>&1 || vg_fail "owner forget --prune: $(tail -3 "$VG_WORK/oforget.log")"
ro key passwd --new-password-file "$VG_WORK/newpw" >"$VG_WORK/opasswd.log" 2>&1 ||
	vg_fail "owner key passwd: $(tail -3 "$VG_WORK/opasswd.log")"
[ "$(RESTIC_PASSWORD=new-password-1 nsnap ro)" = 0 ] || vg_fail "snapshots left after the owner's forget"
if ra snapshots >/dev/null 2>&1; then vg_fail "the old password still opens the repository"; fi
[ -z "$(RESTIC_PASSWORD=new-password-1 ro list packs)" ] || vg_fail "data files still listed after prune"
[ -z "$(vg_ctl points default repo1)" ] || vg_fail "snapshot points still active"
[ "$(vg_ctl points default repo1 --all | grep -c soft-deleted)" = 2 ] || vg_fail "snapshot points not soft-deleted with their files"
vg_ctl restic deleted default repo1 >"$VG_WORK/deleted.txt"
grep -q "^snapshots:.*by=own1" "$VG_WORK/deleted.txt" || vg_fail "restic deleted: $(head -3 "$VG_WORK/deleted.txt")"
grep -q "^keys:" "$VG_WORK/deleted.txt" || vg_fail "restic deleted: no key"
grep -q "^data:.*purge_at=20.*lock_until=-" "$VG_WORK/deleted.txt" || vg_fail "restic deleted: no data file"
vg_ctl restic deleted default repo1 --json | head -1 | python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
assert d["deleted_by"] == "own1" and d["purge_unix"] - d["deleted_unix"] == 14 * 86400, d' || vg_fail "restic deleted --json"
vg_ctl audit export | grep '"restic.delete"' | grep '"own1"' | grep -q 'soft-deleted until 20' ||
	vg_fail "no audit entry 'soft-deleted until' for the owner's deletes"
alerts default | grep '"restic-key-removed"' | grep -q '"severity":"critical".*"principal":"own1"' ||
	vg_fail "no restic-key-removed alert: $(alerts default | tail -3)"
vg_log "ok: owner forget --prune + key passwd: soft, listed by 'restic deleted', points followed, restic-key-removed"

# A DELETE answers what happened.
st=$(del_as default "own1:$OWN" config)
case "$st" in "200 soft-deleted until 20"*) ;; *) vg_fail "owner DELETE config: $st" ;; esac
vg_log "ok: owner DELETE -> '$st'"

vg_expect_fail "is not soft-deleted" vg_ctl restic undelete default repo1 "data:$(printf '%064d' 5)"
# --since brings back only what was deleted at or after a time: the config.
tcfg=$(vg_ctl restic deleted default repo1 --json | python3 -c '
import json, sys
print([r for r in map(json.loads, sys.stdin) if r["name"] == "config"][0]["deleted_unix"])')
vg_ctl restic undelete default repo1 --since "$(date -u -d "@$tcfg" +%Y-%m-%dT%H:%M:%SZ)" |
	grep -q "^1 restic files restored" || vg_fail "undelete --since did not restore exactly the config"
[ "$(RESTIC_PASSWORD=new-password-1 nsnap ro)" = 0 ] || vg_fail "the config is not back after --since"
vg_ctl restic deleted default repo1 | grep -q "^snapshots:" || vg_fail "--since restored older files too"
vg_log "ok: undelete --since restores only what was deleted since (the config)"
vg_ctl restic undelete default repo1 --all | grep -q "restic files restored" || vg_fail "undelete --all"
[ -z "$(vg_ctl restic deleted default repo1)" ] || vg_fail "files left soft-deleted after undelete --all"
[ "$(nsnap ra)" = 2 ] || vg_fail "snapshots after undelete --all: $(ra snapshots 2>&1 | tail -5)"
[ "$(vg_ctl points default repo1 | wc -l)" = 2 ] || vg_fail "points not back with their snapshot files"
ra check --read-data >"$VG_WORK/check-u.log" 2>&1 || vg_fail "check after undelete: $(tail -5 "$VG_WORK/check-u.log")"
grep -q "no errors were found" "$VG_WORK/check-u.log" || vg_fail "check output after undelete"
n=1
for id in $ids; do
	ra restore "$id" --target "$VG_WORK/rst$n" >/dev/null 2>&1 || vg_fail "restore $id"
	diff -r "$VG_WORK/ref$n" "$VG_WORK/rst$n/src" || vg_fail "snapshot $n differs after undelete"
	n=$((n + 1))
done
vg_log "ok: undelete --all: check --read-data passes, both snapshots restore byte-exact (old password)"

# ---- 3. a snapshot point and its file move together -------------------------------
pt=$(vg_ctl points default repo1 | tail -1 | cut -f1)
vg_ctl point delete default repo1 "$pt" >/dev/null
[ "$(nsnap ra)" = 1 ] || vg_fail "point delete left the snapshot file listed"
vg_ctl restic deleted default repo1 | grep -q "^snapshots:" || vg_fail "the snapshot file is not soft-deleted"
vg_ctl point undelete default repo1 "$pt" >/dev/null
[ "$(nsnap ra)" = 2 ] || vg_fail "point undelete did not bring the snapshot file back"
vg_log "ok: point delete/undelete of a snapshot moves its file (restic lists it again)"

# ---- 4. integrity: a flipped bit in a pack, read over the restic route ----------------
# (the largest blob in the store is a pack of big.bin)
blob=$(find "$VG_WORK/state/blobs" -type f -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2)
vg_flip_bit "$blob" $(($(stat -c %s "$blob") / 2))
for v in default aon; do
	for id in $(rs $v repo1 "agent1:$AG" list packs); do
		curl -s --cacert "$GW_CA" --noproxy '*' -u "agent1:$AG" -o /dev/null \
			"https://127.0.0.1:${PORT[$v]}/restic/repo1/data/$id" 2>/dev/null || true
	done
done
[ "$(( $(count_alert default integrity-failure) + $(count_alert aon integrity-failure) ))" -ge 1 ] ||
	vg_fail "no integrity-failure alert"
vg_ctl alerts --json | grep '"integrity-failure"' | grep -q '"severity":"critical".*"target":"[a-z]*/repo1/data:' ||
	vg_fail "integrity-failure alert fields: $(vg_ctl alerts --json | grep integrity)"
vg_ctl audit export | grep '"restic.get"' | grep '"failed"' | grep -q 'integrity failure' ||
	vg_fail "no audit entry for the integrity failure"
vg_log "ok: a damaged pack raises integrity-failure (critical) and an audit entry"
# A damaged header (the magic, byte 0) fails at open, before any byte is sent.
n0=$(vg_ctl alerts --json | grep -c '"integrity-failure"')
blob=$(find "$VG_WORK/state/blobs" -type f -printf '%s %p\n' | sort -n | tail -2 | head -1 | cut -d' ' -f2)
vg_flip_bit "$blob" 0
for v in default aon; do
	for id in $(rs $v repo1 "agent1:$AG" list packs); do
		curl -s --cacert "$GW_CA" --noproxy '*' -u "agent1:$AG" -o /dev/null \
			"https://127.0.0.1:${PORT[$v]}/restic/repo1/data/$id" 2>/dev/null || true
	done
done
[ "$(vg_ctl alerts --json | grep -c '"integrity-failure"')" -gt "$n0" ] ||
	vg_fail "no integrity-failure alert for a damaged blob header"
vg_log "ok: a damaged blob header raises integrity-failure too"

# ---- 5. soft delete off: data/index permanent, config/keys/snapshots soft -----------
kill -TERM "$PID_A" 2>/dev/null || true
wait "$PID_A" 2>/dev/null || true
GW_PORT=$PORT_A
gw_start_gateway "restic_vault = off"
rf() { rs off repo1 "agent1:$AG" "$@"; }
rf init >/dev/null 2>&1 || vg_fail "init (off)"
(cd "$VG_WORK" && rf backup src) >/dev/null 2>&1 || vg_fail "backup (off)"
for t in data snapshots keys; do
	if [ $t = data ]; then p=data/$(first rf list packs); else p=$t/$(first rf list $t); fi
	st=$(del_as off "own1:$OWN" "$p")
	want="soft-deleted until"
	[ $t = data ] && want="permanently deleted"
	case "$st" in "200 $want"*) ;; *) vg_fail "off: owner DELETE $p: $st" ;; esac
	vg_log "ok: off: owner DELETE $t -> $st"
done
st=$(del_as off "own1:$OWN" config)
case "$st" in "200 soft-deleted until"*) ;; *) vg_fail "off: owner DELETE config: $st" ;; esac
vg_ctl restic deleted off repo1 --json | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
names = sorted(r["name"].split(":")[0] for r in rows)
assert names == ["config", "keys", "snapshots"], names
assert all(r["purge_unix"] - r["deleted_unix"] == 14 * 86400 for r in rows), rows' ||
	vg_fail "off: soft-deleted files: $(vg_ctl restic deleted off repo1)"
if rf snapshots >/dev/null 2>&1; then vg_fail "off: the repository opens without its config"; fi
U=$GW_URL/v1/vaults/off/items/repo1/restic
st=$(gw_curl -u "agent1:$AG" -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-d '{"all":true}' "$U/undelete")
[ "$st" = 403 ] || vg_fail "an agent used the undelete API: $st"
gw_curl -u "own1:$OWN" "$U/deleted" | grep -q '"deleted_by": *"own1"' ||
	vg_fail "API restic/deleted: $(gw_curl -u "own1:$OWN" "$U/deleted")"
out=$(gw_curl -u "own1:$OWN" -X POST -H 'Content-Type: application/json' -d '{"names":["config"]}' "$U/undelete")
echo "$out" | grep -q '"restored": *1' || vg_fail "API undelete config: $out"
out=$(gw_curl -u "own1:$OWN" -X POST -H 'Content-Type: application/json' -d '{"all":true}' "$U/undelete")
echo "$out" | grep -q '"restored": *2' || vg_fail "API undelete all: $out"
[ "$(nsnap rf)" = 1 ] || vg_fail "off: the snapshot is not back"
vg_log "ok: off: config, key and snapshot back through the Owner's API; the data file is gone for good"
vg_ctl audit verify >/dev/null || vg_fail "audit chain broken"
vg_log "PASS test_restic_ransom"
