#!/usr/bin/env bash
# replicate.sh - issue 14: pull replication between two appliances on
# loopback. The secondary's vaultsync (run by `vaultctl sync run`) pulls from
# the primary's vaultgw as a principal with the replicator role and writes
# into its own vaultd. Native and restic items replicate; the copies restore
# byte-exact (restic through the secondary's vaultgw); a point deleted at
# the source stays on the secondary; a run killed mid-object, or cut by the
# primary's gateway dying, resumes inside it (only the rest is sent: the
# byte count is asserted) and commits the point whole; a damaged source object never
# becomes a point on the secondary; the replicator can read, never write or
# delete, and sees no other vault. A bit flipped on the primary is found by
# scrub and repaired from the secondary (`scrub --repair`).
#
#   primary                                         secondary
#   vaultd A ◄─unix─ vaultgw A 127.0.0.1:PA ◄─TLS── vaultsync ─unix─► vaultd B
#     vault src (host1, repo)    (repl: replicator)                 vault dst
#                                 vaultgw B 127.0.0.1:PB ◄─TLS── restic (restore)
#
# (Loopback only; replicate_ns.sh runs the pull through a namespace pair
# with vaultnet rulesets on both sides.)
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"
vg_init
chmod 711 "$VG_WORK"
VAULTSYNC=$VG_BUILD/vault/vaultsync
M=1048576
SRC=vgt-$$-src
DST=vgt-$$-dst

# start_gw TAG: (again) the vaultgw of pair TAG; sets GWPID_TAG
start_gw() {
	local t=$1 seen
	seen=$(grep -c "listening on" "$VG_WORK/vaultgw-$t.log" 2>/dev/null || true)
	"$VAULTGW" --config "$VG_WORK/$t/gw.conf" >>"$VG_WORK/vaultgw-$t.log" 2>&1 &
	vg_track $!
	eval "GWPID_$t=$!"
	for _ in $(seq 1 200); do
		[ "$(grep -c "listening on" "$VG_WORK/vaultgw-$t.log" 2>/dev/null || true)" -gt "${seen:-0}" ] && break
		sleep 0.05
	done
	[ "$(grep -c "listening on" "$VG_WORK/vaultgw-$t.log" 2>/dev/null || true)" -gt "${seen:-0}" ] ||
		vg_fail "vaultgw $t did not come up"
}

# start_pair TAG VAULT: vaultd + vaultgw under $VG_WORK/TAG; sets SOCK_TAG, URL_TAG, CA_TAG
start_pair() {
	local t=$1 v=$2 d=$VG_WORK/$1 port
	mkdir -p "$d"
	chmod 711 "$d"
	"$VAULTD" --state-dir "$d/state" --socket "$d/vaultd.sock" --socket-group nogroup \
		>>"$VG_WORK/vaultd-$t.log" 2>&1 &
	vg_track $!
	eval "PID_$t=$!"
	vg_wait_socket "$d/vaultd.sock"
	port=$(gw_free_port)
	printf 'listen = 127.0.0.1:%s\nvaultd_socket = %s\nuser = nobody\ntls_dir = %s\nrestic_vault = %s\n' \
		"$port" "$d/vaultd.sock" "$d/tls" "$v" >"$d/gw.conf"
	chmod 600 "$d/gw.conf"
	start_gw "$t"
	eval "SOCK_$t=$d/vaultd.sock URL_$t=https://127.0.0.1:$port CA_$t=$d/tls/server.crt"
}
start_pair A "$SRC"
start_pair B "$DST"
A() { "$VAULTCTL" --socket "$SOCK_A" "$@"; }
B() { "$VAULTCTL" --socket "$SOCK_B" "$@"; }
export VG_SYNC_DIR=$VG_WORK/sync
curlA() { curl -sS --cacert "$CA_A" --noproxy '*' "$@"; }

