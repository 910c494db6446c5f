#!/usr/bin/env bash
# ceph_seed.sh - the image side of a RADOS store, without booting a VM:
#   - a seed naming a Ceph cluster (vaultgate.ceph: mon_host, public_network,
#     pool, client, keyring: a file on the seed) passes
#     image/files/firstboot --validate-seed, which never prints the key; so
#     does the ISO image/mkseed.sh makes with --ceph-*;
#   - what first boot writes for it (firstboot --render-ceph: the same
#     writer under a directory): ceph.conf, the keyring (0400), vaultd-store.env
#     (VAULTD_STORE=--store rados ...), the vaultd.service drop-in (the host's
#     network, IPAddressAllow the cluster only) and mgmt.d/ceph-egress.nft;
#   - vaultd started with exactly those files against a real cephx cluster:
#     a backup and a restore;
#   - mgmt.nft with the generated egress rules, loaded in a namespace: vaultd's
#     uid reaches a monitor and an OSD port of the cluster's network; another
#     port, another uid (root) and another network are dropped;
#   - refused seeds (a monitor outside the public network, host bits, the admin
#     user, a keyring that is missing, a link, another user's, or malformed,
#     unknown keys) and a seed without a cluster (the files are removed).
#
#   seed ──firstboot --render-ceph──► etc/vaultgate/{ceph/,vaultd-store.env,mgmt.d/}
#   vaultd $VAULTD_STORE ──cephx──► ceph-mon/osd 127.0.0.1
#   vgt-$$-mg (mgmt.nft + egress) ──veth──► vgt-$$-cl (stand-in listeners)
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/ceph/cephlib.sh"
FIRSTBOOT=$VG_SRC/image/files/firstboot
vg_init
vg_state_init
ceph_up
POOL=vgt-$$-seed
CLIENT=vgt-$$-vd
ceph_pool "$POOL"
ceph_client "$CLIENT" "$POOL"
KR=$CEPH_DIR/client.$CLIENT.keyring
KEY=$(sed -n 's/^[[:space:]]*key = //p' "$KR")
# The monitor's v1 address (the test cluster's ports are picked free).
MON=$(sed -n 's/^mon host = .*v1:\([0-9.]*:[0-9]*\)\]$/\1/p' "$CEPH_CONF")
[ -n "$MON" ] || vg_fail "no v1 monitor address in $CEPH_CONF"

SEED=$VG_WORK/seed
mkdir -p "$SEED"
ssh-keygen -q -t ed25519 -N '' -C t -f "$VG_WORK/ed"
# seed [CEPH STANZA LINES...]: a valid seed; the lines go under vaultgate.
seed() {
	printf 'instance-id: vault1-2026\nlocal-hostname: vault1\n' >"$SEED/meta-data"
	{
		echo "#cloud-config"
		echo "ssh_authorized_keys:"
		echo "  - \"$(cat "$VG_WORK/ed.pub")\""
		echo "vaultgate:"
		echo "  data_ip: 10.20.0.5"
		echo "  data_prefix: 24"
		echo "  allow:"
		echo "    - 10.20.0.0/24"
		echo "  owner_token_sha256: $(printf %s vg_test | sha256sum | cut -d' ' -f1)"
		for l in "$@"; do echo "  $l"; done
	} >"$SEED/user-data"
}
CEPH_OK=("ceph:" "  mon_host:" "    - $MON" "  public_network:" "    - 127.0.0.0/8"
	"  pool: $POOL" "  client: $CLIENT" "  keyring: ceph.keyring")
cp "$KR" "$SEED/ceph.keyring"

vg_log "a seed naming the cluster"
seed "${CEPH_OK[@]}"
out=$(bash "$FIRSTBOOT" --validate-seed "$SEED" 2>&1) || vg_fail "a good seed was refused: $out"
echo "$out" | grep -qF "ceph: pool $POOL as client.$CLIENT, monitors $MON, egress to 127.0.0.0/8 ports 3300, 6789, 6800-7300 (vaultd only)" ||
	vg_fail "validate-seed: $out"
! echo "$out" | grep -qF "$KEY" || vg_fail "validate-seed printed the key"

