#!/usr/bin/env bash
# bench/soak.sh - many restic agents against one vaultgw, one principal
# misbehaving, for a while (issue 12). Not run by test.sh or meson test.
#
#   N agents (restic backup loops) of M principals p1..pM ──┐  from 127.0.0.1
#   small-GET probers (curl, the principals' config files) ─┤
#   principal "mal":  64 slow uploads + denied requests ────┤  from 127.0.0.2
#                     wrong tokens ─────────────────────────┤  from 127.0.0.3
#                                                           ▼
#                            vaultgw 127.0.0.1:P (TLS) ──unix──► vaultd
#
# Reports: errors seen by the well-behaved agents and probers (target 0),
# p50/p99/max latency of a small GET, what the misbehaving principal got,
# audit entries per minute, alerts raised, and the RSS of both daemons
# (sampled every 5 s: max and at the end). Exit status 1 if a well-behaved
# agent or prober saw an error.
#
#   bench/soak.sh [--agents N] [--principals M] [--minutes T | --seconds S]
#                 [--gw 'key = value']... [--keep DIR]
#
# Defaults: 1000 agents, 50 principals, 10 minutes, vaultgw's default
# configuration (--gw adds lines, e.g. --gw 'max_connections_per_principal = 128').
# --keep DIR copies every log (agents, probers, daemons) there at the end.
# Run as root, after a build. Each restic process holds ~30 MiB (up to ~70),
# so 1000 agents need a machine with ~60 GiB of memory and many cores; the
# script refuses to start more agents than memory allows (60 MiB each).
set -euo pipefail
cd "$(dirname "$0")/.."
AGENTS=1000 PRINCIPALS=50 SECONDS_RUN=600 GWX=() KEEP=""
while [ $# -gt 0 ]; do
	case "$1" in
	--agents) AGENTS=$2; shift 2 ;;
	--principals) PRINCIPALS=$2; shift 2 ;;
	--minutes) SECONDS_RUN=$(($2 * 60)); shift 2 ;;
	--seconds) SECONDS_RUN=$2; shift 2 ;;
	--gw) GWX+=("$2"); shift 2 ;;
	--keep) KEEP=$2; shift 2 ;;
	*) sed -n '2,26p' "$0" >&2; exit 2 ;;
	esac
done
[ "$PRINCIPALS" -ge 1 ] && [ "$AGENTS" -ge "$PRINCIPALS" ] ||
	{ echo "need at least one agent per principal" >&2; exit 2; }
avail=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
[ $((AGENTS * 60)) -le "$avail" ] ||
	{ echo "$AGENTS agents need ~$((AGENTS * 60)) MiB; $avail MiB available" >&2; exit 1; }
export VG_BUILD=$PWD/build VG_SRC=$PWD
[ -x "$VG_BUILD/gateway/vaultgw" ] || { echo "build first: meson setup build && ninja -C build" >&2; exit 1; }
for p in restic curl python3; do
	command -v "$p" >/dev/null || { echo "missing $p (scripts/install-deps.sh)" >&2; exit 1; }
done
. "$VG_SRC/tests/integration/link/lib_link.sh"

gw_setup ${GWX[@]+"${GWX[@]}"}
W=$VG_WORK
mkdir -p "$W/agents" "$W/probe" "$W/mal" "$W/tok"
V=default
vg_ctl vault create "$V" >/dev/null
for i in $(seq 1 "$PRINCIPALS") mal; do
	p=p$i
	[ "$i" = mal ] && p=mal
	gw_principal "$p" agent >"$W/tok/$p"
	vg_ctl role grant "$p" "$V" agent >/dev/null
	vg_ctl item create "$V" "r-$p" --kind restic --agent "$p" >/dev/null
