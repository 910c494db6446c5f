# lib.sh - shared helpers for integration tests (sourced, never run).
#
# Every test: `set -eu`, sources this, calls vg_init, and registers its own
# cleanup through vg_on_exit. vg_init creates a private work dir; every
# process a test starts is recorded by PID and ended by PID at exit.

VG_BUILD=${VG_BUILD:?VG_BUILD must point at the meson build dir}
VG_SRC=${VG_SRC:?VG_SRC must point at the source tree}
VAULTD=$VG_BUILD/vault/vaultd
VAULTD_TEST=$VG_BUILD/vault/vaultd-testclock
VAULTCTL=$VG_BUILD/vault/vaultctl

_vg_pids=()
_vg_exit_hooks=()

vg_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
vg_fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

_vg_cleanup() {
	local rc=$?
	local h
	for h in "${_vg_exit_hooks[@]}"; do eval "$h" || true; done
	local p
	for p in "${_vg_pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${_vg_pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if [ "$rc" != 0 ] && [ -n "${VG_WORK:-}" ] && [ -d "$VG_WORK" ]; then
		echo "--- logs kept in $VG_WORK" >&2
		for f in "$VG_WORK"/*.log; do
			[ -f "$f" ] || continue
			echo "--- $f (tail)" >&2
			tail -n 30 "$f" >&2
		done
	elif [ -n "${VG_WORK:-}" ]; then
		rm -rf "$VG_WORK"
	fi
	exit "$rc"
}

vg_on_exit() { _vg_exit_hooks+=("$1"); }

vg_init() {
	VG_WORK=$(mktemp -d "${TMPDIR:-/tmp}/vgtest.XXXXXX")
	trap _vg_cleanup EXIT
	trap 'exit 130' INT TERM
}

vg_track() { _vg_pids+=("$1"); }

# vg_wait_socket PATH [SECONDS]: wait until a UNIX socket accepts.
vg_wait_socket() {
	local path=$1 t=${2:-20} i=0
	while [ $i -lt $((t * 20)) ]; do
		[ -S "$path" ] && "$VAULTCTL" --socket "$path" whoami >/dev/null 2>&1 && return 0
		sleep 0.05
		i=$((i + 1))
	done
	vg_fail "socket $path did not come up within ${t}s"
}

# vg_start_vaultd STATE SOCKET [BINARY]: start vaultd, record its PID in VAULTD_PID.
vg_start_vaultd() {
	local state=$1 sock=$2 bin=${3:-$VAULTD}
	"$bin" --state-dir "$state" --socket "$sock" >>"$VG_WORK/vaultd.log" 2>&1 &
	VAULTD_PID=$!
	vg_track "$VAULTD_PID"
	vg_wait_socket "$sock"
}

vg_stop_vaultd() {
	kill -TERM "$VAULTD_PID" 2>/dev/null || true
	wait "$VAULTD_PID" 2>/dev/null || true
}

vg_ctl() { "$VAULTCTL" --socket "$VG_SOCK" "$@"; }

# vg_expect_fail "substring" cmd...: the command must fail and print substring.
vg_expect_fail() {
	local want=$1 out rc
	shift
	set +e
	out=$("$@" 2>&1)
	rc=$?
	set -e
	[ "$rc" != 0 ] || vg_fail "expected failure from: $* (got exit 0, output: $out)"
	case "$out" in
	*"$want"*) ;;
	*) vg_fail "expected '$want' from: $* ; got: $out" ;;
	esac
}