vg_log "image/mkseed.sh --ceph-*: the same stanza, the keyring on the ISO"
printf %s vg_test >"$VG_WORK/owner.token"
bash "$VG_SRC/image/mkseed.sh" -o "$VG_WORK/seed.iso" --data-ip 10.20.0.5 --data-prefix 24 \
	--allow 10.20.0.0/24 --ssh-key "$VG_WORK/ed.pub" --owner-token-file "$VG_WORK/owner.token" \
	--instance-id vault1-2026 --hostname vault1 --ceph-mon "$MON" --ceph-network 127.0.0.0/8 \
	--ceph-pool "$POOL" --ceph-client "$CLIENT" --ceph-keyring "$KR" >/dev/null || vg_fail "mkseed.sh --ceph-*"
ISO=$VG_WORK/iso
mkdir -p "$ISO"
for f in user-data meta-data ceph.keyring; do
	isoinfo -R -i "$VG_WORK/seed.iso" -x "/$f" >"$ISO/$f" || vg_fail "no $f on the ISO"
done
cmp "$KR" "$ISO/ceph.keyring" || vg_fail "the ISO's keyring differs"
out=$(bash "$FIRSTBOOT" --validate-seed "$ISO" 2>&1) || vg_fail "mkseed's seed was refused: $out"
echo "$out" | grep -qF "ceph: pool $POOL as client.$CLIENT, monitors $MON" || vg_fail "mkseed's seed: $out"
vg_expect_fail "a Ceph cluster needs --ceph-mon, --ceph-network" bash "$VG_SRC/image/mkseed.sh" \
	-o "$VG_WORK/bad.iso" --data-ip 10.20.0.5 --data-prefix 24 --allow 10.20.0.0/24 \
	--ssh-key "$VG_WORK/ed.pub" --owner-token-file "$VG_WORK/owner.token" --ceph-pool "$POOL"

vg_log "what first boot writes for it"
OUT=$VG_WORK/root
mkdir -p "$OUT"
VDUID=65534
out=$(bash "$FIRSTBOOT" --render-ceph "$SEED" "$OUT" "$VDUID" 2>&1) || vg_fail "render: $out"
! echo "$out" | grep -qF "$KEY" || vg_fail "render printed the key"
E=$OUT/etc/vaultgate
want="VAULTD_STORE=--store rados --ceph-conf /etc/vaultgate/ceph/ceph.conf --ceph-pool $POOL --ceph-id $CLIENT --ceph-keyring /etc/vaultgate/ceph/keyring"
grep -qxF "$want" "$E/vaultd-store.env" || vg_fail "vaultd-store.env: $(cat "$E/vaultd-store.env")"
grep -qxF "mon host = $MON" "$E/ceph/ceph.conf" || vg_fail "ceph.conf: $(cat "$E/ceph/ceph.conf")"
cmp "$KR" "$E/ceph/keyring" || vg_fail "the keyring differs from the seed's"
[ "$(stat -c %a "$E/ceph/keyring")" = 400 ] || vg_fail "keyring mode $(stat -c %a "$E/ceph/keyring")"
D=$OUT/etc/systemd/system/vaultd.service.d/ceph.conf
for l in "PrivateNetwork=no" "IPAddressDeny=any" "IPAddressAllow=127.0.0.0/8"; do
	grep -qxF "$l" "$D" || vg_fail "the vaultd drop-in has no $l: $(cat "$D")"
done
grep -q "meta skuid $VDUID ip daddr 127.0.0.0/8 tcp dport 6800-7300 ct state new counter accept" "$E/mgmt.d/ceph-egress.nft" &&
	grep -q "meta skuid $VDUID ip daddr ${MON%:*} tcp dport ${MON#*:} ct state new" "$E/mgmt.d/ceph-egress.nft" ||
	vg_fail "ceph-egress.nft: $(cat "$E/mgmt.d/ceph-egress.nft")"
# The unit reads the variable: vaultd.service passes $VAULTD_STORE.
grep -q '^EnvironmentFile=-/etc/vaultgate/vaultd-store.env$' "$VG_SRC/image/units/vaultd.service" &&
	grep -q '^ExecStart=/usr/sbin/vaultd .*\$VAULTD_STORE' "$VG_SRC/image/units/vaultd.service" ||
	vg_fail "vaultd.service does not pass VAULTD_STORE"

