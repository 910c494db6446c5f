#!/usr/bin/env bash
# test_limits.sh - the gateway's limits: failed authentications per source
# (429 once the bucket is empty, for any credential), the per-principal
# connection cap (429 and close), the connection cap (closed at accept),
# the idle timeout, and memory: 1,000 idle TLS 1.3 connections in <= 64 MiB
# of RSS.
#
#   conns.py / curl ──TLS──► vaultgw (restarted per limit) ──unix──► vaultd
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"
CONNS=$GW_DIR/conns.py
ulimit -n 8192

gw_setup "auth_fail_burst = 3" "auth_fail_per_minute = 1"
gw_record_api   # every native-API answer is checked against gateway/api.yaml at the end
vg_ctl vault create v1 >/dev/null
ALICE=$(gw_principal alice user)
BOB=$(gw_principal bob user)

# --- failed authentications per source ------------------------------------------------------
gw_expect 200 "good credentials" "$(gw_status -u "alice:$ALICE" "$GW_URL/v1/whoami")"
for i in 1 2 3; do
	gw_expect 401 "bad token #$i" "$(gw_status -u "alice:vg_bad$i" "$GW_URL/v1/whoami")"
done
gw_expect 429 "bad token #4 (bucket empty)" "$(gw_status -u "alice:vg_bad4" "$GW_URL/v1/whoami")"
gw_expect 429 "even good credentials, from that source" "$(gw_status -u "alice:$ALICE" "$GW_URL/v1/whoami")"
[ "$(gw_curl -u "alice:$ALICE" "$GW_URL/v1/whoami" | python3 -c 'import json,sys; print(json.load(sys.stdin)["error"])')" = limit ] ||
	vg_fail "429 body"
# It says when to come back (auth_fail_per_minute = 1: one attempt a minute)
# and names the address alone: the limit is per address, not per port.
hdr=$(gw_curl -D - -o "$VG_WORK/429.json" -u "alice:$ALICE" "$GW_URL/v1/whoami")
echo "$hdr" | grep -qi '^Retry-After: 60' || vg_fail "429 without Retry-After: 60: $hdr"
grep -q 'attempts from 127.0.0.1"' "$VG_WORK/429.json" || vg_fail "429 message: $(cat "$VG_WORK/429.json")"
vg_ctl audit export | grep -q '"result":"denied"' || vg_fail "refusals not audited by vaultd"
vg_log "ok: the 4th failure from one source is refused with 429 before vaultd is asked"

# --- per-principal cap -------------------------------------------------------------------------
gw_stop_gateway
gw_start_gateway "max_connections_per_principal = 2" "idle_timeout = 2"
out=$(python3 "$CONNS" "$GW_PORT" "$GW_CA" 3 --auth "alice:$ALICE")
[ "$out" = "statuses=200:2,429:1 rss_kib=-1 open_after_hold=2" ] || vg_fail "per-principal cap: $out"
gw_expect 200 "another principal is not capped" "$(gw_status -u "bob:$BOB" "$GW_URL/v1/whoami")"
vg_log "ok: the 3rd connection of one principal gets 429"

# --- idle timeout (2 s) --------------------------------------------------------------------------
out=$(python3 "$CONNS" "$GW_PORT" "$GW_CA" 2 --auth "bob:$BOB" --hold 3.5)
[ "$out" = "statuses=200:2 rss_kib=-1 open_after_hold=0" ] || vg_fail "idle timeout: $out"
vg_log "ok: idle keep-alive connections closed after idle_timeout"

# --- connection cap ---------------------------------------------------------------------------------
gw_stop_gateway
gw_start_gateway "max_connections = 5" "max_connections_per_principal = 5"
out=$(python3 "$CONNS" "$GW_PORT" "$GW_CA" 7 --auth "bob:$BOB")
case "$out" in
"statuses=200:5,refused:2 "*) ;;
*) vg_fail "connection cap: $out" ;;
esac
vg_log "ok: connections over max_connections are closed at accept"

# --- 1,000 idle TLS 1.3 connections ---------------------------------------------------------------
gw_stop_gateway
gw_start_gateway "max_connections_per_principal = 2000" "idle_timeout = 120"
out=$(python3 "$CONNS" "$GW_PORT" "$GW_CA" 1000 --tls13 --auth "bob:$BOB" --hold 1 --rss-pid "$GW_PID")
vg_log "1000 idle connections: $out"
case "$out" in
"statuses=200:1000 "*) ;;
*) vg_fail "1000 connections: $out" ;;
esac
rss=$(echo "$out" | sed 's/.*rss_kib=\([0-9]*\).*/\1/')
[ "$rss" -le 65536 ] || vg_fail "RSS with 1000 idle TLS connections is ${rss} KiB (> 64 MiB)"
vg_log "ok: 1000 idle TLS 1.3 connections in $((rss / 1024)) MiB RSS"
gw_schema_check
vg_log "PASS test_limits"
