#!/usr/bin/env bash
# vault_tamper.sh - one flipped bit anywhere in a stored blob (a segment's
# ciphertext, the header, the very last byte), a truncated or extended blob,
# or a damaged 0-byte object: the restore fails with an integrity error,
# exits non-zero, leaves no -o file behind, and never writes a wrong byte
# (what reaches stdout is an authenticated prefix of the original).
#
#   vaultctl restore ──unix──► vaultd ──► STATE/blobs/XX/ID  ◄── flip a bit
#
# With VG_STORE=rados the same damage is done to the blob's RADOS objects
# (vg_blob_get / vg_blob_put in lib.sh): same byte offsets, same verdicts.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
vg_init
vg_state_init
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
S=$VG_SEG
HDR=48
TAG=16

vg_ctl vault create v1 >/dev/null
vg_ctl item create v1 host1 >/dev/null
orig=$VG_WORK/orig.bin
vg_random_file "$orig" $((3 * S + 100))  # segments 0..3, the last one short
P=$(vg_ctl backup v1 host1 "$orig")
id=$(vg_blob_files "$VG_STATE")
[ "$(echo "$id" | wc -l)" = 1 ] || vg_fail "expected one blob, found: $id"
blob=$VG_WORK/blob.cur
vg_blob_get "$VG_STATE" "$id" "$blob"
[ "$(stat -c %s "$blob")" = $((HDR + 3 * S + 100 + 4 * TAG)) ] || vg_fail "unexpected blob size"
out=$VG_WORK/out.bin
# flip FILE OFFSET BIT: damage the working copy and store it.
put() { vg_blob_put "$VG_STATE" "$id" "$blob"; }
flip() { vg_flip_bit "$blob" "$1" "$2"; put; }

# expect_integrity_failure WHAT: both restore forms fail cleanly.
expect_integrity_failure() {
	local what=$1 rc n
	set +e
	vg_ctl restore v1 host1 "$P" -o "$out" >"$VG_WORK/stdout" 2>"$VG_WORK/stderr"
	rc=$?
	set -e
	[ "$rc" != 0 ] || vg_fail "$what: restore -o exited 0"
	grep -q "integrity" "$VG_WORK/stderr" || vg_fail "$what: no integrity error: $(cat "$VG_WORK/stderr")"
	n=$(find "$VG_WORK" -maxdepth 1 -name 'out.bin*' | wc -l)
	[ "$n" = 0 ] || vg_fail "$what: restore -o left $n file(s) behind"

	set +e
	vg_ctl restore v1 host1 "$P" >"$VG_WORK/stdout" 2>"$VG_WORK/stderr"
	rc=$?
	set -e
	[ "$rc" != 0 ] || vg_fail "$what: restore to stdout exited 0"
	grep -q "integrity" "$VG_WORK/stderr" || vg_fail "$what: no integrity error on stdout restore"
	n=$(stat -c %s "$VG_WORK/stdout")
	[ "$n" -lt $((3 * S + 100)) ] || vg_fail "$what: the whole object was written"
	cmp -n "$n" "$VG_WORK/stdout" "$orig" || vg_fail "$what: wrong bytes reached stdout"
	vg_log "$what: refused ($n authenticated bytes before the damage)"
}

expect_restore_ok() {
	vg_ctl restore v1 host1 "$P" -o "$out"
	cmp "$orig" "$out" || vg_fail "$1: restore differs after undoing the damage"
	rm -f "$out"
}

expect_restore_ok "baseline"
for spec in \
	"segment 0, first byte:$HDR:0" \
	"segment 2, middle:$((HDR + 2 * (S + TAG) + 12345)):5" \
	"segment 1, tag:$((HDR + S + TAG + S + 7)):1" \
	"header, magic:0:0" \
	"header, size field:$((HDR - 17)):2" \
	"header, padding:$((HDR - 1)):7" \
	"last byte of the file:$((HDR + 3 * S + 100 + 4 * TAG - 1)):7"; do
	what=${spec%%:*}
	rest=${spec#*:}
	off=${rest%%:*}
	bit=${rest#*:}
	flip "$off" "$bit"
	expect_integrity_failure "$what"
	flip "$off" "$bit"
	expect_restore_ok "$what"
done

# A range inside an undamaged segment still restores (the damage is found
# per segment); a range touching the damaged one does not.
flip $((HDR + 2 * (S + TAG) + 10)) 0
vg_ctl restore v1 host1 "$P" --range "0-$((S - 1))" -o "$out"
vg_slice "$orig" 0 "$S" | cmp - "$out"
rm -f "$out"
vg_expect_fail "integrity" vg_ctl restore v1 host1 "$P" --range "$((2 * S))-$((2 * S))"
flip $((HDR + 2 * (S + TAG) + 10)) 0

cp "$blob" "$VG_WORK/blob.saved"
truncate -s -1 "$blob"
put
expect_integrity_failure "blob truncated by one byte"
cp "$VG_WORK/blob.saved" "$blob"
printf 'x' >>"$blob"
put
expect_integrity_failure "blob extended by one byte"
cp "$VG_WORK/blob.saved" "$blob"
head -c $((HDR + 2 * (S + TAG))) "$VG_WORK/blob.saved" >"$blob"
put
expect_integrity_failure "blob cut after segment 1"
cp "$VG_WORK/blob.saved" "$blob"
put
expect_restore_ok "blob restored"

# A 0-byte object is one empty segment: its tag is checked too.
: >"$VG_WORK/empty"
P0=$(vg_ctl backup v1 host1 "$VG_WORK/empty")
id0=$(vg_blob_files "$VG_STATE" | grep -vx "$id")
blob0=$VG_WORK/blob0.cur
vg_blob_get "$VG_STATE" "$id0" "$blob0"
[ "$(stat -c %s "$blob0")" = $((HDR + TAG)) ] || vg_fail "unexpected 0-byte blob size"
vg_flip_bit "$blob0" $((HDR + 5)) 3
vg_blob_put "$VG_STATE" "$id0" "$blob0"
vg_expect_fail "integrity" vg_ctl restore v1 host1 "$P0" -o "$VG_WORK/empty.out"
[ ! -e "$VG_WORK/empty.out" ] || vg_fail "a damaged 0-byte restore left a file"
vg_flip_bit "$blob0" $((HDR + 5)) 3
vg_blob_put "$VG_STATE" "$id0" "$blob0"
vg_ctl restore v1 host1 "$P0" -o "$VG_WORK/empty.out"
[ ! -s "$VG_WORK/empty.out" ]

grep -q "integrity failure reading" "$VG_WORK/vaultd.log" || vg_fail "vaultd did not log the integrity failures"
vg_ctl audit verify >/dev/null
vg_stop_vaultd_checked
vg_assert_consistent "$VG_STATE"
vg_log "ok"
