/* alerts.c - see alerts.h. */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "alerts.h"
#include "anchor.h"
#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "vg_err.h"

#define SEQ_KEY "alert_seq"
#define INFO_SEQ_KEY "info_seq"

static const char *const security_alerts[] = {
	"delete-backup-data", "upcoming-purge", "purge-complete", "soft-delete-disabled",
	"retention-reduced", "mua-removed", "immutability-disabled", "cmk-unavailable",
	"auth-bruteforce", "mass-deletion", "firewall-drift",
	"audit-broken", "denial-flood", "critical-op-denied",
	/* SPEC §11 */
	"clock-jump", "mass-purge", "guard-changed", "pin-bruteforce",
	/* issue 19: vaultnet watch, once per scan episode */
	"scan-detected",
	/* issue 14: a blob that fails its tag or hash (scrub); SPEC §10: a
	 * restic GET that does */
	"integrity-failure",
	/* restic repositories (SPEC §10) */
	"restic-delete-denied", "restic-key-removed", NULL,
};
/* Worth a look, not yet a failure (severity warning). */
static const char *const warning_alerts[] = {"quota-warning", "restic-key-added", NULL};
static const char *const job_alerts[] = {"backup-failed", "restore-failed",
	/* issue 14: quotas, the disk floor, missed backups */
	"quota-exceeded", "disk-low", "backup-missed", NULL};
/* Records sent off the box through the same channels (syslog, webhook),
 * not alerts: the signed audit chain head (anchor.h). */
static const char *const info_alerts[] = {"audit-anchor", NULL};

static int in(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (strcmp(*list, name) == 0)
			return 1;
	return 0;
}

int valert_known(const char *name)
{
	return in(security_alerts, name) || in(warning_alerts, name) || in(job_alerts, name) ||
	       in(info_alerts, name);
}

const char *valert_name_at(int i, const char **severity)
{
	int ns = (int)(sizeof(security_alerts) / sizeof(security_alerts[0])) - 1;
	int nw = (int)(sizeof(warning_alerts) / sizeof(warning_alerts[0])) - 1;
	int nj = (int)(sizeof(job_alerts) / sizeof(job_alerts[0])) - 1;

	if (i < ns) {
		*severity = "critical";
		return security_alerts[i];
	}
	if (i < ns + nw) {
		*severity = "warning";
		return warning_alerts[i - ns];
	}
	if (i < ns + nw + nj) {
		*severity = "error";
		return job_alerts[i - ns - nw];
	}
	*severity = "info";
	return info_alerts[i - ns - nw - nj];  /* NULL at the end */
}

static void clean(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < n; i++)
		dst[i] = (src[i] < 0x20 || src[i] == 0x7f || src[i] == '"') ? '?' : src[i];
	dst[i] = 0;
}

static int enqueue(struct vcore *c, MDB_txn *txn, uint64_t seq)
{
	uint8_t key[8];
	MDB_stat st;
	int r;

	if ((r = vdb_err(mdb_stat(txn, c->db->dbi[VDB_OUTBOX], &st))))
		return r;
	if (st.ms_entries >= VALERT_OUTBOX_MAX) {
		MDB_cursor *cur;
		MDB_val k, v;
		if ((r = vdb_cursor(c->db, txn, VDB_OUTBOX, &cur)))
			return r;
		if (!(r = vdb_err(mdb_cursor_get(cur, &k, &v, MDB_FIRST))))
			r = vdb_err(mdb_cursor_del(cur, 0));
		mdb_cursor_close(cur);
		if (r || (r = vdb_meta_bump(c->db, txn, "outbox_dropped")))
			return r;
	}
	vg_put_u64(key, seq);
	return vdb_put(c->db, txn, VDB_OUTBOX, key, 8, "", 0, false);
}

/* Info records (audit anchors) number from VALERT_INFO_SEQ_BASE in their
 * own sequence, so that they never shift the numbers of real alerts; in the
 * outbox they queue behind them. */
static int raise_in(struct vcore *c, MDB_txn *txn, struct vr_alert *a)
{
	uint8_t key[8], sb[8];
	MDB_val v;
	uint64_t seq = 0;
	int info = in(info_alerts, a->name);
	const char *seqkey = info ? INFO_SEQ_KEY : SEQ_KEY;
	int r;

	r = vdb_get(c->db, txn, VDB_META, seqkey, strlen(seqkey), &v);
	if (r == 0 && v.mv_size == 8)
		seq = vg_get_u64(v.mv_data);
	else if (r && r != VG_ENOTFOUND)
		return r;
	if (info && seq < VALERT_INFO_SEQ_BASE)
		seq = VALERT_INFO_SEQ_BASE;
	a->seq = seq + 1;
	vg_put_u64(sb, a->seq);
	vg_put_u64(key, a->seq);
	if ((r = vdb_put(c->db, txn, VDB_META, seqkey, strlen(seqkey), sb, 8, false)) ||
	    (r = vcore_put(c, txn, VDB_ALERTS, key, 8, a, true)))
		return r;
	{
		char ctr[64];
		snprintf(ctr, sizeof(ctr), "alerts_total/%s", a->name);
		if ((r = vdb_meta_bump(c->db, txn, ctr)))
			return r;
	}
	return c->outbox ? enqueue(c, txn, a->seq) : 0;
}

