#!/usr/bin/env bash
# upgrade.sh - today's vaultd and vaultgw open a state directory written by
# vaultgate v0.1.0 (tests/fixtures/state-v0.1.0.tar.gz, made by
# make-state-v0.1.0.sh from commit 8c0cd29) and lose nothing:
#   every point restores byte-exact (platform, double-encryption and CMK
#   vaults), the soft-deleted point stays soft-deleted, roles and policies
#   hold, the restic repository checks clean and restores through today's
#   vaultgw, the audit chain verifies across the upgrade, and new backups
#   and restarts work on the upgraded directory. A directory marked with a
#   newer format is refused with a message that says what to do.
#
#   vaultctl / restic ──► vaultgw (today) ──unix──► vaultd (today) ──► v0.1.0 STATE + SoftHSM2 token
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"
vg_init
chmod 711 "$VG_WORK"
tar -C "$VG_WORK" -xzf "$VG_SRC/tests/fixtures/state-v0.1.0.tar.gz"
FX=$VG_WORK/fixture
ST=$FX/state
chmod 700 "$ST" "$ST/keys"
printf 'directories.tokendir = %s/hsm/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$FX" \
	>"$FX/hsm/softhsm2.conf"
export SOFTHSM2_CONF=$FX/hsm/softhsm2.conf
printf '1234\n' >"$VG_WORK/pin"
chmod 600 "$VG_WORK/pin"
printf 'module = /usr/lib/softhsm/libsofthsm2.so\ntoken = vgfix\npin_file = %s\n' "$VG_WORK/pin" >"$VG_WORK/p11.conf"
chmod 600 "$VG_WORK/p11.conf"
P11=(--pkcs11-config "$VG_WORK/p11.conf")

vg_log "vaultd --check on the v0.1.0 directory (read-only: it stays format 1)"
out=$("$VAULTD" --state-dir "$ST" --check "${P11[@]}" 2>&1) || vg_fail "--check: $out"
case "$out" in *"format: 1 (an older release's"*"configuration OK") ;; *) vg_fail "--check: $out" ;; esac

start() {
	VG_SOCK=$VG_WORK/vaultd.sock
	"$VAULTD" --state-dir "$ST" --socket "$VG_SOCK" --socket-group nogroup "${P11[@]}" \
		>>"$VG_WORK/vaultd.log" 2>&1 &
	VAULTD_PID=$!
	vg_track "$VAULTD_PID"
	vg_wait_socket "$VG_SOCK"
}
start
grep -q "format 1 upgraded to 2" "$VG_WORK/vaultd.log" || vg_fail "no upgrade line: $(cat "$VG_WORK/vaultd.log")"
vg_ctl audit verify >/dev/null || vg_fail "the v0.1.0 audit chain does not verify after the upgrade"

check_points() {
	local v i p obj sum n=0
	while read -r v i p obj sum; do
		[ "$v" = deleted ] && continue
		vg_ctl restore "$v" "$i" "$p" --object "$obj" -o "$VG_WORK/r.out" ||
			vg_fail "restore $v/$i/$p/$obj after the upgrade"
		[ "$(vg_sha "$VG_WORK/r.out")" = "$sum" ] || vg_fail "$v/$i/$p/$obj differs after the upgrade"
		n=$((n + 1))
	done <"$FX/MANIFEST"
	[ "$n" = 4 ] || vg_fail "expected 4 points in the manifest, restored $n"
}
vg_log "every v0.1.0 point restores byte-exact (platform, double, CMK)"
check_points
vg_ctl vault show vc | grep -q 'key=pkcs11:token=vgfix;object=cmk-a' || vg_fail "vc lost its CMK: $(vg_ctl vault show vc)"
vg_ctl vault show v2 | grep -q 'encryption=double' || vg_fail "v2 lost double encryption"
read -r _ dv di dp <<<"$(grep '^deleted ' "$FX/MANIFEST")"
vg_ctl points "$dv" "$di" --all | grep "$dp" | grep -q deleted || vg_fail "the soft-deleted point is not soft-deleted"
vg_expect_fail "" vg_ctl restore "$dv" "$di" "$dp" -o "$VG_WORK/x"
vg_ctl role list v1 | grep -q 'alice.*reader' || vg_fail "alice's role is gone: $(vg_ctl role list v1)"
vg_ctl policy list v1 | grep -q 'weekly.*daily=14,weekly=4' || vg_fail "policy weekly is gone"

