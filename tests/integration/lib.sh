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

# vg_gate_open FIFO: release a writer that waits with `read -r _ <FIFO`.
# Bounded, so a writer that never reaches its gate fails the test instead
# of hanging it (writers gate with `head ... || true` for the same reason:
# under set -e a SIGPIPE would end them before their read).
vg_gate_open() {
	timeout 30 sh -c 'echo go >"$1"' _ "$1" || vg_fail "nobody was waiting at the gate $1"
}

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

# The blob store under test: VG_STORE=dir (the default) or VG_STORE=rados
# with VG_CEPH_CONF and VG_CEPH_POOL, and VG_CEPH_ID + VG_CEPH_KEYRING for a
# cephx user other than admin (tests/integration/ceph/ runs the vault
# tests that way against a throw-away cluster, one pool per test).
VG_STORE=${VG_STORE:-dir}
vg_store_args() {
	if [ "$VG_STORE" = rados ]; then
		VG_STORE_ARGS=(--store rados --ceph-conf "${VG_CEPH_CONF:?}" --ceph-pool "${VG_CEPH_POOL:?}"
			--ceph-timeout "${VG_CEPH_TIMEOUT:-20}")
		# A cephx user of its own (cephlib.sh ceph_vault_client), else admin.
		[ -z "${VG_CEPH_ID:-}" ] ||
			VG_STORE_ARGS+=(--ceph-id "$VG_CEPH_ID" --ceph-keyring "${VG_CEPH_KEYRING:?}")
	else
		VG_STORE_ARGS=()
	fi
}
vg_store_args

