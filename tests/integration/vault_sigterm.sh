#!/usr/bin/env bash
# vault_sigterm.sh - SIGTERM while an upload is in flight (and while a
# restore is stuck on a reader that does not read): vaultd stops cleanly
# with exit status 0, the interrupted point is never visible, and no blob
# is left behind, even before the start-up recovery pass runs again.
#
#   producer ──fifo──► vaultctl backup - ──unix──► vaultd ◄── SIGTERM
#   (holds the stream open)
set -eu
. "$VG_SRC/tests/integration/lib.sh"
vg_init
vg_state_init
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
S=$VG_SEG

vg_ctl vault create v1 >/dev/null
vg_ctl item create v1 i1 >/dev/null
vg_random_file "$VG_WORK/keep" $((5 * S + 3))
P_KEEP=$(vg_ctl backup v1 i1 "$VG_WORK/keep")
blob_keep=$(vg_blob_files "$VG_STATE")

# wait_for DESCRIPTION SECONDS CMD...: poll until CMD succeeds.
wait_for() {
	local what=$1 t=$2 i=0
	shift 2
	until "$@"; do
		[ $i -lt $((t * 20)) ] || vg_fail "timed out waiting for $what"
		sleep 0.05
		i=$((i + 1))
	done
}

# The upload's blob has at least $1 bytes on disk.
upload_blob_has() {
	local f
	f=$(find "$VG_STATE/blobs" -type f ! -name "$blob_keep" | head -n1)
	[ -n "$f" ] && [ "$(stat -c %s "$f")" -ge "$1" ]
}

vg_log "SIGTERM during an upload"
mkfifo "$VG_WORK/up.fifo"
"$VAULTCTL" --socket "$VG_SOCK" backup v1 i1 --object interrupted - \
	<"$VG_WORK/up.fifo" >"$VG_WORK/up.out" 2>"$VG_WORK/up.err" &
UP=$!
vg_track "$UP"
exec 3>"$VG_WORK/up.fifo"
head -c $((8 * S)) /dev/urandom >&3  # 8 MiB sent; the stream stays open
wait_for "the upload to reach the disk" 30 upload_blob_has $((4 * S))
kill -TERM "$VAULTD_PID"
vg_wait_exit "$VAULTD_PID" 30
[ "$VG_EXIT" = 0 ] || vg_fail "vaultd exited $VG_EXIT after SIGTERM during an upload"
exec 3>&-  # end the stream: vaultctl now finds vaultd gone
vg_wait_exit "$UP" 30
[ "$VG_EXIT" != 0 ] || vg_fail "the interrupted backup exited 0"
[ ! -s "$VG_WORK/up.out" ] || vg_fail "the interrupted backup printed a point id: $(cat "$VG_WORK/up.out")"
grep -q "shutting down" "$VG_WORK/vaultd.log"
grep -q "stopped" "$VG_WORK/vaultd.log"
# The clean stop itself removed the point and its blob.
vg_assert_consistent "$VG_STATE"
[ "$(vg_blob_files "$VG_STATE")" = "$blob_keep" ] || vg_fail "blobs left after a clean stop"

vg_log "SIGTERM during a restore nobody reads"
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
mkfifo "$VG_WORK/down.fifo"
exec 4<>"$VG_WORK/down.fifo"  # a reader that never reads
"$VAULTCTL" --socket "$VG_SOCK" restore v1 i1 "$P_KEEP" >"$VG_WORK/down.fifo" 2>/dev/null 4<&- &
DOWN=$!
vg_track "$DOWN"
# Wait until vaultctl blocks writing to the full FIFO: from then on the
# socket buffers fill and vaultd blocks sending.
wait_for "the restore to stall" 30 grep -q pipe_write "/proc/$DOWN/wchan"
kill -TERM "$VAULTD_PID"
vg_wait_exit "$VAULTD_PID" 30
[ "$VG_EXIT" = 0 ] || vg_fail "vaultd exited $VG_EXIT after SIGTERM during a restore"
exec 4<&-
vg_wait_exit "$DOWN" 30

vg_log "restart"
lines=$(wc -l <"$VG_WORK/vaultd.log")
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
if tail -n +"$((lines + 1))" "$VG_WORK/vaultd.log" | grep -q "recovery: removed"; then
	vg_fail "the clean stop left work for recovery: $(grep 'recovery:' "$VG_WORK/vaultd.log")"
fi
[ "$(vg_ctl points v1 i1 | cut -f1)" = "$P_KEEP" ] || vg_fail "points after restart: $(vg_ctl points v1 i1)"
[ "$(vg_ctl points v1 i1 --all | cut -f1)" = "$P_KEEP" ] || vg_fail "hidden points after restart"
vg_ctl restore v1 i1 "$P_KEEP" -o "$VG_WORK/keep.out"
cmp "$VG_WORK/keep" "$VG_WORK/keep.out"
vg_ctl audit verify >/dev/null
vg_stop_vaultd_checked
vg_assert_consistent "$VG_STATE"
vg_log "ok"
