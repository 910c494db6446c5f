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
#   gw_record_api                   from now on, record every native-API
#                                   response (VG_API_RECORD, see gw_curl_as)
#   gw_schema_check                 validate what was recorded against
#                                   gateway/api.yaml (fails the test)
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

gw_curl() { gw_curl_as -sS "$@"; }

gw_status() { gw_curl_as -s -o /dev/null -w '%{http_code}' "$@"; }

# gw_curl_as CURL-ARGS...: curl with the CA and no proxy. With VG_API_RECORD
# set to a file, every native-API response (a URL with /v1/) is appended
# to it as one line: METHOD<TAB>URL<TAB>STATUS<TAB>CONTENT-TYPE<TAB>BODY,
# BODY base64 (JSON bodies only; empty otherwise). What the caller asked
# for (-o, -D, -i, -I, -w) still goes where it asked.
# tests/tools/api_schema.py validates such a file against gateway/api.yaml.
gw_curl_as() {
	local a api=0
	for a in "$@"; do
		case "$a" in https://*/v1/* | https://*/v1) api=1 ;; esac
	done
	if [ -z "${VG_API_RECORD:-}" ] || [ $api = 0 ]; then
		curl --cacert "$GW_CA" --noproxy '*' "$@"
		return
	fi
	local d body url="" method="" xmethod="" out="" hdr_to="" head=0 rc=0 st ct b64=""
	local args=()
	d=$(mktemp -d "${VG_WORK:-${TMPDIR:-/tmp}}/rec.XXXXXX")
	while [ $# -gt 0 ]; do
		a=$1
		shift
		case "$a" in
		-o | --output) out=$1; shift; continue ;;
		-D | --dump-header) hdr_to=$1; shift; continue ;;
		-i | --include) hdr_to=-; continue ;;
		-I | --head) head=1; method=HEAD ;;
		-X | --request) xmethod=$1; args+=("$a" "$1"); shift; continue ;;
		-T | --upload-file) [ -n "$method" ] || method=PUT; args+=("$a" "$1"); shift; continue ;;
		-d | --data | --data-binary | --data-raw | -F | --form)
			[ -n "$method" ] || method=POST; args+=("$a" "$1"); shift; continue ;;
		https://*) url=$a ;;
		esac
		args+=("$a")
	done
	method=${xmethod:-${method:-GET}}
	if [ $head = 1 ]; then
		# curl -I writes the head where the body would go
		curl --cacert "$GW_CA" --noproxy '*' "${args[@]}" -D "$d/h" -o "$d/hb" >"$d/w" || rc=$?
		if [ -z "$out" ]; then
			cat "$d/hb" 2>/dev/null || true
		elif [ "$out" != /dev/null ]; then
			cp "$d/hb" "$out" 2>/dev/null || true
		fi
		cat "$d/w"
		body=$d/b
		: >"$body"
	else
		body=$d/b
		[ -n "$out" ] && [ "$out" != /dev/null ] && body=$out
		curl --cacert "$GW_CA" --noproxy '*' "${args[@]}" -D "$d/h" -o "$body" >"$d/w" || rc=$?
		if [ "$hdr_to" = - ]; then
			cat "$d/h"
		elif [ -n "$hdr_to" ]; then
			cp "$d/h" "$hdr_to"
		fi
		[ -n "$out" ] || cat "$d/b" 2>/dev/null || true
		cat "$d/w"
	fi
	st=$(awk '/^HTTP\//{s=$2} END{print s}' "$d/h" 2>/dev/null || true)
	ct=$(tr -d '\r' <"$d/h" 2>/dev/null | awk 'tolower($1)=="content-type:"{c=$2} END{print c}' || true)
	case "$ct" in application/json*)
		if [ $head = 0 ]; then [ -f "$body" ] && b64=$(base64 -w0 <"$body"); fi ;;
	esac
	if [ -n "$st" ]; then
		printf '%s\t%s\t%s\t%s\t%s\n' "$method" "$url" "$st" "${ct:--}" "${b64:--}" >>"$VG_API_RECORD"
	fi
	rm -rf "$d"
	return $rc
}

gw_raw() { python3 "$RAWTLS" "$GW_PORT" "$GW_CA" "$@"; }

gw_record_api() {
	export VG_API_RECORD=$VG_WORK/api-record.tsv
	: >"$VG_API_RECORD"
}

gw_schema_check() {
	python3 "$VG_SRC/tests/tools/api_schema.py" validate "$VG_SRC/gateway/api.yaml" \
		"$VG_API_RECORD" >"$VG_WORK/api-schema.out" 2>&1 ||
		vg_fail "native-API responses do not match gateway/api.yaml: $(cat "$VG_WORK/api-schema.out")"
	vg_log "ok: $(tail -1 "$VG_WORK/api-schema.out")"
}

# gw_expect WANT WHAT GOT: one exact-status assertion.
gw_expect() {
	if [ "$3" != "$1" ]; then
		vg_fail "$2: want $1, got $3"
	fi
	vg_log "ok: $2 -> $3"
}

# gw_raw_status: the status code of the first response line in stdin.
gw_first_status() { head -1 | awk '{print $2}'; }
