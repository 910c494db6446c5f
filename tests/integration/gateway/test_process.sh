#!/usr/bin/env bash
# test_process.sh - vaultgw as a process: it drops to `user` after binding
# and refuses root; --check; strict configuration errors with file:line;
# refused file permissions; a configured certificate; --netns (listening
# inside a namespace only); SIGTERM.
#
#   host netns                         netns vgt-$$-pe (created here)
#   vaultd (root) ◄──unix── vaultgw ── 127.0.0.1:$P (lo, up) ◄── curl (ip netns exec)
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

gw_setup
NS=vgt-$$-pe

# --- privileges --------------------------------------------------------------------------------
status=/proc/$GW_PID/status
read -r _ ru eu su fu < <(grep '^Uid:' "$status")
read -r _ rg eg sg fg < <(grep '^Gid:' "$status")
nobody=$(id -u nobody)
[ "$ru $eu $su $fu" = "$nobody $nobody $nobody $nobody" ] || vg_fail "uids: $ru $eu $su $fu"
[ "$rg" = "$(id -g nobody)" ] && [ "$eg" = "$rg" ] && [ "$sg" = "$rg" ] || vg_fail "gids: $rg $eg $sg"
grep -q '^NoNewPrivs:[[:space:]]*1' "$status" || vg_fail "no_new_privs not set"
grep '^Groups:' "$status" | grep -qw 0 && vg_fail "still in group 0"
vg_log "ok: running as nobody (uid $nobody), no_new_privs"

# --- --check and configuration errors -----------------------------------------------------------------
out=$("$VAULTGW" --config "$GW_CONF" --check)
echo "$out" | grep -q "configuration OK" || vg_fail "--check: $out"
echo "$out" | grep -q "SHA-256 fingerprint" || vg_fail "--check does not show the fingerprint"
bad=$VG_WORK/bad.conf
check_bad() {  # WANT-SUBSTRING, config lines...
	local want=$1 out
	shift
	printf '%s\n' "$@" >"$bad"
	chmod 600 "$bad"
	if out=$("$VAULTGW" --config "$bad" --check 2>&1); then vg_fail "accepted: $*"; fi
	case "$out" in *"$want"*) ;; *) vg_fail "want '$want', got: $out" ;; esac
	vg_log "ok: refused: $want"
}
check_bad "$bad:2: header_timeout: '0' is not a number in 1..600" "user = nobody" "header_timeout = 0"
check_bad "$bad:1: unknown key 'listne'" "listne = 127.0.0.1:1"
check_bad "$bad:3: listen: '1.2.3.4:99999'" "user = nobody" "" "listen = 1.2.3.4:99999"
check_bad "user root is root" "user = root"
check_bad "user no-such-user-x does not exist" "user = no-such-user-x"
printf 'user = nobody\n' >"$bad"
chmod 620 "$bad"
out=$("$VAULTGW" --config "$bad" --check 2>&1) && vg_fail "a group-writable config was accepted"
echo "$out" | grep -q "writable by group or others" || vg_fail "group-writable config: $out"
vg_log "ok: refused: a group-writable configuration file"

# Refuses to keep running as root: user = root fails at start, not only in --check.
printf 'listen = 127.0.0.1:%s\nvaultd_socket = %s\nuser = root\ntls_dir = %s\n' \
	"$(gw_free_port)" "$VG_SOCK" "$VG_WORK/tls" >"$bad"
chmod 600 "$bad"
out=$("$VAULTGW" --config "$bad" 2>&1) && vg_fail "vaultgw ran with user = root"
echo "$out" | grep -q "refusing to run as root" || vg_fail "user = root: $out"
vg_log "ok: user = root refused at start"

# --- a configured certificate; a key that is too open ----------------------------------------------------
pki=$VG_WORK/pki
mkdir -p "$pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -days 2 -subj /CN=gw \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$pki/gw.key" -out "$pki/gw.crt" 2>/dev/null
chmod 600 "$pki/gw.key"
gw_stop_gateway
gw_start_gateway "tls_cert = $pki/gw.crt" "tls_key = $pki/gw.key"
fp=$(openssl x509 -in "$pki/gw.crt" -noout -fingerprint -sha256 | cut -d= -f2)
grep -q "fingerprint $fp" "$VG_WORK/vaultgw.log" || vg_fail "configured certificate not in use"
GW_CA=$pki/gw.crt
gw_expect 401 "served with the configured certificate" "$(gw_status "$GW_URL/v1/whoami")"
chmod 644 "$pki/gw.key"
gw_write_config "$bad" "tls_cert = $pki/gw.crt" "tls_key = $pki/gw.key"
out=$("$VAULTGW" --config "$bad" --check 2>&1) && vg_fail "a world-readable key was accepted"
echo "$out" | grep -q "gw.key: mode 0644 is too open" || vg_fail "open key: $out"
vg_log "ok: a world-readable private key is refused"

# --- SIGTERM -------------------------------------------------------------------------------------------------
kill -TERM "$GW_PID"
rc=0
wait "$GW_PID" || rc=$?
[ "$rc" = 0 ] || vg_fail "vaultgw exited $rc on SIGTERM"
tail -1 "$VG_WORK/vaultgw.log" | grep -q "stopped" || vg_fail "no clean stop: $(tail -2 "$VG_WORK/vaultgw.log")"
vg_log "ok: SIGTERM stops cleanly"

# --- --netns ---------------------------------------------------------------------------------------------------
ip netns add "$NS"
vg_on_exit "ip netns del $NS 2>/dev/null"
ip netns exec "$NS" ip link set lo up
GW_CA=$VG_WORK/tls/server.crt
GW_FLAGS="--netns $NS" gw_start_gateway
out=$(ip netns exec "$NS" curl -s -o /dev/null -w '%{http_code}' --cacert "$GW_CA" "$GW_URL/v1/whoami")
gw_expect 401 "reached inside the namespace" "$out"
if curl -s -o /dev/null --max-time 3 --cacert "$GW_CA" "$GW_URL/v1/whoami"; then
	vg_fail "the gateway answered in the host namespace"
fi
[ "$(readlink "/proc/$GW_PID/ns/net")" = "$(ip netns exec "$NS" readlink /proc/self/ns/net)" ] ||
	vg_fail "vaultgw is not in $NS"
vg_log "ok: --netns $NS: listening inside the namespace only; vaultd's socket still reachable"
vg_log "PASS test_process"
