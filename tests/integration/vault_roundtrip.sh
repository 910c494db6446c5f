#!/usr/bin/env bash
# vault_roundtrip.sh - a 256 MiB backup and restore through the real vaultd,
# byte-exact; range restores at 1 MiB segment edges; 0-byte and odd-sized
# objects; then CLI refusals, each a clear error and a non-zero exit, with
# nothing lost afterwards.
#
#   vaultctl ──unix──► vaultd ──► $VG_WORK/state/{meta (LMDB), blobs/XX/ID}
#      ▲                                  │
#      └── restore -o / stdout ◄──────────┘        compared with dd + cmp
set -eu
. "$VG_SRC/tests/integration/lib.sh"
vg_init
vg_state_init
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
S=$VG_SEG

vg_ctl vault create v1 >/dev/null
vg_ctl item create v1 host1 >/dev/null

big=$VG_WORK/big.bin
small=$VG_WORK/small.bin
empty=$VG_WORK/empty.bin
vg_random_file "$big" $((256 * S))
vg_random_file "$small" $((3 * S + 7))
: >"$empty"

vg_log "backup 256 MiB"
t0=$(date +%s%N)
P_BIG=$(vg_ctl backup v1 host1 "$big")
t1=$(date +%s%N)
vg_log "ingest: $(( 256 * 1000 / ((t1 - t0) / 1000000 + 1) )) MiB/s"
P_SMALL=$(vg_ctl backup v1 host1 "$small")
P_EMPTY=$(vg_ctl backup v1 host1 "$empty")
for p in "$P_BIG" "$P_SMALL" "$P_EMPTY"; do
	[[ $p =~ ^[0-9a-f]{16}$ ]] || vg_fail "backup printed '$p', not a point id"
done

vg_log "restore 256 MiB"
vg_ctl restore v1 host1 "$P_BIG" -o "$VG_WORK/big.out"
cmp "$big" "$VG_WORK/big.out"
rm -f "$VG_WORK/big.out"
vg_ctl restore v1 host1 "$P_SMALL" -o "$VG_WORK/small.out"
cmp "$small" "$VG_WORK/small.out"
vg_ctl restore v1 host1 "$P_EMPTY" -o "$VG_WORK/empty.out"
[ -f "$VG_WORK/empty.out" ] && [ ! -s "$VG_WORK/empty.out" ] || vg_fail "0-byte restore"
[ "$(vg_ctl restore v1 host1 "$P_EMPTY" | wc -c)" = 0 ] || vg_fail "0-byte restore to stdout"

# check_range POINT FILE A B: --range A-B (B empty: open range A-) equals
# the same bytes of FILE; alternately through -o and through stdout.
n_ranges=0
check_range() {
	local p=$1 f=$2 a=$3 b=${4:-} size len out=$VG_WORK/range.out
	size=$(stat -c %s "$f")
	if [ -z "$b" ]; then len=$((size - a)); else len=$((b - a + 1)); fi
	if [ $((n_ranges % 2)) = 0 ]; then
		vg_ctl restore v1 host1 "$p" --range "$a-$b" -o "$out"
	else
		vg_ctl restore v1 host1 "$p" --range "$a-$b" >"$out"
	fi
	[ "$(stat -c %s "$out")" = "$len" ] ||
		vg_fail "range $a-$b: got $(stat -c %s "$out") bytes, expected $len"
	vg_slice "$f" "$a" "$len" | cmp - "$out" || vg_fail "range $a-$b of $f differs"
	n_ranges=$((n_ranges + 1))
}

vg_log "range restores at segment edges"
B=$((256 * S))
for r in "0 0" "0 1" "0 $((S - 1))" "$((S - 1)) $((S - 1))" "$((S - 1)) $S" \
	"$S $S" "$((S + 1)) $((S + 1))" "$S $((2 * S - 1))" "$((S - 1)) $((2 * S))" \
	"$((128 * S - 3)) $((128 * S + 3))" "$((B - 1)) $((B - 1))" "$((B - 2)) $((B - 1))" \
	"$((B - 1)) " "$((B - S)) " "$((B - S - 1)) " "$((B - 10)) "; do
	# shellcheck disable=SC2086
	check_range "$P_BIG" "$big" $r
done
B=$((3 * S + 7))
for r in "0 0" "$((S - 1)) $S" "$((2 * S - 1)) $((2 * S))" "$((3 * S - 1)) $((3 * S))" \
	"$((3 * S)) " "$((3 * S - 1)) " "$((B - 1)) $((B - 1))" "$((B - 1)) " "0 " "1 " \
	"5 $((B - 1))"; do
	# shellcheck disable=SC2086
	check_range "$P_SMALL" "$small" $r
done
vg_log "$n_ranges ranges byte-exact"

