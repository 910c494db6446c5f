#!/usr/bin/env bash
# build.sh - build the vaultgate appliance image.
#
#   image/build.sh [--with-pkcs11 DEB]... [OUTDIR]   OUTDIR defaults to image/out (gitignored)
#   ninja -C build image           the same, through meson
#
# Writes into OUTDIR:
#   disk.raw           bootable disk (MBR, GRUB on the serial console and VGA), sparse
#   disk.qcow2         the same, compressed (qcow2, zlib)
#   vmlinuz initrd.img cmdline     for direct kernel boots (qemu -kernel ... -append "$(cat cmdline)")
#   vaultgate_VERSION_amd64.deb    the package installed in the image
#   security.txt       systemd-analyze security of every vaultgate unit
#
# How (no loop devices, no device-mapper, no KVM needed):
#   1. meson builds vaultgate into build-image/ (prefix /usr); meson install
#      --destdir stages it, dpkg-deb packs it with units, first boot and
#      maintainer scripts (image/deb/); dpkg-shlibdeps computes Depends.
#   2. mmdebstrap makes a minimal bookworm rootfs with the kernel from
#      image/packages.txt. The tarball is cached under a key made from that
#      list and this recipe (and rebuilt after VG_IMAGE_CACHE_DAYS, default 7).
#   3. The tarball is unpacked afresh, the .deb installed with dpkg --root,
#      and the image's own settings written (fstab, hostname, GRUB config).
#   4. mkfs.ext4 -d writes the root filesystem straight into the partition of
#      disk.raw (-E offset); sfdisk writes the MBR partition table;
#      grub-mkimage makes core.img, and dd puts boot.img's 440 bytes in the
#      MBR and core.img in the gap before the partition.
#
# Environment: VG_IMAGE_SIZE (disk size, default 4G), VG_IMAGE_CACHE (cache
# dir, default image/out/cache), VG_IMAGE_CACHE_DAYS (7), VG_IMAGE_BUILDDIR
# (meson build dir, default build-image), VG_IMAGE_MIRROR (a Debian mirror
# URL; default: mmdebstrap's, deb.debian.org).
#
# --with-pkcs11 DEB: a vendor HSM's PKCS#11 module (its .deb, and any .deb
# it needs besides the base system), installed into the rootfs after
# vaultgate; vaultd uses it once `vaultgate-config pkcs11 MODULE ...` names it
# (image/README.md, "Why the units look the way they do"). SoftHSM2 is
# always there, for evaluation.
#
# Idempotent: every run starts from a fresh copy of the cached rootfs and
# rewrites the outputs; only the cache and the meson build dir are reused.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
extra_debs=()
while [ $# -gt 0 ]; do
	case "$1" in
	--with-pkcs11)
		[ $# -ge 2 ] && [ -f "$2" ] || { echo "build.sh: --with-pkcs11 DEB: no such .deb: ${2:-}" >&2; exit 2; }
		extra_debs+=("$(cd "$(dirname "$2")" && pwd)/$(basename "$2")")
		shift 2 ;;
	-*) sed -n '2,5p' "$0" >&2; exit 2 ;;
	*) break ;;
	esac
