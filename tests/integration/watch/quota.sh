#!/usr/bin/env bash
# quota.sh - issue 14: item and vault quotas and the disk floor, on a small
# tmpfs. Uploads past a quota are refused before the body is stored (the
# native API answers 507, vaultctl says why, restic reports it), leave no
# point and no blob, and raise quota-exceeded; 90 % raises quota-warning;
# below the free-space floor new uploads are refused with disk-low; once
# space is freed the vault works again. Usage shows in report and metrics.
#
#   vaultctl / curl / restic ──► vaultgw ──unix──► vaultd-testclock --disk-floor 16M
#                                                  state on a 48 MiB tmpfs
set -eu
. "$VG_SRC/tests/integration/watch/wlib.sh"
V=vgt-$$-v
W_VAULT=$V
w_setup --tmpfs 48m --disk-floor 16M

M=1048576
vg_ctl vault create "$V" >/dev/null
vg_ctl item create "$V" i1 >/dev/null
vg_ctl item create "$V" i2 >/dev/null
for n in 1 2 3 4 5; do vg_random_file "$VG_WORK/m$n" $((n * M)); done
vg_random_file "$VG_WORK/k800" $((800 * 1024))

# ---- settings: strict parsing, audited, Contributor's business --------------
vg_expect_fail "expected a byte count" vg_ctl item set "$V" i1 quota 3X
vg_expect_fail "expected a byte count" vg_ctl vault set "$V" quota -1
vg_expect_fail "no setting \"colour\" (agent, quota, expect-every)" vg_ctl item set "$V" i1 colour red
vg_expect_fail "item $V/nosuch: not found" vg_ctl item set "$V" nosuch quota 3M
vg_ctl principal add op1 --kind user >"$VG_WORK/op1.tok"
vg_ctl role grant op1 "$V" operator >/dev/null
vg_expect_fail "principal op1 (operator) may not policy" "$VAULTCTL" --socket "$VG_SOCK" --user op1 --token-file "$VG_WORK/op1.tok" \
	item set "$V" i1 quota none
vg_ctl item set "$V" i1 quota 3M | grep -q "item updated" || vg_fail "item set quota"
vg_ctl audit export | grep -F '"op":"item.set"' | grep -F "\"target\":\"$V/i1\"" |
	grep -qF '"reason":"quota=3145728"' || vg_fail "item.set not audited"
vg_log "ok: item set quota parsed strictly, refused to an Operator, audited"

# ---- item quota -------------------------------------------------------------
vg_ctl backup "$V" i1 "$VG_WORK/m2" >/dev/null
w_no_alert quota-warning
vg_ctl backup "$V" i1 "$VG_WORK/k800" >/dev/null
w_alert quota-warning "item $V/i1: 2916352 of 3145728 bytes used"
[ "$(w_points "$V" i1)" = 2 ] || vg_fail "want 2 points"
blobs=$(w_blobs)
vg_expect_fail "item $V/i1: quota of 3145728 bytes exceeded: 2916352 used, this upload of 1048576 bytes" \
	vg_ctl backup "$V" i1 "$VG_WORK/m1"
[ "$(w_points "$V" i1)" = 2 ] || vg_fail "a refused upload left a point"
[ "$(w_blobs)" = "$blobs" ] || vg_fail "a refused upload left a blob"
vg_ctl points "$V" i1 --all | grep -q pending && vg_fail "a pending point was left"
w_alert quota-exceeded "quota of 3145728 bytes exceeded"
vg_ctl audit export | grep -F '"op":"object.put"' | grep -F '"result":"failed"' |
	grep -qF 'quota of 3145728 bytes exceeded' || vg_fail "the refusal is not audited"
vg_log "ok: an upload of declared size past the item quota is refused up front, audited"

# A body of unknown size (stdin) stops at the quota: nothing is kept.
vg_expect_fail "quota reached after 229376 bytes of this upload" \
	sh -c "\"$VAULTCTL\" --socket \"$VG_SOCK\" backup \"$V\" i1 - <\"$VG_WORK/m1\""
[ "$(w_points "$V" i1)" = 2 ] || vg_fail "a stopped stream left a point"
[ "$(w_blobs)" = "$blobs" ] || vg_fail "a stopped stream left a blob"
vg_log "ok: a stream of unknown size is stopped at the quota, nothing kept"

