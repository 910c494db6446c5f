# wlib.sh - the shared fixture of issue 14's tests (sourced, never run).
# Builds on ../gateway/lib_gw.sh: one vaultd-testclock (root, socket group
# nogroup) and one vaultgw (nobody) on 127.0.0.1, every process tracked by
# PID and ended by PID at exit.
#
#   vaultctl (root@local) ──unix──► vaultd-testclock ── $VG_WORK/state
#   restic/curl ──TLS──► vaultgw 127.0.0.1:$GW_PORT ──unix──┘
#
#   w_setup [--tmpfs SIZE] [vaultd args...]
#        with --tmpfs, the state directory is a tmpfs of SIZE (unmounted at
#        exit); $W_VAULT, if set, is the gateway's restic vault
#   w_points V I          number of active points
#   w_blobs               number of blob files
#   w_alert NAME [TEXT]   an alert NAME (whose line holds TEXT) was raised
#   w_no_alert NAME       no alert NAME

. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

w_setup() {
	vg_init
	chmod 711 "$VG_WORK"   # nobody must reach the socket in here
	mkdir -p "$VG_WORK/state"
	if [ "${1:-}" = --tmpfs ]; then
		mount -t tmpfs -o "size=$2,mode=0700" "vgt-$$-fs" "$VG_WORK/state"
		vg_on_exit "umount -l '$VG_WORK/state'"
		shift 2
	fi
	{
		echo '#!/bin/sh'
		printf 'exec %s' "$VAULTD_TEST"
		for a in "$@"; do printf " '%s'" "$a"; done
		echo ' "$@"'
	} >"$VG_WORK/vaultd.sh"
	chmod 755 "$VG_WORK/vaultd.sh"
	VAULTD_BIN=$VG_WORK/vaultd.sh
	GW_PORT=$(gw_free_port)
	gw_start_vaultd
	gw_start_gateway ${W_VAULT:+"restic_vault = $W_VAULT"}
}

w_points() { vg_ctl points "$1" "$2" | grep -c . || true; }
w_blobs() { find "$VG_WORK/state/blobs" -type f | grep -c . || true; }

w_alert() {
	local out
	out=$(vg_ctl alerts | grep -F -- "$(printf '\t%s\t' "$1")" || true)
	[ -n "$out" ] || vg_fail "no $1 alert; alerts: $(vg_ctl alerts | tail -5)"
	if [ -n "${2:-}" ]; then
		echo "$out" | grep -qF -- "$2" || vg_fail "$1 alert without '$2': $out"
	fi
	vg_log "ok: alert $1"
}

w_no_alert() {
	if vg_ctl alerts | grep -qF -- "$(printf '\t%s\t' "$1")"; then
		vg_fail "unexpected $1 alert: $(vg_ctl alerts | grep -F -- "$(printf '\t%s\t' "$1")")"
	fi
}

w_count_alert() { vg_ctl alerts | grep -cF -- "$(printf '\t%s\t' "$1")" || true; }
