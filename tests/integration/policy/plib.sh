# plib.sh - helpers for the security-policy integration tests (sourced, never run).
#
# Builds on ../lib.sh. Each test file:
#
#   set -eu
#   . "$VG_SRC/tests/integration/policy/plib.sh"
#   pl_start                      # own work dir, state dir, socket, vaultd-testclock PID
#   pl_case "name"; ...           # one block per test case
#   pl_done                       # prints the summary line
#
#   vaultctl (root@local) ──unix──► vaultd-testclock ── $VG_WORK/state (LMDB, blobs, keys)
#   vaultctl --user P ────┘            (the test clock only moves forward)
#
# Principals get a token file in $VG_WORK/tok/NAME. Assertions fail the test
# at once with "FAIL: ..."; refusals are checked for their exact text.

. "$VG_SRC/tests/integration/lib.sh"

DAY=86400
PL_CASES=0
PL_CASE=""

# pl_start [BINARY]: start a private vaultd (the test-clock daemon by default).
pl_start() {
	vg_init
	mkdir -p "$VG_WORK/tok" "$VG_WORK/data" "$VG_WORK/out"
	VG_SOCK=$VG_WORK/vaultd.sock
	VG_STATE=$VG_WORK/state
	PL_T0=$(date +%s)
	vg_start_vaultd "$VG_STATE" "$VG_SOCK" "${1:-$VAULTD_TEST}"
}

pl_case() {
	PL_CASE=$1
	PL_CASES=$((PL_CASES + 1))
	vg_log "case: $1"
}

pl_done() {
	printf '%s: %d cases passed in %ds\n' "$(basename "$0")" "$PL_CASES" \
		$(($(date +%s) - PL_T0))
}

pl_fail() { vg_fail "[${PL_CASE:-setup}] $*"; }

# pl_root ARGS...: vaultctl as root@local (uid 0, no credential).
pl_root() { "$VAULTCTL" --socket "$VG_SOCK" "$@"; }

# pl_as NAME ARGS...: vaultctl as principal NAME.
pl_as() {
	local who=$1
	shift
	"$VAULTCTL" --socket "$VG_SOCK" --user "$who" --token-file "$VG_WORK/tok/$who" "$@"
}

# pl_user NAME [KIND]: a principal with its token file.
pl_user() {
	pl_root principal add "$1" --kind "${2:-user}" >"$VG_WORK/tok/$1"
	grep -q '^vg_[0-9a-f]\{64\}$' "$VG_WORK/tok/$1" || pl_fail "no token for $1"
}

# pl_role NAME VAULT ROLE: make principal NAME (created if missing) hold ROLE.
pl_role() {
	[ -f "$VG_WORK/tok/$1" ] || pl_user "$1"
	pl_root role grant "$1" "$2" "$3" >/dev/null
}

# pl_agent VAULT NAME: a registered and activated agent with its token file.
pl_agent() {
	local cred=$VG_WORK/$2.cred
	pl_root agent register "$1" "$2" -o "$cred" --endpoint https://192.0.2.1 \
		--ca-fingerprint "$(printf '%064d' 0)" >/dev/null
	sed -n 's/^VG_REGISTRATION_TOKEN=//p' "$cred" |
		pl_root agent activate "$2" --token-file - >"$VG_WORK/tok/$2"
	grep -q '^vg_' "$VG_WORK/tok/$2" || pl_fail "agent $2 got no token"
}

# pl_data NAME [BYTES]: a random file $VG_WORK/data/NAME; prints its path.
pl_data() {
	local f=$VG_WORK/data/$1
	head -c "${2:-3000}" /dev/urandom >"$f"
	printf '%s\n' "$f"
}

# pl_backup VAULT ITEM FILE [NAME]: one recovery point (as root, or as NAME);
# prints the point id. Remembers which file the point holds.
pl_backup() {
	local p
	if [ $# -ge 4 ]; then
		p=$(pl_as "$4" backup "$1" "$2" --object data "$3")
	else
		p=$(pl_root backup "$1" "$2" --object data "$3")
	fi
	case "$p" in
	[0-9a-f][0-9a-f][0-9a-f][0-9a-f]*) ;;
	*) pl_fail "backup of $1/$2 printed no point id: $p" ;;
	esac
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$p" "$3" >>"$VG_WORK/points.tsv"
	printf '%s\n' "$p"
}

# pl_advance SECONDS: move the test clock forward.
pl_advance() { pl_root clock advance "$1" >/dev/null; }

# pl_now: the daemon's clock, in unix seconds.
pl_now() { date -u -d "$(pl_root clock advance 0 | sed 's/^vaultd time is now //')" +%s; }

# pl_purge: one purger pass now.
pl_purge() { pl_root purge run >/dev/null; }

