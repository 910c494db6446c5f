# cephlib.sh - a throw-away single-node Ceph for tests (sourced, never run).
#
#   ceph_up            ceph-mon + one ceph-osd (memstore, or bluestore on a
#                      sparse file with CEPH_OBJECTSTORE=bluestore; the
#                      memstore size is CEPH_MEMSTORE_BYTES) in $VG_WORK/ceph,
#                      127.0.0.1 only, ports picked free, cephx on
#                      (CEPH_AUTH=none turns it off), no systemd, no
#                      ceph-mgr; sets CEPH_CONF, CEPH_DIR, CEPH_MON_PID,
#                      CEPH_OSD_PID. About 7 s.
#   ceph_pool NAME [QUOTA_BYTES]   create a pool (names: vgt-$$-...)
#   ceph_client NAME POOL   a cephx user client.NAME whose caps cover only
#                      POOL (mon 'allow r', osd 'allow rw pool=POOL'); its
#                      keyring is $CEPH_DIR/client.NAME.keyring (0600)
#   ceph_vault_client POOL  ceph_client vgt-$$-... POOL, exported as
#                      VG_CEPH_ID and VG_CEPH_KEYRING for lib.sh
#   ceph_osd_stop / ceph_osd_start  stop (SIGKILL) and restart the OSD
#   ceph_down          stop both daemons by PID (registered with vg_on_exit)
#   ceph_objects POOL  the pool's object names, sorted
#   ceph_full_ratio R  the OSD map's full ratio (nearfull and backfillfull
#                      just below): the pool is flagged full once the OSD
#                      is R full (e.g. 0.3 of a 200 MB memstore: 60 MB)
#
# Needs lib.sh sourced and vg_init called. Facts that save hours: the mon
# stops below 5 % free disk unless "mon data avail crit" is lowered; size-1
# pools need "mon allow pool size one"; "osd crush chooseleaf type = 0" for
# one host; op timeouts keep a stopped OSD from hanging a client. With
# cephx, the OSD's key must exist (auth get-or-create osd.0) before
# "ceph-osd --mkfs", and the admin keyring goes in [global] so the CLI and
# the daemons find it; a client with its own keyring must not inherit it.
# A pool filling up: without a ceph-mgr the monitor has no pool statistics,
# so a pool quota (max_bytes) is never enforced; what works is the OSD's own
# fullness against the OSD map's full ratio, set at run time with
# "ceph osd set-full-ratio" (the "mon osd full ratio" option only seeds the
# first map; nearfull <= backfillfull <= full). The OSD measures its store
# at each heartbeat: "osd heartbeat interval = 1" (6 s by default) makes
# the pool's full flag arrive a few seconds after crossing the ratio (here:
# while the next 2-8 MB of a streamed upload were written). On a pool
# flagged full a plain client holds writes AND deletes until its op timeout
# ("rados rm" hangs); with "full try" (rados --force-full,
# rados_set_pool_full_try) writes fail at once with ENOSPC and deletes pass.
CEPH_MON_PID= CEPH_OSD_PID= CEPH_DIR= CEPH_CONF= CEPH_OSD_UUID=

ceph_need() {
	local c
	for c in ceph-mon ceph-osd monmaptool ceph-authtool ceph rados uuidgen python3; do
		command -v "$c" >/dev/null || vg_fail "missing $c (scripts/install-deps.sh installs ceph-mon ceph-osd)"
	done
}

_ceph_stop_pid() { # TERM, wait up to 5 s, then KILL; only our own PID
	local p=$1 i
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 0
	kill "$p" 2>/dev/null || true
	for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null || true; return 0; }; sleep 0.05; done
	kill -9 "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

ceph_down() {
	_ceph_stop_pid "$CEPH_OSD_PID"
	_ceph_stop_pid "$CEPH_MON_PID"
	CEPH_OSD_PID= CEPH_MON_PID=
}

