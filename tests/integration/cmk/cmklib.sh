# shellcheck shell=bash
# cmklib.sh - helpers for the CMK, alert and report tests (sourced after
# ../lib.sh, never run). A private SoftHSM2 token per run, created by the
# test: SOFTHSM2_CONF points into the run's work dir, so nothing outside it
# is touched.

P11_MODULE=${P11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
VAULTNOTIFY=$VG_BUILD/vault/vaultnotify

# hsm_init: a fresh token labelled vgt-$$ with user PIN 1234, the vaultd
# key-provider configuration in $VG_WORK/p11.conf and the PIN file.
hsm_init() {
	if ! command -v softhsm2-util >/dev/null || ! command -v pkcs11-tool >/dev/null; then
		vg_fail "softhsm2-util and pkcs11-tool are needed (scripts/install-deps.sh)"
	fi
	[ -r "$P11_MODULE" ] || vg_fail "no PKCS#11 module at $P11_MODULE"
	HSM_DIR=$VG_WORK/hsm
	HSM_TOKEN=vgt-$$
	HSM_PIN=1234
	mkdir -p "$HSM_DIR/tokens"
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$HSM_DIR" >"$HSM_DIR/softhsm2.conf"
	export SOFTHSM2_CONF=$HSM_DIR/softhsm2.conf
	softhsm2-util --init-token --free --label "$HSM_TOKEN" --pin "$HSM_PIN" --so-pin 87654321 \
		>"$VG_WORK/hsm-init.log" 2>&1 || vg_fail "softhsm2-util --init-token failed"
	printf '%s\n' "$HSM_PIN" >"$VG_WORK/pin"
	chmod 600 "$VG_WORK/pin"
	printf '# vaultd key provider (test)\nmodule = %s\ntoken = %s\npin_file = %s\n' \
		"$P11_MODULE" "$HSM_TOKEN" "$VG_WORK/pin" >"$VG_WORK/p11.conf"
	chmod 600 "$VG_WORK/p11.conf"
}

hsm_tool() {
	pkcs11-tool --module "$P11_MODULE" --token-label "$HSM_TOKEN" --login --pin "$HSM_PIN" "$@"
}

# hsm_new_key LABEL: 32 random bytes saved as $VG_WORK/LABEL.bin (the
# customer's escrow copy), imported as a sensitive AES-256 key.
hsm_new_key() {
	head -c 32 /dev/urandom >"$VG_WORK/$1.bin"
	hsm_import_key "$1"
}

# hsm_import_key LABEL: (re-)imports $VG_WORK/LABEL.bin under LABEL.
hsm_import_key() {
	hsm_tool --write-object "$VG_WORK/$1.bin" --type secrkey --key-type AES:32 --label "$1" \
		--sensitive --private >>"$VG_WORK/hsm.log" 2>&1 || vg_fail "importing key $1 failed"
}

hsm_delete_key() {
	hsm_tool --delete-object --type secrkey --label "$1" >>"$VG_WORK/hsm.log" 2>&1 ||
		vg_fail "deleting key $1 failed"
}

# cmk_start STATE SOCKET [vaultd options...]: the test daemon (its clock and
# crash points) with the given options; PID in VAULTD_PID.
cmk_start() {
	local state=$1 sock=$2
	shift 2
	"$VAULTD_TEST" --state-dir "$state" --socket "$sock" "$@" >>"$VG_WORK/vaultd.log" 2>&1 &
	VAULTD_PID=$!
	vg_track "$VAULTD_PID"
	vg_wait_socket "$sock"
}

# sha256 of every blob file: proves "nothing corrupted" across an outage.
blobs_digest() {
	(cd "$1/blobs" && find . -type f | LC_ALL=C sort | xargs -r sha256sum) | sha256sum | cut -d' ' -f1
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || vg_fail "$1: got '$2', want '$3'"
}
