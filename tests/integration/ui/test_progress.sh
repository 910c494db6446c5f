#!/usr/bin/env bash
# test_progress.sh - issue 18: progress on long work. `vaultctl backup`,
# `restore` and `scrub` draw one updating line on stderr when it is a
# terminal (script(1) gives them one), nothing when it is a pipe or with
# --quiet; the jobs in flight are on `GET /v1/jobs` with their bytes, for
# those who may view the vault only.
#
#   script(1) pty ── vaultctl ──unix──► vaultd (root) ◄──unix── vaultgw 127.0.0.1:$GW_PORT ◄── curl
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

gw_setup
gw_record_api
vg_ctl vault create v1 >/dev/null
vg_ctl vault create v2 >/dev/null
vg_ctl item create v1 h1 >/dev/null
ALICE=$(gw_principal alice user)
BOB=$(gw_principal bob user)
vg_ctl role grant alice v1 reader >/dev/null
vg_ctl role grant bob v2 reader >/dev/null
CTL="$VAULTCTL --socket $VG_SOCK"

head -c $((24 << 20)) /dev/urandom >"$VG_WORK/big"

# --- on a terminal: the line, then the point id on stdout -----------------------------
script -q -e -c "$CTL backup v1 h1 $VG_WORK/big" "$VG_WORK/tty1" >/dev/null
grep -a -q 'backup v1/h1: .* of 24.0 MiB (100%)' "$VG_WORK/tty1" ||
	vg_fail "no progress line on a terminal: $(cat -v "$VG_WORK/tty1")"
P=$(tr '\r' '\n' <"$VG_WORK/tty1" | grep -a -o '^[0-9a-f]\{16\}' | tail -1)
[ -n "$P" ] || vg_fail "no point id after the progress line: $(cat -v "$VG_WORK/tty1")"
vg_log "ok: backup on a terminal draws its line ($(tr '\r' '\n' <"$VG_WORK/tty1" | grep -a -c 'backup v1/h1:') draws)"

# --- through a pipe: stdout is only the point id, stderr is empty ------------------------
P2=$($CTL backup v1 h1 "$VG_WORK/big" 2>"$VG_WORK/err" | cat)
[ ! -s "$VG_WORK/err" ] || vg_fail "progress on a pipe: $(cat -v "$VG_WORK/err")"
echo "$P2" | grep -qx '[0-9a-f]\{16\}' || vg_fail "stdout is not just the point id: $P2"
vg_log "ok: backup through a pipe prints nothing extra"

# --- --quiet on a terminal ---------------------------------------------------------------
script -q -e -c "$CTL --quiet backup v1 h1 $VG_WORK/big" "$VG_WORK/tty2" >/dev/null
if grep -a -q 'backup v1/h1:' "$VG_WORK/tty2"; then vg_fail "--quiet still drew: $(cat -v "$VG_WORK/tty2")"; fi
script -q -e -c "$CTL backup --quiet v1 h1 $VG_WORK/big" "$VG_WORK/tty2b" >/dev/null
if grep -a -q 'backup v1/h1:' "$VG_WORK/tty2b"; then vg_fail "--quiet after the command still drew"; fi
vg_log "ok: --quiet silences it (before or after the command)"

# --- restore --------------------------------------------------------------------------
script -q -e -c "$CTL restore v1 h1 $P -o $VG_WORK/out" "$VG_WORK/tty3" >/dev/null
grep -a -q "restore v1/h1/big: .* of 24.0 MiB (100%)" "$VG_WORK/tty3" ||
	vg_fail "no restore progress: $(cat -v "$VG_WORK/tty3")"
cmp -s "$VG_WORK/big" "$VG_WORK/out" || vg_fail "restored bytes differ"
$CTL restore v1 h1 "$P" -o "$VG_WORK/out2" 2>"$VG_WORK/err" | cat
[ ! -s "$VG_WORK/err" ] || vg_fail "restore progress on a pipe: $(cat -v "$VG_WORK/err")"
$CTL restore v1 h1 "$P" 2>"$VG_WORK/err" | cmp -s - "$VG_WORK/big" || vg_fail "restore to a pipe differs"
[ ! -s "$VG_WORK/err" ] || vg_fail "restore to stdout drew on a pipe"
vg_log "ok: restore draws on a terminal only, and its bytes are right"

# --- scrub (its progress comes over a second link, VG_OP_JOB_RUNNING) ------------------
script -q -e -c "$CTL scrub v1" "$VG_WORK/tty4" >/dev/null
grep -a -q "scrub v1: .* of 96.0 MiB (100%)" "$VG_WORK/tty4" || vg_fail "no scrub progress: $(cat -v "$VG_WORK/tty4")"
grep -a -q "scrubbed 4 objects" "$VG_WORK/tty4" || vg_fail "scrub summary: $(cat -v "$VG_WORK/tty4")"
out=$($CTL scrub v1 2>"$VG_WORK/err")
[ ! -s "$VG_WORK/err" ] || vg_fail "scrub progress on a pipe: $(cat -v "$VG_WORK/err")"
echo "$out" | grep -q '^scrubbed 4 objects' || vg_fail "scrub on a pipe: $out"
vg_log "ok: scrub draws on a terminal only"