# ---- the primary: a files item (points of one and two objects) and a restic repository
A vault create "$SRC" >/dev/null
A vault create vgt-$$-other >/dev/null
A item create "$SRC" host1 >/dev/null
A item create vgt-$$-other secret >/dev/null
vg_random_file "$VG_WORK/f1" $((3 * M + 17))
vg_random_file "$VG_WORK/f2" 5000
P1=$(A backup "$SRC" host1 --object f1 "$VG_WORK/f1")
P2=$(A backup "$SRC" host1 --object f2 "$VG_WORK/f2")
head -c 777 /dev/urandom >"$VG_WORK/secret"
A backup vgt-$$-other secret "$VG_WORK/secret" >/dev/null
A principal add op --kind user >"$VG_WORK/op.tok"
A role grant op "$SRC" operator >/dev/null
OPA="op:$(cat "$VG_WORK/op.tok")"
AG=$(A principal add ag1 --kind agent | grep -o 'vg_[0-9a-f]\{64\}')
A role grant ag1 "$SRC" agent >/dev/null
A item create "$SRC" repo --kind restic --agent ag1 >/dev/null
export RESTIC_PASSWORD=vgt-$$ RESTIC_CACHE_DIR=$VG_WORK/cache
mkdir -p "$VG_WORK/tree/a"
vg_random_file "$VG_WORK/tree/a/big" $((2 * M + 3))
for i in 1 2 3; do vg_random_file "$VG_WORK/tree/small$i" $((i * 999)); done
RA="rest:https://ag1:$AG@${URL_A#https://}/restic/repo/"
restic --cacert "$CA_A" -r "$RA" init >"$VG_WORK/ri.log" 2>&1 || vg_fail "restic init: $(tail -3 "$VG_WORK/ri.log")"
restic --cacert "$CA_A" -r "$RA" backup "$VG_WORK/tree" >"$VG_WORK/rb.log" 2>&1 || vg_fail "restic backup: $(tail -3 "$VG_WORK/rb.log")"

# ---- the replicator principal: read, never write or delete, one vault only
A principal add repl --kind user >"$VG_WORK/repl.tok"
A role grant repl "$SRC" replicator >/dev/null
A role list "$SRC" | grep -q "repl.*replicator" || vg_fail "no replicator role: $(A role list "$SRC")"
RP="repl:$(cat "$VG_WORK/repl.tok")"
code() { curl -s -o /dev/null -w '%{http_code}' --cacert "$CA_A" --noproxy '*' -u "$RP" "$@"; }
gw_expect 200 "replicator lists points" "$(code "$URL_A/v1/vaults/$SRC/items/host1/points")"
gw_expect 200 "replicator reads an object" "$(code "$URL_A/v1/vaults/$SRC/items/host1/points/$P2/objects/f2")"
gw_expect 403 "replicator deletes a point" "$(code -X DELETE "$URL_A/v1/vaults/$SRC/items/host1/points/$P2")"
gw_expect 403 "replicator begins a point" "$(code -X POST "$URL_A/v1/vaults/$SRC/items/host1/points")"
gw_expect 403 "replicator reads another vault" "$(code "$URL_A/v1/vaults/vgt-$$-other/items")"
gw_expect 403 "replicator deletes a restic file" "$(code -X DELETE "$URL_A/restic/repo/locks/$(printf '%064d' 1)")"
A audit export | grep -F '"principal":"repl","op":"point.delete"' | grep -qF '"result":"denied"' ||
	vg_fail "the replicator's refused delete is not audited"

# ---- the secondary: remote, job, first run -----------------------------------------
B vault create "$DST" >/dev/null
vg_expect_fail "no such remote" B sync create j1 --remote nosuch --vault "$SRC" --to "$DST"
B remote add prim "$URL_A" --ca "$CA_A" --user repl --token-file "$VG_WORK/repl.tok" >/dev/null
B remote list | grep -q "^prim	$URL_A	user=repl" || vg_fail "remote list: $(B remote list)"
B remote list | grep -q vg_ && vg_fail "remote list shows the token"
[ "$(stat -c %a "$VG_SYNC_DIR/remotes/prim")" = 600 ] || vg_fail "the remote's file is not 0600"
B sync create j1 --remote prim --vault "$SRC" --to "$DST" >/dev/null
out=$(B sync run j1)
echo "$out" | grep -q "sync j1: 2 points (2 objects)" || vg_fail "first run: $out"
[ "$(B points "$DST" host1 | grep -c .)" = 2 ] || vg_fail "want 2 points on the secondary"
check_native() {
	local p o
	for p in $(B points "$DST" host1 | cut -f1); do
		for o in $(B objects "$DST" host1 "$p" | cut -f1); do
			B restore "$DST" host1 "$p" --object "$o" -o "$VG_WORK/back" >/dev/null
			cmp -s "$VG_WORK/back" "$VG_WORK/$o" || vg_fail "$DST/host1/$p/$o differs from the source"
		done
	done
}
check_native
vg_log "ok: native points replicate, restore byte-exact on the secondary"