done
gw_principal mon monitor >"$W/tok/mon"
HP=${GW_URL#https://}
export RESTIC_PASSWORD=soak
repo() { echo "rest:https://$1:$(cat "$W/tok/$1")@$HP/restic/r-$1/"; }

vg_log "restic init of $((PRINCIPALS + 1)) repositories"
INITS=()
for i in $(seq 1 "$PRINCIPALS") mal; do
	p=p$i
	[ "$i" = mal ] && p=mal
	RESTIC_REPOSITORY=$(repo "$p") restic --cacert "$GW_CA" init --no-cache -q >"$W/init-$i.log" 2>&1 &
	INITS+=($!)
	if [ ${#INITS[@]} = 8 ]; then wait "${INITS[@]}" || true; INITS=(); fi
done
[ ${#INITS[@]} = 0 ] || wait "${INITS[@]}" || true
for i in $(seq 1 "$PRINCIPALS"); do
	grep -q "created restic repository" "$W/init-$i.log" ||
		[ ! -s "$W/init-$i.log" ] || vg_fail "init of p$i: $(tail -2 "$W/init-$i.log")"
done

audit_n() { vg_ctl audit verify | sed -n 's/.*intact: \([0-9]*\) entries.*/\1/p'; }
rss() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$1/status" 2>/dev/null || echo 0; }
A0=$(audit_n)
T0=$(date +%s)
END=$((T0 + SECONDS_RUN))

# A well-behaved agent: restic backups of a small changing tree until END.
agent() {
	local n=$1 p=$2 src=$W/agents/src$1 log=$W/agents/$1.log t0 t1 rc
	mkdir -p "$src"
	head -c 65536 /dev/urandom >"$src/base"
	while [ "$(date +%s)" -lt "$END" ]; do
		head -c 4096 /dev/urandom >"$src/f$(date +%s%N)"
		t0=$(date +%s%N)
		rc=0
		RESTIC_REPOSITORY=$(repo "$p") restic --cacert "$GW_CA" backup --no-cache -q --host "a$n" "$src" \
			>>"$W/agents/$n.out" 2>&1 || rc=$?
		t1=$(date +%s%N)
		echo "$rc $(((t1 - t0) / 1000000))" >>"$log"
	done
}
# A prober: small GETs (each principal's restic config) with their latency.
probe() {
	local n=$1 i=0 p
	while [ "$(date +%s)" -lt "$END" ]; do
		p=p$((i % PRINCIPALS + 1))
		curl -s -o /dev/null --cacert "$GW_CA" -u "$p:$(cat "$W/tok/$p")" \
			-w '%{http_code} %{time_total}\n' "$GW_URL/restic/r-$p/config" >>"$W/probe/$n.log" || true
		i=$((i + 1))
		sleep 0.1
	done
}
# The misbehaving principal: denied requests (an agent deleting its
# repository's config, reading another principal's repository) from 127.0.0.2 and wrong tokens from 127.0.0.3.
mal_denied() {
	local tok
	tok=$(cat "$W/tok/mal")
	while [ "$(date +%s)" -lt "$END" ]; do
		curl -s -o /dev/null --interface 127.0.0.2 --cacert "$GW_CA" -u "mal:$tok" -X DELETE \
			-w 'delete-config %{http_code}\n' "$GW_URL/restic/r-mal/config" >>"$W/mal/denied.log" || true
		curl -s -o /dev/null --interface 127.0.0.2 --cacert "$GW_CA" -u "mal:$tok" \
			-w 'foreign %{http_code}\n' "$GW_URL/restic/r-p1/config" >>"$W/mal/denied.log" || true
		sleep 0.05
	done
}
mal_wrong() {
	local bad
	bad=vg_$(head -c 32 /dev/urandom | sha256sum | cut -d' ' -f1)
	while [ "$(date +%s)" -lt "$END" ]; do
		curl -s -o /dev/null --interface 127.0.0.3 --cacert "$GW_CA" -u "mal:$bad" \
			-w 'wrong-token %{http_code}\n' "$GW_URL/restic/r-mal/config" >>"$W/mal/wrong.log" || true
		sleep 0.1
	done
}
sampler() {
	while [ "$(date +%s)" -lt "$END" ]; do
		echo "$(date +%s) $(rss "$VAULTD_PID") $(rss "$GW_PID")" >>"$W/rss.log"
		ps -C restic -o rss= | awk '{n++; s += $1; if ($1 > m) m = $1}
			END {if (n) printf "%d %d %d\n", n, s / n / 1024, m / 1024}' >>"$W/restic-rss.log"
		sleep 5
	done
}

vg_log "soak: $AGENTS agents of $PRINCIPALS principals for ${SECONDS_RUN}s; mal misbehaves"
printf '%s\n' "$(cat "$W/tok/mal")" >"$W/mal.token"
chmod 644 "$W/mal.token"
python3 "$LINK_DIR/slowup.py" "$GW_PORT" "$GW_CA" 64 /restic/r-mal/data/ mal "$W/mal.token" \
	"$W/mal/slow" 127.0.0.2 2>>"$W/mal/slow.err" &
vg_track $!
JOBS=()
for n in $(seq 1 "$AGENTS"); do
	agent "$n" "p$(((n - 1) % PRINCIPALS + 1))" &
	JOBS+=($!)
	vg_track $!
done
for n in 1 2 3 4; do probe "$n" & JOBS+=($!); done
mal_denied & JOBS+=($!)
mal_wrong & JOBS+=($!)
sampler & JOBS+=($!)
for j in "${JOBS[@]}"; do wait "$j" || true; done
T1=$(date +%s)
[ -z "$KEEP" ] || { mkdir -p "$KEEP"; cp -r "$W"/*.log "$W/agents" "$W/probe" "$W/mal" "$KEEP/"; }
echo "$T1 $(rss "$VAULTD_PID") $(rss "$GW_PID")" >>"$W/rss.log"
A1=$(audit_n)

# ---- report ---------------------------------------------------------------
backups=$(cat "$W"/agents/*.log 2>/dev/null | wc -l)
bfail=$(cat "$W"/agents/*.log 2>/dev/null | awk '$1 != 0' | wc -l)
probes=$(cat "$W"/probe/*.log | wc -l)
pfail=$(cat "$W"/probe/*.log | awk '$1 != 200' | wc -l)
lat() {  # percentile of the probers' latencies, in ms
	cat "$W"/probe/*.log | awk '$1 == 200 {print $2 * 1000}' | sort -n |
		awk -v q="$1" '{a[NR] = $1} END {if (NR == 0) {print "-"; exit}
			i = int(NR * q / 100); if (i < 1) i = 1; if (i > NR) i = NR; printf "%.1f", a[i]}'
}
bt() {  # percentile of the backups' durations, in ms
	cat "$W"/agents/*.log 2>/dev/null | awk '{print $2}' | sort -n |
		awk -v q="$1" '{a[NR] = $1} END {if (NR == 0) {print "-"; exit}
			i = int(NR * q / 100); if (i < 1) i = 1; if (i > NR) i = NR; print a[i]}'
}
mins=$(awk -v s=$((T1 - T0)) 'BEGIN {printf "%.2f", s / 60}')
echo
echo "=== soak: $AGENTS agents / $PRINCIPALS principals, $((T1 - T0)) s ==="
echo "well-behaved agents: $backups restic backups, $bfail failed; backup time p50 $(bt 50) ms, p99 $(bt 99) ms"
echo "small GET (config, 4 probers): $probes requests, $pfail not 200;" \
	"latency p50 $(lat 50) ms, p99 $(lat 99) ms, max $(lat 100) ms"
if [ "$pfail" -gt 0 ]; then
	echo "  probe answers: $(cat "$W"/probe/*.log | awk '{print $1}' | sort | uniq -c | tr '\n' ' ')"
fi
if [ "$bfail" -gt 0 ]; then
	echo "  failed backups, last lines:"
	grep -h -i -E "error|fatal" "$W"/agents/*.out | sort | uniq -c | sort -rn | head -5 | sed 's/^/    /'
fi
echo "misbehaving principal mal:"
echo "  slow uploads: $(cat "$W/mal/slow" 2>/dev/null || echo 'no report')"
echo "  denied requests: $(awk '{print $1 " " $2}' "$W/mal/denied.log" | sort | uniq -c | tr '\n' ';' | tr -s ' ')"
echo "  wrong tokens: $(awk '{print $2}' "$W/mal/wrong.log" | sort | uniq -c | tr '\n' ';' | tr -s ' ')"
echo "audit: $A0 -> $A1 entries, $(awk -v a="$A0" -v b="$A1" -v m="$mins" 'BEGIN {printf "%.0f", (b - a) / m}') per minute"
echo "alerts: $(vg_ctl alerts | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^[a-z]+(-[a-z]+)+$/) {print $i; break}}' | sort | uniq -c | tr '\n' ';' | tr -s ' ')"
gw_curl -u "mon:$(cat "$W/tok/mon")" "$GW_URL/metrics" >"$W/metrics.txt" || true
echo "vaultgw refusals: $(grep -E '^vaultgw_(link_share_refusals|principal_cap_refusals|auth_rate_limited|server_errors|vaultd_errors)_total ' \
	"$W/metrics.txt" | sed 's/^vaultgw_//; s/_total//' | tr '\n' ';' | sed 's/;/; /g')"
echo "  (restic retries a 429 with backoff: link-share refusals of well-behaved agents show as slower backups, not errors)"
awk '{if ($2 > vd) vd = $2; if ($3 > gw) gw = $3; lvd = $2; lgw = $3}
	END {printf "RSS MiB: vaultd max %d, end %d; vaultgw max %d, end %d\n", vd, lvd, gw, lgw}' "$W/rss.log"
[ ! -s "$W/restic-rss.log" ] || awk '{if ($1 > n) n = $1; s += $2; c++; if ($3 > m) m = $3}
	END {printf "restic clients: up to %d at once, %d MiB RSS on average, %d MiB at most\n", n, s / c, m}' \
	"$W/restic-rss.log"
vg_ctl audit verify >/dev/null || { echo "audit verify FAILED"; exit 1; }
if [ "$bfail" -gt 0 ] || [ "$pfail" -gt 0 ]; then
	echo "RESULT: well-behaved agents saw errors (target 0)"
	exit 1
fi
echo "RESULT: 0 errors for well-behaved agents"