# restore -o into an existing device node writes into it and leaves it a
# device (as -o /dev/null must).
mknod "$VG_WORK/null" c 1 3
vg_ctl restore v1 host1 "$P_SMALL" -o "$VG_WORK/null"
[ -c "$VG_WORK/null" ] || vg_fail "restore -o replaced a character device with a file"

vg_log "refusals"
vg_expect_fail "invalid name" vg_ctl vault create a/b
vg_expect_fail "invalid name" vg_ctl vault create ..
vg_expect_fail "invalid name" vg_ctl vault create ""
# Over-long names are refused by the client's encoder, whose name limits
# are names.h's (common/wire.c), naming the field and its limit.
vg_expect_fail "invalid vault: longer than 64 bytes" vg_ctl vault create "$(printf 'v%.0s' {1..65})"
vg_expect_fail "invalid item: longer than 128 bytes" vg_ctl item create v1 "$(printf 'i%.0s' {1..129})"
vg_expect_fail "invalid name" vg_ctl item create v1 a/b
vg_expect_fail "invalid name" vg_ctl item create v1 ..
vg_expect_fail "invalid name" vg_ctl item create v1 "a b"
vg_expect_fail "already exists" vg_ctl vault create v1
vg_expect_fail "already exists" vg_ctl item create v1 host1
vg_expect_fail "not valid" vg_ctl backup v1 host1 --object .. "$small"
vg_expect_fail "not valid" vg_ctl backup v1 host1 --object a/b "$small"
vg_expect_fail "not found" vg_ctl backup nosuchvault host1 "$small"
vg_expect_fail "not found" vg_ctl backup v1 nosuchitem "$small"
vg_expect_fail "No such file" vg_ctl backup v1 host1 "$VG_WORK/does-not-exist"
vg_expect_fail "not found" vg_ctl points nosuchvault host1
vg_expect_fail "not found" vg_ctl points v1 nosuchitem
vg_expect_fail "not found" vg_ctl restore v1 host1 0123456789abcdef
vg_expect_fail "not found" vg_ctl restore v1 host1 "$P_SMALL" --object nosuchobject
vg_expect_fail "not found" vg_ctl restore nosuchvault host1 "$P_SMALL"
vg_expect_fail "point id" vg_ctl restore v1 host1 not-a-point-id
# A first byte past the end: a clear error, a non-zero exit, and no file.
for r in "$((3 * S + 7))-$((3 * S + 7))" "$((3 * S + 7))-" "99999999999-" "99999999999-99999999999"; do
	vg_expect_fail "outside" vg_ctl restore v1 host1 "$P_SMALL" --range "$r" -o "$VG_WORK/past.out"
done
# A last byte past the end means the end, as in HTTP (RFC 9110 14.1.2).
psize=$(stat -c %s "$small")
wantlen() { echo $(($(stat -c %s "$small") - $1)); }
for a in 0 $((psize - 1)); do
	vg_ctl restore v1 host1 "$P_SMALL" --range "$a-$((psize + 100))" -o "$VG_WORK/clamp.out"
	vg_slice "$small" "$a" "$(wantlen "$a")" | cmp - "$VG_WORK/clamp.out" ||
		vg_fail "range $a-$((psize + 100)) is not bytes $a to the end"
done
vg_ctl restore v1 host1 "$P_SMALL" --range "0-18446744073709551614" -o "$VG_WORK/clamp.out"
cmp "$small" "$VG_WORK/clamp.out" || vg_fail "range 0-(2^64-2) is not the whole object"
rm -f "$VG_WORK/clamp.out"
vg_expect_fail "expected A-B" vg_ctl restore v1 host1 "$P_SMALL" --range 5-3 -o "$VG_WORK/past.out"
vg_expect_fail "expected A-B" vg_ctl restore v1 host1 "$P_SMALL" --range x-y -o "$VG_WORK/past.out"
vg_expect_fail "expected A-B" vg_ctl restore v1 host1 "$P_SMALL" --range -5 -o "$VG_WORK/past.out"
left=$(find "$VG_WORK" -maxdepth 1 -name 'past.out*' | wc -l)
[ "$left" = 0 ] || vg_fail "a refused restore left $left file(s) behind"
vg_expect_fail "" "$VAULTCTL" --socket "$VG_WORK/no.sock" points v1 host1

vg_log "nothing lost"
pts=$(vg_ctl points v1 host1 | cut -f1 | sort)
[ "$pts" = "$(printf '%s\n' "$P_BIG" "$P_SMALL" "$P_EMPTY" | sort)" ] ||
	vg_fail "points changed: $pts"
[ "$(vg_ctl restore v1 host1 "$P_BIG" | sha256sum | cut -d' ' -f1)" = "$(vg_sha "$big")" ] ||
	vg_fail "the 256 MiB point no longer restores byte-exact"
vg_ctl audit verify >/dev/null
vg_stop_vaultd_checked
vg_assert_consistent "$VG_STATE"
vg_log "ok"