int valert_raise(struct vcore *c, MDB_txn *txn, const char *name, const struct vcaller *who,
	const char *vault, const char *target, const char *detail)
{
	struct vr_alert a;
	MDB_txn *own = NULL;
	int r;

	if (!valert_known(name))
		return VG_EINVAL;
	memset(&a, 0, sizeof(a));
	a.time = vault_now();
	clean(a.name, sizeof(a.name), name);
	snprintf(a.severity, sizeof(a.severity), "%s", in(job_alerts, name) ? "error" :
		in(warning_alerts, name) ? "warning" : in(info_alerts, name) ? "info" : "critical");
	clean(a.principal, sizeof(a.principal), who ? who->principal : "system");
	clean(a.vault, sizeof(a.vault), vault ? vault : "");
	clean(a.target, sizeof(a.target), target ? target : "");
	clean(a.detail, sizeof(a.detail), detail ? detail : "");
	if (!txn) {
		if ((r = vdb_begin(c->db, true, &own)))
			return r;
		txn = own;
	}
	r = raise_in(c, txn, &a);
	if (own) {
		if (r)
			vdb_abort(own);
		else
			r = vdb_commit(own);
	}
	if (!r && in(info_alerts, name))
		syslog(LOG_NOTICE, "vaultgate-anchor %s", a.detail);
	else if (!r)
		syslog(in(job_alerts, name) ? LOG_ERR : in(warning_alerts, name) ? LOG_WARNING : LOG_CRIT,
			"vaultgate-alert seq=%llu name=%s severity=%s vault=\"%s\" target=\"%s\" "
			"principal=\"%s\" detail=\"%s\"", (unsigned long long)a.seq, a.name,
			a.severity, a.vault, a.target, a.principal, a.detail);
	/* Every critical event is anchored off the box (anchor.h). */
	if (!r && strcmp(a.severity, "critical") == 0)
		vanchor_note_critical();
	return r;
}

int valert_list(struct vcore *c, const char *vault, uint64_t from,
	int (*cb)(void *arg, const struct vr_alert *a), void *arg)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t start[8];
	int r;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if ((r = vdb_cursor(c->db, txn, VDB_ALERTS, &cur)))
		goto out;
	vg_put_u64(start, from);
	k.mv_size = 8;
	k.mv_data = start;
	for (r = vdb_err(mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)); r == 0;
	     r = vdb_err(mdb_cursor_get(cur, &k, &v, MDB_NEXT))) {
		struct vr_alert a;
		if ((r = vr_alert_dec(v.mv_data, v.mv_size, &a)))
			break;
		if (vault && *a.vault && strcmp(a.vault, vault) != 0)
			continue;
		if ((r = cb(arg, &a)))
			break;
	}
	mdb_cursor_close(cur);
	if (r == VG_ENOTFOUND)
		r = 0;
out:
	vdb_abort(txn);
	return r;
}

int valert_outbox_next(struct vcore *c, struct vr_alert *a)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int r;

	for (;;) {
		uint8_t key[8];
		if ((r = vdb_begin(c->db, false, &txn)))
			return r;
		if ((r = vdb_cursor(c->db, txn, VDB_OUTBOX, &cur))) {
			vdb_abort(txn);
			return r;
		}
		r = vdb_err(mdb_cursor_get(cur, &k, &v, MDB_FIRST));
		mdb_cursor_close(cur);
		if (r || k.mv_size != 8) {
			vdb_abort(txn);
			return r ? r : VG_EINTEGRITY;
		}
		memcpy(key, k.mv_data, 8);
		r = vdb_get(c->db, txn, VDB_ALERTS, key, 8, &v);
		if (r == 0)
			r = vr_alert_dec(v.mv_data, v.mv_size, a);
		vdb_abort(txn);
		if (r != VG_ENOTFOUND)
			return r;
		/* Queued but no longer stored: drop it and look again. */
		if ((r = valert_outbox_ack(c, vg_get_u64(key))) && r != VG_ENOTFOUND)
			return r;
	}
}

int valert_outbox_ack(struct vcore *c, uint64_t seq)
{
	uint8_t key[8];
	MDB_txn *txn;
	int r;

	vg_put_u64(key, seq);
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vdb_del(c->db, txn, VDB_OUTBOX, key, 8))) {
		vdb_abort(txn);
		return r;
	}
	return vdb_commit(txn);
}

int valert_outbox_pending(struct vcore *c, uint64_t *n)
{
	MDB_txn *txn;
	MDB_stat st;
	int r;

	*n = 0;
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if (!(r = vdb_err(mdb_stat(txn, c->db->dbi[VDB_OUTBOX], &st))))
		*n = st.ms_entries;
	vdb_abort(txn);
	return r;
}