# --- sync run: vaultsync pulls v1 through the gateway into a second vaultd --------------
BD=$VG_WORK/b
mkdir -p "$BD"
chmod 711 "$BD"
"$VAULTD" --state-dir "$BD/state" --socket "$BD/vaultd.sock" >>"$VG_WORK/vaultd-b.log" 2>&1 &
vg_track $!
vg_wait_socket "$BD/vaultd.sock"
vg_ctl principal add repl --kind user | grep -o 'vg_[0-9a-f]\{64\}' >"$VG_WORK/repl.tok"
vg_ctl role grant repl v1 replicator >/dev/null
export VG_SYNC_DIR=$VG_WORK/sync
CTLB="$VAULTCTL --socket $BD/vaultd.sock"
$CTLB vault create v1b >/dev/null
$CTLB remote add prim "$GW_URL" --ca "$GW_CA" --user repl --token-file "$VG_WORK/repl.tok" >/dev/null
$CTLB sync create j1 --remote prim --vault v1 --to v1b >/dev/null
script -q -e -c "$CTLB sync run j1" "$VG_WORK/tty5" >/dev/null
grep -a -q $'\rsync j1: 96.0 MiB' "$VG_WORK/tty5" || vg_fail "no sync progress line: $(cat -v "$VG_WORK/tty5")"
grep -a -q 'sync j1: 4 points (4 objects)' "$VG_WORK/tty5" || vg_fail "sync summary: $(cat -v "$VG_WORK/tty5")"
script -q -e -c "$CTLB --quiet sync run j1" "$VG_WORK/tty6" >/dev/null
if grep -a -q $'\rsync j1: ' "$VG_WORK/tty6"; then vg_fail "sync run --quiet drew: $(cat -v "$VG_WORK/tty6")"; fi
out=$($CTLB sync run j1 2>"$VG_WORK/err")
[ ! -s "$VG_WORK/err" ] || vg_fail "sync progress on a pipe: $(cat -v "$VG_WORK/err")"
echo "$out" | grep -q '^sync j1: 0 points' || vg_fail "second sync on a pipe: $out"
vg_log "ok: sync run draws on a terminal only (and not with --quiet)"

# --- a job in flight on GET /v1/jobs -------------------------------------------------------
[ "$(gw_curl -u "alice:$ALICE" "$GW_URL/v1/jobs")" = "[]" ] || vg_fail "jobs before any: not []"
mkfifo "$VG_WORK/fifo"
$CTL backup v1 h1 - --object stream <"$VG_WORK/fifo" >"$VG_WORK/bk.out" 2>&1 &
BK=$!
vg_track "$BK"
exec 3>"$VG_WORK/fifo"
head -c $((1 << 20)) /dev/urandom >&3
seen=""
for _ in $(seq 400); do
	seen=$(gw_curl -u "alice:$ALICE" "$GW_URL/v1/jobs")
	echo "$seen" | python3 -c '
import json, sys
j = json.load(sys.stdin)
ok = [r for r in j if r["kind"] == "backup" and r["vault"] == "v1" and r["item"] == "h1"
      and r["principal"] == "root@local" and r["bytes_done"] >= 1 << 20 and r["bytes_total"] == 0
      and r["started_iso"]]
sys.exit(0 if len(j) == 1 and ok else 1)' && break
	seen=""
	sleep 0.05
done
[ -n "$seen" ] || vg_fail "the backup in flight is not on /v1/jobs with its bytes: $(gw_curl -u "alice:$ALICE" "$GW_URL/v1/jobs")"
vg_log "ok: /v1/jobs shows the backup in flight to a Reader of v1: $seen"
[ "$(gw_curl -u "bob:$BOB" "$GW_URL/v1/jobs")" = "[]" ] || vg_fail "bob (no role on v1) sees v1's job"
vg_log "ok: a Reader of another vault does not see it"
head -c $((1 << 20)) /dev/urandom >&3
exec 3>&-
wait "$BK" || vg_fail "the streamed backup failed: $(cat "$VG_WORK/bk.out")"
for _ in $(seq 100); do
	[ "$(gw_curl -u "alice:$ALICE" "$GW_URL/v1/jobs")" = "[]" ] && break
	sleep 0.05
done
[ "$(gw_curl -u "alice:$ALICE" "$GW_URL/v1/jobs")" = "[]" ] || vg_fail "the finished job is still listed"
vg_log "ok: a finished job leaves /v1/jobs"
gw_expect 401 "jobs without credentials" "$(gw_status "$GW_URL/v1/jobs")"

gw_schema_check
vg_log "PASS test_progress"