# The same refusal through the native API: 507 with the reason, before the
# body is sent (Expect: 100-continue; linger.sh covers a client without it).
gw_principal op2 user >"$VG_WORK/op2.tok"
vg_ctl role grant op2 "$V" operator >/dev/null
U=$GW_URL/v1/vaults/$V/items/i1/points
P=$(gw_curl -u "op2:$(cat "$VG_WORK/op2.tok")" -X POST "$U" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["point"])')
code=$(gw_curl -o "$VG_WORK/507.json" -w '%{http_code}' -u "op2:$(cat "$VG_WORK/op2.tok")" \
	-H 'Expect: 100-continue' --expect100-timeout 10 \
	-X PUT --data-binary @"$VG_WORK/m1" "$U/$P/objects/o1")
gw_expect 507 "native API upload past the quota" "$code"
grep -qF "quota of 3145728 bytes exceeded" "$VG_WORK/507.json" || vg_fail "507 without reason: $(cat "$VG_WORK/507.json")"
[ "$(w_blobs)" = "$blobs" ] || vg_fail "a refused API upload left a blob"

# Raising the quota lets backups through again; none clears it.
vg_ctl item set "$V" i1 quota 8M >/dev/null
vg_ctl backup "$V" i1 "$VG_WORK/m1" >/dev/null
vg_ctl item set "$V" i1 quota none >/dev/null
vg_ctl backup "$V" i1 "$VG_WORK/m1" >/dev/null
[ "$(w_points "$V" i1)" = 4 ] || vg_fail "want 4 points after the quota was raised and cleared"
vg_log "ok: raising or clearing the quota admits uploads again"

# ---- vault quota (all items together) ---------------------------------------
vg_ctl vault set "$V" quota 6M >/dev/null
vg_expect_fail "vault $V: quota of 6291456 bytes exceeded" vg_ctl backup "$V" i2 "$VG_WORK/m2"
[ "$(w_points "$V" i2)" = 0 ] || vg_fail "a refused vault-quota upload left a point"
w_alert quota-exceeded "vault $V: quota of 6291456 bytes exceeded"
vg_ctl vault set "$V" quota none >/dev/null
vg_ctl item set "$V" i1 quota 5M >/dev/null
vg_ctl metrics >"$VG_WORK/metrics.txt"
grep -qx "vaultgate_quota_bytes{vault=\"$V\",item=\"i1\"} 5242880" "$VG_WORK/metrics.txt" ||
	vg_fail "no quota metric: $(grep quota "$VG_WORK/metrics.txt")"
grep -qx "vaultgate_quota_used_bytes{vault=\"$V\",item=\"i1\"} 5013504" "$VG_WORK/metrics.txt" ||
	vg_fail "no usage metric: $(grep quota "$VG_WORK/metrics.txt")"
grep -qx "vaultgate_disk_floor_bytes 16777216" "$VG_WORK/metrics.txt" || vg_fail "no floor metric"
vg_ctl report "$V" | grep -q "quota 4.8 MiB of 5.0 MiB used" ||
	vg_fail "report without usage: $(vg_ctl report "$V")"
vg_ctl report "$V" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
it = [i for v in r["vaults"] for i in v["items"] if i["name"] == "i1"][0]
assert it["quota_bytes"] == 5242880 and it["quota_used_bytes"] == 5013504, it
' || vg_fail "report --json without quota"
vg_log "ok: vault quota; usage in metrics and report"
vg_ctl item set "$V" i1 quota none >/dev/null

# ---- restic reports a refused pack (507) --------------------------------------
AG=$(gw_principal ag1 agent)
vg_ctl role grant ag1 "$V" agent >/dev/null
vg_ctl item create "$V" repo --kind restic --agent ag1 >/dev/null
export RESTIC_PASSWORD=vgt-$$ RESTIC_CACHE_DIR=$VG_WORK/cache
R="rest:https://ag1:$AG@127.0.0.1:$GW_PORT/restic/repo/"
restic --cacert "$GW_CA" -r "$R" init >"$VG_WORK/rinit.log" 2>&1 || vg_fail "restic init: $(tail -3 "$VG_WORK/rinit.log")"
vg_ctl item set "$V" repo quota 1M >/dev/null
mkdir "$VG_WORK/src"
cp "$VG_WORK/m3" "$VG_WORK/src/"
# restic retries a failed upload for about a minute before it gives up; the
# first refusal is reported at once, which is what an operator sees.
restic --cacert "$GW_CA" -r "$R" backup "$VG_WORK/src" >"$VG_WORK/rb.log" 2>&1 &
RP=$!
vg_track "$RP"
i=0
until grep -q "507 Insufficient Storage" "$VG_WORK/rb.log"; do
	kill -0 "$RP" 2>/dev/null || break
	[ $i -lt 300 ] || vg_fail "restic did not report the 507 within 30s: $(tail -5 "$VG_WORK/rb.log")"
	sleep 0.1
	i=$((i + 1))
