# lib_gw.sh - helpers for the gateway's integration tests (sourced, never
# run). Builds on ../lib.sh: every process is tracked by PID and stopped at
# exit; everything lives in a private work dir.
#
#   gw_setup [extra config lines...]
#       vaultd (socket group nogroup) + vaultgw on 127.0.0.1:<free port>,
#       running as nobody. Sets GW_PORT, GW_URL, GW_CA, VG_SOCK, GW_PID.
#   gw_principal NAME KIND          prints the new token
#   gw_curl ARGS...                 curl with the CA, quiet, no proxy
#   gw_status ARGS...               prints only the HTTP status
#   gw_raw [rawtls.py args] < req   raw bytes over TLS
#
# Topology (all on loopback, no namespace):
#
#   curl / restic / openssl / rawtls.py ──TLS──► vaultgw 127.0.0.1:$GW_PORT (uid nobody)
#                                                   │ unix socket (group nogroup, 0660)
#                                                   ▼
#                                                 vaultd (root, state in $VG_WORK)

. "$VG_SRC/tests/integration/lib.sh"

VAULTGW=$VG_BUILD/gateway/vaultgw
GW_DIR=$VG_SRC/tests/integration/gateway
RAWTLS=$GW_DIR/rawtls.py
export NO_PROXY='*' no_proxy='*'
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY

gw_free_port() {
	python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

gw_start_vaultd() {
	VG_SOCK=$VG_WORK/vaultd.sock
	"${VAULTD_BIN:-$VAULTD}" --state-dir "$VG_WORK/state" --socket "$VG_SOCK" \
		--socket-group nogroup "${VG_STORE_ARGS[@]}" >>"$VG_WORK/vaultd.log" 2>&1 &
	VAULTD_PID=$!
	vg_track "$VAULTD_PID"
	vg_wait_socket "$VG_SOCK"
}

# gw_write_config FILE [extra lines]: a config for this test run.
gw_write_config() {
	local f=$1
	shift
	{
		echo "listen = 127.0.0.1:$GW_PORT"
		echo "vaultd_socket = $VG_SOCK"
		echo "user = nobody"
		echo "tls_dir = $VG_WORK/tls"
		for l in "$@"; do echo "$l"; done
	} >"$f"
	chmod 600 "$f"
}

# gw_start_gateway [extra config lines]
gw_start_gateway() {
	local i=0 seen
	GW_CONF=$VG_WORK/vaultgw.conf
	gw_write_config "$GW_CONF" "$@"
	touch "$VG_WORK/vaultgw.log"
	seen=$(grep -c "listening on" "$VG_WORK/vaultgw.log" || true)
	"$VAULTGW" --config "$GW_CONF" ${GW_FLAGS:-} >>"$VG_WORK/vaultgw.log" 2>&1 &
	GW_PID=$!
	vg_track "$GW_PID"
	while [ $i -lt 200 ]; do
		if [ "$(grep -c "listening on" "$VG_WORK/vaultgw.log" || true)" -gt "$seen" ]; then
			break
		fi
		kill -0 "$GW_PID" 2>/dev/null || vg_fail "vaultgw exited: $(tail -5 "$VG_WORK/vaultgw.log")"
		sleep 0.05
		i=$((i + 1))
	done
	[ $i -lt 200 ] || vg_fail "vaultgw did not come up"
	GW_URL=https://127.0.0.1:$GW_PORT
	GW_CA=$VG_WORK/tls/server.crt
}

gw_stop_gateway() {
	kill -TERM "$GW_PID" 2>/dev/null || true
	wait "$GW_PID" 2>/dev/null || true
}

gw_setup() {
	vg_init
	chmod 711 "$VG_WORK"   # nobody must reach the socket in here
	GW_PORT=$(gw_free_port)
	gw_start_vaultd
	gw_start_gateway "$@"
}

gw_principal() {
	vg_ctl principal add "$1" --kind "$2" | grep -o 'vg_[0-9a-f]\{64\}' | head -1
}

gw_curl() { curl -sS --cacert "$GW_CA" --noproxy '*' "$@"; }

gw_status() { curl -s -o /dev/null -w '%{http_code}' --cacert "$GW_CA" --noproxy '*' "$@"; }

gw_raw() { python3 "$RAWTLS" "$GW_PORT" "$GW_CA" "$@"; }

# gw_expect WANT WHAT GOT: one exact-status assertion.
gw_expect() {
	if [ "$3" != "$1" ]; then
		vg_fail "$2: want $1, got $3"
	fi
	vg_log "ok: $2 -> $3"
}

# gw_raw_status: the status code of the first response line in stdin.
gw_first_status() { head -1 | awk '{print $2}'; }
