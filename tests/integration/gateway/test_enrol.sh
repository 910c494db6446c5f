#!/usr/bin/env bash
# test_enrol.sh - an agent enrolled over the network (issue 21): vaultctl
# agent register -o writes a credentials file with the endpoint and the
# certificate pin taken from vaultgw's config; image/files/vaultgate-agent-
# enrol checks the pin, POSTs /v1/agents/activate, and writes a restic
# environment; restic backs up and restores with only that file (no Owner
# token on the agent side). Then the refusals, each audited: a wrong pin
# (the token never leaves), a reused token, brute force per agent (alert,
# even the right token refused while locked) and per source, and a token
# past its 10 days.
#
#   agent side (this shell, env -i) ──TLS──► vaultgw 127.0.0.1:$GW_PORT ──unix──► vaultd (test clock)
#     vaultgate-agent-enrol: openssl s_client (pin) + curl (activate)
#     restic with the written env file
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

ENROL=$VG_SRC/image/files/vaultgate-agent-enrol
# The gateway's own failed-attempt bucket would answer 429 before vaultd's
# limits are reached; raised here so vaultd's per-agent and per-source
# limits are what the test sees.
VAULTD_BIN=$VAULTD_TEST gw_setup "auth_fail_burst = 1000" "auth_fail_per_minute = 1000"
gw_record_api   # every native-API answer is checked against gateway/api.yaml at the end
W=$VG_WORK
vg_ctl vault create default >/dev/null
OWNER=$(gw_principal boss user)
vg_ctl role grant boss default owner >/dev/null
FP=$(openssl x509 -in "$GW_CA" -noout -fingerprint -sha256 | cut -d= -f2)

# ---- the credentials file carries the endpoint and the pin -------------------
vg_ctl agent register default ag1 -o "$W/ag1.cred" --item repo1 --gw-config "$GW_CONF" >"$W/reg.out"
grep -qx "VG_ENDPOINT=https://127.0.0.1:$GW_PORT" "$W/ag1.cred" || vg_fail "endpoint: $(cat "$W/ag1.cred")"
grep -qx "VG_CA_FINGERPRINT=$FP" "$W/ag1.cred" || vg_fail "fingerprint: $(grep FINGER "$W/ag1.cred") want $FP"
grep -qx "VG_ITEM=repo1" "$W/ag1.cred" || vg_fail "item missing from the credentials file"
[ "$(stat -c %a "$W/ag1.cred")" = 600 ] || vg_fail "credentials file mode $(stat -c %a "$W/ag1.cred")"
vg_log "ok: credentials file: endpoint, pin ($FP) and item filled from vaultgw's config"
# Options win over the config, and a malformed pin is refused before any registration.
vg_expect_fail "expected a SHA-256 fingerprint" vg_ctl agent register default agx -o "$W/x.cred" \
	--endpoint https://vault.example:8443 --ca-fingerprint 12:34
[ ! -e "$W/x.cred" ] || vg_fail "a refused register wrote a file"
vg_ctl principal list | grep -q "^agx" && vg_fail "a refused register created the agent"
vg_ctl agent register default agy -o "$W/y.cred" --endpoint https://vault.example:8443 \
	--ca-fingerprint "$(echo "$FP" | tr -d : | tr A-F a-f)" >/dev/null
grep -qx "VG_ENDPOINT=https://vault.example:8443" "$W/y.cred" || vg_fail "--endpoint not used"
grep -qx "VG_CA_FINGERPRINT=$(echo "$FP" | tr -d : | tr A-F a-f)" "$W/y.cred" || vg_fail "--ca-fingerprint not used"
vg_log "ok: --endpoint/--ca-fingerprint override the config; a bad pin is refused first"

# ---- item set VAULT ITEM agent NAME; item list shows the owner ----------------
vg_ctl item create default repo1 --kind restic >/dev/null
vg_ctl item list default | grep -q "^repo1.*owner=root@local" || vg_fail "item list: $(vg_ctl item list default)"
vg_expect_fail "items are given to agents only" vg_ctl item set default repo1 agent boss
vg_expect_fail "no principal" vg_ctl item set default repo1 agent nobody-such
vg_expect_fail "no setting" vg_ctl item set default repo1 colour blue
vg_ctl item set default repo1 agent ag1 >/dev/null
vg_ctl item list default | grep -qE "^repo1.*owner=ag1(\s|$)" || vg_fail "item list after set: $(vg_ctl item list default)"
vg_ctl audit export | grep '"item.set"' | grep -q 'agent root@local -> ag1' || vg_fail "item.set not audited"
vg_log "ok: item set ... agent ag1 (refusals named), item list shows owner=ag1, audited"

