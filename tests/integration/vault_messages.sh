#!/usr/bin/env bash
# vault_messages.sh - error messages that say what is wrong and what to do,
# asserted verbatim (issue: "errors that say what to do").
#
#   vaultctl (root, owner bob, reader rd) ──unix──► vaultd
set -eu
. "$VG_SRC/tests/integration/lib.sh"
vg_init
vg_state_init
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
vg_ctl vault create v1 >/dev/null
vg_ctl principal add bob >"$VG_WORK/bob.tok"
vg_ctl principal add rd >"$VG_WORK/rd.tok"
vg_ctl principal add ag1 --kind agent >/dev/null
vg_ctl role grant bob v1 owner >/dev/null
vg_ctl role grant rd v1 reader >/dev/null
bob() { "$VAULTCTL" --socket "$VG_SOCK" --user bob --token-file "$VG_WORK/bob.tok" "$@"; }
rd() { "$VAULTCTL" --socket "$VG_SOCK" --user rd --token-file "$VG_WORK/rd.tok" "$@"; }

# exact: the command fails and its stderr is exactly the line given.
exact() {
	local want=$1 out rc
	shift
	set +e
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	set -e
	[ "$rc" != 0 ] || vg_fail "expected a failure from: $*"
	[ "$out" = "$want" ] || vg_fail "from: $*
  want: $want
  got:  $out"
}

vg_log "item create with an unknown or non-agent --agent"
exact 'vaultctl: repo3: item v1/repo3: no principal "nobodyx" (vaultctl principal list shows them)' \
	vg_ctl item create v1 repo3 --kind restic --agent nobodyx
exact 'vaultctl: repo3: item v1/repo3: principal bob is a user: items are given to agents only' \
	vg_ctl item create v1 repo3 --agent bob
exact 'vaultctl: repo3: item v1/repo3: kind "tape": expected files or restic' vg_ctl item create v1 repo3 --kind tape

vg_log "role changes name what is missing, in the CLI's words"
exact 'vaultctl: ag1: role revoke ag1 on vault v1: principal ag1 holds no role on vault v1' \
	vg_ctl role grant ag1 v1 none
exact 'vaultctl: ghost: role grant ghost on vault v1: no principal "ghost" (vaultctl principal list shows them)' \
	vg_ctl role grant ghost v1 reader
exact 'vaultctl: rd: role grant rd on vault nov: no vault "nov"' vg_ctl role grant rd nov reader

vg_log "a vault that does not exist: named for an Owner, a plain denial for a reader"
exact 'vaultctl: i1: no vault "nov" (vaultctl vault list shows them; for restic, vaultgw.conf'"'"'s restic_vault names it)' \
	bob item create nov i1
exact 'vaultctl: i1: principal rd (no role) may not protect on vault nov' rd item create nov i1

vg_log "reading a point that is not committed yet"
vg_ctl item create v1 host1 >/dev/null
mkfifo "$VG_WORK/gate"
{ head -c 300000 /dev/urandom || true; read -r _ <"$VG_WORK/gate" || true; } |
	"$VAULTCTL" --socket "$VG_SOCK" backup v1 host1 - >"$VG_WORK/up.out" 2>&1 &
UP=$!
vg_track "$UP"
pid=
for _ in $(seq 100); do
	pid=$(vg_ctl audit export | sed -n 's/.*"op":"point.begin".*"target":"v1\/host1\/\([0-9a-f]*\)".*/\1/p' | tail -n 1)
	[ -n "$pid" ] && break
	sleep 0.1
done
[ -n "$pid" ] || vg_fail "the pending point never appeared in the audit log"
exact "vaultctl: $pid: point v1/host1/$pid: not committed yet: it can be read once its upload commits (vaultctl points v1 host1 lists committed points)" \
	vg_ctl restore v1 host1 "$pid" -o "$VG_WORK/x"
exact "vaultctl: stdin: object v1/host1/$pid/stdin: not committed yet: it can be read once its upload commits (vaultctl points v1 host1 lists committed points)" \
	vg_ctl restore v1 host1 "$pid" --object stdin -o "$VG_WORK/x"
vg_gate_open "$VG_WORK/gate"
wait "$UP" || vg_fail "the held upload failed: $(cat "$VG_WORK/up.out")"
vg_ctl audit verify >/dev/null || vg_fail "audit chain broken"
vg_log "options anywhere: global options after the command; usage errors in a line"
[ "$("$VAULTCTL" whoami --socket "$VG_SOCK" --user bob --token-file "$VG_WORK/bob.tok")" = bob ] ||
	vg_fail "global options after the command were not taken"
[ "$("$VAULTCTL" whoami --user=bob --socket="$VG_SOCK" --token-file "$VG_WORK/bob.tok")" = bob ] ||
	vg_fail "--opt=value after the command was not taken"
vg_ctl item create v1 host2 >/dev/null
"$VAULTCTL" item stop v1 host2 --delete-data --socket "$VG_SOCK" >/dev/null ||
	vg_fail "item stop with --socket after --delete-data"
exact 'vaultctl: unknown option --bogus (vaultctl --help lists commands and options)' \
	vg_ctl item stop v1 host1 --bogus
out=$("$VAULTCTL" --socket "$VG_SOCK" item stop v1 2>&1) && vg_fail "item stop with one argument succeeded"
[ "$out" = "usage: vaultctl item stop VAULT ITEM [--delete-data]
(vaultctl --help lists every command and option)" ] || vg_fail "usage error for item stop: $out"
exact 'vaultctl: unknown command "frob" (vaultctl --help lists them)' vg_ctl frob
exact 'vaultctl: --range -5: expected A-B or A- (bytes, inclusive)' vg_ctl restore v1 host1 0123456789abcdef --range -5
[ "$("$VAULTCTL" --help | wc -l)" -gt 40 ] || vg_fail "--help is not the whole text"
vg_log "PASS: messages"
