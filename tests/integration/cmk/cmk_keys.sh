#!/usr/bin/env bash
# cmk_keys.sh - customer-managed keys in a real SoftHSM2 token (SPEC §4).
#
#   vaultctl ──unix──► vaultd-testclock ──dlopen──► libsofthsm2.so ──► token vgt-PID
#                        │                                            AES-256: cmk-a cmk-b cmk-c
#                        └─ state/: LMDB (wrapped DEK, key ref) + blobs/ (AES-256-GCM segments)
#
# Backup and restore under a CMK; platform key -> CMK; a rotation CMK -> CMK
# with a crash injected between the wrap and the commit (every point restores
# under the old key after the restart), then a clean rotation; rotations never
# touch the blobs; CMK -> platform refused; unusable target keys refused;
# key-change under a resource guard (MUA); the key-provider configuration's
# refusals; a wrong PIN and an absent token make operations fail with
# "key unavailable" until fixed.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/cmk/cmklib.sh"
vg_init
hsm_init
hsm_new_key cmk-a
hsm_new_key cmk-b
hsm_new_key cmk-c

ST=$VG_WORK/state
VG_SOCK=$VG_WORK/vaultd.sock
P11=(--pkcs11-config "$VG_WORK/p11.conf")
REF=pkcs11:token=$HSM_TOKEN\;object
cmk_start "$ST" "$VG_SOCK" "${P11[@]}"

vg_ctl vault create v1 >/dev/null
vg_ctl item create v1 host1 >/dev/null
POINTS=()
backup() {  # backup N: a 2.5 MB file (three 1 MiB segments)
	head -c $((2500000 + $1)) /dev/urandom >"$VG_WORK/d$1"
	POINTS+=("$(vg_ctl backup v1 host1 "$VG_WORK/d$1")")
}
restore_all() {
	local i=1 p
	for p in "${POINTS[@]}"; do
		vg_ctl restore v1 host1 "$p" -o "$VG_WORK/out" || vg_fail "restore of point $i ($p) failed ($1)"
		cmp -s "$VG_WORK/out" "$VG_WORK/d$i" || vg_fail "point $i restored wrong bytes ($1)"
		i=$((i + 1))
	done
}
keyref() { vg_ctl vault show v1 | sed -n 's/^key: //p'; }

backup 1
expect_eq "initial key" "$(keyref)" local

vg_log "platform key -> CMK cmk-a"
out=$(vg_ctl vault key v1 cmk cmk-a)
expect_eq "move answer" "$out" "vault v1: key is now $REF=cmk-a (DEK re-wrapped, data not re-encrypted)"
expect_eq "key after the move" "$(keyref)" "$REF=cmk-a"
restore_all "after the move to cmk-a"
backup 2
restore_all "under cmk-a"
vg_ctl audit export | grep -q "\"op\":\"vault.key\",\"target\":\"v1\",\"result\":\"ok\",\"reason\":\"local -> $REF=cmk-a" ||
	vg_fail "the move is not audited"

vg_log "rotation cmk-a -> cmk-b, crashing between wrap and commit"
before=$(blobs_digest "$ST")
vg_stop_vaultd
VG_TEST_CRASH_AT=key-change:wrapped cmk_start "$ST" "$VG_SOCK" "${P11[@]}"
vg_expect_fail "connection closed" vg_ctl vault key v1 cmk cmk-b
wait "$VAULTD_PID" 2>/dev/null && vg_fail "vaultd survived its crash point"
cmk_start "$ST" "$VG_SOCK" "${P11[@]}"
expect_eq "key after the crash" "$(keyref)" "$REF=cmk-a"
restore_all "after the crash, under the old key"
vg_ctl audit verify >/dev/null
expect_eq "blobs after the crash" "$(blobs_digest "$ST")" "$before"

vg_log "clean rotation cmk-a -> cmk-b"
out=$(vg_ctl vault key v1 cmk cmk-b)
expect_eq "rotation answer" "$out" "vault v1: key is now $REF=cmk-b (DEK re-wrapped, data not re-encrypted)"
expect_eq "blobs after the rotation (not re-encrypted)" "$(blobs_digest "$ST")" "$before"
# The old KEK is no longer needed: without it every point still restores.
hsm_delete_key cmk-a
restore_all "under cmk-b, cmk-a deleted"
backup 3
restore_all "under cmk-b"

vg_log "refusals"
vg_expect_fail "vaultctl: v1: vault v1 uses the customer-managed key $REF=cmk-b: moving back to the platform key is refused (a vault under a CMK stays under customer control)" \
	vg_ctl vault key v1 platform
vg_ctl audit export | grep -q '"op":"vault.key","target":"v1","result":"denied"' || vg_fail "refusal not audited"
vg_expect_fail "vaultctl: v1: key unavailable: vault v1: the new key $REF=nosuch cannot wrap the DEK: no AES key labelled 'nosuch' in token '$HSM_TOKEN' (deleted or never imported)" \
	vg_ctl vault key v1 cmk nosuch
