#!/usr/bin/env bash
# monitor_report.sh - /metrics (VG_OP_METRICS) and `vaultctl report`
# (SPEC §8), over ten days of test-clock history.
#
#   vaultctl ──unix──► vaultd-testclock ──► token vgt-PID: cmk-fin (vault finance)
#      │                  (clock advanced a day at a time)
#      ├─ metrics ─────► Prometheus text: checked line by line
#      ├─ report --json ► checked field by field
#      └─ report --html ► report.html ──► chromium --headless --screenshot ──► report.png
#
# History: two vaults (finance under a CMK with double encryption, hr under
# the platform key), three items backed up daily; a day with the HSM key
# missing (backup-failed), a damaged blob (restore-failed), points deleted
# that purge within the next 14 days, and vaultnet firewall drops.
# VG_KEEP_REPORT=DIR keeps report.html and report.png there, to look at.
set -eu
. "$VG_SRC/tests/integration/lib.sh"
. "$VG_SRC/tests/integration/cmk/cmklib.sh"
vg_init
hsm_init
hsm_new_key cmk-fin

ST=$VG_WORK/state
VG_SOCK=$VG_WORK/vaultd.sock
cmk_start "$ST" "$VG_SOCK" --pkcs11-config "$VG_WORK/p11.conf"

vg_ctl vault create finance --double-encryption >/dev/null
vg_ctl vault key finance cmk cmk-fin >/dev/null
vg_ctl vault create hr >/dev/null
vg_ctl item create finance db1 >/dev/null
vg_ctl item create finance files >/dev/null
vg_ctl item create hr laptop >/dev/null

