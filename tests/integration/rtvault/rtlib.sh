# rtlib.sh - the shared fixture of the issue-12 vault tests (sourced, never
# run). Builds on ../gateway/lib_gw.sh: one vaultd (root, socket group
# nogroup) and one vaultgw (nobody) on 127.0.0.1, every process tracked by
# PID and ended by PID at exit.
#
#   curl ──TLS──► vaultgw 127.0.0.1:$GW_PORT ──unix──► vaultd ── $VG_WORK/state
#   vaultctl (root@local, or --user P) ──unix──┘
#
#   rt_user NAME [KIND]      a principal; its token in $VG_WORK/tok/NAME
#   rt_role NAME VAULT ROLE  NAME (created if missing) holds ROLE on VAULT
#   rt_as NAME ARGS...       vaultctl as NAME
#   rt_api NAME ARGS...      curl as NAME (Basic), body on stdout
#   rt_code NAME ARGS...     curl as NAME, only the HTTP status

. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

rt_setup() {
	gw_setup "$@"
	gw_record_api   # rt_done checks every native-API answer against gateway/api.yaml
	mkdir -p "$VG_WORK/tok"
	RT_T0=$(date +%s)
}

rt_user() {
	vg_ctl principal add "$1" --kind "${2:-user}" >"$VG_WORK/tok/$1"
	grep -q '^vg_[0-9a-f]\{64\}$' "$VG_WORK/tok/$1" || vg_fail "no token for $1"
}

rt_role() {
	[ -f "$VG_WORK/tok/$1" ] || rt_user "$1"
	vg_ctl role grant "$1" "$2" "$3" >/dev/null
}

rt_as() {
	local who=$1
	shift
	"$VAULTCTL" --socket "$VG_SOCK" --user "$who" --token-file "$VG_WORK/tok/$who" "$@"
}

rt_api() {
	local who=$1
	shift
	gw_curl -u "$who:$(cat "$VG_WORK/tok/$who")" "$@"
}

rt_code() {
	local who=$1
	shift
	gw_status -u "$who:$(cat "$VG_WORK/tok/$who")" "$@"
}

# rt_audited PRINCIPAL OP TARGET RESULT "reason substring"
rt_audited() {
	local key="\"principal\":\"$1\",\"op\":\"$2\",\"target\":\"$3\",\"result\":\"$4\",\"reason\":\""
	vg_ctl audit export >"$VG_WORK/audit.json"
	grep -F -- "$key" "$VG_WORK/audit.json" | grep -qF -- "$5" ||
		vg_fail "no audit entry $1 $2 $3 $4 with reason '$5'; last entries:
$(tail -n 5 "$VG_WORK/audit.json")"
}

rt_done() {
	gw_schema_check
	printf '%s: passed in %ds\n' "$(basename "$0")" $(($(date +%s) - RT_T0))
}
