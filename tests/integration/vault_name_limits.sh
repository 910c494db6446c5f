#!/usr/bin/env bash
# vault_name_limits.sh - wire limits derived from names.h (issue 17): an item
# name of VG_ITEM_NAME_MAX (128) bytes and a principal of
# VG_PRINCIPAL_NAME_MAX (64) work end to end; one byte more is refused with
# an error naming the field and its limit, by vaultctl before anything is
# sent and by vaultd when a raw frame carries it anyway.
#
#   vaultctl ──unix──► vaultd ◄──unix── raw frames (python3)
set -eu
. "$VG_SRC/tests/integration/lib.sh"
vg_init
vg_state_init
vg_start_vaultd "$VG_STATE" "$VG_SOCK"
rep() { head -c "$1" /dev/zero | tr '\0' "$2"; }
item128=i$$-$(rep $((128 - 2 - ${#$})) a)
item129=${item128}b
user64=u$$-$(rep $((64 - 2 - ${#$})) p)
user65=${user64}q
[ ${#item128} = 128 ] && [ ${#user64} = 64 ] || vg_fail "test names: ${#item128} ${#user64}"
vg_ctl vault create v1 >/dev/null

vg_log "at the limit: a 128-byte item backs up and restores, a 64-byte principal works"
vg_ctl item create v1 "$item128" >/dev/null
vg_random_file "$VG_WORK/data" 70000
p=$(vg_ctl backup v1 "$item128" "$VG_WORK/data")
vg_ctl restore v1 "$item128" "$p" -o "$VG_WORK/back"
cmp "$VG_WORK/data" "$VG_WORK/back" || vg_fail "restore of the 128-byte item differs"
vg_ctl item list v1 | grep -qF "$item128" || vg_fail "item list lacks the 128-byte item"
vg_ctl principal add "$user64" >"$VG_WORK/tok"
vg_ctl role grant "$user64" v1 reader >/dev/null
out=$("$VAULTCTL" --socket "$VG_SOCK" --user "$user64" --token-file "$VG_WORK/tok" whoami)
case "$out" in *"$user64"*) ;; *) vg_fail "whoami as the 64-byte principal: $out" ;; esac
out=$("$VAULTCTL" --socket "$VG_SOCK" --user "$user64" --token-file "$VG_WORK/tok" points v1 "$item128")
case "$out" in *"$p"*) ;; *) vg_fail "the 64-byte principal does not see point $p: $out" ;; esac

vg_log "one past: vaultctl refuses before sending, naming the field and its limit"
vg_expect_fail "vaultctl: $item129: invalid item: longer than 128 bytes" vg_ctl item create v1 "$item129"
vg_expect_fail "invalid item: longer than 128 bytes" vg_ctl points v1 "$item129"
vg_expect_fail "vaultctl: whoami: invalid user: longer than 64 bytes" \
	"$VAULTCTL" --socket "$VG_SOCK" --user "$user65" --token-file "$VG_WORK/tok" whoami
vg_ctl item list v1 | grep -qF "$item129" && vg_fail "the 129-byte item exists"

vg_log "one past: vaultd refuses a raw frame carrying it, naming the field"
raw() {
	python3 - "$VG_SOCK" "$1" "$2" <<'PY'
import socket, struct, sys
path, tag, value = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
def frame(ftype, reqid, fields):
    body = b"".join(struct.pack(">HI", t, len(v)) + v for t, v in fields)
    return b"VG" + bytes([ftype, 0]) + struct.pack(">II", reqid, len(body)) + body
def recv(s):
    hdr = b""
    while len(hdr) < 12:
        c = s.recv(12 - len(hdr))
        if not c:
            sys.exit("closed")
        hdr += c
    n = struct.unpack(">I", hdr[8:12])[0]
    body = b""
    while len(body) < n:
        body += s.recv(n - len(body))
    out, off = {}, 0
    while off < n:
        t, l = struct.unpack(">HI", body[off:off + 6])
        out[t] = body[off + 6:off + 6 + l]
        off += 6 + l
    return hdr[2], out
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.sendall(frame(1, 1, [(1, struct.pack(">I", 1))]))           # HELLO {version 1}
t, f = recv(s)
assert t == 2, t                                              # WELCOME
# REQ {op: ping, vault, and the field under test}
s.sendall(frame(3, 2, [(2, struct.pack(">I", 1)), (5, b"v1"), (tag, value)]))
t, f = recv(s)
print(t, struct.unpack(">i", f.get(3, bytes(4)))[0], f.get(4, b"").decode())
PY
}
eproto=$(python3 -c 'print(-20000)')
out=$(raw 6 "$item129")
[ "$out" = "4 $eproto malformed frame: item is 129 bytes, longer than 128" ] || vg_fail "vaultd on a 129-byte item: $out"
out=$(raw 15 "$user65")
[ "$out" = "4 $eproto malformed frame: user is 65 bytes, longer than 64" ] || vg_fail "vaultd on a 65-byte user: $out"
out=$(raw 21 "$user65")
[ "$out" = "4 $eproto malformed frame: principal is 65 bytes, longer than 64" ] ||
	vg_fail "vaultd on a 65-byte principal: $out"
# At the limit the same raw request is served.
out=$(raw 6 "$item128")
case "$out" in "4 0 "*) ;; *) vg_fail "vaultd on a 128-byte item: $out" ;; esac
kill -0 "$VAULTD_PID" || vg_fail "vaultd died"
vg_log "ok"