# pl_expect_fail "exact refusal text" CMD...: CMD fails and says exactly that.
pl_expect_fail() {
	local want=$1 out rc
	shift
	set +e
	out=$("$@" 2>&1)
	rc=$?
	set -e
	[ "$rc" != 0 ] || pl_fail "expected refusal '$want' from: $* (exit 0, output: $out)"
	case "$out" in
	*"$want"*) ;;
	*) pl_fail "expected '$want' from: $* ; got: $out" ;;
	esac
}

# pl_ok CMD...: CMD succeeds (its output is discarded, shown on failure).
pl_ok() {
	local out
	out=$("$@" 2>&1) || pl_fail "expected success from: $* ; got: $out"
}

# pl_points VAULT ITEM [--all]: the point ids listed, one a line.
pl_points() { pl_root points "$@" | cut -f1; }

# pl_point_state VAULT ITEM POINT: the state in `points --all` ("" if gone).
pl_point_state() {
	pl_root points "$1" "$2" --all | awk -F'\t' -v p="$3" '$1 == p { print $3 }'
}

# pl_has_point VAULT ITEM POINT / pl_no_point: listed as active or not.
pl_has_point() {
	pl_points "$1" "$2" | grep -qx "$3" || pl_fail "point $1/$2/$3 is not listed"
}
pl_no_point() {
	! pl_points "$1" "$2" | grep -qx "$3" || pl_fail "point $1/$2/$3 is still listed"
}

# pl_restore_cmp VAULT ITEM POINT FILE [NAME]: restores byte-exact.
pl_restore_cmp() {
	local out=$VG_WORK/out/restore.$$.$RANDOM
	if [ $# -ge 5 ]; then
		pl_as "$5" restore "$1" "$2" "$3" --object data -o "$out" ||
			pl_fail "restore of $1/$2/$3 as $5 failed"
	else
		pl_root restore "$1" "$2" "$3" --object data -o "$out" ||
			pl_fail "restore of $1/$2/$3 failed"
	fi
	cmp -s "$4" "$out" || pl_fail "restore of $1/$2/$3 differs from $4"
	rm -f "$out"
}

# pl_all_restorable [VAULT]: every point pl_backup made (in VAULT) is still
# listed and restores byte-exact.
pl_all_restorable() {
	local v i p f n=0
	while IFS=$'\t' read -r v i p f; do
		[ -z "${1:-}" ] || [ "$v" = "$1" ] || continue
		pl_has_point "$v" "$i" "$p"
		pl_restore_cmp "$v" "$i" "$p" "$f"
		n=$((n + 1))
	done <"$VG_WORK/points.tsv"
	[ "$n" -gt 0 ] || pl_fail "no recorded points to check"
}

# pl_audited PRINCIPAL OP TARGET RESULT "reason substring": an audit entry
# with exactly these principal, op, target and result, whose reason holds
# the substring. (vaultctl prints compact JSON in a fixed key order.)
pl_audited() {
	local key="\"principal\":\"$1\",\"op\":\"$2\",\"target\":\"$3\",\"result\":\"$4\",\"reason\":\""
	pl_root audit export >"$VG_WORK/audit.json"
	grep -F -- "$key" "$VG_WORK/audit.json" | grep -qF -- "$5" ||
		pl_fail "no audit entry $1 $2 $3 $4 with reason '$5'; last entries:
$(tail -n 5 "$VG_WORK/audit.json")"
}

# pl_denied PRINCIPAL OP TARGET "reason substring".
pl_denied() { pl_audited "$1" "$2" "$3" denied "$4"; }

# pl_audit_count PATTERN: how many audit lines hold the fixed string.
pl_audit_count() { pl_root audit export | grep -cF -- "$1" || true; }

# pl_alert NAME VAULT TARGET PRINCIPAL: a critical alert with these fields
# and a time is in `vaultctl alerts --json`.
pl_alert() {
	local key="\"name\":\"$1\",\"severity\":\"critical\",\"principal\":\"$4\",\"vault\":\"$2\",\"target\":\"$3\","
	pl_root alerts --json >"$VG_WORK/alerts.json"
	grep -F -- "$key" "$VG_WORK/alerts.json" |
		grep -q '"time":"[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]*Z"' ||
		pl_fail "no critical alert $1 vault=$2 target=$3 by=$4; alerts:
$(cat "$VG_WORK/alerts.json")"
}

# pl_alert_count NAME TARGET: how many alerts NAME about TARGET.
pl_alert_count() {
	pl_root alerts --json | grep -F "\"name\":\"$1\"," | grep -cF "\"target\":\"$2\"," || true
}

# pl_audit_intact: the audit chain still verifies.
pl_audit_intact() {
	pl_root audit verify >/dev/null || pl_fail "audit chain does not verify"
}

# pl_start_syslog: like pl_start, but vaultd runs in a private mount
# namespace whose /dev is a small tmpfs (null, zero, random, urandom, full)
# with /dev/log served by a datagram sink that appends every message to
# $VG_WORK/syslog.txt. PL_SYSLOG=1 when that worked; if the namespace cannot
# be built, vaultd runs as usual, PL_SYSLOG=0 and PL_SYSLOG_WHY says why.
#
#   vaultd ──syslog(3)──► /dev/log (this namespace only) ──► sink ──► syslog.txt
pl_start_syslog() {
	local py
	vg_init
	mkdir -p "$VG_WORK/tok" "$VG_WORK/data" "$VG_WORK/out" "$VG_WORK/dev"
	VG_SOCK=$VG_WORK/vaultd.sock
	VG_STATE=$VG_WORK/state
	PL_T0=$(date +%s)
	PL_SYSLOG=0
	py=$(command -v /usr/bin/python3 python3 | head -n 1)
	if [ -z "$py" ]; then
		PL_SYSLOG_WHY="no python3 for the syslog sink"
	elif ! unshare -m --propagation private true 2>/dev/null; then
		PL_SYSLOG_WHY="unshare -m is not permitted here"
	else
		PL_SYSLOG=1
	fi
	if [ "$PL_SYSLOG" = 0 ]; then
		vg_start_vaultd "$VG_STATE" "$VG_SOCK" "$VAULTD_TEST"
		return 0
	fi
	cat >"$VG_WORK/sink.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\n") + b"\n")
