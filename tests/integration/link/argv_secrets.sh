#!/usr/bin/env bash
# argv_secrets.sh - issue 12 item 12: no secret in argv. The documented
# forms read the registration token (`agent activate NAME --token-file
# FILE|-`) and the security PIN (`--pin-file FILE|-`) from a file or stdin.
# Each secret comes through a FIFO the test holds, so vaultctl waits on it
# while the test reads /proc/PID/cmdline: the secret must not be there.
# The old forms (`--pin PIN`, `agent activate NAME REGTOKEN`) still work,
# warn, and overwrite their argv copy. --help names the new forms.
#
#   test ──FIFO──► vaultctl (root) ──unix──► vaultd
set -eu
. "$VG_SRC/tests/integration/link/lib_link.sh"

vg_init
vg_state_init
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
V=vgt-$$-v
vg_ctl vault create "$V" >/dev/null

# secret_run SECRET FIFO-USE CMD...: runs CMD with the FIFO $VG_WORK/fifo
# open on the side named by FIFO-USE (stdin|file), checks its cmdline while
# it waits, then writes SECRET. Output in $VG_WORK/out, status in $RUN_RC.
secret_run() {
	local secret=$1 how=$2 pid i=0 cmdline
	shift 2
	rm -f "$VG_WORK/fifo"
	mkfifo -m 600 "$VG_WORK/fifo"
	exec 3<>"$VG_WORK/fifo"   # a writer, so nobody blocks in open()
	if [ "$how" = stdin ]; then
		"$@" <"$VG_WORK/fifo" >"$VG_WORK/out" 2>&1 3>&- &
	else
		"$@" </dev/null >"$VG_WORK/out" 2>&1 3>&- &
	fi
	pid=$!
	vg_track "$pid"
	until tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | grep -q vaultctl; do
		[ $i -lt 200 ] || vg_fail "vaultctl did not start"
		sleep 0.05
		i=$((i + 1))
	done
	sleep 0.3   # now it waits for the secret on the FIFO
	kill -0 "$pid" 2>/dev/null || vg_fail "vaultctl did not wait for the secret: $(cat "$VG_WORK/out")"
	cmdline=$(tr '\0' ' ' </proc/"$pid"/cmdline)
	case "$cmdline" in
	*"$secret"*) vg_fail "the secret is in /proc/$pid/cmdline: $cmdline" ;;
	esac
	vg_log "cmdline while it waits: $cmdline"
	printf '%s\n' "$secret" >&3
	exec 3>&-
	RUN_RC=0
	wait "$pid" || RUN_RC=$?
}

vg_log "agent activate NAME --token-file FILE (a FIFO) and --token-file - (stdin)"
for how in file stdin; do
	vg_ctl agent register "$V" "ag-$how" -o "$VG_WORK/ag-$how.cred" \
		--endpoint https://192.0.2.1 --ca-fingerprint "$(printf %064d 0)" >/dev/null
	reg=$(sed -n 's/^VG_REGISTRATION_TOKEN=//p' "$VG_WORK/ag-$how.cred")
	if [ $how = file ]; then
		secret_run "$reg" file "$VAULTCTL" --socket "$VG_SOCK" agent activate "ag-$how" --token-file "$VG_WORK/fifo"
	else
		secret_run "$reg" stdin "$VAULTCTL" --socket "$VG_SOCK" agent activate "ag-$how" --token-file -
	fi
	[ "$RUN_RC" = 0 ] || vg_fail "activate ($how): $(cat "$VG_WORK/out")"
	grep -q '^vg_[0-9a-f]\{64\}$' "$VG_WORK/out" || vg_fail "no agent token ($how): $(cat "$VG_WORK/out")"
	grep -q warning "$VG_WORK/out" && vg_fail "the documented form warned: $(cat "$VG_WORK/out")"
	vg_log "ok: activated with --token-file ($how); the token was never in argv"
done

vg_log "--pin-file FILE (a FIFO) and --pin-file - (stdin)"
vg_ctl item create "$V" "i-file" --agent ag-file >/dev/null
for how in file stdin; do
	pin=$(vg_ctl pin generate "$V" | grep -o '^[0-9]\{6,\}' | head -1)
	[ -n "$pin" ] || pin=$(vg_ctl pin generate "$V" | awk '{print $NF; exit}')
	if [ $how = file ]; then
		secret_run "$pin" file "$VAULTCTL" --socket "$VG_SOCK" --pin-file "$VG_WORK/fifo" \
			principal rotate ag-file --vault "$V"
	else
		secret_run "$pin" stdin "$VAULTCTL" --socket "$VG_SOCK" --pin-file - \
			principal rotate ag-file --vault "$V"
	fi
	[ "$RUN_RC" = 0 ] || vg_fail "rotate with --pin-file ($how): $(cat "$VG_WORK/out")"
	grep -q '^vg_[0-9a-f]\{64\}$' "$VG_WORK/out" || vg_fail "no new token ($how): $(cat "$VG_WORK/out")"
	vg_log "ok: an agent's rotation with --pin-file ($how); the PIN was never in argv"
done
# A wrong PIN through the file is refused like any wrong PIN.
echo 000000 >"$VG_WORK/wrongpin"
vg_expect_fail "security PIN" vg_ctl --pin-file "$VG_WORK/wrongpin" principal rotate ag-file --vault "$V"
vg_log "ok: a wrong PIN from a file is refused"

vg_log "the old forms warn and still work"
pin=$(vg_ctl pin generate "$V" | grep -o '^[0-9]\{6,\}' | head -1)
[ -n "$pin" ] || pin=$(vg_ctl pin generate "$V" | awk '{print $NF; exit}')
out=$(vg_ctl --pin "$pin" principal rotate ag-file --vault "$V" 2>&1) || vg_fail "--pin PIN: $out"
case "$out" in *"warning: --pin PIN on the command line is visible to other users"*) ;;
*) vg_fail "--pin PIN did not warn: $out" ;; esac
vg_ctl agent register "$V" ag-old -o "$VG_WORK/ag-old.cred" \
	--endpoint https://192.0.2.1 --ca-fingerprint "$(printf %064d 0)" >/dev/null
reg=$(sed -n 's/^VG_REGISTRATION_TOKEN=//p' "$VG_WORK/ag-old.cred")
out=$(vg_ctl agent activate ag-old "$reg" 2>&1) || vg_fail "activate NAME REGTOKEN: $out"
case "$out" in *"warning: the registration token on the command line"*) ;;
*) vg_fail "agent activate NAME REGTOKEN did not warn: $out" ;; esac
vg_log "ok: the old forms warn"

h=$("$VAULTCTL" --help)
for want in "--pin-file FILE|-" "agent activate NAME --token-file FILE|-" "Secrets never go on the command line"; do
	case "$h" in *"$want"*) ;; *) vg_fail "--help does not say: $want" ;; esac
done
vg_log "ok: --help names the file/stdin forms"
vg_log "PASS argv_secrets"
