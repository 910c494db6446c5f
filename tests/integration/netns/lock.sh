#!/usr/bin/env bash
# lock.sh - one vaultnet changer per namespace (/run/vaultnet/NS.lock), one watcher.
#
#   vaultnet watch (A) ──► NFLOG of vgt-$$-pe ◄── vaultnet watch (B): refused, names A
#   python3 (holds NS.lock like a running `up`) ◄── vaultnet up / down: refused
#
# Two `up`s interleaving on one namespace could leave half of each batch's
# links and rules; two watchers would audit every drop twice.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/netns/topology.sh"
VAULTNET=$VG_BUILD/netns/vaultnet
vg_init
vgtopo_init "vgt-$$"
vg_on_exit vgtopo_down
vgtopo_up
CONF=$VG_WORK/vaultnet.conf
vgtopo_config "$CONF"
out=$("$VAULTNET" up --config "$CONF" 2>&1) || vg_fail "up: $out"

vg_log "a second watcher on the same namespace is refused, naming the first"
"$VAULTNET" watch --config "$CONF" --interval 1 >"$VG_WORK/watch.log" 2>&1 &
wpid=$!
vg_track "$wpid"
for _ in $(seq 100); do grep -q "^watching" "$VG_WORK/watch.log" && break; sleep 0.1; done
grep -q "^watching" "$VG_WORK/watch.log" || vg_fail "watch did not start: $(cat "$VG_WORK/watch.log")"
vg_expect_fail "watch: namespace $TOPO_PE is in use by vaultnet watch pid $wpid" \
	timeout 10 "$VAULTNET" watch --config "$CONF" --interval 1
kill -0 "$wpid" || vg_fail "the first watcher died"
vg_log "up while watching is fine (a different lock)"
"$VAULTNET" up --config "$CONF" >/dev/null || vg_fail "up while a watcher runs"

vg_log "up and down while another process holds the namespace's lock are refused"
python3 - "/run/vaultnet/$TOPO_PE.lock" "$VG_WORK/held" <<'PY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
os.ftruncate(fd, 0)
os.pwrite(fd, b"vaultnet up pid %d\n" % os.getpid(), 0)
open(sys.argv[2], "w").close()
time.sleep(60)
PY
hpid=$!
vg_track "$hpid"
for _ in $(seq 100); do [ -e "$VG_WORK/held" ] && break; sleep 0.05; done
[ -e "$VG_WORK/held" ] || vg_fail "the lock holder did not start"
vg_expect_fail "up: namespace $TOPO_PE is in use by vaultnet up pid $hpid" "$VAULTNET" up --config "$CONF"
vg_expect_fail "down: namespace $TOPO_PE is in use by vaultnet up pid $hpid" "$VAULTNET" down --config "$CONF"
ip netns exec "$TOPO_PE" nft list table inet vaultgate >/dev/null || vg_fail "the refused down changed the namespace"
"$VAULTNET" verify --config "$CONF" >/dev/null || vg_fail "verify after the refusals"
kill "$hpid"
wait "$hpid" 2>/dev/null || true
"$VAULTNET" up --config "$CONF" >/dev/null || vg_fail "up once the holder is gone"
kill -TERM "$wpid"
wait "$wpid" || true
vg_log "PASS: vaultnet locks its namespace"
