#!/usr/bin/env bash
# s3_diff.sh - the S3 differential suite (test_diff.py) against a real
# radosgw on a throw-away single-node Ceph and, when the build has the S3
# listener, against vaultgw's S3 listener in front of a real vaultd.
#
#   python3-boto3 ──TLS──► radosgw (127.0.0.1:free) ──► ceph-osd (memstore)
#          │                                            ceph-mon
#          └──────TLS──► vaultgw s3_listen (127.0.0.1:free) ──unix──► vaultd
#
# Each case runs on both and must give the same status and S3 error code
# at every step, except the rows documented in tests/S3-COMPAT.md.
# S3_CASES="listing sigv4" runs a subset, S3_DIFF_TARGETS=vg one side
# (by hand). Everything started
# here is stopped by PID on exit; names carry the run's PID.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../gateway/lib_gw.sh"
. "$here/../ceph/cephlib.sh"
. "$here/s3lib.sh"
vg_init

# S3_DIFF_TARGETS="vg" (by hand) runs one side only.
want=${S3_DIFF_TARGETS:-rgw vg}
export S3_RUN=$$
targets=
if [ "${want#*rgw}" != "$want" ]; then
	rgw_up
	export S3_RGW_URL=$RGW_URL S3_RGW_AK=$RGW_ACCESS_KEY S3_RGW_SK=$RGW_SECRET_KEY S3_RGW_CA=$S3_CA
	targets=rgw
fi
if [ "${want#*vg}" != "$want" ] && vg_s3_available; then
	vg_s3_up
	export S3_VG_URL=$VG_S3_URL S3_VG_AK=$VG_S3_AK S3_VG_SK=$VG_S3_SK S3_VG_CA=$VG_S3_CA
	# What the bypass_grant case needs to get an approved MUA grant.
	export S3_VG_VAULTCTL=$VAULTCTL S3_VG_SOCK=$VG_SOCK S3_VG_VAULT=$VG_S3_VAULT
	export S3_VG_OWNER=$VG_S3_OWNER S3_VG_OWNER_TOKEN_FILE=$VG_WORK/owner.token
	export S3_VG_APPROVER=$VG_S3_APPROVER S3_VG_APPROVER_TOKEN_FILE=$VG_WORK/approver.token
	export S3_VG_GUARD=$VG_S3_GUARD
	targets="$targets vg"
fi
[ -n "$targets" ] || vg_fail "no S3 target to run"
export S3_TARGETS=$targets
vg_log "s3 diff: targets $targets"
cd "$here"
PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -m pytest -q -p no:cacheprovider \
	-o console_output_style=classic -rA --durations=0 test_diff.py