# restic restores from the secondary's vaultgw, byte-exact
B principal add rd --kind user >"$VG_WORK/rd.tok"
B role grant rd "$DST" operator >/dev/null
RB="rest:https://rd:$(cat "$VG_WORK/rd.tok")@${URL_B#https://}/restic/repo/"
restic --cacert "$CA_B" -r "$RB" snapshots >"$VG_WORK/snaps.log" 2>&1 || vg_fail "restic snapshots on the secondary: $(tail -3 "$VG_WORK/snaps.log")"
grep -q "1 snapshots" "$VG_WORK/snaps.log" || vg_fail "want 1 snapshot: $(cat "$VG_WORK/snaps.log")"
restic --cacert "$CA_B" -r "$RB" restore latest --target "$VG_WORK/restored" >"$VG_WORK/rr.log" 2>&1 ||
	vg_fail "restic restore on the secondary: $(tail -3 "$VG_WORK/rr.log")"
diff -r "$VG_WORK/tree" "$VG_WORK/restored$VG_WORK/tree" || vg_fail "restic restore differs"
restic --cacert "$CA_B" -r "$RB" check >"$VG_WORK/rc.log" 2>&1 || vg_fail "restic check on the secondary"
[ "$(B points "$DST" repo | grep -c .)" = 1 ] || vg_fail "the snapshot is not a point on the secondary"
vg_log "ok: the restic repository replicates file by file; restore from the secondary is byte-exact"

# ---- a second run copies nothing; a deletion at the source never propagates ----------
out=$(B sync run j1)
echo "$out" | grep -q "0 points (0 objects), 0 restic files, 0 bytes copied" || vg_fail "second run: $out"
A point delete "$SRC" host1 "$P1" >/dev/null
A points "$SRC" host1 | grep -q "$P1" && vg_fail "the source point was not deleted"
vg_random_file "$VG_WORK/f3" 70000
A backup "$SRC" host1 --object f3 "$VG_WORK/f3" >/dev/null
out=$(B sync run j1)
echo "$out" | grep -q "1 points (1 objects)" || vg_fail "third run: $out"
[ "$(B points "$DST" host1 | grep -c .)" = 3 ] || vg_fail "the point deleted at the source is gone from the secondary"
check_native
vg_log "ok: deletions never propagate; new points do"

# ---- a run killed mid-object resumes -----------------------------------------------------
vg_random_file "$VG_WORK/a-small" 1000
vg_random_file "$VG_WORK/b-big" $((120 * M))
P4=$(curlA -u "$OPA" -X POST "$URL_A/v1/vaults/$SRC/items/host1/points" | python3 -c 'import json,sys; print(json.load(sys.stdin)["point"])')
for o in a-small b-big; do
	curlA -u "$OPA" -X PUT --data-binary @"$VG_WORK/$o" "$URL_A/v1/vaults/$SRC/items/host1/points/$P4/objects/$o" >/dev/null
done
curlA -u "$OPA" -X POST "$URL_A/v1/vaults/$SRC/items/host1/points/$P4/commit" >/dev/null
blob_bytes() { find "$VG_WORK/B/state/blobs" -type f -printf '%s\n' | awk '{ t += $1 } END { print t + 0 }'; }
base=$(blob_bytes)
"$VAULTSYNC" --socket "$SOCK_B" sync run j1 >"$VG_WORK/cut.log" 2>&1 &
SP=$!
vg_track "$SP"
# cut it mid b-big: once vaultd B holds 8 MiB more than before the run
for _ in $(seq 1 3000); do
	[ "$(blob_bytes)" -ge $((base + 8 * M)) ] && break
	sleep 0.005
