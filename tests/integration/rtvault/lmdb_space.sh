#!/usr/bin/env bash
# lmdb_space.sh - issue 12 item 10: near-full disks give clear errors. The
# state directory sits on a 96 MiB tmpfs (in a private mount namespace).
# With 4 MiB left (under the 8 MiB metadata reserve) a backup fails cleanly
# with "metadata space low", logged, while deletes, undeletes and audit
# entries still fit. With nothing left, metadata writes fail with a clear
# space error (LMDB's short write used to come back as "Input/output
# error") and vaultd logs the metadata, the free bytes and the map. Freed
# space brings backups back; nothing was lost; the chain verifies.
#
#   vaultctl ──unix──► vaultd ── $VG_WORK/mnt (tmpfs 96 MiB): state/{meta,blobs,keys}, fill
set -eu
if [ -z "${RT_IN_NS:-}" ]; then
	exec unshare -m --propagation private env RT_IN_NS=1 bash "$0" "$@"
fi
. "$VG_SRC/tests/integration/lib.sh"
vg_init
T0=$(date +%s)
mkdir "$VG_WORK/mnt" "$VG_WORK/tok"
mount -t tmpfs -o size=96m,mode=700 tmpfs "$VG_WORK/mnt"
vg_on_exit 'umount -l "$VG_WORK/mnt"'
VG_STATE=$VG_WORK/mnt/state
VG_SOCK=$VG_WORK/vaultd.sock
V=vgt-$$-v
as() { local w=$1; shift; "$VAULTCTL" --socket "$VG_SOCK" --user "$w" --token-file "$VG_WORK/tok/$w" "$@"; }
free_bytes() { df -B1 --output=avail "$VG_WORK/mnt" | tail -1 | tr -d ' '; }
# leave N: fill the tmpfs until N bytes are free.
leave() {
	local want=$1 have
	have=$(free_bytes)
	[ "$have" -gt "$want" ] || return 0
	head -c $((have - want)) /dev/zero >>"$VG_WORK/mnt/fill" 2>/dev/null || true
	vg_log "free on the state filesystem: $(free_bytes) bytes"
}

vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_ctl vault create "$V" >/dev/null
vg_ctl item create "$V" host >/dev/null
vg_ctl principal add ow >"$VG_WORK/tok/ow"
vg_ctl role grant ow "$V" owner >/dev/null
head -c 100000 /dev/urandom >"$VG_WORK/d1"
P1=$(vg_ctl backup "$V" host "$VG_WORK/d1")

vg_log "under the reserve: backups refused cleanly, the rest still works"
leave $((4 << 20))
vg_expect_fail "metadata space low: " vg_ctl backup "$V" host "$VG_WORK/d1"
vg_expect_fail "metadata space low: " as ow backup "$V" host "$VG_WORK/d1"
grep -q "metadata space low: [0-9]* bytes free on the filesystem of $VG_STATE/meta (reserve 8388608)" \
	"$VG_WORK/vaultd.log" || vg_fail "the refusal is not logged: $(tail -3 "$VG_WORK/vaultd.log")"
as ow point delete "$V" host "$P1" >/dev/null || vg_fail "a delete does not fit in the reserve"
vg_ctl point undelete "$V" host "$P1" >/dev/null || vg_fail "an undelete does not fit in the reserve"
vg_ctl item create "$V" host2 >/dev/null || vg_fail "an item create does not fit in the reserve"
vg_ctl audit export | grep -F '"op":"point.begin"' | grep -qF "metadata space low" ||
	vg_fail "the refused backup is not audited with its reason"
vg_ctl audit verify >/dev/null || vg_fail "audit chain does not verify"

vg_log "nothing left: metadata writes fail with a clear error, and a log line"
leave 0
fails=0
for i in $(seq 1 40); do
	set +e
	out=$(vg_ctl vault create "$V-x$i" 2>&1)
	rc=$?
	set -e
	[ "$rc" = 0 ] && continue
	fails=$((fails + 1))
	case "$out" in
	*"Input/output error"*) vg_fail "a full disk reported as an I/O error: $out" ;;
	*"out of space"*) ;;
	*) vg_fail "unclear error on a full disk: $out" ;;
	esac
done
[ "$fails" -gt 0 ] || vg_fail "no metadata write failed on a full filesystem"
grep -q "metadata $VG_STATE/meta: write failed: no space left for the metadata (.* bytes free on its filesystem, LMDB map [0-9]* of [0-9]* bytes used)" \
	"$VG_WORK/vaultd.log" || vg_fail "no log line for the failed metadata write: $(tail -5 "$VG_WORK/vaultd.log")"
vg_log "$fails of 40 vault creates failed with a space error"

vg_log "space freed: backups work again, nothing was lost"
rm -f "$VG_WORK/mnt/fill"
P2=$(vg_ctl backup "$V" host "$VG_WORK/d1") || vg_fail "no backup after space was freed"
for p in "$P1" "$P2"; do
	vg_ctl restore "$V" host "$p" -o "$VG_WORK/r"
	cmp -s "$VG_WORK/d1" "$VG_WORK/r" || vg_fail "restore of $p differs"
done
vg_ctl audit verify >/dev/null || vg_fail "audit chain does not verify"
vg_stop_vaultd_checked
printf 'lmdb_space.sh: passed in %ds\n' $(($(date +%s) - T0))
