#!/usr/bin/env bash
# test_detached.sh - a detached upload (native API: POST .../points, then one
# PUT per object, over any links) survives a vaultd restart, as documented
# ("resumable for a day"), and commits whole; an upload that was still
# attached to a vaultctl connection does not.
#
#   curl ──TLS──► vaultgw ──unix──► vaultd   (vaultd restarted mid-upload)
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"
gw_setup
gw_record_api   # every native-API answer is checked against gateway/api.yaml at the end

vg_ctl vault create v1 >/dev/null
ALICE=$(gw_principal alice user)
vg_ctl role grant alice v1 operator >/dev/null
A="-u alice:$ALICE"
vg_ctl item create v1 host1 >/dev/null
vg_random_file "$VG_WORK/a.bin" 1500000
vg_random_file "$VG_WORK/b.bin" 700000
PTS=$GW_URL/v1/vaults/v1/items/host1/points

P=$(gw_curl $A -X POST "$PTS" | python3 -c 'import json,sys; print(json.load(sys.stdin)["point"])')
gw_curl $A -T "$VG_WORK/a.bin" "$PTS/$P/objects/a.bin" | grep -q '"size":1500000' || vg_fail "upload a.bin"

vg_log "restart vaultd with the upload open"
vg_stop_vaultd
gw_start_vaultd
grep -q "recovery: kept 1 detached uploads" "$VG_WORK/vaultd.log" ||
	vg_fail "vaultd did not keep the detached upload: $(tail -5 "$VG_WORK/vaultd.log")"

# the gateway's links to the old vaultd are gone: it reconnects on demand
ok=0
for _ in $(seq 50); do
	if gw_curl $A -T "$VG_WORK/b.bin" "$PTS/$P/objects/b.bin" 2>/dev/null | grep -q '"size":700000'; then
		ok=1
		break
	fi
	sleep 0.1
done
[ "$ok" = 1 ] || vg_fail "could not resume the detached upload after the restart"
out=$(gw_curl $A -X POST "$PTS/$P/commit")
echo "$out" | grep -q '"objects":2' || vg_fail "commit after the restart: $out"
cmp "$VG_WORK/a.bin" <(gw_curl $A "$PTS/$P/objects/a.bin") || vg_fail "a.bin differs"
cmp "$VG_WORK/b.bin" <(gw_curl $A "$PTS/$P/objects/b.bin") || vg_fail "b.bin differs"

vg_log "an attached upload (vaultctl) is dropped by the restart"
mkfifo "$VG_WORK/gate"
{ head -c 300000 /dev/urandom || true; read -r _ <"$VG_WORK/gate" || true; } |
	"$VAULTCTL" --socket "$VG_SOCK" backup v1 host1 - >"$VG_WORK/up.out" 2>&1 &
UP=$!
vg_track "$UP"
for _ in $(seq 100); do
	out=$("$VAULTD" --state-dir "$VG_WORK/state" --check 2>&1) || true
	case "$out" in *"; 1 uncommitted point "*) break ;; esac
	sleep 0.1
done
case "$out" in *"; 1 uncommitted point "*"0 detached uploads"*) ;; *) vg_fail "--check: $out" ;; esac
vg_stop_vaultd
vg_gate_open "$VG_WORK/gate"
wait "$UP" 2>/dev/null && vg_fail "the attached upload succeeded across a restart"
gw_start_vaultd
out=$("$VAULTD" --state-dir "$VG_WORK/state" --check 2>&1)
case "$out" in *"; 0 uncommitted points "*"0 detached uploads"*) ;;
*) vg_fail "the attached upload is still pending after the restart: $out" ;; esac
n=$(vg_ctl points v1 host1 --all | wc -l)
[ "$n" = 1 ] || vg_fail "expected exactly the one committed point, got $n"
vg_ctl audit verify >/dev/null || vg_fail "audit chain broken"
gw_schema_check
vg_log "PASS: detached uploads survive a restart"
