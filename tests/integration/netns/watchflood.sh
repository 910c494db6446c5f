#!/usr/bin/env bash
# watchflood.sh - issue 19.3: `vaultnet watch` keeps the audit log bounded.
#
#   vgt-$$-at ──forged SYNs from 10.240.0.0/16 (denied)──► vgt-$$-pe
#   vaultnet watch --interval 1 ──firewall.* events──► vaultd (audit log)
#
# The bound, stated: per interval at most one firewall.drops entry (totals
# and the top 5 sources), plus one firewall.scan-detected per episode (an
# episode ends after 3 quiet intervals). Two floods of 12,000 forged SYNs
# each (20,000 distinct sources in all), and one source scanning 40 ports,
# in two episodes separated by a quiet spell: asserts drops entries <=
# intervals + 1, exactly 2 scan-detected entries (the alert raised), the
# summary's totals and its top source, and that the chain verifies.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/netns/topology.sh"
. "$VG_SRC/tests/integration/netns/hostile.sh"
VAULTNET=$VG_BUILD/netns/vaultnet
vg_init
vgtopo_init "vgt-$$"
vg_on_exit vgtopo_down

VG_SOCK=$VG_WORK/vaultd.sock
vg_start_vaultd "$VG_WORK/state" "$VG_SOCK"
vgtopo_up
vgtopo_attacker
CONF=$VG_WORK/vaultnet.conf
vgtopo_config "$CONF" "vaultd_socket = $VG_SOCK"
"$VAULTNET" up --config "$CONF" >/dev/null
vgtopo_attach_pe
PEMAC=$(vgtopo_mac "$TOPO_PE" vg0)

count() { vg_ctl audit export | grep -c "\"$1\"" || true; }
drops0=$(count firewall.drops)
scan0=$(count firewall.scan-detected)

"$VAULTNET" watch --config "$CONF" --interval 1 >"$VG_WORK/watch.log" 2>&1 &
wpid=$!
vg_track "$wpid"
for _ in $(seq 100); do grep -q "^watching" "$VG_WORK/watch.log" && break; sleep 0.1; done
t0=$(date +%s)

vg_log "episode 1: 12,000 forged SYNs from 10.240.0.0/16 at 4,000/s, and a 40-port scan from $TOPO_AT_IP"
hostile_flood_bg eth0 "$PEMAC" "$TOPO_PE_IP" syn 443 12000 4000 10.240.0.0/16 >/dev/null
f1=$HOSTILE_PID
probes=()
for p in $(seq 1000 1039); do
	ip netns exec "$TOPO_AT" timeout 0.2 bash -c "</dev/tcp/$TOPO_PE_IP/$p" 2>/dev/null &
	probes+=("$!")
done
wait "$f1"
for p in "${probes[@]}"; do wait "$p" || true; done
vg_log "quiet for 6 s (an episode ends after 3 quiet intervals)"
sleep 6
vg_log "episode 2: 12,000 more from 10.241.0.0/16"
hostile_flood eth0 "$PEMAC" "$TOPO_PE_IP" syn 22 12000 4000 10.241.0.0/16 >/dev/null
sleep 2.5
kill -TERM "$wpid"
wait "$wpid" || vg_fail "watch did not exit cleanly: $(tail "$VG_WORK/watch.log")"
elapsed=$(( $(date +%s) - t0 + 1 ))

drops=$(( $(count firewall.drops) - drops0 ))
scans=$(( $(count firewall.scan-detected) - scan0 ))
vg_log "audit: $drops firewall.drops and $scans firewall.scan-detected entries over ${elapsed}s of watch"
[ "$drops" -ge 2 ] || vg_fail "only $drops firewall.drops entries: $(tail "$VG_WORK/watch.log")"
[ "$drops" -le $((elapsed + 1)) ] || vg_fail "$drops firewall.drops entries in ${elapsed}s at --interval 1: over the bound of one per interval"
[ "$scans" = 2 ] || vg_fail "$scans firewall.scan-detected entries, expected one per episode (2): $(grep scan "$VG_WORK/watch.log")"
vg_ctl alerts | grep -q "scan-detected" || vg_fail "no scan-detected alert: $(vg_ctl alerts)"

vg_log "the summaries add up and name the top sources"
total=$(sed -n 's/^firewall.summary: \([0-9]*\) packets.*/\1/p' "$VG_WORK/watch.log" | awk '{s += $1} END {print s + 0}')
[ "$total" -ge 20000 ] || vg_fail "the summaries count $total packets, expected at least 20,000 of 24,040"
grep -q "^firewall.scan-detected: episode 1: $TOPO_AT_IP probed more than 8 ports" "$VG_WORK/watch.log" ||
	grep -q "^firewall.scan-detected: episode 1: .* sources dropped in one interval" "$VG_WORK/watch.log" ||
	vg_fail "episode 1 not described: $(grep scan "$VG_WORK/watch.log")"
vg_ctl audit export | grep '"firewall.drops"' | grep -q "sources; top: " || vg_fail "a drops entry without the top sources"
vg_ctl audit export | grep '"firewall.drops"' | grep -q "$TOPO_AT_IP [0-9]* packets to ports " ||
	vg_fail "the scanning source is not among the top sources: $(vg_ctl audit export | grep firewall.drops | head -3)"
vg_ctl audit verify >/dev/null || vg_fail "the audit chain does not verify"
"$VAULTNET" down --config "$CONF" >/dev/null
vg_log "PASS"