# vg_start_vaultd STATE SOCKET [BINARY]: start vaultd, record its PID in VAULTD_PID.
vg_start_vaultd() {
	local state=$1 sock=$2 bin=${3:-$VAULTD}
	"$bin" --state-dir "$state" --socket "$sock" "${VG_STORE_ARGS[@]}" >>"$VG_WORK/vaultd.log" 2>&1 &
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

# ---- vault core helpers (state dir, data files, blob bookkeeping) --------

VG_TOOLS=$VG_BUILD/tests/tools
VG_SEG=1048576

# vg_state_init: VG_STATE and VG_SOCK inside the private work dir (on the
# disk that holds TMPDIR: a real disk unless TMPDIR says otherwise).
vg_state_init() {
	VG_STATE=$VG_WORK/state
	VG_SOCK=$VG_WORK/vaultd.sock
}

# vg_random_file PATH BYTES: incompressible test data.
vg_random_file() {
	head -c "$2" /dev/urandom >"$1"
	[ "$(stat -c %s "$1")" = "$2" ] || vg_fail "could not create $1 ($2 bytes)"
}

vg_sha() { sha256sum "$1" | cut -d' ' -f1; }

# vg_slice FILE OFFSET LENGTH: those bytes of FILE on stdout.
vg_slice() {
	dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" bs=1M status=none
}

# vg_flip_bit FILE OFFSET [BIT]: flip one bit in place.
vg_flip_bit() {
	local f=$1 off=$2 bit=${3:-0} b
	b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
	[ -n "$b" ] || vg_fail "vg_flip_bit: $f has no byte at $off"
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' $((b ^ (1 << bit))))" |
		dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}

# Blob files on disk (or blob ids with an object in the pool), and blob ids
# the metadata references (sorted).
vg_rados() { timeout 60 rados -c "$VG_CEPH_CONF" -p "$VG_CEPH_POOL" "$@"; }
vg_blob_files() {
	if [ "$VG_STORE" = rados ]; then
		vg_rados ls | grep -v '^vaultgate\.' | cut -c1-32 | sort -u
	else
		find "$1/blobs" -type f -printf '%f\n' | sort
	fi
}
# vg_blob_get STATE ID FILE / vg_blob_put STATE ID FILE: a blob's stored
# bytes (header, then the sealed segments) out to FILE and back. On RADOS
# the stream is cut back into the header object and one object per
# segment (VG_SEG + 16 bytes each), and segment objects past the end are
# removed, so truncating or extending FILE does the same to the blob.
vg_blob_get() {
	local st=$1 id=$2 f=$3 i=0
	if [ "$VG_STORE" != rados ]; then
		cp "$st/blobs/${id:0:2}/$id" "$f"
		return
	fi
	vg_rados get "$id" "$f"
	while vg_rados stat "$id.$(printf %08x $i)" >/dev/null 2>&1; do
		vg_rados get "$id.$(printf %08x $i)" "$f.seg"
		cat "$f.seg" >>"$f"
		i=$((i + 1))
	done
	rm -f "$f.seg"
}
vg_blob_put() {
	local st=$1 id=$2 f=$3 size off i=0 len full=$((VG_SEG + 16))
	if [ "$VG_STORE" != rados ]; then
		cat "$f" >"$st/blobs/${id:0:2}/$id"
		return
	fi
	size=$(stat -c %s "$f")
	vg_slice "$f" 0 48 >"$f.part"
	vg_rados put "$id" "$f.part"
	off=48
	while [ "$off" -lt "$size" ]; do
		len=$((size - off < full ? size - off : full))
		vg_slice "$f" "$off" "$len" >"$f.part"
		vg_rados put "$id.$(printf %08x $i)" "$f.part"
		off=$((off + len))
		i=$((i + 1))
	done
	while vg_rados stat "$id.$(printf %08x $i)" >/dev/null 2>&1; do
		vg_rados rm "$id.$(printf %08x $i)"
		i=$((i + 1))
	done
	rm -f "$f.part"
}
vg_blob_refs() { "$VG_TOOLS/vg-meta" "$1/meta" blobs | sort; }
vg_object_blobs() { "$VG_TOOLS/vg-meta" "$1/meta" object-blobs | sort; }

# vg_assert_consistent STATE (vaultd stopped): no pending point in the
# metadata, and the blob files, the blobs index and the object records
# name exactly the same blob ids: nothing orphaned, nothing missing.
vg_assert_consistent() {
	local st=$1 files refs objs pend
	files=$(vg_blob_files "$st")
	refs=$(vg_blob_refs "$st")
	objs=$(vg_object_blobs "$st")
	pend=$("$VG_TOOLS/vg-meta" "$st/meta" points | grep -c ' pending$' || true)
	[ "$pend" = 0 ] || vg_fail "$pend pending points left in the metadata"
	if [ "$files" != "$refs" ]; then
		echo "blob files not referenced:" >&2
		comm -23 <(echo "$files") <(echo "$refs") >&2
		echo "referenced blobs without a file:" >&2
		comm -13 <(echo "$files") <(echo "$refs") >&2
		vg_fail "blob files and the blobs index differ"
	fi
	[ "$refs" = "$objs" ] || vg_fail "the blobs index and the object records differ"
}

# vg_wait_exit PID SECONDS: wait for a process to end, bounded; sets
# VG_EXIT to its status (only for children of this shell).
vg_wait_exit() {
	local pid=$1 t=$2 i=0
	while kill -0 "$pid" 2>/dev/null; do
		[ $i -lt $((t * 20)) ] || vg_fail "process $pid still running after ${t}s"
		sleep 0.05
		i=$((i + 1))
	done
	VG_EXIT=0
	wait "$pid" || VG_EXIT=$?
}

# vg_stop_vaultd_checked: SIGTERM, bounded wait, and it must exit 0.
vg_stop_vaultd_checked() {
	kill -TERM "$VAULTD_PID"
	vg_wait_exit "$VAULTD_PID" 30
	[ "$VG_EXIT" = 0 ] || vg_fail "vaultd exited with status $VG_EXIT after SIGTERM"
}

# vg_kill_vaultd: SIGKILL, no clean-up of any kind.
vg_kill_vaultd() {
	kill -KILL "$VAULTD_PID" 2>/dev/null || true
	wait "$VAULTD_PID" 2>/dev/null || true
}