vg_log "ten days of history"
declare -A LAST
for day in $(seq 1 10); do
	for it in finance/db1 finance/files hr/laptop; do
		v=${it%/*} i=${it#*/}
		head -c $((day * 40000 + ${#i} * 1000)) /dev/urandom >"$VG_WORK/f"
		if [ "$day" = 6 ] && [ "$v" = finance ]; then
			continue  # the HSM outage day, below
		fi
		LAST[$it]=$(vg_ctl backup "$v" "$i" "$VG_WORK/f")
		[ "$i" = laptop ] && [ $((day % 3)) = 0 ] && vg_ctl restore hr laptop "${LAST[$it]}" -o "$VG_WORK/out"
	done
	case $day in
	4 | 7 | 9) vg_ctl point delete hr laptop "${LAST[hr/laptop]}" >/dev/null ;;
	6)
		hsm_delete_key cmk-fin
		vg_expect_fail "key unavailable" vg_ctl backup finance db1 "$VG_WORK/f"
		vg_expect_fail "key unavailable" vg_ctl backup finance files "$VG_WORK/f"
		hsm_import_key cmk-fin
		;;
	esac
	vg_ctl clock advance 86400 >/dev/null
done
# A damaged blob: the restore fails, as a job.
P=$(vg_ctl backup hr laptop "$VG_WORK/f")
B=$(find "$ST/blobs" -type f -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2)
python3 -c "import sys;f=open(sys.argv[1],'r+b');f.seek(60);b=f.read(1);f.seek(60);f.write(bytes([b[0]^1]))" "$B"
vg_expect_fail "integrity check failed" vg_ctl restore hr laptop "$P" -o "$VG_WORK/out"
vg_ctl event record firewall.drops 10.9.9.9 "57 packets to port 443" >/dev/null
vg_ctl event record firewall.drops 10.9.9.8 "3 packets to ports 443, 8443" >/dev/null

vg_log "metrics"
vg_ctl metrics >"$VG_WORK/metrics.txt"
want() { grep -qxF -- "$1" "$VG_WORK/metrics.txt" || vg_fail "metrics lack: $1"; }
want 'vaultgate_alerts_total{name="cmk-unavailable",severity="critical"} 1'
want 'vaultgate_alerts_total{name="backup-failed",severity="error"} 2'
want 'vaultgate_alerts_total{name="restore-failed",severity="error"} 1'
want 'vaultgate_alerts_total{name="firewall-drift",severity="critical"} 0'
want 'vaultgate_jobs_total{vault="finance",kind="backup",result="ok"} 18'
want 'vaultgate_jobs_total{vault="finance",kind="backup",result="failed"} 2'
want 'vaultgate_jobs_total{vault="hr",kind="backup",result="ok"} 11'
want 'vaultgate_jobs_total{vault="hr",kind="restore",result="ok"} 3'
want 'vaultgate_jobs_total{vault="hr",kind="restore",result="failed"} 1'
want 'vaultgate_firewall_drops_total 60'
want 'vaultgate_vaults 2'
want 'vaultgate_items{vault="finance"} 2'
want 'vaultgate_recovery_points{vault="finance",item="db1"} 9'
want 'vaultgate_recovery_points{vault="hr",item="laptop"} 8'
want "vaultgate_vault_key_available{vault=\"finance\",key=\"pkcs11:token=$HSM_TOKEN;object=cmk-fin\"} 1"
want 'vaultgate_alert_outbox_pending 0'
grep -q '^vaultgate_stored_bytes{vault="hr",item="laptop"} [1-9]' "$VG_WORK/metrics.txt" || vg_fail "no stored bytes"
grep -q '^vaultgate_soft_deleted_bytes{vault="hr",item="laptop"} [1-9]' "$VG_WORK/metrics.txt" || vg_fail "no soft-deleted bytes"
grep -q '^vaultgate_last_backup_age_seconds{vault="finance",item="db1"} 864[0-9][0-9]$' "$VG_WORK/metrics.txt" ||
	vg_fail "finance/db1's last backup should be a day old"
grep -q '^vaultgate_last_backup_timestamp_seconds{vault="hr",item="laptop"} [1-9]' "$VG_WORK/metrics.txt" || vg_fail "no timestamp"
python3 - "$VG_WORK/metrics.txt" <<'EOF'
import re, sys
help_, type_, fams = set(), set(), set()
line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? (\d+)$')
text = open(sys.argv[1]).read()
assert text.endswith("\n")
for l in text.splitlines():
    if l.startswith("# HELP "):
        help_.add(l.split()[2])
    elif l.startswith("# TYPE "):
        n, t = l.split()[2:4]
        assert t in ("counter", "gauge"), l
        type_.add(n)
    else:
        m = line_re.match(l)
        assert m, f"bad exposition line: {l!r}"
        fams.add(m.group(1))
assert fams <= help_ and fams <= type_, fams - help_
EOF
# Monitors may scrape; other principals may not.
vg_ctl principal add prom --kind monitor >"$VG_WORK/prom.tok"
vg_ctl principal add bob >"$VG_WORK/bob.tok"
"$VAULTCTL" --socket "$VG_SOCK" --user prom --token-file "$VG_WORK/prom.tok" metrics | grep -q '^vaultgate_vaults 2$'
vg_expect_fail "vaultctl: metrics: metrics is for local root and monitor principals" \
	"$VAULTCTL" --socket "$VG_SOCK" --user bob --token-file "$VG_WORK/bob.tok" metrics

vg_log "report --json"
vg_ctl report --json >"$VG_WORK/report.json"
python3 - "$VG_WORK/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
v = {x["name"]: x for x in r["vaults"]}
assert set(v) == {"finance", "hr"}, v.keys()
assert v["finance"]["encryption"] == "double" and v["finance"]["key"].startswith("pkcs11:"), v["finance"]
assert v["hr"]["encryption"] == "single" and v["hr"]["key"] == "local", v["hr"]
items = {(vn, i["name"]): i for vn, x in v.items() for i in x["items"]}
db1, lap = items[("finance", "db1")], items[("hr", "laptop")]
assert db1["recovery_points"] == 9 and db1["jobs"] == {"backup_ok": 9, "backup_failed": 1, "restore_ok": 0, "restore_failed": 0}, db1
assert db1["last_failure"] > 0 and db1["last_success"] > db1["last_failure"], db1
assert lap["recovery_points"] == 8 and lap["jobs"]["restore_failed"] == 1 and lap["jobs"]["restore_ok"] == 3, lap
assert lap["soft_deleted_bytes"] > 0 and lap["stored_bytes"] > 0, lap
assert v["hr"]["stored_bytes"] == lap["stored_bytes"]
assert sum(d["failed"] for d in r["jobs_per_day"]) == 3, r["jobs_per_day"]
assert sum(d["ok"] for d in r["jobs_per_day"]) == 18 + 11 + 3, r["jobs_per_day"]
assert sum(d["points"] for d in r["upcoming_purges"]) == 3, r["upcoming_purges"]
s = [p["stored_bytes"] for p in r["stored_bytes_over_time"]]
assert s == sorted(s) and s[-1] > 0, s
assert len(r["jobs"]) == 18 + 2 + 11 + 3 + 1
EOF
vg_ctl report hr | grep -q "item laptop (files, protected): 8 points" || vg_fail "text report"
vg_expect_fail "vaultctl: report: vault nosuch: not found" vg_ctl report nosuch

vg_log "report --html, rendered by headless Chromium"
vg_ctl report --html "$VG_WORK/report.html" >/dev/null
H=$VG_WORK/report.html
for id in chart-stored-bytes chart-jobs-per-day chart-upcoming-purges; do
	grep -q "<svg id=\"$id\" class=\"chart\"" "$H" || vg_fail "no svg#$id in the report"
done
grep -Eiq '<script|<link|<img|src=|href=|url\(|@import' "$H" && vg_fail "the report refers to something outside itself"
[ "$(grep -c '<polyline' "$H")" = 2 ] || vg_fail "one stored-bytes line per vault expected"
grep -q 'class="bad"' "$H" || vg_fail "no failed jobs drawn"
grep -q 'class="purge"' "$H" || vg_fail "no upcoming purges drawn"
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	vg_log "chromium is not installed: the screenshot is skipped (scripts/install-deps.sh installs it)"
else
	timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --hide-scrollbars \
		--user-data-dir="$VG_WORK/chrome" --window-size=1280,1900 \
		--screenshot="$VG_WORK/report.png" "file://$H" >"$VG_WORK/chrome.log" 2>&1 ||
		vg_fail "chromium failed: $(tail -3 "$VG_WORK/chrome.log")"
	[ -s "$VG_WORK/report.png" ] || vg_fail "empty screenshot"
	expect_eq "PNG signature" "$(head -c 8 "$VG_WORK/report.png" | xxd -p)" 89504e470d0a1a0a
	[ "$(stat -c %s "$VG_WORK/report.png")" -gt 50000 ] || vg_fail "the screenshot looks blank"
	if [ -n "${VG_KEEP_REPORT:-}" ]; then cp "$H" "$VG_WORK/report.png" "$VG_KEEP_REPORT/"; fi
fi
vg_log "PASS"
