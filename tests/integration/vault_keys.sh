#!/usr/bin/env bash
# vault_keys.sh - keys off the box (issue 21): `vaultctl keys export` seals
# the platform, audit and infrastructure keys under a passphrase (local
# root, MUA keys-export under a guard, audited); a replacement appliance
# (a fresh state directory holding only the old meta/ and blobs/) gets them
# with `vaultd --import-keys`, and every point of every vault (single and
# double encryption) restores byte-exact, the audit chain verifies and
# records keys.import. Refused, each leaving nothing behind: a wrong
# passphrase, a tampered file (a byte of each line), an import over
# existing keys, an export from another appliance, a passphrase shorter
# than 12 bytes, a non-root exporter, an export without the grant.
#
#   vaultctl ──unix──► vaultd (state A)  ── keys export ──► keys.vgk (+ passphrase)
#   cp meta/ blobs/ audit.hwm  A ──► B;  vaultd --import-keys keys.vgk (B)
#   vaultctl ──unix──► vaultd (state B): restore every point, audit verify
set -eu
. "$VG_SRC/tests/integration/lib.sh"

vg_init
A=$VG_WORK/a
B=$VG_WORK/b
SOCK=$VG_WORK/vaultd.sock
ctl() { "$VAULTCTL" --socket "$SOCK" "$@"; }
as() { local u=$1; shift; "$VAULTCTL" --socket "$SOCK" --user "$u" --token-file "$VG_WORK/$u.tok" "$@"; }

vg_start_vaultd "$A" "$SOCK"
ctl vault create v1 >/dev/null
ctl vault create v2 --double-encryption >/dev/null
ctl item create v1 files1 >/dev/null
ctl item create v2 files2 >/dev/null
mkdir -p "$VG_WORK/data"
for i in 1 2 3; do
	vg_random_file "$VG_WORK/data/v1-$i" $((i * 700000 + 13))
	ctl backup v1 files1 --object "f$i" "$VG_WORK/data/v1-$i" >/dev/null
	vg_random_file "$VG_WORK/data/v2-$i" $((i * 300000 + 7))
	ctl backup v2 files2 --object "f$i" "$VG_WORK/data/v2-$i" >/dev/null
done
[ -s "$A/keys/infra.key" ] || vg_fail "no infrastructure key was made"

# ---- refusals of the export ---------------------------------------------------
printf 'correct horse battery staple\n' >"$VG_WORK/pass"
chmod 600 "$VG_WORK/pass"
printf 'short\n' >"$VG_WORK/short"
vg_expect_fail "at least 12 bytes" ctl keys export --to "$VG_WORK/x.vgk" --passphrase-file "$VG_WORK/short"
[ ! -e "$VG_WORK/x.vgk" ] || vg_fail "a refused export wrote a file"
ctl principal add boss --kind user | grep -o 'vg_[0-9a-f]\{64\}' | head -1 >"$VG_WORK/boss.tok"
ctl role grant boss v1 owner >/dev/null
vg_expect_fail "only local root may export the keys" \
	as boss keys export --to "$VG_WORK/x.vgk" --passphrase-file "$VG_WORK/pass"
[ ! -e "$VG_WORK/x.vgk" ] || vg_fail "a refused export wrote a file"
ctl audit export | grep '"keys.export"' | grep -q '"denied"' || vg_fail "the refusal is not audited"
vg_log "ok: a short passphrase and a non-root caller are refused (audited), no file"

# Under a guard, keys-export is mandatory MUA.
ctl principal add ap --kind user | grep -o 'vg_[0-9a-f]\{64\}' | head -1 >"$VG_WORK/ap.tok"
ctl guard create g1 >/dev/null
ctl guard approver add g1 ap >/dev/null
ctl vault set v1 guard g1 >/dev/null
vg_expect_fail "keys-export on keys is a critical operation under guard g1" \
	ctl keys export --to "$VG_WORK/x.vgk" --passphrase-file "$VG_WORK/pass"
