#!/usr/bin/env bash
# vault_crash.sh - crash consistency. Several rounds of: start vaultd, run
# 20 concurrent `vaultctl backup` uploads (2..40 MiB each), let them run a
# random 0.2-2 s, kill -9 vaultd. After the final restart:
#   - every point a vaultctl reported (exit 0) restores byte-exact;
#   - every other listed point is a commit that landed just before the kill:
#     it must restore byte-exact to one of the uploaded files;
#   - no pending point remains, and the blob files on disk are exactly the
#     blobs the metadata references (no orphan, no missing file).
# The state dir is on the disk that holds TMPDIR (not tmpfs), so fsync and
# the LMDB commit are the real ones.
#
#   20 x vaultctl backup ──unix──► vaultd ──► STATE (LMDB + blobs)
#                                    ▲
#                   kill -9 at a random moment, restart, repeat
set -eu
. "$VG_SRC/tests/integration/lib.sh"
vg_init
vg_state_init
S=$VG_SEG
NCLIENT=${VG_CRASH_CLIENTS:-20}
ROUNDS=${VG_CRASH_ROUNDS:-5}
SEED=${VG_SEED:-$$}
RANDOM=$SEED
vg_log "seed $SEED, $NCLIENT clients, $ROUNDS rounds, state on $(stat -f -c %T "$VG_WORK")"

pool=$VG_WORK/pool
mkdir -p "$pool" "$VG_WORK/out"
for k in $(seq 0 $((NCLIENT - 1))); do
	f=$(printf 'f%02d' "$k")
	vg_random_file "$pool/$f" $((2 * S + (RANDOM * 32768 + RANDOM) % (38 * S)))
	echo "$(vg_sha "$pool/$f") $f" >>"$VG_WORK/pool.sha"
done
vg_log "pool: $(du -sm "$pool" | cut -f1) MiB in $NCLIENT files"

vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_ctl vault create v1 >/dev/null
for k in $(seq 0 $((NCLIENT - 1))); do
	vg_ctl item create v1 "$(printf 'c%02d' "$k")" >/dev/null
done

: >"$VG_WORK/reported"   # "item point file" for every backup that exited 0
interrupted=0
r=0
# ROUNDS rounds, plus up to 4 extra short ones until at least one kill has
# landed during an upload (otherwise nothing was tested).
while [ "$r" -lt "$ROUNDS" ] || { [ "$interrupted" = 0 ] && [ "$r" -lt $((ROUNDS + 4)) ]; }; do
	r=$((r + 1))
	[ "$r" = 1 ] || vg_start_vaultd "$VG_STATE" "$VG_SOCK"
	pids=()
	for k in $(seq 0 $((NCLIENT - 1))); do
		item=$(printf 'c%02d' "$k")
		f=$(printf 'f%02d' $(((k + r) % NCLIENT)))
		"$VAULTCTL" --socket "$VG_SOCK" backup v1 "$item" --object "$f" "$pool/$f" \
			>"$VG_WORK/out/$r.$k" 2>"$VG_WORK/out/$r.$k.err" &
		pids+=($!)
		vg_track "$!"
	done
	# The chaos delay: how long the uploads run before the crash, 0.2-2 s.
	# The first two rounds (and any extra round, see below) draw from
	# 0.2-0.3 s, so that crashes land mid-upload even on a fast disk.
	if [ "$r" -le 2 ] || [ "$r" -gt "$ROUNDS" ]; then
		ms=$((200 + RANDOM % 101))
	else
		ms=$((200 + RANDOM % 1801))
	fi
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	vg_kill_vaultd
	ok=0
	for i in "${!pids[@]}"; do
		vg_wait_exit "${pids[$i]}" 60
		if [ "$VG_EXIT" = 0 ]; then
			p=$(cat "$VG_WORK/out/$r.$i")
			[[ $p =~ ^[0-9a-f]{16}$ ]] || vg_fail "round $r client $i exited 0 but printed '$p'"
			echo "$(printf 'c%02d' "$i") $p $(printf 'f%02d' $(((i + r) % NCLIENT)))" >>"$VG_WORK/reported"
			ok=$((ok + 1))
		fi
	done
	vg_log "round $r: killed after ${ms} ms, $ok of $NCLIENT backups reported"
	interrupted=$((interrupted + NCLIENT - ok))
done
[ "$interrupted" -gt 0 ] || vg_fail "no kill landed during an upload in $r rounds: nothing was tested"

vg_log "final restart"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
grep "recovery:" "$VG_WORK/vaultd.log" | tail -n 3 >&2 || true

restored_sha() { "$VAULTCTL" --socket "$VG_SOCK" restore v1 "$1" "$2" | sha256sum | cut -d' ' -f1; }

reported=0 late=0
for k in $(seq 0 $((NCLIENT - 1))); do
	item=$(printf 'c%02d' "$k")
	vg_ctl points v1 "$item" >"$VG_WORK/points.$item"
	while IFS= read -r line; do
		set -- $line
		p=$1
		case "$line" in *"	1 objects	"*) ;; *) vg_fail "$item/$p: not exactly one object: $line" ;; esac
		want=$(awk -v i="$item" -v p="$p" '$1 == i && $2 == p { print $3 }' "$VG_WORK/reported")
		got=$(restored_sha "$item" "$p")
		if [ -n "$want" ]; then
			[ "$got" = "$(vg_sha "$pool/$want")" ] || vg_fail "$item/$p (reported, $want) does not restore byte-exact"
			reported=$((reported + 1))
		else
			# Committed just before a kill, never reported: acceptable only
			# if it is one of the uploaded files, whole.
			obj=$(vg_ctl objects v1 "$item" "$p" | cut -f1)
			grep -q "^$got $obj\$" "$VG_WORK/pool.sha" ||
				vg_fail "$item/$p: an unreported point that is not a whole upload ($obj)"
			late=$((late + 1))
		fi
	done <"$VG_WORK/points.$item"
done
# Every reported point was listed.
while read -r item p f; do
	grep -q "^$p	" "$VG_WORK/points.$item" || vg_fail "reported point $item/$p ($f) is missing"
done <"$VG_WORK/reported"
[ "$reported" = "$(wc -l <"$VG_WORK/reported")" ] || vg_fail "reported points counted twice?"
vg_log "$reported reported points and $late late commits restore byte-exact"

# The vault still works: one full round with no crash.
pids=()
for k in $(seq 0 $((NCLIENT - 1))); do
	f=$(printf 'f%02d' "$k")
	"$VAULTCTL" --socket "$VG_SOCK" backup v1 "$(printf 'c%02d' "$k")" --object "$f" "$pool/$f" \
		>"$VG_WORK/out/final.$k" 2>&1 &
	pids+=($!)
	vg_track "$!"
done
for i in "${!pids[@]}"; do
	vg_wait_exit "${pids[$i]}" 120
	[ "$VG_EXIT" = 0 ] || vg_fail "backup after the crashes failed: $(cat "$VG_WORK/out/final.$i")"
done
vg_ctl audit verify >/dev/null
vg_stop_vaultd_checked
vg_assert_consistent "$VG_STATE"
vg_log "ok: $(vg_blob_files "$VG_STATE" | wc -l) blobs, all referenced"