cephc() { timeout 60 ceph -c "$CEPH_CONF" --connect-timeout 20 "$@"; }

ceph_up() {
	local t0 mon2 mon1 fsid addr id i auth=${CEPH_AUTH:-cephx}
	ceph_need
	t0=$(date +%s.%N)
	CEPH_DIR=$VG_WORK/ceph
	CEPH_CONF=$CEPH_DIR/ceph.conf
	mkdir -p "$CEPH_DIR"/mon/a "$CEPH_DIR"/osd/0 "$CEPH_DIR"/run "$CEPH_DIR"/log
	read -r mon2 mon1 < <(python3 -c '
import socket
ss=[socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1",0))
print(*[s.getsockname()[1] for s in ss])')
	fsid=$(uuidgen)
	if [ "${CEPH_OBJECTSTORE:-memstore}" = bluestore ]; then
		# Survives a kill -9 of the OSD (memstore keeps nothing): a sparse file.
		store_conf="osd objectstore = bluestore
bluestore block create = true
bluestore block size = 4294967296
bluestore fsck on mkfs = false
bluestore fsck on mount = false
osd memory target = 939524096
bluestore cache autotune = false
bluestore cache size = 134217728"
	else
		store_conf="osd objectstore = memstore
memstore device bytes = ${CEPH_MEMSTORE_BYTES:-3221225472}"
	fi
	addr="[v2:127.0.0.1:$mon2,v1:127.0.0.1:$mon1]"
	cat >"$CEPH_CONF" <<CONF
[global]
fsid = $fsid
mon host = $addr
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv4 = true
ms bind ipv6 = false
auth cluster required = $auth
auth service required = $auth
auth client required = $auth
auth allow insecure global id reclaim = false
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
client mount timeout = 20
rados osd op timeout = 20
osd heartbeat interval = 1
rados mon op timeout = 20
run dir = $CEPH_DIR/run
log file = $CEPH_DIR/log/\$name.log
pid file = $CEPH_DIR/run/\$name.pid
keyring = $CEPH_DIR/keyring
[client]
admin socket =
[mon.a]
admin socket = $CEPH_DIR/run/\$name.asok
mon data = $CEPH_DIR/mon/a
[osd.0]
admin socket = $CEPH_DIR/run/\$name.asok
osd data = $CEPH_DIR/osd/0
keyring = $CEPH_DIR/osd/0/keyring
$store_conf
CONF
	(
		cd "$CEPH_DIR" &&
		ceph-authtool --create-keyring keyring --gen-key -n mon. --cap mon 'allow *' >/dev/null &&
		ceph-authtool keyring --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' >/dev/null &&
		monmaptool --create --addv a "$addr" --fsid "$fsid" monmap >/dev/null &&
		ceph-mon -c ceph.conf --mkfs -i a --monmap monmap --keyring keyring
	) || vg_fail "ceph-mon --mkfs failed"
	ceph-mon -c "$CEPH_CONF" -i a -f >"$CEPH_DIR/log/mon.out" 2>&1 &
	CEPH_MON_PID=$!
	vg_on_exit ceph_down
	cephc mon stat >/dev/null || vg_fail "ceph-mon did not answer"
	CEPH_OSD_UUID=$(uuidgen)
	id=$(cephc osd new "$CEPH_OSD_UUID")
	[ "$id" = 0 ] || vg_fail "osd id $id"
	[ "$auth" = none ] || cephc auth get-or-create osd.0 osd 'allow *' mon 'allow profile osd' \
		-o "$CEPH_DIR/osd/0/keyring" >/dev/null 2>&1 || vg_fail "cannot create the OSD's key"
	ceph-osd -c "$CEPH_CONF" -i 0 --mkfs --osd-uuid "$CEPH_OSD_UUID" >"$CEPH_DIR/log/osd-mkfs.out" 2>&1 ||
		vg_fail "ceph-osd --mkfs failed"
	ceph_osd_start
	vg_log "ceph: mon + osd up in $(python3 -c "import sys;print(round(float(sys.argv[2])-float(sys.argv[1]),1))" "$t0" "$(date +%s.%N)") s ($CEPH_CONF)"
}

_ceph_osd_up() {
	cephc osd stat -f json | python3 -c 'import json,sys; print(json.load(sys.stdin)["num_up_osds"])'
}

# ceph_osd_start [POOL...]: start (or restart) osd.0 and wait until the map
# says up and, for each POOL, until every placement group answers (a full
# listing succeeds: peering is over).
ceph_osd_start() {
	local i p
	ceph-osd -c "$CEPH_CONF" -i 0 -f >>"$CEPH_DIR/log/osd.out" 2>&1 &
	CEPH_OSD_PID=$!
	for i in $(seq 1 240); do
		[ "$(_ceph_osd_up)" = 1 ] && break
		kill -0 "$CEPH_OSD_PID" 2>/dev/null || vg_fail "ceph-osd died (log: $CEPH_DIR/log/osd.out)"
		sleep 0.25
	done
	[ "$i" -lt 240 ] || vg_fail "ceph-osd did not come up within 60 s"
	for p in "$@"; do
		for i in $(seq 1 60); do
			timeout 5 rados -c "$CEPH_CONF" -p "$p" ls >/dev/null 2>&1 && break
			sleep 0.5
		done
		[ "$i" -lt 60 ] || vg_fail "pool $p did not become active after the OSD restart"
	done
}

# ceph_osd_stop: SIGKILL the OSD and mark it down. A memstore OSD keeps
# nothing across this: tests that restart it use CEPH_OBJECTSTORE=bluestore.
ceph_osd_stop() {
	kill -KILL "$CEPH_OSD_PID" 2>/dev/null || true
	wait "$CEPH_OSD_PID" 2>/dev/null || true
	CEPH_OSD_PID=
	cephc osd down 0 >/dev/null 2>&1 || true
}

ceph_pool() {
	local name=$1 quota=${2:-}
	cephc osd pool create "$name" 8 8 >/dev/null 2>&1 || vg_fail "cannot create pool $name"
	cephc osd pool application enable "$name" rados >/dev/null 2>&1 || true
	[ -z "$quota" ] || cephc osd pool set-quota "$name" max_bytes "$quota" >/dev/null 2>&1 ||
		vg_fail "cannot set the quota of $name"
}

ceph_client() {
	local name=$1 pool=$2 kr=$CEPH_DIR/client.$1.keyring
	(umask 077 && cephc auth get-or-create "client.$name" mon 'allow r' osd "allow rw pool=$pool" \
		-o "$kr" >/dev/null 2>&1) || vg_fail "cannot create client.$name"
}

ceph_vault_client() {
	local name=vgt-$$-vault-$1
	ceph_client "$name" "$1"
	export VG_CEPH_ID=$name VG_CEPH_KEYRING=$CEPH_DIR/client.$name.keyring
}

ceph_full_ratio() {
	local r=$1
	cephc osd set-nearfull-ratio "$(python3 -c "print(float('$r') * 0.8)")" >/dev/null 2>&1 &&
	cephc osd set-backfillfull-ratio "$(python3 -c "print(float('$r') * 0.9)")" >/dev/null 2>&1 &&
	cephc osd set-full-ratio "$r" >/dev/null 2>&1 || vg_fail "cannot set the full ratio $r"
}

ceph_objects() { rados -c "$CEPH_CONF" -p "$1" ls | sort; }

# ceph_pool_full POOL [FLAG]: the OSD map flags the pool full (exactly
# "full"; or FLAG, e.g. nearfull).
ceph_pool_full() {
	cephc osd dump -f json | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(p["pool_name"] == sys.argv[1] and sys.argv[2] in p["flags_names"].split(",")
                  for p in d["pools"]) else 1)' "$1" "${2:-full}"
}