done
kill -KILL "$SP"
wait "$SP" 2>/dev/null || true
grep -q "^obj [0-9a-f]* a-small$" "$VG_WORK/sync/state/j1" || vg_fail "the run never got past the first object"
grep -q "^obj [0-9a-f]* b-big$" "$VG_WORK/sync/state/j1" && vg_fail "the run finished b-big before it was cut (make it bigger)"
grep -q "^done $P4 " "$VG_WORK/sync/state/j1" && vg_fail "the run finished before it was cut (make b-big bigger)"
[ "$(B points "$DST" host1 | grep -c .)" = 3 ] || vg_fail "a cut run left a visible point"
out=$(B sync run j1 2>"$VG_WORK/resume.err")
off=$(sed -n 's/.*b-big: resumed at byte \([0-9]*\) of [0-9]*$/\1/p' "$VG_WORK/resume.err")
[ -n "$off" ] || vg_fail "the second run did not resume inside b-big: $out / $(cat "$VG_WORK/resume.err")"
[ "$off" -ge $((8 * M)) ] && [ "$off" -lt $((120 * M)) ] || vg_fail "resumed at byte $off"
echo "$out" | grep -q "1 points (1 objects), 0 restic files, $((120 * M - off)) bytes" ||
	vg_fail "the resumed run did not send only the rest of b-big ($((120 * M - off)) bytes): $out"
grep -q "object.put .*b-big: resumed at byte $off" "$VG_WORK/vaultd-B.log" || vg_fail "vaultd B did not log the resume"
[ "$(grep -c "^pending $P4 " "$VG_WORK/sync/state/j1")" = 1 ] || vg_fail "the resumed run began another point"
[ "$(B points "$DST" host1 | grep -c .)" = 4 ] || vg_fail "no point after the resumed run"
check_native
vg_log "ok: a run killed inside b-big resumes at byte $off and sends only the rest ($((120 * M - off)) bytes); the point commits whole, SHA-256 checked"

# The other cut: the primary's gateway dies mid-object (the network breaks).
# vaultsync drops its local link instead of giving the upload up; vaultd
# keeps what came; the next run goes on from there.
P5=$(curlA -u "$OPA" -X POST "$URL_A/v1/vaults/$SRC/items/host1/points" | python3 -c 'import json,sys; print(json.load(sys.stdin)["point"])')
cp "$VG_WORK/b-big" "$VG_WORK/e-big"
curlA -u "$OPA" -X PUT --data-binary @"$VG_WORK/e-big" "$URL_A/v1/vaults/$SRC/items/host1/points/$P5/objects/e-big" >/dev/null
curlA -u "$OPA" -X POST "$URL_A/v1/vaults/$SRC/items/host1/points/$P5/commit" >/dev/null
base=$(blob_bytes)
"$VAULTSYNC" --socket "$SOCK_B" sync run j1 >"$VG_WORK/cutnet.log" 2>&1 &
SP=$!
vg_track "$SP"
for _ in $(seq 1 3000); do
	[ "$(blob_bytes)" -ge $((base + 8 * M)) ] && break
	sleep 0.005
done
kill -KILL "$GWPID_A"
wait "$GWPID_A" 2>/dev/null || true
rc=0
wait "$SP" || rc=$?
[ "$rc" != 0 ] || vg_fail "the run did not notice the primary's gateway going away: $(cat "$VG_WORK/cutnet.log")"
grep -q "^obj [0-9a-f]* e-big$" "$VG_WORK/sync/state/j1" && vg_fail "e-big was copied before the gateway died (make it bigger)"
start_gw A
out=$(B sync run j1 2>"$VG_WORK/resume2.err")
off=$(sed -n 's/.*e-big: resumed at byte \([0-9]*\) of [0-9]*$/\1/p' "$VG_WORK/resume2.err")
[ -n "$off" ] || vg_fail "after the network cut the run did not resume inside e-big: $out / $(cat "$VG_WORK/resume2.err")"
[ "$off" -ge $((8 * M)) ] && [ "$off" -lt $((120 * M)) ] || vg_fail "resumed at byte $off"
echo "$out" | grep -q "1 points (1 objects), 0 restic files, $((120 * M - off)) bytes" ||
	vg_fail "after the network cut the run did not send only the rest of e-big: $out"