done
kill -INT "$RP" 2>/dev/null || true
wait "$RP" 2>/dev/null && vg_fail "restic backup past the quota succeeded"
grep "507 Insufficient Storage" "$VG_WORK/rb.log" | head -2 >&2
grep -q "507 Insufficient Storage" "$VG_WORK/rb.log" || vg_fail "restic does not report the 507: $(tail -5 "$VG_WORK/rb.log")"
[ "$(w_points "$V" repo)" = 0 ] || vg_fail "a refused restic backup left a snapshot point"
vg_ctl item set "$V" repo quota none >/dev/null
restic --cacert "$GW_CA" -r "$R" backup "$VG_WORK/src" >"$VG_WORK/rb2.log" 2>&1 ||
	vg_fail "restic backup after the quota was cleared: $(tail -3 "$VG_WORK/rb2.log")"
restic --cacert "$GW_CA" -r "$R" check >"$VG_WORK/rc.log" 2>&1 || vg_fail "restic check: $(tail -3 "$VG_WORK/rc.log")"
# Over its quota, the repository still takes lock files: listing and
# forget/prune (which free space) work.
vg_ctl item set "$V" repo quota 1K >/dev/null
restic --cacert "$GW_CA" -r "$R" snapshots >"$VG_WORK/rs.log" 2>&1 || vg_fail "restic snapshots over the quota: $(tail -3 "$VG_WORK/rs.log")"
grep -q "1 snapshots" "$VG_WORK/rs.log" || vg_fail "restic snapshots: $(cat "$VG_WORK/rs.log")"
vg_ctl item set "$V" repo quota none >/dev/null
vg_log "ok: restic reports the 507; after the quota is lifted it backs up and checks clean"

# ---- the disk floor --------------------------------------------------------------
free=$(df -B1 --output=avail "$VG_WORK/state" | tail -1)
fill=$((free - 18 * M))        # leaves 18 MiB: 2 MiB above the floor
head -c "$fill" /dev/zero >"$VG_WORK/state/filler"
blobs=$(w_blobs)
pi2=$(w_points "$V" i2)
vg_expect_fail "would leave less than the floor of 16777216 bytes (vaultd --disk-floor)" \
	vg_ctl backup "$V" i2 "$VG_WORK/m3"
w_alert disk-low "floor of 16777216 bytes"
# A stream of unknown size stops when it reaches the floor.
vg_expect_fail "below the floor of 16777216 bytes" \
	sh -c "\"$VAULTCTL\" --socket \"$VG_SOCK\" backup \"$V\" i2 - <\"$VG_WORK/m5\""
[ "$(w_points "$V" i2)" = "$pi2" ] || vg_fail "a refused upload below the floor left a point"
[ "$(w_blobs)" = "$blobs" ] || vg_fail "a refused upload below the floor left a blob"
free2=$(df -B1 --output=avail "$VG_WORK/state" | tail -1)
[ "$free2" -ge $((16 * M)) ] || vg_fail "the floor was crossed: $free2 bytes free"
# Reads and small metadata changes still work at the floor.
vg_ctl restore "$V" i1 "$(vg_ctl points "$V" i1 | head -1 | cut -f1)" -o "$VG_WORK/back" >/dev/null
vg_ctl item set "$V" i2 expect-every 1d >/dev/null
vg_log "ok: below the floor uploads are refused (declared and streamed), disk-low, reads still work"

rm -f "$VG_WORK/state/filler"
vg_ctl backup "$V" i2 "$VG_WORK/m3" >/dev/null
[ "$(w_points "$V" i2)" = $((pi2 + 1)) ] || vg_fail "no point after space was freed"
vg_log "ok: the vault works again once space is freed"
echo "PASS quota"
