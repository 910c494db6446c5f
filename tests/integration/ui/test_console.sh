#!/usr/bin/env bash
# test_console.sh - issue 18: the read-only console at /ui/ on vaultgw's TLS
# listener. Headless Chromium (console_browser.py over the DevTools
# protocol) logs in, renders every page with no console error and no CSP
# violation (screenshots kept in the work dir), logs out (the old cookie
# then gets the login page), and logs in as a Reader who sees only their
# vault. curl then refuses the login without its CSRF token, a forged
# cookie, an expired one (idle and absolute), and every method but GET on
# the pages; vaultd records each audit-log view.
#
#   chromium (headless, CDP) ─┐
#   curl ─────────────────────┴─TLS─► vaultgw 127.0.0.1:$GW_PORT (nobody) ─unix─► vaultd
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

PY=/usr/bin/python3
UI=$VG_SRC/tests/integration/ui
gw_setup
OUT=$VG_WORK/screens
mkdir -p "$OUT"
chmod 755 "$OUT"

# --- the vault as an operator would find it ---------------------------------------------
vg_ctl vault create v1 >/dev/null
vg_ctl vault create v2 >/dev/null
vg_ctl item create v1 host1 >/dev/null
vg_ctl item create v2 db1 >/dev/null
head -c $((3 << 20)) /dev/urandom >"$VG_WORK/f"
vg_ctl backup v1 host1 "$VG_WORK/f" >/dev/null
vg_ctl backup v1 host1 "$VG_WORK/f" >/dev/null
vg_ctl backup v2 db1 "$VG_WORK/f" >/dev/null
vg_ctl vault set v1 soft-delete off >/dev/null       # a pending weakening change and its alert
vg_ctl alerts v1 | grep -q soft-delete || vg_fail "no soft-delete alert to show"
XSS='<script>document.title="x"</script><img src=x>'
vg_ctl event record test.note v1/host1 "$XSS" >/dev/null
OLGA=$(gw_principal olga user)
RITA=$(gw_principal rita user)
AGENT=$(gw_principal agent1 agent)
AUDITOR=$(gw_principal audrey auditor)
vg_ctl role grant olga v1 owner >/dev/null
vg_ctl role grant olga v2 owner >/dev/null
vg_ctl role grant rita v2 reader >/dev/null

# A backup in flight (its stdin held open) for the jobs page.
mkfifo "$VG_WORK/fifo"
vg_ctl backup v1 host1 - --object stream <"$VG_WORK/fifo" >"$VG_WORK/bk.out" 2>&1 &
BK=$!
vg_track "$BK"
exec 3>"$VG_WORK/fifo"
head -c $((1 << 20)) /dev/urandom >&3
for _ in $(seq 200); do
	gw_curl -u "olga:$OLGA" "$GW_URL/v1/jobs" | grep -q '"bytes_done":1048576' && break
	sleep 0.05
done
gw_curl -u "olga:$OLGA" "$GW_URL/v1/jobs" | grep -q '"bytes_done":1048576' || vg_fail "the backup in flight is not running"

# --- the browser -------------------------------------------------------------------------------------
GW_URL=$GW_URL OLGA=$OLGA RITA=$RITA OUT=$OUT XSS=$XSS timeout 240 $PY "$UI/console_browser.py" ||
	vg_fail "the browser scenario failed (chrome.log: $(tail -3 "$OUT/chrome.log" 2>/dev/null))"
exec 3>&-
wait "$BK" || vg_fail "the backup in flight failed: $(cat "$VG_WORK/bk.out")"
for p in login vaults vault item alerts jobs report audit firewall reader-audit; do
	[ "$(head -c 8 "$OUT/$p.png" | xxd -p)" = 89504e470d0a1a0a ] || vg_fail "no screenshot $p.png"