vg_expect_fail "keys-export is mandatory" as ap guard exclude g1 keys-export
id=$(ctl mua request v1 keys-export keys)
as ap mua approve "$id" >/dev/null
ctl --grant "$id" keys export --to "$VG_WORK/keys.vgk" <"$VG_WORK/pass" >"$VG_WORK/export.out"
[ "$(stat -c %a "$VG_WORK/keys.vgk")" = 600 ] || vg_fail "export file mode"
head -1 "$VG_WORK/keys.vgk" | grep -qx "vaultgate-keys 1" || vg_fail "export header: $(head -1 "$VG_WORK/keys.vgk")"
sed -n 2p "$VG_WORK/keys.vgk" | grep -qx "kdf scrypt 17 8 1" || vg_fail "kdf line: $(sed -n 2p "$VG_WORK/keys.vgk")"
for f in platform audit infra; do
	hex=$(od -An -tx1 -v "$A/keys/$f.key" | tr -d ' \n')
	grep -q "$hex" "$VG_WORK/keys.vgk" && vg_fail "the $f key is in the file in the clear"
done
vg_expect_fail "was already used" ctl --grant "$id" keys export --to "$VG_WORK/y.vgk" --passphrase-file "$VG_WORK/pass"
vg_expect_fail "never overwritten" ctl keys export --to "$VG_WORK/keys.vgk" --passphrase-file "$VG_WORK/pass"
ctl audit export | grep '"keys.export"' | grep '"ok"' | grep -q "infrastructure keys sealed" ||
	vg_fail "the export is not audited"
vg_log "ok: under guard g1 the export needs a grant (mandatory), used once, audited; no key in the clear"

# A second appliance: its export must not open the first's data.
vg_start_vaultd_other() { "$VAULTD" --state-dir "$1" --socket "$2" >>"$VG_WORK/vaultd.log" 2>&1 & vg_track $!; echo $!; }
opid=$(vg_start_vaultd_other "$VG_WORK/other" "$VG_WORK/other.sock")
vg_wait_socket "$VG_WORK/other.sock"
"$VAULTCTL" --socket "$VG_WORK/other.sock" vault create z --double-encryption >/dev/null
"$VAULTCTL" --socket "$VG_WORK/other.sock" keys export --to "$VG_WORK/other.vgk" --passphrase-file "$VG_WORK/pass" >/dev/null
kill "$opid"; wait "$opid" 2>/dev/null || true

# The old appliance goes away; its data (meta, blobs, the audit mark) stays.
ctl audit verify >/dev/null || vg_fail "audit chain of A"
n_audit=$(ctl audit export | wc -l)
vg_stop_vaultd
mkdir -m 700 "$B"
cp -a "$A/meta" "$A/blobs" "$B/"
[ -f "$A/audit.hwm" ] && cp -a "$A/audit.hwm" "$B/"

imp() { "$VAULTD" --state-dir "$B" --import-keys "$@"; }
# ---- refusals of the import, each leaving keys/ empty ----------------------------
printf 'not the passphrase\n' >"$VG_WORK/wrong"
vg_expect_fail "the passphrase is wrong, or the file was changed" imp "$VG_WORK/keys.vgk" --passphrase-file "$VG_WORK/wrong"
for line in 1 2 3 4 5; do
	cp "$VG_WORK/keys.vgk" "$VG_WORK/t.vgk"
	# One hex digit (or the version) changed on this line.
	python3 - "$VG_WORK/t.vgk" "$line" <<'EOF'
import sys
p, n = sys.argv[1], int(sys.argv[2])
lines = open(p).read().split("\n")
l = lines[n - 1]
i = len(l) - 3
c = l[i]
lines[n - 1] = l[:i] + ("0" if c != "0" else "1") + l[i + 1:]
open(p, "w").write("\n".join(lines))
EOF
	set +e
	out=$(imp "$VG_WORK/t.vgk" --passphrase-file "$VG_WORK/pass" 2>&1)
	rc=$?
	set -e
	[ "$rc" != 0 ] || vg_fail "a file changed on line $line was imported"
	case "$line:$out" in
	1:*"not a vaultgate key export"*|2:*"scrypt parameters out of range"*) ;;
	[345]:*"the passphrase is wrong, or the file was changed"*) ;;
	*) vg_fail "tampered line $line: $out" ;;
	esac
