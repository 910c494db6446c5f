#!/usr/bin/env bash
# vault_secret_files.sh - one rule for secrets read from a file or stdin
# (issue 17: read_token twice with different whitespace rules), at every
# call site: vaultctl --token-file / --pin-file / agent activate
# --token-file, and vaultnotify --token-file.
#
#   vaultctl (--token-file F|-) ──unix──► vaultd
#   vaultnotify --check (--token-file F)
#
# The rule (vgc_read_secret): the first line, its LF or CRLF removed and
# nothing else; empty, blank or control bytes, or too long: refused with a
# message that says so, before anything is sent.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
VAULTNOTIFY=$VG_BUILD/vault/vaultnotify
vg_init
vg_state_init
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
u=vgt-$$-bob
vg_ctl principal add "$u" >"$VG_WORK/tok"
tok=$(cat "$VG_WORK/tok")
bad='expected one line holding the secret alone (no spaces, tabs or control bytes)'

as() { "$VAULTCTL" --socket "$VG_SOCK" --user "$u" --token-file "$@"; }

vg_log "vaultctl --token-file: LF, CRLF, no line end, stdin: accepted"
printf '%s\n' "$tok" >"$VG_WORK/lf"
printf '%s\r\n' "$tok" >"$VG_WORK/crlf"
printf '%s' "$tok" >"$VG_WORK/bare"
for f in lf crlf bare; do
	out=$(as "$VG_WORK/$f" whoami)
	case "$out" in *"$u"*) ;; *) vg_fail "token file $f: whoami said: $out" ;; esac
done
out=$(printf '%s\n' "$tok" | as - whoami)
case "$out" in *"$u"*) ;; *) vg_fail "token on stdin: whoami said: $out" ;; esac

vg_log "vaultctl --token-file: trailing space, tab, empty, too long: refused locally"
printf '%s \n' "$tok" >"$VG_WORK/space"
printf '%s\t\n' "$tok" >"$VG_WORK/tab"
printf '\n' >"$VG_WORK/empty"
head -c 400 /dev/zero | tr '\0' a >"$VG_WORK/long"
printf '12345678 \n' >"$VG_WORK/pin-space"
n0=$(vg_ctl audit export | wc -l)
[ "$n0" -gt 0 ] || vg_fail "audit export printed nothing"
vg_expect_fail "vaultctl: $VG_WORK/space: cannot read a token: $bad" as "$VG_WORK/space" whoami
vg_expect_fail "vaultctl: $VG_WORK/tab: cannot read a token: $bad" as "$VG_WORK/tab" whoami
vg_expect_fail "vaultctl: $VG_WORK/empty: cannot read a token: $bad" as "$VG_WORK/empty" whoami
vg_expect_fail "vaultctl: $VG_WORK/long: cannot read a token: the line is too long for a secret" \
	as "$VG_WORK/long" whoami
vg_expect_fail "vaultctl: $VG_WORK/pin-space: cannot read a PIN: $bad" \
	vg_ctl --pin-file "$VG_WORK/pin-space" whoami
vg_expect_fail "vaultctl: $VG_WORK/space: cannot read a registration token: $bad" \
	vg_ctl agent activate "vgt-$$-ag" --token-file "$VG_WORK/space"
# Refused before connecting: vaultd saw no failed authentication.
n1=$(vg_ctl audit export | wc -l)
[ "$n0" = "$n1" ] || vg_fail "a locally refused secret reached vaultd ($n0 -> $n1 audit lines)"

vg_log "vaultnotify --token-file: the same rule"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj "/CN=vgt-$$-ca" -keyout "$VG_WORK/ca.key" -out "$VG_WORK/ca.pem" 2>/dev/null
notify() {
	"$VAULTNOTIFY" --socket "$VG_SOCK" --webhook-url "https://127.0.0.1:9/hook" \
		--webhook-ca "$VG_WORK/ca.pem" --user "$u" --token-file "$1" --check
}
for f in lf crlf bare; do
	out=$(notify "$VG_WORK/$f")
	[ "$out" = "configuration OK" ] || vg_fail "vaultnotify token file $f: $out"
done
for f in space tab empty; do
	vg_expect_fail "$VG_WORK/$f: cannot read a token: $bad" notify "$VG_WORK/$f"
done
vg_expect_fail "$VG_WORK/long: cannot read a token: the line is too long for a secret" \
	notify "$VG_WORK/long"
vg_log "ok"