enrol() { env -i PATH="$PATH" NO_PROXY='*' no_proxy='*' TMPDIR="$W" sh "$ENROL" "$@"; }

# ---- a wrong pin: the registration token never leaves -------------------------
sed "s/^VG_CA_FINGERPRINT=.*/VG_CA_FINGERPRINT=$(printf 'AB:%.0s' $(seq 31))AB/" "$W/ag1.cred" >"$W/bad.cred"
set +e
enrol -o "$W/bad.env" "$W/bad.cred" >"$W/bad.out" 2>&1
rc=$?
set -e
[ "$rc" = 3 ] || vg_fail "wrong pin: exit $rc: $(cat "$W/bad.out")"
grep -q "the registration token was not sent" "$W/bad.out" || vg_fail "wrong pin: $(cat "$W/bad.out")"
[ ! -e "$W/bad.env" ] || vg_fail "wrong pin wrote an env file"
vg_ctl audit export | grep -q '"agent.activate"' && vg_fail "a wrong pin reached vaultd"
vg_log "ok: wrong pin: exit 3, nothing sent, nothing audited"

# ---- enrolment, then restic with only the written file -----------------------
mkdir -p "$W/agent"
enrol -o "$W/agent/restic.env" "$W/ag1.cred" >"$W/enrol.out" 2>&1 || vg_fail "enrol: $(cat "$W/enrol.out")"
[ "$(stat -c %a "$W/agent/restic.env")" = 600 ] || vg_fail "env file mode"
grep -q "^RESTIC_REPOSITORY=rest:https://ag1:vg_[0-9a-f]\{64\}@127.0.0.1:$GW_PORT/restic/repo1/$" \
	"$W/agent/restic.env" || vg_fail "env file: $(sed 's/vg_[0-9a-f]*/vg_.../' "$W/agent/restic.env")"
grep -q "$OWNER" "$W/agent/restic.env" && vg_fail "the Owner's token is in the agent's env file"
grep -q "$(sed -n 's/^VG_REGISTRATION_TOKEN=//p' "$W/ag1.cred")" "$W/agent/restic.env" &&
	vg_fail "the registration token is in the env file"
cmp -s "$W/agent/vaultgate-ca.pem" "$GW_CA" || vg_fail "the pinned certificate file differs"
vg_ctl audit export | grep '"agent.activate"' | grep -q '"ok"' || vg_fail "activation not audited"
vg_ctl audit export | grep '"agent.activate"' | grep -q '"peer":"127.0.0.1"' ||
	vg_fail "activation audited without its source: $(vg_ctl audit export | grep agent.activate)"
vg_log "ok: enrolled over the network; env file 0600 with the agent's own token"

head -c $((3 * 1024 * 1024)) /dev/urandom >"$W/agent/data.bin"
echo "small" >"$W/agent/small.txt"
agent_restic() {
	(cd "$W/agent" && env -i PATH="$PATH" HOME="$W/agent" NO_PROXY='*' no_proxy='*' \
		RESTIC_PASSWORD=agent-secret RESTIC_CACHE_DIR="$W/agent/cache" \
		sh -c 'set -a; . ./restic.env; set +a; exec restic --cacert "$RESTIC_CACERT" "$@"' restic "$@")
}
agent_restic init >"$W/r.log" 2>&1 || vg_fail "restic init: $(tail -3 "$W/r.log")"
agent_restic backup data.bin small.txt >>"$W/r.log" 2>&1 || vg_fail "restic backup: $(tail -3 "$W/r.log")"
agent_restic restore latest --target "$W/agent/out" >>"$W/r.log" 2>&1 || vg_fail "restic restore"
cmp "$W/agent/data.bin" "$W/agent/out/data.bin" && cmp "$W/agent/small.txt" "$W/agent/out/small.txt" ||
	vg_fail "restored data differs"
vg_log "ok: restic init/backup/restore byte-exact with only the enrol script's env file"

# ---- reused: single use ------------------------------------------------------
set +e
enrol -o "$W/again.env" "$W/ag1.cred" >"$W/again.out" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || vg_fail "reuse: exit $rc"
grep -q "activation refused (401).*wrong or already used" "$W/again.out" || vg_fail "reuse: $(cat "$W/again.out")"
vg_ctl audit export | grep '"agent.activate"' | grep '"denied"' | grep -q "already used" ||
	vg_fail "reuse not audited"
