#!/usr/bin/env bash
# fair_share.sh - issue 12 item 2: one agent must not take every
# gateway->vaultd link. With the defaults (64 links, 16 per principal, 16
# reserved), agent `bad` opens 64 slow restic uploads (a byte a second):
# it holds exactly 16 links, the other 48 are answered 429 at once, and the
# Owner and another agent are served at once (a read and a restic upload).
# Then, with 8 links / 4 per principal / 4 reserved, two slow agents fill
# the uploads' part (4): the second gets 503, a well-behaved agent's upload
# waits (503) but its reads are served, and the Owner's upload is served
# (admins keep a reserve).
#
#   slowup.py (agent bad, 64 x TLS) ──┐
#   curl (owner, agent good)  ────────┼─TLS─► vaultgw 127.0.0.1 ── pool of N links ──unix──► vaultd
#                                     ┘
set -eu
. "$VG_SRC/tests/integration/link/lib_link.sh"

gw_setup
gw_record_api   # every native-API answer is checked against gateway/api.yaml at the end
V=default
vg_ctl vault create "$V" >/dev/null
OT=$(gw_principal own user)
vg_ctl role grant own "$V" owner >/dev/null
for a in bad bad2 good; do
	eval "T_$a=\$(gw_principal $a agent)"
	vg_ctl role grant "$a" "$V" agent >/dev/null
	vg_ctl item create "$V" "r-$a" --kind restic --agent "$a" >/dev/null
done
btf=$(link_secret bad.token "$T_bad")
b2tf=$(link_secret bad2.token "$T_bad2")
SLOW=()
slow() {  # N AGENT TOKENFILE OUT
	/usr/bin/python3 "$LINK_DIR/slowup.py" "$GW_PORT" "$GW_CA" "$1" "/restic/r-$2/data/" "$2" "$3" "$4" \
		2>>"$VG_WORK/slowup.log" &
	SLOW+=($!)
	vg_track $!
	local i=0
	while [ ! -s "$4" ]; do
		[ $i -lt 600 ] || vg_fail "slowup.py did not report"
		sleep 0.1
		i=$((i + 1))
	done
	vg_log "slow uploads of $2: $(cat "$4")"
}
stop_slow() {
	for p in "${SLOW[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	SLOW=()
}
# timed STATUS WHAT CURL-ARGS...: the request must answer STATUS within 3 s.
timed() {
	local want=$1 what=$2 t0 t1 st
	shift 2
	t0=$(date +%s%N)
	st=$(gw_status -m 10 "$@")
	t1=$(date +%s%N)
	gw_expect "$want" "$what" "$st"
	[ $(((t1 - t0) / 1000000)) -lt 3000 ] || vg_fail "$what took $(((t1 - t0) / 1000000)) ms"
}
obj() {  # a small restic data file: prints its name, body in $VG_WORK/obj
	head -c 2048 /dev/urandom >"$VG_WORK/obj"
	sha256sum "$VG_WORK/obj" | cut -d' ' -f1
}

for a in bad bad2 good; do
	eval "tok=\$T_$a"
	gw_expect 200 "create r-$a's folders" \
		"$(gw_status -u "$a:$tok" -X POST "$GW_URL/restic/r-$a/?create=true")"
done

vg_log "phase 1: defaults (64 links, 16 per principal, 16 reserved)"
slow 64 bad "$btf" "$VG_WORK/p1"
timed 200 "the Owner reads the vault while bad holds its share" -u "own:$OT" "$GW_URL/v1/vaults/$V"
n=$(obj)
timed 200 "agent good uploads a restic file" -u "good:$T_good" \
	--data-binary @"$VG_WORK/obj" "$GW_URL/restic/r-good/data/$n"
timed 200 "agent good reads it back" -u "good:$T_good" "$GW_URL/restic/r-good/data/$n"
grep -q '^opened 64 answered {"429": 48} pending 16$' "$VG_WORK/p1" ||
	vg_fail "agent bad should hold 16 links and get 48 answers 429: $(cat "$VG_WORK/p1")"
timed 429 "agent bad's next request (a read) is over its share" -u "bad:$T_bad" \
	"$GW_URL/restic/r-bad/data/"
stop_slow

vg_log "phase 2: 8 links, 4 per principal, 4 reserved (uploads by non-admins take at most 4)"
gw_stop_gateway
gw_start_gateway "vaultd_connections = 8" "vaultd_links_per_principal = 4" "vaultd_links_reserved = 4"
slow 6 bad "$btf" "$VG_WORK/p2a"
grep -q '^opened 6 answered {"429": 2} pending 4$' "$VG_WORK/p2a" ||
	vg_fail "bad should hold 4 links: $(cat "$VG_WORK/p2a")"
slow 3 bad2 "$b2tf" "$VG_WORK/p2b"
grep -q '^opened 3 answered {"503": 3} pending 0$' "$VG_WORK/p2b" ||
	vg_fail "bad2's uploads should find the uploads' part full (503): $(cat "$VG_WORK/p2b")"
n=$(obj)
timed 503 "agent good's upload waits for the uploads' part" -u "good:$T_good" \
	--data-binary @"$VG_WORK/obj" "$GW_URL/restic/r-good/data/$n"
timed 200 "agent good's read uses the reserve" -u "good:$T_good" "$GW_URL/restic/r-good/data/"
timed 200 "the Owner's upload uses the reserve" -u "own:$OT" \
	--data-binary @"$VG_WORK/obj" "$GW_URL/restic/r-good/data/$n"
stop_slow
timed 200 "after bad stops, agent good's upload is served" -u "good:$T_good" \
	--data-binary @"$VG_WORK/obj" "$GW_URL/restic/r-good/data/$n"
gw_curl -u "own:$OT" "$GW_URL/v1/vaults/$V" >/dev/null
gw_schema_check
vg_log "PASS fair_share"
