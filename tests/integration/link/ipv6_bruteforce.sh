#!/usr/bin/env bash
# ipv6_bruteforce.sh - issue 12 item 4: brute-force detection must see IPv6
# peers. Ten wrong tokens over ten connections (ten source ports) to vaultgw
# on [::1] raise auth-bruteforce in vaultd for the source "::/64"; the
# eleventh try is answered 429 naming the same source; the audit entries
# name the peer as "::1" (no port, no brackets: common/peer.h).
#
#   curl (10 x new connection, wrong token) ──TLS──► vaultgw [::1]:$P6 ──unix──► vaultd
set -eu
. "$VG_SRC/tests/integration/link/lib_link.sh"

ip -6 addr show dev lo | grep -q 'inet6 ::1/128' || vg_fail "no IPv6 loopback address"
P6=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0)); print(s.getsockname()[1])')
gw_setup "listen = [::1]:$P6" "tls_san = ::1"
gw_record_api   # every native-API answer is checked against gateway/api.yaml at the end
U6="https://[::1]:$P6"
vg_ctl vault create "vgt-$$-v" >/dev/null
gw_principal victim user >/dev/null
bad=vg_$(printf '0%.0s' $(seq 64))

for i in $(seq 1 10); do
	gw_expect 401 "wrong token #$i from [::1] (a new connection)" \
		"$(gw_status -u "victim:$bad" "$U6/v1/whoami")"
done
vg_ctl alerts >"$VG_WORK/alerts"
grep -q 'auth-bruteforce' "$VG_WORK/alerts" || vg_fail "no auth-bruteforce alert: $(cat "$VG_WORK/alerts")"
grep 'auth-bruteforce' "$VG_WORK/alerts" | grep -q '::/64' ||
	vg_fail "the alert does not name the source ::/64: $(grep auth-bruteforce "$VG_WORK/alerts")"
vg_log "ok: auth-bruteforce raised for ::/64"
body=$(gw_curl -u "victim:$bad" "$U6/v1/whoami" -w ' %{http_code}')
case "$body" in
*'too many failed authentication attempts from ::/64'*' 429') vg_log "ok: 11th try -> 429 from ::/64" ;;
*) vg_fail "11th try: $body" ;;
esac
# Repeated identical refusals are one entry plus an aggregate with their
# count (issue 12 item 6, vault/denials.h): count what the entries stand for.
n=$(vg_ctl audit export | grep '"result":"denied"' | grep '"peer":"::1"' | python3 -c '
import json, re, sys
n = 0
for l in sys.stdin:
    m = re.search(r"\[repeated (\d+) more time", json.loads(l)["reason"])
    n += 1 + (int(m.group(1)) if m else 0)
print(n)')
[ "$n" -ge 10 ] || vg_fail "want 10 denied refusals with peer ::1, got $n: $(vg_ctl audit export | tail -2)"
if vg_ctl audit export | grep -q '"peer":"\[::1\]:'; then
	vg_fail "an audit entry still names the peer with its port"
fi
vg_log "ok: $n denied audit entries name the peer ::1"

# IPv4 goes through the same form: no port in the audit.
gw_expect 401 "wrong token from 127.0.0.1" "$(gw_status -u "victim:$bad" "$GW_URL/v1/whoami")"
vg_ctl audit export | tail -1 | grep -q '"peer":"127.0.0.1"' ||
	vg_fail "IPv4 peer not normalised: $(vg_ctl audit export | tail -1)"
vg_log "ok: IPv4 peer audited as 127.0.0.1"
gw_schema_check
vg_log "PASS ipv6_bruteforce"