[ "$(B points "$DST" host1 | grep -c .)" = 5 ] || vg_fail "no point after the run resumed from a network cut"
check_native
vg_log "ok: a network cut inside e-big (the primary's gateway killed) resumes at byte $off"

# The pending point of a cut run is gone (aborted here; vaultd also drops
# one after a day): the next run starts that point over in a new one.
P6=$(curlA -u "$OPA" -X POST "$URL_A/v1/vaults/$SRC/items/host1/points" | python3 -c 'import json,sys; print(json.load(sys.stdin)["point"])')
cp "$VG_WORK/a-small" "$VG_WORK/c-small"
cp "$VG_WORK/b-big" "$VG_WORK/d-big"
for o in c-small d-big; do
	curlA -u "$OPA" -X PUT --data-binary @"$VG_WORK/$o" "$URL_A/v1/vaults/$SRC/items/host1/points/$P6/objects/$o" >/dev/null
done
curlA -u "$OPA" -X POST "$URL_A/v1/vaults/$SRC/items/host1/points/$P6/commit" >/dev/null
# Cut it inside d-big, so vaultd parks a resumable d-big for the pending
# point: after the abort that parked upload must not be resumed into the
# vanished point (CI once cut here and got "not found" instead of a restart).
base=$(blob_bytes)
"$VAULTSYNC" --socket "$SOCK_B" sync run j1 >"$VG_WORK/cut2.log" 2>&1 &
SP=$!
vg_track "$SP"
for _ in $(seq 1 3000); do
	grep -q "^obj [0-9a-f]* c-small$" "$VG_WORK/sync/state/j1" 2>/dev/null &&
		[ "$(blob_bytes)" -ge $((base + 8 * M)) ] && break
	sleep 0.005
done
kill -KILL "$SP"
wait "$SP" 2>/dev/null || true
grep -q "^done $P6 " "$VG_WORK/sync/state/j1" && vg_fail "the second run finished before it was cut"
grep -q "^obj [0-9a-f]* d-big$" "$VG_WORK/sync/state/j1" && vg_fail "d-big was copied before the cut (make it bigger)"
for _ in $(seq 1 100); do
	grep -q "d-big: the client vanished after [0-9]* bytes; kept for a resume" "$VG_WORK/vaultd-B.log" && break
	sleep 0.1
done
grep -q "d-big: the client vanished after [0-9]* bytes; kept for a resume" "$VG_WORK/vaultd-B.log" ||
	vg_fail "vaultd B did not park the cut d-big"
D6=$(sed -n "s/^pending $P6 //p" "$VG_WORK/sync/state/j1")
[ -n "$D6" ] || vg_fail "no pending point for $P6"
B point abort "$DST" host1 "$D6" >/dev/null
out=$(B sync run j1)
echo "$out" | grep -q "1 points (2 objects)" || vg_fail "after the abort the point was not started over: $out"
[ "$(grep -c "^pending $P6 " "$VG_WORK/sync/state/j1")" = 2 ] || vg_fail "want a second pending point for $P6"
[ "$(B points "$DST" host1 | grep -c .)" = 6 ] || vg_fail "want 6 points after the restart"
check_native
vg_log "ok: a pending point that vanished is started over"

# A job with --every runs on its own under `vaultsync daemon`.
B vault create "$DST-2" >/dev/null
vg_expect_fail "a duration of at least 1m" B sync create j2 --remote prim --vault "$SRC" --to "$DST-2" --every 10s
B sync create j2 --remote prim --vault "$SRC" --to "$DST-2" --every 1h >/dev/null
B sync show j2 | grep -q "every=3600s" || vg_fail "sync show j2: $(B sync show j2)"
"$VAULTSYNC" --socket "$SOCK_B" daemon >"$VG_WORK/daemon.log" 2>&1 &
DP=$!
vg_track "$DP"
for _ in $(seq 1 300); do
	grep -q "^done " "$VG_WORK/sync/state/j2" 2>/dev/null && grep -q "^run " "$VG_WORK/sync/state/j2" && break
	sleep 0.1