PY
	cat >"$VG_WORK/ns.sh" <<'SH'
set -eu
w=$1 py=$2 bin=$3
mount -t tmpfs -o mode=755 tmpfs "$w/dev"
for n in null zero urandom random full; do
	touch "$w/dev/$n"
	mount --bind "/dev/$n" "$w/dev/$n"
done
mount --rbind "$w/dev" /dev
"$py" "$w/sink.py" /dev/log "$w/syslog.txt" &
echo $! >"$w/sink.pid"
i=0
while [ ! -S /dev/log ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -S /dev/log ] || { echo "syslog sink did not start" >&2; exit 1; }
exec "$bin" --state-dir "$w/state" --socket "$w/vaultd.sock"
SH
	: >"$VG_WORK/syslog.txt"
	unshare -m --propagation private -- bash "$VG_WORK/ns.sh" "$VG_WORK" "$py" "$VAULTD_TEST" \
		>>"$VG_WORK/vaultd.log" 2>&1 &
	VAULTD_PID=$!
	vg_track "$VAULTD_PID"
	vg_wait_socket "$VG_SOCK"
	vg_track "$(cat "$VG_WORK/sink.pid")"
}

# pl_syslog_has TEXT: the syslog sink received a line holding TEXT (waits up to 5 s).
pl_syslog_has() {
	local i=0
	while [ $i -lt 100 ]; do
		grep -qF -- "$1" "$VG_WORK/syslog.txt" && return 0
		sleep 0.05
		i=$((i + 1))
	done
	pl_fail "syslog has no line with: $1"
}

# pl_pending_ids [VAULT]: the ids of pending weakening changes (SPEC §11).
pl_pending_ids() { pl_root pending "$@" | cut -f1; }

# pl_expedite VAULT: applies every pending change of VAULT now (test daemon
# only: like the test clock, it skips the cooling-off for tests whose subject
# is something else). The cooling-off itself is tested in cooling.sh.
pl_expedite() {
	local id n=0
	for id in $(pl_pending_ids "$1"); do
		pl_root pending expedite "$id" >/dev/null || pl_fail "could not expedite $id"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || pl_fail "no pending change in $1 to expedite"
}

# pl_add_approver GUARD PRINCIPAL BY: local root adds PRINCIPAL as an approver
# of GUARD, which already has approvers: a guard-change grant approved by
# the existing approver BY (SPEC §11: guards govern themselves).
pl_add_approver() {
	local id
	id=$(pl_root mua request "$1" guard-change "$1/approver-add/$2")
	pl_as "$3" mua approve "$id" >/dev/null || pl_fail "$3 could not approve $id"
	"$VAULTCTL" --socket "$VG_SOCK" --grant "$id" guard approver add "$1" "$2" >/dev/null ||
		pl_fail "root could not add $2 to $1 with grant $id"
}

# pl_guard_change AS BY GUARD exclude|include OP: AS changes GUARD's
# exclusion of OP with a guard-change grant approved by BY.
pl_guard_change() {
	local id
	id=$(pl_as "$1" mua request "$3" guard-change "$3/$4/$5")
	pl_as "$2" mua approve "$id" >/dev/null || pl_fail "$2 could not approve $id"
	pl_as "$1" --grant "$id" guard "$4" "$3" "$5" >/dev/null || pl_fail "$1 could not $4 $5 on $3"
}
