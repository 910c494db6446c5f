#!/usr/bin/env bash
# anchor.sh - SPEC §11: the audit chain head is anchored off the box. vaultd
# signs its head (Ed25519, keys/anchor.key) at start-up, every 64 entries,
# after every critical alert and on "vaultctl audit anchor", and sends it to
# syslog (and the webhook). "audit verify --anchor SEQ:HASH" proves the
# chain still holds it; a state directory rolled back to an older copy
# fails it, though its own chain verifies.
#
#   vaultctl ─unix─► vaultd-testclock ──syslog(3)──► /dev/log (private mount ns) ──► syslog.txt
#                    $VG_WORK/state          copy: $VG_WORK/state.old
set -eu
. "$VG_SRC/tests/integration/policy/plib.sh"
pl_start_syslog
[ "$PL_SYSLOG" = 1 ] || pl_fail "a private /dev/log is needed: $PL_SYSLOG_WHY"
V=an$$

# field LINE NAME: the value of NAME= in an anchor line.
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

pl_case "vaultd anchors at start-up, to syslog"
pl_syslog_has "vaultgate-anchor seq="
pl_root vault create "$V" >/dev/null
pl_root item create "$V" a >/dev/null
P1=$(pl_backup "$V" a "$(pl_data a1)")

pl_case "audit anchor: the head, signed, sent to syslog and printed; the signature verifies with openssl"
line=$(pl_root audit anchor)
seq=$(field "$line" seq)
hash=$(field "$line" hash)
last=$(pl_root audit export | tail -n 1)
[ "$seq" = "$(printf '%s' "$last" | sed 's/.*"seq":\([0-9]*\),.*/\1/')" ] || pl_fail "anchor seq $seq is not the head: $last"
printf '%s' "$last" | grep -qF "\"hash\":\"$hash\"" || pl_fail "anchor hash is not the head's: $line"
pl_syslog_has "vaultgate-anchor $line"
grep -F "vaultgate-anchor $line" "$VG_WORK/syslog.txt" | grep -q '^<13>' ||
	pl_fail "not at user.notice: $(grep vaultgate-anchor "$VG_WORK/syslog.txt")"
key=$(field "$line" key)
sig=$(field "$line" sig)
printf 'vaultgate-anchor/v1 %s' "${line% sig=*}" >"$VG_WORK/anchor.msg"
printf '%s' "302a300506032b6570032100$key" | xxd -r -p >"$VG_WORK/anchor.der"
openssl pkey -pubin -inform DER -in "$VG_WORK/anchor.der" -out "$VG_WORK/anchor.pub" 2>/dev/null ||
	pl_fail "the anchor key is not an Ed25519 public key: $key"
printf '%s' "$sig" | xxd -r -p >"$VG_WORK/anchor.sig"
openssl pkeyutl -verify -pubin -inkey "$VG_WORK/anchor.pub" -rawin -in "$VG_WORK/anchor.msg" \
	-sigfile "$VG_WORK/anchor.sig" >/dev/null || pl_fail "the anchor signature does not verify"
printf 'x%s' "${line% sig=*}" >"$VG_WORK/anchor.bad"
! openssl pkeyutl -verify -pubin -inkey "$VG_WORK/anchor.pub" -rawin -in "$VG_WORK/anchor.bad" \
	-sigfile "$VG_WORK/anchor.sig" >/dev/null 2>&1 || pl_fail "a changed anchor still verifies"
out=$(pl_root audit verify --anchor "$seq:$hash")
case "$out" in *"anchor $seq:$hash is in the chain") ;; *) pl_fail "verify --anchor: $out" ;; esac
! pl_root alerts --json | grep -q audit-anchor || pl_fail "anchors are listed as alerts"

pl_case "a critical alert is anchored at once"
pl_ok pl_root point delete "$V" a "$P1"
pl_alert delete-backup-data "$V" "$V/a/$P1" root@local
n=$(pl_root audit export | grep -cF '"op":"point.delete"')
[ "$n" = 1 ] || pl_fail "point.delete entries: $n"
dseq=$(pl_root audit export | grep -F '"op":"point.delete"' | sed 's/.*"seq":\([0-9]*\),.*/\1/')
i=0
until grep "vaultgate-anchor seq=" "$VG_WORK/syslog.txt" | sed 's/.*vaultgate-anchor seq=\([0-9]*\) .*/\1/' |
	awk -v d="$dseq" '$1 >= d { f = 1 } END { exit !f }'; do
	i=$((i + 1))
	[ $i -lt 100 ] || pl_fail "no anchor at or after entry $dseq in syslog"
	sleep 0.05
done

pl_case "every 64 entries"
before=$(grep -c "vaultgate-anchor" "$VG_WORK/syslog.txt")
for n in $(seq 70); do
	pl_root item create "$V" "i$n" >/dev/null
done
after=$(grep -c "vaultgate-anchor" "$VG_WORK/syslog.txt")
[ "$after" -gt "$before" ] || pl_fail "70 entries and no anchor"

pl_case "a state directory rolled back to an older copy fails verify --anchor"
vg_stop_vaultd
cp -a "$VG_STATE" "$VG_STATE.old"
vg_start_vaultd "$VG_STATE" "$VG_SOCK" "$VAULTD_TEST"
for n in 1 2 3; do
	pl_backup "$V" a "$(pl_data "b$n")" >/dev/null
done
line=$(pl_root audit anchor)
A="$(field "$line" seq):$(field "$line" hash)"
pl_ok pl_root audit verify --anchor "$A"
vg_stop_vaultd
rm -rf "$VG_STATE"
mv "$VG_STATE.old" "$VG_STATE"
vg_start_vaultd "$VG_STATE" "$VG_SOCK" "$VAULTD_TEST"
pl_expect_fail "audit anchor $A NOT in the chain: anchor ${A%%:*}: the chain has no entry ${A%%:*}: it was cut back, or the state directory was rolled back to an older copy" \
	pl_root audit verify --anchor "$A"
pl_expect_fail "expected SEQ:HASH" pl_root audit verify --anchor "12:zz"
pl_done