vg_log "vaultd on exactly those files, against the cluster"
# A systemd EnvironmentFile (not shell): the value is the rest of the line.
VAULTD_STORE=$(sed -n "s|^VAULTD_STORE=||; T; s|/etc/vaultgate/|$E/|g; p" "$E/vaultd-store.env")
# shellcheck disable=SC2086
"$VAULTD" --state-dir "$VG_STATE" --socket "$VG_SOCK" $VAULTD_STORE >>"$VG_WORK/vaultd.log" 2>&1 &
VAULTD_PID=$!
vg_track "$VAULTD_PID"
vg_wait_socket "$VG_SOCK"
grep -q "blobs: RADOS pool $POOL ($E/ceph/ceph.conf, client.$CLIENT)" "$VG_WORK/vaultd.log" ||
	vg_fail "vaultd is not on the pool: $(cat "$VG_WORK/vaultd.log")"
vg_ctl vault create v1 >/dev/null
vg_ctl item create v1 h1 >/dev/null
vg_random_file "$VG_WORK/a" $((2 * VG_SEG + 3))
P1=$(vg_ctl backup v1 h1 "$VG_WORK/a")
vg_ctl restore v1 h1 "$P1" | cmp - "$VG_WORK/a"
[ -n "$(rados -c "$CEPH_CONF" -p "$POOL" ls | grep -v '^vaultgate\.')" ] || vg_fail "no blob in pool $POOL"
vg_stop_vaultd_checked
! grep -qF "$KEY" "$VG_WORK/vaultd.log" || vg_fail "the key is in vaultd's log"

vg_log "mgmt.nft with the egress rules: vaultd's uid only, the cluster's ports only"
MG=vgt-$$-mg CL=vgt-$$-cl
cleanup_ns() { ip netns del "$MG" 2>/dev/null || true; ip netns del "$CL" 2>/dev/null || true; }
vg_on_exit cleanup_ns
ip netns add "$MG"
ip netns add "$CL"
ip link add vgt$$m netns "$MG" type veth peer name vgt$$c netns "$CL"
ip -n "$MG" addr add 10.231.77.1/24 dev vgt$$m
ip -n "$CL" addr add 10.231.77.2/24 dev vgt$$c
ip -n "$CL" addr add 10.231.78.2/24 dev vgt$$c
for ns in "$MG" "$CL"; do ip -n "$ns" link set lo up; done
ip -n "$MG" link set vgt$$m up
ip -n "$CL" link set vgt$$c up
ip -n "$MG" route add 10.231.78.0/24 dev vgt$$m
mkdir -p "$VG_WORK/mgmt.d"
sed "s|/etc/vaultgate/mgmt.d/|$VG_WORK/mgmt.d/|" "$VG_SRC/image/files/mgmt.nft" >"$VG_WORK/mgmt.nft"
bash "$VG_SRC/image/files/mgmt-egress" "$VDUID" 10.231.77.0/24 >"$VG_WORK/mgmt.d/ceph-egress.nft"
ip netns exec "$MG" nft -f "$VG_WORK/mgmt.nft" || vg_fail "mgmt.nft with the egress rules does not load"
[ "$(ip netns exec "$MG" nft list chain inet vaultgate_mgmt egress | grep -c 'meta skuid')" = 3 ] ||
	vg_fail "egress chain: $(ip netns exec "$MG" nft list chain inet vaultgate_mgmt egress)"
ip netns exec "$CL" python3 -c '
import socket, sys, select
ls = []
for p in (3300, 6801, 8080):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", p)); s.listen(16); ls.append(s)
while True:
    for s in select.select(ls, [], [])[0]:
        c, _ = s.accept(); c.close()
' &
vg_track $!
# try UID HOST PORT: 0 if a TCP connection opens within 2 s.
try() {
	ip netns exec "$MG" setpriv --reuid "$1" --regid "$1" --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.settimeout(2)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
except OSError:
    sys.exit(1)' "$2" "$3"
}
for i in $(seq 1 50); do try "$VDUID" 10.231.77.2 3300 && break; sleep 0.1; done
try "$VDUID" 10.231.77.2 3300 || vg_fail "vaultd's uid cannot reach a monitor port"
try "$VDUID" 10.231.77.2 6801 || vg_fail "vaultd's uid cannot reach an OSD port"
! try "$VDUID" 10.231.77.2 8080 || vg_fail "vaultd's uid reached port 8080 of the cluster's network"
! try 0 10.231.77.2 3300 || vg_fail "root (not vaultd) reached the cluster"
! try "$VDUID" 10.231.78.2 3300 || vg_fail "vaultd's uid reached a network that is not the cluster's"
drops=$(ip netns exec "$MG" nft list chain inet vaultgate_mgmt output | sed -n 's/.*counter packets \([0-9]*\) .*no outbound connections.*/\1/p')
[ "${drops:-0}" -ge 3 ] || vg_fail "the refused connections were not counted as dropped ($drops)"