done
vg_log "ok: screenshots in $OUT"
# The work dir goes at exit; VG_KEEP_SCREENS=DIR keeps the screenshots.
if [ -n "${VG_KEEP_SCREENS:-}" ]; then mkdir -p "$VG_KEEP_SCREENS" && cp "$OUT"/*.png "$VG_KEEP_SCREENS/"; fi

# --- each view of the audit log is audited by vaultd ---------------------------------------------------
views=$(vg_ctl audit export | jq -r 'select(.op == "audit.view" and .principal == "olga") | .target' | sort | tr '\n' ' ')
[ "$views" = "v1 v1 " ] || vg_fail "audit views by olga recorded: '$views'"   # two views of v1's log
n=$(vg_ctl audit export | jq -r 'select(.op == "audit.export" and .principal == "olga" and .result == "denied") | .target' | wc -l)
[ "$n" = 0 ] || vg_fail "olga (an Owner, not an auditor) was sent to the whole chain: $n refusals"
n=$(vg_ctl audit export | jq -r 'select(.op == "audit.export" and .principal == "rita" and .result == "denied") | .target' | tr -d '\n')
[ "$n" = v2 ] || vg_fail "rita's refused view of v2's log: '$n'"
n=2
vg_log "ok: vaultd recorded olga's audit-log views ($n)"

# --- curl: CSRF on the login form -------------------------------------------------------------------------
J=$VG_WORK/jar
login_form() { gw_curl -c "$J" -b "$J" "$GW_URL/ui/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}'; }
rm -f "$J"
CSRF=$(login_form)
post_login() {  # post_login CSRF USER TOKEN [curl args]
	local c=$1 u=$2 t=$3
	shift 3
	printf 'user=%s&token=%s%s' "$u" "$t" "${c:+&csrf=$c}" >"$VG_WORK/form"
	gw_curl -s -o "$VG_WORK/resp" -D "$VG_WORK/hdr" -w '%{http_code}' "$@" \
		-H 'Content-Type: application/x-www-form-urlencoded' --data-binary @"$VG_WORK/form" "$GW_URL/ui/login"
}
gw_expect 403 "login without the CSRF token" "$(post_login "" olga "$OLGA" -b "$J")"
grep -qi '^set-cookie: vgui=[0-9a-f]' "$VG_WORK/hdr" && vg_fail "a session without CSRF"
grep -q 'CSRF token is missing' "$VG_WORK/resp" || vg_fail "the refusal does not say why"
gw_expect 403 "login with a wrong CSRF token" "$(post_login "$(printf '%064d' 7)" olga "$OLGA" -b "$J")"
gw_expect 403 "login with the token but without its pre-session cookie" "$(post_login "$CSRF" olga "$OLGA")"
OTHER=$VG_WORK/jar2
gw_curl -c "$OTHER" "$GW_URL/ui/login" -o /dev/null
gw_expect 403 "login with another browser's pre-session" "$(post_login "$CSRF" olga "$OLGA" -b "$OTHER")"
gw_expect 401 "login with a wrong token" "$(post_login "$CSRF" olga "vg_$(printf '%064d' 0)" -b "$J")"
gw_expect 403 "an agent has no console" "$(post_login "$CSRF" agent1 "$AGENT" -b "$J")"
gw_expect 303 "login with the CSRF token" "$(post_login "$CSRF" olga "$OLGA" -b "$J" -c "$J")"
grep -qi '^set-cookie: vgui=[0-9a-f]\{64\}; Path=/ui/; Secure; HttpOnly; SameSite=Strict' "$VG_WORK/hdr" ||
	vg_fail "session cookie: $(grep -i set-cookie "$VG_WORK/hdr")"
gw_expect 200 "a page with the session" "$(gw_status -b "$J" "$GW_URL/ui/vaults")"

# an auditor reads the whole chain; vaultd records that view too
AJ=$VG_WORK/ajar
CSRF2=$(gw_curl -c "$AJ" "$GW_URL/ui/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}')
gw_expect 303 "an auditor logs in" "$(post_login "$CSRF2" audrey "$AUDITOR" -b "$AJ" -c "$AJ")"
page=$(gw_curl -b "$AJ" "$GW_URL/ui/audit")
echo "$page" | grep -q 'chain intact' || vg_fail "the auditor's chain state"
echo "$page" | grep -q 'id="audit"' || vg_fail "the auditor does not see the whole chain"
[ "$(vg_ctl audit export | jq -r 'select(.op == "audit.view" and .principal == "audrey") | .target')" = "*" ] ||
	vg_fail "the auditor's view of the whole chain is not recorded"
vg_log "ok: an auditor reads the whole chain, and the view is recorded (target *)"

# --- forged cookies ---------------------------------------------------------------------------------------
for forged in "$(openssl rand -hex 32)" "$(cat "$OUT/old-cookie")" "zz" "$(printf 'a%.0s' $(seq 64))"; do
	st=$(gw_curl -o /dev/null -D "$VG_WORK/hdr" -w '%{http_code}' -H "Cookie: vgui=$forged" "$GW_URL/ui/vaults")
	gw_expect 303 "forged cookie ${forged:0:8}..." "$st"
	grep -qi '^location: /ui/login?ended=1' "$VG_WORK/hdr" || vg_fail "a forged cookie is not sent to the login page"
	grep -qi '^set-cookie: vgui=; Max-Age=0' "$VG_WORK/hdr" || vg_fail "a forged cookie is not dropped"
done

# --- read-only: nothing but GET on the pages ----------------------------------------------------------------
for m in POST PUT DELETE PATCH; do
	gw_expect 405 "$m /ui/vaults" "$(gw_status -b "$J" -X "$m" "$GW_URL/ui/vaults")"
done
gw_expect 405 "GET /ui/logout" "$(gw_status -b "$J" "$GW_URL/ui/logout")"
gw_expect 404 "an unknown page" "$(gw_status -b "$J" "$GW_URL/ui/nothing")"
hdr=$(gw_curl -D - -o /dev/null "$GW_URL/ui/nothing")
echo "$hdr" | grep -qi "^content-security-policy: default-src 'none'" || vg_fail "an error without the CSP"
hdr=$(gw_curl -D - -o /dev/null "$GW_URL/ui/style.css")
echo "$hdr" | grep -qi '^content-type: text/css' || vg_fail "style.css: $hdr"

# --- expiry: idle and absolute ------------------------------------------------------------------------------
gw_stop_gateway
gw_start_gateway "ui_idle_timeout = 2" "ui_session_max = 60"
rm -f "$J"
CSRF=$(login_form)
gw_expect 303 "login (2 s idle)" "$(post_login "$CSRF" olga "$OLGA" -b "$J" -c "$J")"
gw_expect 200 "at once" "$(gw_status -b "$J" "$GW_URL/ui/vaults")"
sleep 3.5   # past the idle timeout by 1.5 s, whatever the machine
gw_expect 303 "after 3.5 s idle" "$(gw_status -b "$J" "$GW_URL/ui/vaults")"
gw_stop_gateway
gw_start_gateway "ui_idle_timeout = 60" "ui_session_max = 3"
rm -f "$J"
CSRF=$(login_form)
t0=$(date +%s%N)
gw_expect 303 "login (3 s at most)" "$(post_login "$CSRF" olga "$OLGA" -b "$J" -c "$J")"
ok200=0
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 4500 ]; do
	st=$(gw_status -b "$J" "$GW_URL/ui/vaults")
	# used every 0.3 s: never idle, yet it must end once 3 s have passed
	[ "$st" = 200 ] && ok200=1
	[ "$st" = 200 ] || [ $(( ($(date +%s%N) - t0) / 1000000 )) -ge 2900 ] || vg_fail "in use, refused early: $st"
	sleep 0.3
done
[ $ok200 = 1 ] || vg_fail "the session never served a page"
gw_expect 303 "in use, but past its 3 s" "$(gw_status -b "$J" "$GW_URL/ui/vaults")"

vg_log "PASS test_console"