done
# Valid but different parameters: the header is the AEAD's aad.
sed 's/^kdf scrypt 17 8 1$/kdf scrypt 17 8 2/' "$VG_WORK/keys.vgk" >"$VG_WORK/t.vgk"
vg_expect_fail "the passphrase is wrong, or the file was changed" imp "$VG_WORK/t.vgk" --passphrase-file "$VG_WORK/pass"
sed 's/^vaultgate-keys 1$/vaultgate-keys 2/' "$VG_WORK/keys.vgk" >"$VG_WORK/t.vgk"
vg_expect_fail "format version 2: this vaultd reads version 1" imp "$VG_WORK/t.vgk" --passphrase-file "$VG_WORK/pass"
head -c 200 "$VG_WORK/keys.vgk" >"$VG_WORK/trunc.vgk"
vg_expect_fail "line" imp "$VG_WORK/trunc.vgk" --passphrase-file "$VG_WORK/pass"
vg_expect_fail "this export is not from the appliance that wrote this data" \
	imp "$VG_WORK/other.vgk" --passphrase-file "$VG_WORK/pass"
[ -z "$(ls -A "$B/keys" 2>/dev/null)" ] || vg_fail "a refused import left keys: $(ls "$B/keys")"
vg_log "ok: wrong passphrase, a change on each line, a truncated file, another appliance's keys: refused, keys/ empty"

# ---- the import -----------------------------------------------------------------------
imp "$VG_WORK/keys.vgk" <"$VG_WORK/pass" >"$VG_WORK/import.out" 2>&1 || vg_fail "import: $(cat "$VG_WORK/import.out")"
grep -q "audit chain verified ($n_audit entries); 2 vaults open" "$VG_WORK/import.out" ||
	vg_fail "import said: $(cat "$VG_WORK/import.out")"
for f in platform audit infra; do
	cmp -s "$A/keys/$f.key" "$B/keys/$f.key" || vg_fail "$f key differs after import"
	[ "$(stat -c %a "$B/keys/$f.key")" = 600 ] || vg_fail "$f key mode"
done
vg_expect_fail "exists: keys are imported only into a state directory without keys" \
	imp "$VG_WORK/keys.vgk" --passphrase-file "$VG_WORK/pass"
cmp -s "$A/keys/platform.key" "$B/keys/platform.key" || vg_fail "a refused import changed a key"
vg_log "ok: imported (keys identical, 0600); a second import over them is refused"

# Root importing into a directory the daemon's own user owns (the appliance:
# vaultd runs as vaultd): the import becomes that user, so the keys, the lock
# files and the audit entry are the daemon's, and its key owner check passes
# (before: "owned by uid 65534, expected 0", found in the VM).
D=$VG_WORK/d
chmod 711 "$VG_WORK"     # the directory's owner must reach it, as on the appliance (/var/lib)
mkdir -m 700 "$D"
cp -a "$A/meta" "$A/blobs" "$D/"
[ -f "$A/audit.hwm" ] && cp -a "$A/audit.hwm" "$D/"
chown -R 65534:65534 "$D"
"$VAULTD" --state-dir "$D" --import-keys "$VG_WORK/keys.vgk" --passphrase-file "$VG_WORK/pass" >"$VG_WORK/import-d.out" 2>&1 ||
	vg_fail "import as root into a directory owned by uid 65534: $(cat "$VG_WORK/import-d.out")"
cmp -s "$A/keys/platform.key" "$D/keys/platform.key" || vg_fail "platform key differs after the import into $D"
bad=$(find "$D" ! -uid 65534)
[ -z "$bad" ] || vg_fail "owned by someone else than the directory's owner after the import: $bad"
vg_log "ok: root importing into a directory of another user writes everything as that user"

vg_start_vaultd "$B" "$SOCK"
ctl audit verify >/dev/null || vg_fail "audit chain on B does not verify"
ctl audit export | grep '"keys.import"' | grep -q '"ok"' || vg_fail "keys.import not audited"
for v in v1 v2; do
	it=files${v#v}
	pt=$(ctl points "$v" "$it" | cut -f1)
	[ "$(echo "$pt" | wc -l)" = 3 ] || vg_fail "$v: want 3 points, got: $pt"
	i=0
	for p in $pt; do
		i=$((i + 1))
		obj=$(ctl objects "$v" "$it" "$p" | cut -f1)
		ctl restore "$v" "$it" "$p" --object "$obj" -o "$VG_WORK/out-$v-$obj"
		cmp "$VG_WORK/data/$v-${obj#f}" "$VG_WORK/out-$v-$obj" || vg_fail "$v $obj differs"
	done
done
vg_log "ok: on the replacement every point of v1 (single) and v2 (double encryption) restores byte-exact; audit verifies"
vg_log "PASS"
