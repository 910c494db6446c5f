#!/usr/bin/env bash
# cmk_double.sh - infrastructure (double) encryption (SPEC §4).
#
#   vaultctl ──unix──► vaultd-testclock ──► state/keys/platform.key  (wraps v1's and v2's DEK)
#                                     ├──► state/keys/infra.key     (wraps v2's infrastructure DEK)
#                                     └──► token vgt-PID: cmk-a     (wraps v2's DEK after the move)
#
# A vault created with --double-encryption stores every segment under two
# independent AES-256-GCM layers; the option exists only at creation. The
# blob header records the layers and each segment carries two tags, so the
# file is 16 bytes per segment longer than a single-layer one. Restores
# need both keys: with a different infra.key the vault's restores fail with
# "key unavailable" (the CMK is fine), and with the CMK deleted they fail
# too (infra.key is fine). Layer by layer decryption is shown by the unit
# suite (tests/unit/cmk/test_layers.c).
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/cmk/cmklib.sh"
vg_init
hsm_init
hsm_new_key cmk-a

ST=$VG_WORK/state
VG_SOCK=$VG_WORK/vaultd.sock
P11=(--pkcs11-config "$VG_WORK/p11.conf")
cmk_start "$ST" "$VG_SOCK" "${P11[@]}"

[ ! -e "$ST/keys/infra.key" ] || vg_fail "infra.key exists before any vault needs it"
out=$(vg_ctl vault create v2 --double-encryption)
expect_eq "create answer" "$out" "vault v2 created with infrastructure (double) encryption"
vg_ctl vault create v1 >/dev/null
[ "$(stat -c %a "$ST/keys/infra.key")" = 600 ] || vg_fail "infra.key is not 0600"
[ "$(stat -c %s "$ST/keys/infra.key")" = 32 ] || vg_fail "infra.key is not 32 bytes"
case "$(vg_ctl vault show v2)" in *"encryption=double"*) ;; *) vg_fail "v2 does not say double" ;; esac
case "$(vg_ctl vault show v1)" in *"encryption=single"*) ;; *) vg_fail "v1 does not say single" ;; esac
vg_expect_fail "unknown option --triple-encryption" vg_ctl vault create v3 --triple-encryption
vg_expect_fail "unknown setting" vg_ctl vault set v1 double-encryption on

# The same recognisable 2.5 MB file in both vaults: 3 segments each.
python3 -c 'import sys; sys.stdout.buffer.write(b"VAULTGATE-PLAINTEXT-MARKER " * 92600)' >"$VG_WORK/plain"
size=$(stat -c %s "$VG_WORK/plain")
vg_ctl item create v1 host1 >/dev/null
vg_ctl item create v2 host1 >/dev/null
P_v1=$(vg_ctl backup v1 host1 "$VG_WORK/plain")
P_v2=$(vg_ctl backup v2 host1 "$VG_WORK/plain")
blob_of() {  # the blob file of vault $1's only object
	local want
	# Blobs are named by random ids; the newest file is the one just written.
	want=$(cd "$ST/blobs" && find . -type f -printf '%T@ %p\n' | sort -n | sed -n "${1}p" | cut -d' ' -f2)
	echo "$ST/blobs/$want"
}
B1=$(blob_of 1)
B2=$(blob_of 2)
segs=3
expect_eq "single-layer blob size" "$(stat -c %s "$B1")" $((48 + size + segs * 16))
expect_eq "double-layer blob size" "$(stat -c %s "$B2")" $((48 + size + segs * 32))
expect_eq "single-layer header layers byte" "$(xxd -s 36 -l 1 -p "$B1")" 00
expect_eq "double-layer header layers byte" "$(xxd -s 36 -l 1 -p "$B2")" 02
grep -q "VAULTGATE-PLAINTEXT" "$B2" && vg_fail "plaintext in the double-layer blob"
for vp in "v1 $P_v1" "v2 $P_v2"; do
	set -- $vp
	vg_ctl restore "$1" host1 "$2" -o "$VG_WORK/out"
	cmp -s "$VG_WORK/out" "$VG_WORK/plain" || vg_fail "$1 restored wrong bytes"
done

vg_log "both layers' keys are needed: the CMK layer"
vg_ctl vault key v2 cmk cmk-a >/dev/null
vg_ctl restore v2 host1 "$P_v2" -o "$VG_WORK/out"
cmp -s "$VG_WORK/out" "$VG_WORK/plain" || vg_fail "v2 under cmk-a restored wrong bytes"
hsm_delete_key cmk-a
vg_expect_fail "key unavailable: no AES key labelled 'cmk-a'" vg_ctl restore v2 host1 "$P_v2" -o "$VG_WORK/out"
hsm_import_key cmk-a
vg_ctl restore v2 host1 "$P_v2" -o "$VG_WORK/out"

vg_log "both layers' keys are needed: the infrastructure layer"
vg_stop_vaultd
cp -p "$ST/keys/infra.key" "$VG_WORK/infra.key.saved"
head -c 32 /dev/urandom >"$ST/keys/infra.key"
cmk_start "$ST" "$VG_SOCK" "${P11[@]}"
vg_expect_fail "key unavailable: the infrastructure key keys/infra.key does not open this vault's infrastructure DEK" \
	vg_ctl restore v2 host1 "$P_v2" -o "$VG_WORK/out"
vg_ctl restore v1 host1 "$P_v1" -o "$VG_WORK/out"   # single-layer vaults do not need it
vg_stop_vaultd
cp -p "$VG_WORK/infra.key.saved" "$ST/keys/infra.key"
cmk_start "$ST" "$VG_SOCK" "${P11[@]}"
vg_ctl restore v2 host1 "$P_v2" -o "$VG_WORK/out"
cmp -s "$VG_WORK/out" "$VG_WORK/plain" || vg_fail "v2 restored wrong bytes at the end"

vg_log "one flipped bit in the outer layer is an integrity failure"
python3 -c "import sys;f=open(sys.argv[1],'r+b');f.seek(148);b=f.read(1);f.seek(148);f.write(bytes([b[0]^1]))" "$B2"
vg_expect_fail "integrity check failed" vg_ctl restore v2 host1 "$P_v2" -o "$VG_WORK/out"
vg_ctl audit verify >/dev/null
vg_log "PASS"