vg_log "ok: a reused registration token: 401, audited"

# ---- brute force per agent: 5 wrong tokens lock the agent, alert --------------
vg_ctl agent register default ag3 -o "$W/ag3.cred" --item repo3 --gw-config "$GW_CONF" >/dev/null
act() { # act AGENT TOKEN -> HTTP status
	printf '{"agent": "%s", "registration_token": "%s"}' "$1" "$2" |
		gw_status -X POST -H 'Content-Type: application/json' --data-binary @- "$GW_URL/v1/agents/activate"
}
for i in 1 2 3 4 5; do
	gw_expect 401 "ag3 wrong token $i" "$(act ag3 "vg_$(openssl rand -hex 32)")"
done
REG3=$(sed -n 's/^VG_REGISTRATION_TOKEN=//p' "$W/ag3.cred")
gw_expect 429 "ag3 right token while locked" "$(act ag3 "$REG3")"
vg_ctl alerts | grep auth-bruteforce | grep -q "ag3" || vg_fail "no auth-bruteforce alert naming ag3: $(vg_ctl alerts)"
vg_ctl audit export | grep '"agent.activate"' | grep '"denied"' | grep -q "5 failed activations of agent ag3" ||
	vg_fail "the locked attempt is not audited"
gw_expect 401 "another agent from the same source is not locked by ag3's limit" "$(act ag1 "vg_$(openssl rand -hex 32)")"
vg_log "ok: per agent: 5 wrong -> the right token refused (429), alert, audited"

# ---- per source: 10 failures from one address lock that address --------------
vg_ctl agent register default ag4 -o "$W/ag4.cred" --item repo4 --gw-config "$GW_CONF" >/dev/null
REG4=$(sed -n 's/^VG_REGISTRATION_TOKEN=//p' "$W/ag4.cred")
# Failures so far from 127.0.0.1: reuse 1 + ag3 5 (+1 locked, not counted) + ag1 1 = 7.
for i in 1 2 3; do
	gw_expect 401 "ag4 wrong token $i" "$(act ag4 "vg_$(openssl rand -hex 32)")"
done
gw_expect 429 "ag4 right token from a locked source" "$(act ag4 "$REG4")"
vg_ctl audit export | grep '"agent.activate"' | grep -q "failed activations from 127.0.0.1" ||
	vg_fail "the source lock is not audited"
vg_log "ok: per source: 10 failures -> 429 for any agent from that address"

# ---- the windows end: 16 minutes later the right tokens work -------------------
vg_ctl clock advance 960 >/dev/null
gw_expect 200 "ag4 after the window" "$(act ag4 "$REG4")"
enrol -o "$W/ag3.env" "$W/ag3.cred" >"$W/ag3.out" 2>&1 || vg_fail "ag3 after the window: $(cat "$W/ag3.out")"
vg_log "ok: after 15 minutes both enrol"

# ---- expired: valid 10 days ------------------------------------------------------
vg_ctl agent register default ag5 -o "$W/ag5.cred" --item repo5 --gw-config "$GW_CONF" >/dev/null
vg_ctl clock advance $((10 * 86400 + 60)) >/dev/null
set +e
enrol -o "$W/ag5.env" "$W/ag5.cred" >"$W/ag5.out" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || vg_fail "expired: exit $rc"
grep -q "activation refused (401).*expired (valid 10 days)" "$W/ag5.out" || vg_fail "expired: $(cat "$W/ag5.out")"
vg_ctl audit export | grep '"agent.activate"' | grep '"ag5"' | grep -q "expired" || vg_fail "expiry not audited"
vg_log "ok: a registration token past 10 days: 401 naming the expiry, audited"

# ---- malformed bodies never reach vaultd --------------------------------------
gw_expect 400 "body with an extra field" "$(printf '{"agent":"ag5","registration_token":"x","role":"owner"}' |
	gw_status -X POST --data-binary @- "$GW_URL/v1/agents/activate")"
gw_expect 400 "bad agent name" "$(printf '{"agent":"../x","registration_token":"x"}' |
	gw_status -X POST --data-binary @- "$GW_URL/v1/agents/activate")"
gw_expect 405 "GET" "$(gw_status "$GW_URL/v1/agents/activate")"
gw_schema_check
vg_log "PASS"