done
out=${1:-$here/out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cache=${VG_IMAGE_CACHE:-$here/out/cache}
cache_days=${VG_IMAGE_CACHE_DAYS:-7}
bld=${VG_IMAGE_BUILDDIR:-$src/build-image}
size=${VG_IMAGE_SIZE:-4G}
work=$out/work
root=$work/rootfs
t0=$(date +%s)

step() { printf '== [%4ds] %s\n' "$(($(date +%s) - t0))" "$*"; }
die() { echo "build.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (mmdebstrap, dpkg --root, mkfs -d ownership)"
exec 9>"$out/.lock"
flock -n 9 || die "another build is using $out"
mkdir -p "$cache"

step "dependencies"
"$src/scripts/install-deps.sh" --image

# ---- 1. vaultgate, as a .deb ------------------------------------------------

step "building vaultgate (meson, $bld)"
if [ ! -f "$bld/build.ninja" ]; then
	meson setup "$bld" "$src" --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
		-Dtests=disabled -Dintegration=false -Dwerror=true
fi
# Only what gets installed: the image needs no test binaries (and a test
# target that fails to link must not stop the image). Regenerate first, so
# that a target added since the last run is listed.
ninja -C "$bld" build.ninja >/dev/null
installed=$(meson introspect --targets "$bld" | python3 -c '
import json, os, sys
for t in json.load(sys.stdin):
    if t.get("installed"):
        for f in t["filename"]:
            print(os.path.relpath(f, sys.argv[1]))' "$bld")
[ -n "$installed" ] || die "meson lists no installed targets"
# shellcheck disable=SC2086
ninja -C "$bld" $installed >/dev/null

rm -rf "$work"
mkdir -p "$work"
pkg=$work/pkg
meson install -C "$bld" --destdir "$pkg" --no-rebuild --strip --quiet

# Which daemons this build has: the image carries units only for those.
units="vaultgate-firstboot.service vaultgate-mgmt-firewall.service vaultd.service vaultgate-banner.service vaultgate-seedcheck.service vaultgate-datadisk.service vaultnotify.service"
extra=""
for b in vaultd vaultctl; do
	[ -x "$pkg/usr/sbin/$b" ] || [ -x "$pkg/usr/bin/$b" ] || die "$b was not installed by meson"
done
if [ -x "$pkg/usr/sbin/vaultnet" ]; then
	units="$units vaultnet.service vaultnet-verify.timer vaultnet-query.socket vaultnet-watch.service"
	extra="${extra}vaultnet (the private-endpoint namespace and firewall), "
else
	echo "build.sh: NOTE: vaultnet not built: the image has no private endpoint (no vg-pe namespace)"
fi
if [ -x "$pkg/usr/sbin/vaultgw" ]; then
	units="$units vaultgw.service"
	extra="${extra}vaultgw (the TLS gateway), "
else
	echo "build.sh: NOTE: vaultgw not built: the image has no TLS gateway"
fi
# vaultsync runs in the gateway's namespace (its egress rule): only with vaultnet.
if [ -x "$pkg/usr/bin/vaultsync" ] && [ -x "$pkg/usr/sbin/vaultnet" ]; then
	units="$units vaultsync.service"
fi

# The first Owner comes from a token hash in the seed: vaultctl must be able
# to import one (principal add --token-sha256).
if "$pkg/usr/bin/vaultctl" --help 2>&1 | grep -q -- '--token-sha256'; then
	units="$units vaultgate-bootstrap.service"
else
	echo "build.sh: NOTE: vaultctl cannot import a token hash (principal add --token-sha256): the image creates no first Owner"
fi

install -d "$pkg/lib/systemd/system" "$pkg/usr/libexec/vaultgate" "$pkg/usr/share/vaultgate" \
	"$pkg/etc/ssh/sshd_config.d" "$pkg/DEBIAN"
for u in $units; do
	install -m 0644 "$here/units/$u" "$pkg/lib/systemd/system/$u"
	case "$u" in
	*.timer) install -m 0644 "$here/units/${u%.timer}.service" "$pkg/lib/systemd/system/" ;;
	*.socket) install -m 0644 "$here/units/${u%.socket}@.service" "$pkg/lib/systemd/system/" ;;
	esac
done
install -m 0755 "$here/files/firstboot" "$here/files/bootstrap" "$here/files/banner" "$here/files/datadisk" \
	"$here/files/wait-listening" "$here/files/wait-link" "$here/files/mgmt-allow" "$here/files/mgmt-egress" \
	"$pkg/usr/libexec/vaultgate/"
install -m 0644 "$here/files/seed-parse.awk" "$pkg/usr/libexec/vaultgate/"
install -m 0644 "$here/files/mgmt.nft" "$pkg/usr/share/vaultgate/"
install -d "$pkg/usr/sbin"
install -m 0755 "$here/files/vaultgate-config" "$pkg/usr/sbin/vaultgate-config"
# For agent hosts: copied off the appliance (README, "Day 2").
install -m 0755 "$here/files/vaultgate-agent-enrol" "$pkg/usr/share/vaultgate/"
install -m 0644 "$here/files/sshd-vaultgate.conf" "$pkg/etc/ssh/sshd_config.d/vaultgate.conf"
# vaultd's syslog lines reach rsyslog (remote logging: vaultgate-config syslog).
install -d "$pkg/lib/systemd/journald.conf.d"
printf '# vaultgate: vaultd alerts and anchors reach rsyslog, which forwards them (vaultgate-config syslog)\n[Journal]\nForwardToSyslog=yes\n' \
	> "$pkg/lib/systemd/journald.conf.d/vaultgate.conf"
echo /etc/ssh/sshd_config.d/vaultgate.conf > "$pkg/DEBIAN/conffiles"

version=$(meson introspect --projectinfo "$bld" | sed -n 's/.*"version": *"\([^"]*\)".*/\1/p')
[ -n "$version" ] || die "cannot read the project version from meson"
if rev=$(git -C "$src" rev-parse --short=10 HEAD 2>/dev/null); then
	version="$version+g$rev"
	git -C "$src" diff --quiet HEAD 2>/dev/null || version="$version.dirty"
fi
# Depends from the ELF binaries' needs, the Debian way.
mkdir -p "$work/shlibs/debian"
printf 'Source: vaultgate\n\nPackage: vaultgate\nArchitecture: amd64\n' > "$work/shlibs/debian/control"
bins=$(find "$pkg/usr/bin" "$pkg/usr/sbin" -type f -perm -u+x)
# shellcheck disable=SC2086
shlibs=$(cd "$work/shlibs" && dpkg-shlibdeps -O --warnings=0 $bins | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no dependencies"
sed -e "s/@VERSION@/$version/" -e "s/@SHLIBS@/$shlibs/" -e "s/@EXTRA@/$extra/" \
	"$here/deb/control.in" > "$pkg/DEBIAN/control"
for s in postinst prerm postrm; do
	sed -e "s/@UNITS@/$units/" -e "s/@VERSION@/$version/" "$here/deb/$s" > "$pkg/DEBIAN/$s"
	chmod 0755 "$pkg/DEBIAN/$s"
done
deb=$out/vaultgate_${version}_amd64.deb
rm -f "$out"/vaultgate_*_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
step "package: $(basename "$deb") ($(du -h "$deb" | cut -f1)); Depends: $shlibs"

# ---- 2. the base rootfs (cached) ------------------------------------------------

# Drop what an appliance VM never uses: docs, man pages, locales, and the
# kernel modules of sound, GPUs, cameras, radios and exotic buses. The same
# excludes stay in the image (dpkg.cfg.d), so kernel updates keep them out.
excludes=(
	'/usr/share/doc/*' '/usr/share/man/*' '/usr/share/info/*' '/usr/share/locale/*' '/usr/share/lintian/*'
	'/lib/modules/*/kernel/sound/*' '/lib/modules/*/kernel/drivers/gpu/*'
	'/lib/modules/*/kernel/drivers/media/*' '/lib/modules/*/kernel/drivers/net/wireless/*'
	'/lib/modules/*/kernel/drivers/bluetooth/*' '/lib/modules/*/kernel/drivers/infiniband/*'
	'/lib/modules/*/kernel/drivers/staging/*' '/lib/modules/*/kernel/drivers/iio/*'
	'/lib/modules/*/kernel/drivers/isdn/*' '/lib/modules/*/kernel/net/wireless/*'
	'/lib/modules/*/kernel/net/mac80211/*' '/lib/modules/*/kernel/net/bluetooth/*'
	)
mmargs=(--variant=minbase --include="$(grep -v '^#' "$here/packages.txt" | xargs | tr ' ' ,)")
for e in "${excludes[@]}"; do
	mmargs+=("--dpkgopt=path-exclude=$e")
done
mmargs+=(--dpkgopt='path-include=/usr/share/doc/*/copyright')
key=$(printf '%s\n' "recipe 1" "${mmargs[@]}" "${VG_IMAGE_MIRROR:-}" | sha256sum | cut -c1-16)
base=$cache/base-$key.tar
tmp_base=$cache/base-$key.tmp.tar   # mmdebstrap picks the format from the name
if [ -f "$base" ] && [ -n "$(find "$base" -mtime +"$cache_days")" ]; then
	echo "build.sh: base rootfs is older than $cache_days days: rebuilding it"
	rm -f "$base"
fi
if [ -f "$base" ]; then
	step "base rootfs: cached ($(basename "$base"))"
else
	step "base rootfs: mmdebstrap bookworm (about a minute)"
	# shellcheck disable=SC2086
	mmdebstrap "${mmargs[@]}" bookworm "$tmp_base" ${VG_IMAGE_MIRROR:-} > "$work/mmdebstrap.log" 2>&1 ||
		{ tail -n 30 "$work/mmdebstrap.log" >&2; rm -rf "$tmp_base"; die "mmdebstrap failed"; }
	mv "$tmp_base" "$base"
	# Keep the cache to the current key.
	find "$cache" -maxdepth 1 -name 'base-*' ! -name "base-$key.tar" -exec rm -rf {} +
fi

# ---- 3. the rootfs --------------------------------------------------------------

step "rootfs: unpacking, installing the package"
mkdir -p "$root"
tar -C "$root" --numeric-owner -xf "$base"
cp "$deb" "$root/tmp/"
# dpkg chroots into $root for the maintainer scripts (users, unit enables).
# Missing Depends stop it here: add them to image/packages.txt.
dpkg --root="$root" -i "$root/tmp/$(basename "$deb")" > "$work/dpkg.log" 2>&1 ||
	{ cat "$work/dpkg.log" >&2; die "installing the package failed (a Depends missing from image/packages.txt?)"; }
rm -f "$root/tmp/$(basename "$deb")"
if [ "${#extra_debs[@]}" -gt 0 ]; then
	step "rootfs: PKCS#11 modules (--with-pkcs11): ${extra_debs[*]##*/}"
	dpkg --root="$root" -i "${extra_debs[@]}" >> "$work/dpkg.log" 2>&1 ||
		{ tail -n 20 "$work/dpkg.log" >&2; die "installing a --with-pkcs11 package failed (its Depends must be in the base system or given too)"; }
fi

step "rootfs: image settings"
uuid=$(cat /proc/sys/kernel/random/uuid)
echo vaultgate > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tvaultgate\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
printf 'UUID=%s\t/\text4\terrors=remount-ro\t0\t1\n' "$uuid" > "$root/etc/fstab"
: > "$root/etc/resolv.conf"                   # the build host's resolver stays out
: > "$root/etc/machine-id"                    # systemd makes one at first boot
rm -f "$root/var/lib/dbus/machine-id" "$root"/etc/ssh/ssh_host_*    # made at first boot
systemctl --root="$root" enable systemd-networkd.service >/dev/null 2>&1
systemctl --root="$root" disable systemd-networkd-wait-online.service \
	apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1 || true
# Console: serial first (the last console= gets /dev/console), VGA too.
cmdline="root=UUID=$uuid ro console=tty0 console=ttyS0,115200n8 net.ifnames=0"
echo "$cmdline" > "$out/cmdline"
install -d "$root/boot/grub/i386-pc"
cp /usr/lib/grub/i386-pc/*.mod /usr/lib/grub/i386-pc/*.lst "$root/boot/grub/i386-pc/"
cat > "$root/boot/grub/grub.cfg" <<EOF
# vaultgate: written by image/build.sh. The menu shows on the serial console and VGA.
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=1
menuentry 'vaultgate' {
	search --no-floppy --fs-uuid --set=root $uuid
	linux /vmlinuz $cmdline
	initrd /initrd.img
}
EOF

step "rootfs: checks"
for c in gcc cc c++ g++ clang tcc as ld make; do
	[ ! -e "$root/usr/bin/$c" ] || die "the image contains a compiler or toolchain: /usr/bin/$c"
done
awk -F: '$2 !~ /^[*!]/ { bad = 1; print "build.sh: " $1 " has a password" > "/dev/stderr" } END { exit bad }' \
	"$root/etc/shadow" || die "no account may have a password"
for u in vaultd vaultgw; do
	grep -q "^$u:" "$root/etc/passwd" || die "user $u missing (postinst)"
done
grep -q '^vaultgate:.*vaultd' "$root/etc/group" || die "vaultd is not in group vaultgate"

step "systemd-analyze security (offline, on the rootfs)"
: > "$out/security.txt"
for u in $units; do
	case "$u" in *.timer) u=${u%.timer}.service ;; *.socket) continue ;; esac
	systemd-analyze security --offline=true --root="$root" "$u" > "$work/sec.txt" 2>&1 ||
		{ cat "$work/sec.txt" >&2; die "systemd-analyze security $u failed"; }
	{ echo "### $u"; cat "$work/sec.txt"; echo; } >> "$out/security.txt"
	grep 'Overall exposure level' "$work/sec.txt" | sed 's/^→ /   /'
done

# ---- 4. the disk ----------------------------------------------------------------

step "disk: kernel and initrd for direct boots"
cp -L "$root/vmlinuz" "$out/vmlinuz"
cp -L "$root/initrd.img" "$out/initrd.img"

step "disk: disk.raw ($size, MBR, ext4 via mkfs -d, GRUB)"
raw=$out/disk.raw
rm -f "$raw" "$raw.tmp"
truncate -s "$size" "$raw.tmp"
bytes=$(stat -c %s "$raw.tmp")
part_start=2048                                  # sectors: 1 MiB, leaves room for core.img
part_sectors=$(((bytes / 512) - part_start))
printf 'label: dos\nstart=%d, size=%d, type=83, bootable\n' "$part_start" "$part_sectors" |
	sfdisk --quiet "$raw.tmp"
mkfs.ext4 -q -F -L vg-root -U "$uuid" -E "offset=$((part_start * 512)),root_owner=0:0" \
	-d "$root" "$raw.tmp" "$((part_sectors / 2))k"
cat > "$work/early.cfg" <<EOF
search --no-floppy --fs-uuid --set=root $uuid
set prefix=(\$root)/boot/grub
EOF
grub-mkimage -O i386-pc -o "$work/core.img" -c "$work/early.cfg" -p /boot/grub \
	biosdisk part_msdos ext2 search search_fs_uuid normal configfile linux echo test serial terminal
core_sectors=$((($(stat -c %s "$work/core.img") + 511) / 512))
[ "$core_sectors" -lt "$part_start" ] || die "core.img ($core_sectors sectors) does not fit before the partition"
# boot.img's code only (440 bytes): the partition table after it stays. Its
# built-in pointer to core.img is sector 1, where core.img goes; core.img's
# own block list (written by grub-mkimage) covers the rest of it.
dd if=/usr/lib/grub/i386-pc/boot.img of="$raw.tmp" bs=440 count=1 conv=notrunc status=none
dd if="$work/core.img" of="$raw.tmp" bs=512 seek=1 conv=notrunc status=none
mv "$raw.tmp" "$raw"

step "disk: disk.qcow2 (compressed)"
rm -f "$out/disk.qcow2"
qemu-img convert -c -O qcow2 "$raw" "$out/disk.qcow2.tmp"
mv "$out/disk.qcow2.tmp" "$out/disk.qcow2"

rm -rf "$work"
step "done in $(($(date +%s) - t0)) s"
printf '   %-12s %s (allocated %s)\n' disk.raw "$(du -h --apparent-size "$raw" | cut -f1)" "$(du -h "$raw" | cut -f1)"
printf '   %-12s %s\n' disk.qcow2 "$(du -h "$out/disk.qcow2" | cut -f1)" vmlinuz "$(du -h "$out/vmlinuz" | cut -f1)" \
	initrd.img "$(du -h "$out/initrd.img" | cut -f1)" "$(basename "$deb")" "$(du -h "$deb" | cut -f1)"
