/* jobs.c - backup and restore jobs (SPEC §8 reports): a record per
 * committed point, per restore, and per failure of either; failures also
 * stamp the item's last failure and raise backup-failed or restore-failed.
 *
 * Records live in the `jobs` database under a u64 sequence number (meta
 * "job_seq"). Counters for /metrics live in meta under
 *   "jobs_total/" VAULT "/" KIND "/" RESULT  ->  u64
 * so that they only ever grow, whatever happens to old job records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "jobs.h"
#include "vg_err.h"

#define SEQ_KEY "job_seq"

bool vjob_is_failure(int r)
{
	switch (r) {
	case 0:
	case VG_EAUTH:
	case VG_EDENIED:
	case VG_EMUA:
	case VG_EPIN:
	case VG_EPOLICY:
	case VG_EIMMUTABLE:
	case VG_ENAME:
	case VG_ENOTFOUND:
	case VG_EEXISTS:
	case VG_EBADSTATE:
	case VG_ELIMIT:
	case VG_ESOFTDELETED:
	case VG_ERANGE:
	case VG_EPROTO:
		return false;
	default:
		return true;
	}
}

int vcore_job_put(struct vcore *c, MDB_txn *txn, const struct vcaller *who, const char *vault,
	const char *item, uint8_t kind, uint8_t result, uint64_t point, uint64_t bytes,
	const char *detail)
{
	struct vr_job j;
	uint8_t key[8], sb[8];
	char ctr[200];
	uint64_t seq = 0;
	MDB_val v;
	int r;

	memset(&j, 0, sizeof(j));
	r = vdb_get(c->db, txn, VDB_META, SEQ_KEY, strlen(SEQ_KEY), &v);
	if (r == 0 && v.mv_size == 8)
		seq = vg_get_u64(v.mv_data);
	else if (r && r != VG_ENOTFOUND)
		return r;
	j.seq = seq + 1;
	j.time = vault_now();
	j.kind = kind;
	j.result = result;
	j.point = point;
	j.bytes = bytes;
	snprintf(j.vault, sizeof(j.vault), "%s", vault);
	snprintf(j.item, sizeof(j.item), "%s", item ? item : "");
	snprintf(j.principal, sizeof(j.principal), "%s", who ? who->principal : "system");
	snprintf(j.detail, sizeof(j.detail), "%s", detail ? detail : "");
	vg_put_u64(sb, j.seq);
	vg_put_u64(key, j.seq);
	if (snprintf(ctr, sizeof(ctr), "jobs_total/%s/%s/%s", vault, vr_job_kind_name(kind),
		    result == VR_JOB_OK ? "ok" : "failed") >= (int)sizeof(ctr))
		return VG_ETOOBIG;
	if ((r = vdb_put(c->db, txn, VDB_META, SEQ_KEY, strlen(SEQ_KEY), sb, 8, false)) ||
	    (r = vcore_put(c, txn, VDB_JOBS, key, 8, &j, true)))
		return r;
	return vdb_meta_bump(c->db, txn, ctr);
}

static int job_own_txn(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint8_t kind, uint8_t result, uint64_t point, uint64_t bytes,
	const char *detail)
{
	struct vr_vault v;
	struct vr_item it;
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	/* Jobs belong to an existing vault and item; anything else was refused
	 * earlier and is no job. */
	if ((r = vcore_get_vault(c, txn, vault, &v)) || (r = vcore_get_item(c, txn, v.id, item, &it)))
		goto fail;
	if ((r = vcore_job_put(c, txn, who, vault, item, kind, result, point, bytes, detail)))
		goto fail;
	if (result == VR_JOB_FAILED) {
		char target[200];
		it.last_failure = vault_now();
		snprintf(target, sizeof(target), "%s/%s", vault, item);
		if ((r = vcore_put_item(c, txn, item, &it)) ||
		    (r = valert_raise(c, txn, kind == VR_JOB_BACKUP ? "backup-failed" : "restore-failed",
			     who, vault, target, detail)))
			goto fail;
	}
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

int vjob_failed(struct vcore *c, const struct vcaller *who, const char *vault, const char *item,
	uint8_t kind, uint64_t point, const char *detail)
{
	return job_own_txn(c, who, vault, item, kind, VR_JOB_FAILED, point, 0, detail);
}

int vjob_restored(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t point, uint64_t bytes, const char *detail)
{
	return job_own_txn(c, who, vault, item, VR_JOB_RESTORE, VR_JOB_OK, point, bytes, detail);
}

int vjob_list(struct vcore *c, uint64_t since, int (*cb)(void *arg, const struct vr_job *j),
	void *arg)
{
	struct vr_job *jobs = NULL;
	size_t n = 0, cap = 0;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int r;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if ((r = vdb_cursor(c->db, txn, VDB_JOBS, &cur)))
		goto out;
	for (r = vdb_seek_prefix(cur, "", 0, &k, &v, true); r == 0;
	     r = vdb_seek_prefix(cur, "", 0, &k, &v, false)) {
		struct vr_job j;
		if ((r = vr_job_dec(v.mv_data, v.mv_size, &j)))
			break;
		if (j.time < since)
			continue;
		if (n == cap) {
			void *np = realloc(jobs, (cap = cap ? cap * 2 : 64) * sizeof(*jobs));
			if (!np) {
				r = VG_EINTERNAL;
				break;
			}
			jobs = np;
		}
		jobs[n++] = j;
	}
	mdb_cursor_close(cur);
	if (r == VG_ENOTFOUND)
		r = 0;
out:
	vdb_abort(txn);
	/* Callbacks run outside the transaction. */
	for (size_t i = 0; !r && i < n; i++)
		r = cb(arg, &jobs[i]);
	free(jobs);
	return r;
}