vg_log "refused seeds"
# refuse WANT STANZA...: --validate-seed fails with WANT and never prints the key.
refuse() {
	local want=$1 out rc=0
	shift
	seed "$@"
	out=$(bash "$FIRSTBOOT" --validate-seed "$SEED" 2>&1) || rc=$?
	[ "$rc" != 0 ] || vg_fail "a seed was accepted; wanted: $want"
	case "$out" in *"$want"*) ;; *) vg_fail "expected '$want', got: $out" ;; esac
	! echo "$out" | grep -qF "$KEY" || vg_fail "a refusal printed the key: $out"
}
without() { local d=$1; shift; for l in "$@"; do [ "$l" = "$d" ] || echo "$l"; done; }
mapfile -t nopub < <(without "  public_network:" "${CEPH_OK[@]}" | grep -v '127.0.0.0/8')
refuse "vaultgate.ceph.public_network lists no network" "${nopub[@]}"
refuse "vaultgate.ceph.mon_host: 10.9.9.9 is in no public_network" \
	"${CEPH_OK[@]/#    - $MON/    - 10.9.9.9}"
refuse "\"127.0.0.1/8\" has host bits set" "${CEPH_OK[@]/#    - 127.0.0.0\/8/    - 127.0.0.1/8}"
refuse "vaultgate.ceph.client: admin refused" "${CEPH_OK[@]/#  client: $CLIENT/  client: admin}"
refuse "vaultgate.ceph.pool: \"a/b\" is not a pool name" "${CEPH_OK[@]/#  pool: $POOL/  pool: a/b}"
refuse "unknown key vaultgate.ceph.user" "${CEPH_OK[@]}" "  user: x"
mapfile -t nokr < <(without "  keyring: ceph.keyring" "${CEPH_OK[@]}")
refuse "vaultgate.ceph.keyring is required" "${nokr[@]}"
refuse "is not a file name on the seed" "${CEPH_OK[@]/#  keyring: ceph.keyring/  keyring: ../etc/shadow}"
refuse "other.keyring (vaultgate.ceph.keyring) is not on the seed" \
	"${CEPH_OK[@]/#  keyring: ceph.keyring/  keyring: other.keyring}"
mv "$SEED/ceph.keyring" "$VG_WORK/kr.save"
ln -s "$VG_WORK/kr.save" "$SEED/ceph.keyring"
refuse "ceph.keyring is a symbolic link" "${CEPH_OK[@]}"
rm "$SEED/ceph.keyring"
sed "s/^\[client\..*\]/[client.someone]/" "$VG_WORK/kr.save" >"$SEED/ceph.keyring"
refuse "holds [client.someone], not [client.$CLIENT]" "${CEPH_OK[@]}"
{ cat "$VG_WORK/kr.save"; echo "	secret $KEY"; } >"$SEED/ceph.keyring"
refuse "a line that is not a section, a key (40 base64 characters) or caps (line not shown" "${CEPH_OK[@]}"
sed '/key = /d' "$VG_WORK/kr.save" >"$SEED/ceph.keyring"
refuse "want one [client.$CLIENT] section with one key, found 1 section(s), 0 key(s)" "${CEPH_OK[@]}"
cp "$VG_WORK/kr.save" "$SEED/ceph.keyring"

vg_log "a seed without a cluster: the files go, vaultd stays on its disk"
seed
bash "$FIRSTBOOT" --render-ceph "$SEED" "$OUT" "$VDUID" >/dev/null 2>&1 || vg_fail "render without ceph"
for f in "$E/vaultd-store.env" "$E/mgmt.d/ceph-egress.nft" "$D" "$E/ceph"; do
	[ ! -e "$f" ] || vg_fail "$f is left without a cluster in the seed"
done
vg_log "ok"