vg_expect_fail "vaultctl: v1: vault v1 already uses $REF=cmk-b" vg_ctl vault key v1 cmk cmk-b
vg_expect_fail "key label \"bad;label\"" vg_ctl vault key v1 cmk "bad;label"
head -c 32 /dev/urandom >"$VG_WORK/cmk-x.bin"
hsm_tool --write-object "$VG_WORK/cmk-x.bin" --type secrkey --key-type AES:32 --label cmk-x \
	--extractable --private >>"$VG_WORK/hsm.log" 2>&1
vg_expect_fail "key 'cmk-x' can leave the token" vg_ctl vault key v1 cmk cmk-x
expect_eq "key after the refusals" "$(keyref)" "$REF=cmk-b"
restore_all "after the refusals"

vg_log "key-change is a critical operation under a resource guard"
vg_ctl principal add alice >"$VG_WORK/alice.tok"
vg_ctl guard create g1 >/dev/null
vg_ctl guard approver add g1 alice >/dev/null
vg_ctl vault set v1 guard g1 >/dev/null
vg_expect_fail "key-change on v1 is a critical operation under guard g1" vg_ctl vault key v1 cmk cmk-c
rq=$(vg_ctl mua request v1 key-change v1)
"$VAULTCTL" --socket "$VG_SOCK" --user alice --token-file "$VG_WORK/alice.tok" mua approve "$rq" >/dev/null
vg_ctl --grant "$rq" vault key v1 cmk cmk-c >/dev/null
expect_eq "key after the approved change" "$(keyref)" "$REF=cmk-c"
vg_expect_fail "grant $rq was already used" vg_ctl --grant "$rq" vault key v1 cmk cmk-b
restore_all "under cmk-c"

vg_log "key-provider configuration refusals (vaultd --check)"
vg_stop_vaultd
chk() { "$VAULTD" --state-dir "$ST" --check "$@" 2>&1; }
chmod 640 "$VG_WORK/pin"
vg_expect_fail "$VG_WORK/pin: mode 0640 is too open: a secret file must be 0600 or 0400" chk "${P11[@]}"
chmod 600 "$VG_WORK/pin"
chmod 620 "$VG_WORK/p11.conf"
vg_expect_fail "$VG_WORK/p11.conf: mode 0620 is group or world writable" chk "${P11[@]}"
chmod 600 "$VG_WORK/p11.conf"
printf 'module = %s\ntoken = %s\npin_file = %s\nslot = 3\n' "$P11_MODULE" "$HSM_TOKEN" \
	"$VG_WORK/pin" >"$VG_WORK/bad.conf"
vg_expect_fail "$VG_WORK/bad.conf:4: unknown key \"slot\" (module, token, pin_file)" chk --pkcs11-config "$VG_WORK/bad.conf"
printf 'module = relative.so\n' >"$VG_WORK/bad.conf"
vg_expect_fail "$VG_WORK/bad.conf:1: module \"relative.so\" must be an absolute path" chk --pkcs11-config "$VG_WORK/bad.conf"
out=$("$VAULTD" --state-dir "$ST" --check "${P11[@]}" 2>/dev/null)
expect_eq "--check (last line)" "$(printf '%s\n' "$out" | tail -n 1)" "configuration OK"

vg_log "a wrong PIN: key unavailable until the PIN file is fixed"
printf '9999\n' >"$VG_WORK/pin"
cmk_start "$ST" "$VG_SOCK" "${P11[@]}"
# (vaultd's purger may have been first to try: the token saw one wrong PIN
# either way, and it is not offered again.)
vg_expect_fail "vaultctl: backup: vault v1: key unavailable: token '$HSM_TOKEN' refused the PIN in $VG_WORK/pin" \
	vg_ctl backup v1 host1 "$VG_WORK/d1"
vg_expect_fail "key unavailable: token '$HSM_TOKEN' refused the PIN in $VG_WORK/pin; not retried until that file changes" \
	vg_ctl restore v1 host1 "${POINTS[0]}" -o "$VG_WORK/out"
n=$(vg_ctl alerts v1 | grep -c "cmk-unavailable" || true)
expect_eq "cmk-unavailable alerts for the wrong PIN" "$n" 1
printf '%s\n' "$HSM_PIN" >"$VG_WORK/pin.new"
chmod 600 "$VG_WORK/pin.new"
mv "$VG_WORK/pin.new" "$VG_WORK/pin"
restore_all "after the PIN file was fixed, without a restart"
vg_stop_vaultd

vg_log "an absent token: key unavailable until it is back"
mv "$HSM_DIR/tokens" "$HSM_DIR/tokens.away"
mkdir "$HSM_DIR/tokens"
cmk_start "$ST" "$VG_SOCK" "${P11[@]}"
vg_expect_fail "key unavailable: token '$HSM_TOKEN' is not present" \
	vg_ctl restore v1 host1 "${POINTS[0]}" --object d1 -o "$VG_WORK/out"
vg_stop_vaultd
rmdir "$HSM_DIR/tokens"
mv "$HSM_DIR/tokens.away" "$HSM_DIR/tokens"
cmk_start "$ST" "$VG_SOCK" "${P11[@]}"
restore_all "with the token back"
vg_ctl audit verify >/dev/null
vg_log "PASS"