done
kill "$DP"
wait "$DP" 2>/dev/null || true
grep -q "^run " "$VG_WORK/sync/state/j2" || vg_fail "the daemon did not run j2: $(cat "$VG_WORK/daemon.log")"
[ "$(B points "$DST-2" host1 | grep -c .)" = "$(A points "$SRC" host1 | grep -c .)" ] || vg_fail "j2 copied too little: $(B points "$DST-2" host1)"
vg_log "ok: vaultsync daemon runs a job with --every"

# ---- a damaged source object never becomes a point --------------------------------------
vg_random_file "$VG_WORK/f5" $((2 * M))
P5=$(A backup "$SRC" host1 --object f5 "$VG_WORK/f5")
BLOB=$(find "$VG_WORK/A/state/blobs" -type f -newer "$VG_WORK/f5" -size +1M | head -1)
vg_flip_bit "$BLOB" $((48 + M + 16 + 5)) 1
vg_expect_fail "sync j1" B sync run j1
[ "$(B points "$DST" host1 | grep -c .)" = 6 ] || vg_fail "a damaged object became a point on the secondary"
B sync show j1 | grep -q "points-copied=6	in-progress=" || vg_fail "sync show: $(B sync show j1)"
vg_log "ok: a damaged source object fails the run; nothing half-copied is visible"
B sync list | grep -q "^j1	remote=prim	vault=$SRC	to=$DST" || vg_fail "sync list: $(B sync list)"


# ---- scrub --repair on the primary, from the secondary --------------------------------
# The primary gets a remote for its partner (a replicator on DST there), used
# only to fetch good copies.
B principal add repl2 --kind user >"$VG_WORK/repl2.tok"
B role grant repl2 "$DST" replicator >/dev/null
A remote add sec "$URL_B" --ca "$CA_B" --user repl2 --token-file "$VG_WORK/repl2.tok" >/dev/null
F2BLOB=$(find "$VG_WORK/A/state/blobs" -type f -size 5064c)
[ "$(echo "$F2BLOB" | grep -c .)" = 1 ] || vg_fail "want one blob of f2: $F2BLOB"
vg_flip_bit "$F2BLOB" 100 2
vg_expect_fail "2 damaged" A scrub "$SRC"
set +e
out=$(A scrub "$SRC" --repair --remote sec --from-vault "$DST" 2>&1)
rc=$?
set -e
[ $rc = 1 ] || vg_fail "repair with one object beyond repair exited $rc: $out"
echo "$out" | grep -q "^repaired: $SRC/host1/$P2/f2 (5000 bytes from sec:$DST)" || vg_fail "f2 not repaired: $out"
echo "$out" | grep -q "^NOT REPAIRED: $SRC/host1/$P5/f5: no copy with its SHA-256 on the remote" ||
	vg_fail "f5 (never replicated) not reported: $out"
A audit export | grep -F '"op":"object.repair"' | grep -F "\"target\":\"$SRC/host1/$P2/f2\"" |
	grep -qF '"result":"ok"' || vg_fail "the repair is not audited"
A restore "$SRC" host1 "$P2" --object f2 -o "$VG_WORK/f2.back" >/dev/null
cmp -s "$VG_WORK/f2.back" "$VG_WORK/f2" || vg_fail "the repaired object differs"
set +e
out=$(A scrub "$SRC" 2>&1)
set -e
echo "$out" | grep -q "1 damaged" || vg_fail "after the repair only f5 should be damaged: $out"
echo "$out" | grep -q "object f5" || vg_fail "f5 should be the damaged one: $out"
[ ! -e "$F2BLOB" ] || vg_fail "the damaged blob file was kept"
vg_expect_fail "remote nosuch: no such remote" A scrub "$SRC" --repair --remote nosuch --from-vault "$DST"
vg_log "ok: scrub --repair fetches the good copy from the partner, checks it, audits it; one beyond repair is named"
echo "PASS replicate"
