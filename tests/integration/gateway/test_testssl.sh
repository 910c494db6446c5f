#!/usr/bin/env bash
# test_testssl.sh - testssl.sh (Debian's testssl.sh package, offline) against
# vaultgw on loopback: no vulnerability finding, and nothing above LOW
# severity except what a self-signed certificate pinned by agents implies
# (chain of trust, validity period, no CRL/OCSP).
#
#   --full: the full default run, with every cipher enumerated (ninja -C build testssl-full)
#   (about 100 s); otherwise protocols, cipher categories, forward secrecy,
#   preferences, server defaults, headers and vulnerabilities (about 40 s).
#
#   testssl ──TLS──► vaultgw 127.0.0.1:$GW_PORT
set -eu
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

full=0
if [ "${1:-}" = --full ]; then
	full=1
fi
command -v testssl >/dev/null || { echo "testssl.sh is not installed (scripts/install-deps.sh)"; exit 1; }
gw_setup
if [ "$full" = 1 ]; then
	checks=()
else
	checks=(-p -s -f -P -S -h -U)
fi
json=$VG_WORK/testssl.json
t0=$(date +%s)
testssl --quiet --color 0 --warnings off --sneaky --ip one "${checks[@]}" \
	--jsonfile-pretty "$json" "127.0.0.1:$GW_PORT" >"$VG_WORK/testssl.log" 2>&1 || true
vg_log "testssl ran for $(($(date +%s) - t0)) s"
python3 - "$json" <<'EOF2'
import json
import sys

d = json.load(open(sys.argv[1]))
scan = d["scanResult"][0]
expected = {"cert_chain_of_trust", "cert_validityPeriod", "cert_revocation"}
bad = []
vulns_ok = 0
for section, findings in scan.items():
    if not isinstance(findings, list):
        continue
    for f in findings:
        sev = f.get("severity", "INFO")
        if section == "vulnerabilities" and sev in ("OK", "INFO"):
            vulns_ok += 1
        if sev == "WARN":
            # testssl could not run a check (e.g. a connect timeout on a
            # loaded machine): shown, not a finding.
            print("warning: %s %s: %s" % (section, f["id"], f["finding"]))
        elif "VULNERABLE" in f.get("finding", "") and "not vulnerable" not in f.get("finding", ""):
            bad.append((section, f["id"], sev, f["finding"]))
        elif sev not in ("OK", "INFO", "LOW") and f["id"] not in expected:
            bad.append((section, f["id"], sev, f["finding"]))
if vulns_ok < 15:
    sys.exit("testssl passed only %d vulnerability checks" % vulns_ok)
for b in bad:
    print("finding: %s %s %s: %s" % b)
sys.exit(1 if bad else 0)
EOF2
vg_log "ok: testssl.sh: no vulnerability, nothing above LOW but the self-signed certificate's expected items"
vg_log "PASS test_testssl"
