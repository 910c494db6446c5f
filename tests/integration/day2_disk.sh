#!/usr/bin/env bash
# day2_disk.sh - the appliance's day-two disk pieces outside the VM (issue
# 21), on loop devices this test makes and removes:
#   - `vaultgate-config grow` refuses a directory that is not a mount point
#     and a data disk that is not ext4 (audited);
#   - `firstboot --seed-check`: a NoCloud seed (a filesystem labelled
#     CIDATA) attached after first boot with another instance-id makes
#     the console line that names vaultgate-config; the same instance-id
#     says nothing.
#
#   loop0 (not ext4) mounted at $VG_WORK/data   vaultd (audit)
#   loop1 (ext2, label CIDATA)
set -eu
. "$VG_SRC/tests/integration/lib.sh"

vg_init
vg_state_init
CONFIG=$VG_SRC/image/files/vaultgate-config
LOOPS=()
vg_on_exit 'umount "$VG_WORK/data" 2>/dev/null || true; for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null || true; done'
vg_start_vaultd "$VG_STATE" "$VG_SOCK"

# ---- grow: the refusals (the online resize itself needs a kernel that lets
# this process resize a mounted ext4: this container answers "Permission
# denied to resize filesystem", so it is exercised in the VM only) --------
truncate -s 64M "$VG_WORK/disk.img"
mkfs.ext2 -q "$VG_WORK/disk.img"
dev=$(losetup --find --show "$VG_WORK/disk.img")
LOOPS+=("$dev")
mkdir -p "$VG_WORK/data" "$VG_WORK/notmounted"
mount "$dev" "$VG_WORK/data"
export VAULTD_SOCKET=$VG_SOCK VG_VAULTCTL=$VAULTCTL
vg_expect_fail "not on a data disk" env VG_DATA_MOUNT="$VG_WORK/notmounted" bash "$CONFIG" grow
vg_expect_fail "is not ext4" env VG_DATA_MOUNT="$VG_WORK/data" bash "$CONFIG" grow
vg_ctl audit export | grep '"config.grow"' | grep -q "refused: .* is not ext4" || vg_fail "grow refusal not audited"
umount "$VG_WORK/data"
vg_log "ok: grow refuses a directory that is not a mount point and a filesystem that is not ext4 (audited)"

# ---- a second seed ------------------------------------------------------------------------
mark=$VG_WORK/mark
mkdir -p "$mark/seed"
printf 'instance-id=vault1-2026-11-28\nlocal-hostname=vault1\n' >"$mark/seed/meta-data.flat"
date -u +%FT%TZ >"$mark/done"
# The seed as a filesystem labelled CIDATA (ext2 here: this kernel has no
# iso9660; the check reads any filesystem blkid finds by that label).
seed() { # seed INSTANCE-ID FILE
	rm -rf "$VG_WORK/seeddir"
	mkdir -p "$VG_WORK/seeddir"
	printf 'instance-id: %s\nlocal-hostname: vault1\n' "$1" >"$VG_WORK/seeddir/meta-data"
	printf '#cloud-config\n' >"$VG_WORK/seeddir/user-data"
	truncate -s 4M "$2"
	mkfs.ext2 -q -L CIDATA -d "$VG_WORK/seeddir" "$2"
}
check() { VG_FIRSTBOOT_MARK=$mark VG_LIBEXEC=$VG_SRC/image/files bash "$VG_SRC/image/files/firstboot" --seed-check; }
if blkid -o device -t LABEL=CIDATA >/dev/null 2>&1 || blkid -o device -t LABEL=cidata >/dev/null 2>&1; then
	vg_fail "this host already has a CIDATA device: the seed check cannot be tested here"
fi
seed vault1-2026-12-07 "$VG_WORK/seed2.img"
sdev=$(losetup --find --show --read-only "$VG_WORK/seed2.img")
LOOPS+=("$sdev")
out=$(check)
case "$out" in
*"REFUSED: the seed on $sdev has instance-id vault1-2026-12-07, but first boot ran with vault1-2026-11-28"*"a second seed is not applied. Change settings with vaultgate-config"*) ;;
*) vg_fail "seed check said: $out" ;;
esac
losetup -d "$sdev"
seed vault1-2026-11-28 "$VG_WORK/seed1.img"
sdev=$(losetup --find --show --read-only "$VG_WORK/seed1.img")
LOOPS+=("$sdev")
[ -z "$(check)" ] || vg_fail "the first boot's own seed was reported: $(check)"
vg_log "ok: a seed with a new instance-id is refused on the console naming vaultgate-config; the same one is quiet"
vg_log "PASS"
