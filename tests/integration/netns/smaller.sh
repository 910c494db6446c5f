#!/usr/bin/env bash
# smaller.sh - issue 19.6: the smaller items.
#
#  - vaultnet: an allowlist of 0.0.0.0/0 or ::/0 is warned about (--check)
#    and refused by `up` (exit 2, nothing created, refusal audited) unless
#    --force is given;
#  - the seed (image/files/firstboot --validate-seed, the same checks as a
#    first boot): ssh-rsa keys under 3072 bits refused, 3072 accepted;
#    instance-id required and validated; user-data or meta-data that is a
#    symbolic link (to /etc/shadow, say) refused, as is a FIFO.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/netns/topology.sh"
VAULTNET=$VG_BUILD/netns/vaultnet
FIRSTBOOT=$VG_SRC/image/files/firstboot
vg_init
vgtopo_init "vgt-$$"
vg_on_exit vgtopo_down

VG_SOCK=$VG_WORK/vaultd.sock
vg_start_vaultd "$VG_WORK/state" "$VG_SOCK"
vgtopo_up
CONF=$VG_WORK/vaultnet.conf

vg_log "allow_v4 = 0.0.0.0/0: warned, refused without --force"
vgtopo_config "$CONF" "vaultd_socket = $VG_SOCK"
sed -i 's|^allow_v4 = .*|allow_v4 = 10.231.0.10, 0.0.0.0/0|' "$CONF"
out=$("$VAULTNET" --check --config "$CONF" 2>&1) || vg_fail "--check of a /0 allowlist failed: $out"
echo "$out" | grep -q "warning: allow_v4 has 0.0.0.0/0: every IPv4 source on every network may connect" ||
	vg_fail "--check did not warn: $out"
rc=0
out=$("$VAULTNET" up --config "$CONF" 2>&1) || rc=$?
[ "$rc" = 2 ] || vg_fail "up of a /0 allowlist exited $rc: $out"
echo "$out" | grep -q "up: refusing an allowlist that admits every source; pass --force to apply it anyway" ||
	vg_fail "up's refusal: $out"
[ ! -e "/run/netns/$TOPO_PE" ] || vg_fail "the refused up created the namespace"
vg_ctl audit export | grep firewall.apply-refused | grep -q "$TOPO_PE" || vg_fail "the refusal is not audited"
out=$("$VAULTNET" up --force --config "$CONF" 2>&1) || vg_fail "up --force: $out"
echo "$out" | grep -q "warning: allow_v4 has 0.0.0.0/0" || vg_fail "up --force did not warn: $out"
"$VAULTNET" down --config "$CONF" >/dev/null
vgtopo_config "$CONF" "address6 = fd00:231::5/64" "allow_v6 = ::/0"
rc=0
out=$("$VAULTNET" up --config "$CONF" 2>&1) || rc=$?
[ "$rc" = 2 ] && echo "$out" | grep -q "warning: allow_v6 has ::/0" || vg_fail "::/0 not refused ($rc): $out"

vg_log "the seed: RSA key sizes, instance-id, symbolic links"
SEED=$VG_WORK/seed
mkdir -p "$SEED"
ssh-keygen -q -t ed25519 -N '' -C t -f "$VG_WORK/ed"
ssh-keygen -q -t rsa -b 2048 -N '' -C t -f "$VG_WORK/rsa2048"
ssh-keygen -q -t rsa -b 3072 -N '' -C t -f "$VG_WORK/rsa3072"
# seed KEYFILE [INSTANCE-ID]
seed() {
	printf 'instance-id: %s\nlocal-hostname: vault1\n' "${2-vault1-2026}" >"$SEED/meta-data"
	{
		echo "#cloud-config"
		echo "ssh_authorized_keys:"
		echo "  - \"$(cat "$1")\""
		echo "vaultgate:"
		echo "  data_ip: 10.20.0.5"
		echo "  data_prefix: 24"
		echo "  allow:"
		echo "    - 10.20.0.0/24"
		echo "  owner_token_sha256: $(printf %s vg_test | sha256sum | cut -d' ' -f1)"
	} >"$SEED/user-data"
}
seed "$VG_WORK/ed.pub"
out=$(bash "$FIRSTBOOT" --validate-seed "$SEED" 2>&1) || vg_fail "a good seed was refused: $out"
echo "$out" | grep -q "seed OK: instance vault1-2026, host vault1, data 10.20.0.5/24, 1 SSH key" || vg_fail "check-seed: $out"
seed "$VG_WORK/rsa2048.pub"
vg_expect_fail "is a 2048-bit RSA key: at least 3072 bits (or ed25519)" bash "$FIRSTBOOT" --validate-seed "$SEED"
seed "$VG_WORK/rsa3072.pub"
bash "$FIRSTBOOT" --validate-seed "$SEED" >/dev/null 2>&1 || vg_fail "a 3072-bit RSA key was refused"
for bad in "../../etc" "a b" "-x" "$(printf 'x%.0s' $(seq 65))" 'vault;rm'; do
	seed "$VG_WORK/ed.pub" "$bad"
	vg_expect_fail "meta-data: instance-id: " bash "$FIRSTBOOT" --validate-seed "$SEED"
done
seed "$VG_WORK/ed.pub" ""
vg_expect_fail "meta-data: instance-id is required" bash "$FIRSTBOOT" --validate-seed "$SEED"
seed "$VG_WORK/ed.pub"
cp "$SEED/user-data" "$VG_WORK/ud"
ln -sf "$VG_WORK/ud" "$SEED/user-data"
vg_expect_fail "user-data is a symbolic link" bash "$FIRSTBOOT" --validate-seed "$SEED"
rm "$SEED/user-data"
cp "$VG_WORK/ud" "$SEED/user-data"
rm "$SEED/meta-data"
ln -s /etc/shadow "$SEED/meta-data"
vg_expect_fail "meta-data is a symbolic link" bash "$FIRSTBOOT" --validate-seed "$SEED"
rm "$SEED/meta-data"
mkfifo "$SEED/meta-data"
vg_expect_fail "meta-data is a fifo, not a regular file" bash "$FIRSTBOOT" --validate-seed "$SEED"
vg_log "PASS"