vg_log "restic through today's vaultgw onto the v0.1.0 repository"
GW_PORT=$(gw_free_port)
gw_start_gateway "restic_vault = v1"
export RESTIC_PASSWORD
RESTIC_PASSWORD=$(cat "$FX/restic.pass")
R="rest:https://ag1:$(cat "$FX/ag1.token")@127.0.0.1:$GW_PORT/restic/repo1/"
rs() { restic --no-cache --cacert "$GW_CA" -r "$R" "$@"; }
rs check --read-data >"$VG_WORK/check.log" 2>&1 || vg_fail "restic check after the upgrade: $(tail -5 "$VG_WORK/check.log")"
rs restore latest --target "$VG_WORK/rr" >/dev/null 2>&1 || vg_fail "restic restore after the upgrade"
(cd "$VG_WORK/rr" && sha256sum -c --quiet "$FX/RESTIC-MANIFEST") || vg_fail "restic files differ after the upgrade"
mkdir "$VG_WORK/new"
head -c 5000 /dev/urandom >"$VG_WORK/new/n1"
(cd "$VG_WORK/new" && rs backup --host fixture . >/dev/null 2>&1) || vg_fail "a new restic backup after the upgrade"
[ "$(rs snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
	vg_fail "expected 2 snapshots"

vg_log "new native backups on the upgraded directory; a restart; the chain still verifies"
vg_random_file "$VG_WORK/f5" 70000
p5=$(vg_ctl backup v1 host1 --object f5 "$VG_WORK/f5")
vg_stop_vaultd
start
grep -c "upgraded" "$VG_WORK/vaultd.log" | grep -qx 1 || vg_fail "the second start upgraded again"
check_points
vg_ctl restore v1 host1 "$p5" -o "$VG_WORK/r5"
cmp "$VG_WORK/f5" "$VG_WORK/r5" || vg_fail "the new point differs"
vg_ctl audit verify >/dev/null || vg_fail "audit chain broken after the upgrade"

vg_log "a directory from a newer release is refused, and left alone"
vg_stop_vaultd
cp -a "$ST" "$VG_WORK/future"
rm -f "$VG_WORK/future/vaultd.lock"
# Mark it format 99 with lmdb-utils (mdb_dump / mdb_load), as a newer vaultd would.
mdb_dump -s meta "$VG_WORK/future/meta" >"$VG_WORK/meta.dump"
python3 - "$VG_WORK/meta.dump" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
out, i = [], 0
key = "format".encode().hex()
while i < len(lines):
    l = lines[i]
    if l.strip() == key:
        out += [l, " 00000063"]
        i += 2
        continue
    out.append(l)
    i += 1
open(p, "w").write("\n".join(out))
PY
mdb_load -s meta -f "$VG_WORK/meta.dump" "$VG_WORK/future/meta"
before=$(cd "$VG_WORK/future" && find . -type f ! -name lock.mdb -exec sha256sum {} + | sort)
set +e
msg=$("$VAULTD" --state-dir "$VG_WORK/future" --socket "$VG_WORK/f.sock" "${P11[@]}" 2>&1)
rc=$?
set -e
[ "$rc" != 0 ] || vg_fail "vaultd opened a newer format"
case "$msg" in *"state format 99 was written by a newer vaultgate; this vaultd reads formats 1 to 2"*) ;;
*) vg_fail "newer format: $msg" ;; esac
after=$(cd "$VG_WORK/future" && find . -type f ! -name lock.mdb ! -name vaultd.lock -exec sha256sum {} + | sort)
[ "$(echo "$before" | grep -v vaultd.lock)" = "$after" ] || vg_fail "the refused start changed the newer directory"
vg_log "PASS: v0.1.0 state opens, upgrades in place, loses nothing"
