#!/usr/bin/env bash
# alerts_webhook.sh - alert delivery to a webhook (SPEC §8), with a real TLS
# receiver that records every POST.
#
#   vaultctl ──unix──► vaultd --alert-outbox ──LMDB outbox──┐
#                                                           │ unix (NOTIFY_NEXT / NOTIFY_ACK)
#                      vaultnotify (no keys) ◄──────────────┘
#                        └──HTTPS POST (CA pinned)──► 127.0.0.1:PORT hook_receiver.py
#                                                      (down, then up; later a rogue one)
#
# An alert raised while the receiver is down waits in vaultd's outbox, also
# across a restart of vaultd, and arrives exactly once when the receiver is
# back. A receiver whose certificate is not from the pinned CA gets nothing.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/cmk/cmklib.sh"
vg_init

ST=$VG_WORK/state
VG_SOCK=$VG_WORK/vaultd.sock
RECEIVER=$VG_SRC/tests/integration/cmk/hook_receiver.py
GOT=$VG_WORK/received.jsonl
: >"$GOT"

# Two CAs: the pinned one, and a rogue one; each signs a cert for 127.0.0.1.
mkcert() {  # mkcert NAME
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$1 CA" -keyout "$VG_WORK/$1-ca.key" -out "$VG_WORK/$1-ca.pem" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$VG_WORK/$1.key" -out "$VG_WORK/$1.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$VG_WORK/$1.ext"
	openssl x509 -req -in "$VG_WORK/$1.csr" -CA "$VG_WORK/$1-ca.pem" -CAkey "$VG_WORK/$1-ca.key" \
		-CAcreateserial -days 2 -extfile "$VG_WORK/$1.ext" -out "$VG_WORK/$1.pem" 2>/dev/null
}
mkcert good
mkcert rogue

RECV_PID=
receiver_start() {  # receiver_start CERTNAME PORT
	rm -f "$VG_WORK/ready"
	python3 "$RECEIVER" "$2" "$VG_WORK/$1.pem" "$VG_WORK/$1.key" "$GOT" "$VG_WORK/ready" \
		2>>"$VG_WORK/receiver.log" &
	RECV_PID=$!
	vg_track "$RECV_PID"
	for _ in $(seq 100); do [ -s "$VG_WORK/ready" ] && break; sleep 0.1; done
	[ -s "$VG_WORK/ready" ] || vg_fail "the receiver did not come up"
	PORT=$(cat "$VG_WORK/ready")
}
receiver_stop() {
	kill "$RECV_PID"
	wait "$RECV_PID" 2>/dev/null || true
}
# alerts_got: the deliveries that are alerts (audit anchors go the same way,
# queued behind the alerts: SPEC §11).
alerts_got() { grep -vF '"name": "audit-anchor"' "$GOT" || true; }

# wait_for FILE PATTERN [SECONDS]: until a line of FILE matches.
wait_for() {
	local i
	for i in $(seq $((${3:-20} * 10))); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	vg_fail "nothing matching '$2' in $1 within ${3:-20}s"
}

# Learn a free port, then take the receiver down: it is down when the alert fires.
receiver_start good 0
receiver_stop

cmk_start "$ST" "$VG_SOCK" --alert-outbox
vg_ctl vault create v1 >/dev/null
URL=https://127.0.0.1:$PORT/hook
out=$("$VAULTNOTIFY" --socket "$VG_SOCK" --webhook-url "$URL" --webhook-ca "$VG_WORK/good-ca.pem" --check)
expect_eq "vaultnotify --check" "$out" "configuration OK"
vg_expect_fail "webhook URL \"http://127.0.0.1:$PORT/hook\": must start with https://" \
	"$VAULTNOTIFY" --socket "$VG_SOCK" --webhook-url "http://127.0.0.1:$PORT/hook" \
	--webhook-ca "$VG_WORK/good-ca.pem" --check
"$VAULTNOTIFY" --socket "$VG_SOCK" --webhook-url "$URL" --webhook-ca "$VG_WORK/good-ca.pem" \
	--backoff-max 1 -v >>"$VG_WORK/vaultnotify.log" 2>&1 &
vg_track $!

vg_log "alert 1 raised while the receiver is down"
vg_ctl vault set v1 soft-delete off >/dev/null
wait_for "$VG_WORK/vaultnotify.log" "(soft-delete-disabled): not delivered: 127.0.0.1:$PORT: Connection refused"
vg_ctl metrics | grep -q "^vaultgate_alert_outbox_pending [1-9]" || vg_fail "the alert is not queued"

vg_log "vaultd restarts; then the receiver comes up"
vg_stop_vaultd
cmk_start "$ST" "$VG_SOCK" --alert-outbox
receiver_start good "$PORT"
wait_for "$GOT" '"name": "soft-delete-disabled"'

vg_log "alert 2, delivered at once; alert 1 still exactly once"
vg_ctl vault set v1 soft-delete on >/dev/null
vg_ctl vault set v1 soft-delete off >/dev/null
wait_for "$GOT" '"seq": 2'
python3 - "$GOT" <<'EOF'
import json, sys
every = [json.loads(l) for l in open(sys.argv[1])]
anchors = [r for r in every if r["body"]["name"] == "audit-anchor"]
recs = [r for r in every if r["body"]["name"] != "audit-anchor"]
for a in anchors:
    assert a["body"]["detail"].startswith("seq=") and " sig=" in a["body"]["detail"], a
    assert a["body"]["severity"] == "info" and a["body"]["seq"] > 2**52, a
seqs = [r["body"]["seq"] for r in recs]
assert seqs == [1, 2], f"deliveries {seqs}, want [1, 2] (each alert once, in order)"
for r in recs:
    b = r["body"]
    assert r["path"] == "/hook", r
    assert r["content_type"] == "application/json", r
    assert r["idempotency_key"] == b["id"], r
    assert b["id"].endswith("-%d" % b["seq"]) and len(b["id"]) == 32 + 1 + len(str(b["seq"])), b
    assert b["source"] == "vaultgate" and b["name"] == "soft-delete-disabled", b
    assert b["severity"] == "critical" and b["vault"] == "v1" and b["target"] == "v1", b
    assert b["principal"] == "root@local" and b["time"].endswith("Z") and b["unix"] > 0, b
EOF
for _ in $(seq 100); do
	vg_ctl metrics | grep -qx "vaultgate_alert_outbox_pending 0" && break
	sleep 0.1
done
vg_ctl metrics | grep -qx "vaultgate_alert_outbox_pending 0" || vg_fail "the outbox is not empty"
grep -qF '"name": "audit-anchor"' "$GOT" || vg_fail "no audit anchor reached the webhook"

vg_log "a receiver with a certificate from another CA gets nothing"
receiver_stop
receiver_start rogue "$PORT"
vg_ctl vault set v1 soft-delete on >/dev/null
vg_ctl vault set v1 soft-delete off >/dev/null
wait_for "$VG_WORK/vaultnotify.log" "the receiver's certificate was refused"
receiver_stop
expect_eq "deliveries to the rogue receiver" "$(alerts_got | wc -l)" 2
receiver_start good "$PORT"
wait_for "$GOT" '"seq": 3'
expect_eq "deliveries in the end" "$(alerts_got | wc -l)" 3
vg_log "PASS"
