/* scrub.c - see scrub.h. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "alerts.h"
#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "scrub.h"
#include "vg_err.h"

static pthread_mutex_t prog_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vscrub_progress prog;
static atomic_int cancel_flag;

void vscrub_progress(struct vscrub_progress *p)
{
	pthread_mutex_lock(&prog_lock);
	*p = prog;
	pthread_mutex_unlock(&prog_lock);
}

void vscrub_cancel(void)
{
	atomic_store(&cancel_flag, 1);
}

struct obj {
	char vault[VG_VAULT_NAME_MAX + 1];
	char item[VG_ITEM_NAME_MAX + 1];
	char object[VG_OBJECT_NAME_MAX + 1];
	uint64_t vault_id, item_id, point_id;
	struct vr_object o;
};

struct acc {
	struct vcore *c;
	MDB_txn *txn;
	struct obj *e;
	size_t n, cap;
	const char *only;
	char vault[VG_VAULT_NAME_MAX + 1];
	char item[VG_ITEM_NAME_MAX + 1];
	uint64_t vault_id, item_id, point_id;
	uint64_t bytes;
};

static int object_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct acc *a = arg;
	struct obj *e;
	size_t nl;
	int r;

	if (k->mv_size <= 8 || (nl = k->mv_size - 8) > VG_OBJECT_NAME_MAX)
		return VG_EINTEGRITY;
	if (!(e = vcore_push(&a->e, &a->n, &a->cap, sizeof(*e))))
		return -ENOMEM;
	if ((r = vr_object_dec(v->mv_data, v->mv_size, &e->o)))
		return r;
	memcpy(e->vault, a->vault, sizeof(e->vault));
	memcpy(e->item, a->item, sizeof(e->item));
	memcpy(e->object, (const uint8_t *)k->mv_data + 8, nl);
	e->object[nl] = 0;
	e->vault_id = a->vault_id;
	e->item_id = a->item_id;
	e->point_id = a->point_id;
	a->bytes += e->o.size;
	return 0;
}

static int point_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct acc *a = arg;

	(void)v;
	if (k->mv_size != 16)
		return VG_EINTEGRITY;
	a->point_id = vg_get_u64((const uint8_t *)k->mv_data + 8);
	return vdb_each(a->c->db, a->txn, VDB_OBJECTS, (const uint8_t *)k->mv_data + 8, 8,
		object_cb, a);
}

static int item_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct acc *a = arg;
	struct vr_item it;
	uint8_t prefix[8];
	size_t nl;
	int r;

	if (k->mv_size <= 8 || (nl = k->mv_size - 8) > VG_ITEM_NAME_MAX)
		return VG_EINTEGRITY;
	if ((r = vr_item_dec(v->mv_data, v->mv_size, &it)))
		return r;
	memcpy(a->item, (const uint8_t *)k->mv_data + 8, nl);
	a->item[nl] = 0;
	a->item_id = it.id;
	vg_put_u64(prefix, it.id);
	return vdb_each(a->c->db, a->txn, VDB_POINTS, prefix, 8, point_cb, a);
}

static int vault_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct acc *a = arg;
	struct vr_vault vr;
	uint8_t prefix[8];
	int r;

	if (k->mv_size == 0 || vdb_key_name(k, 0, VG_VAULT_NAME_MAX, a->vault))
		return VG_EINTEGRITY;
	if (a->only && strcmp(a->only, a->vault) != 0)
		return 0;
	if ((r = vr_vault_dec(v->mv_data, v->mv_size, &vr)))
		return r;
	a->vault_id = vr.id;
	vg_put_u64(prefix, vr.id);
	return vdb_each(a->c->db, a->txn, VDB_ITEMS, prefix, 8, item_cb, a);
}

/* One job record per vault scrubbed (item ""), for reports and
 * vaultgate_jobs_total{kind="scrub"}. */
struct vjob {
	char vault[VG_VAULT_NAME_MAX + 1];
	uint64_t objects, bytes, damaged, skipped;
};

static void job_flush(struct vcore *c, const struct vcaller *who, struct vjob *j)
{
	char detail[200];
	MDB_txn *txn;

	if (!j->vault[0])
		return;
	snprintf(detail, sizeof(detail), "scrub: %llu objects, %llu damaged%s",
		(unsigned long long)j->objects, (unsigned long long)j->damaged,
		j->skipped ? ", key unavailable: skipped" : "");
	if (vdb_begin(c->db, true, &txn) == 0) {
		if (vcore_job_put(c, txn, who, j->vault, "", VR_JOB_SCRUB,
			    j->damaged || j->skipped ? VR_JOB_FAILED : VR_JOB_OK, 0, j->bytes, detail))
			vdb_abort(txn);
		else
			(void)vdb_commit(txn);
	}
	memset(j, 0, sizeof(*j));
}

static void pace(uint64_t rate, uint64_t bytes, const struct timespec *t0)
{
	struct timespec now, d;
	double want, have;

	if (!rate)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	have = (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
	want = (double)bytes / (double)rate;
	if (want <= have)
		return;
	want -= have;
	d.tv_sec = (time_t)want;
	d.tv_nsec = (long)((want - (double)d.tv_sec) * 1e9);
	nanosleep(&d, NULL);
}

/* Reads one object whole: 0, or the failure with detail. */
static int check_one(struct vcore *c, const struct obj *e, const struct vcore_keys *keys,
	uint8_t *seg, uint64_t rate, uint64_t *done, const struct timespec *t0, char *detail,
	size_t dn)
{
	struct vs_ctx ctx = {.vault_id = e->vault_id, .item_id = e->item_id,
			     .point_id = e->point_id};
	struct vs_keys vk = {.dek = keys->dek, .infra = keys->has_infra ? keys->infra : NULL};
	struct vs_reader *rd = NULL;
	EVP_MD_CTX *md = NULL;
	uint8_t sha[VC_HASH_LEN];
	uint64_t nseg, total = 0;
	unsigned int shalen = 0;
	int r;

	memcpy(ctx.blob, e->o.blob, sizeof(ctx.blob));
	if ((r = vs_reader_open_keys(c->store, &vk, &ctx, e->o.size, e->o.seg_size, &rd))) {
		snprintf(detail, dn, "blob cannot be opened: %s", vg_strerror(r));
		return r == VG_EKEY ? r : VG_EINTEGRITY;
	}
	if (!(md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		r = -ENOMEM;
		snprintf(detail, dn, "out of memory");
		goto out;
	}
	nseg = vs_reader_nseg(rd);
	for (uint64_t i = 0; i < nseg; i++) {
		size_t n = 0;
		if (atomic_load(&cancel_flag)) {
			r = VG_ECLOSED;
			snprintf(detail, dn, "cancelled");
			goto out;
		}
		if ((r = vs_reader_seg(rd, i, seg, &n))) {
			snprintf(detail, dn, "segment %llu of %llu: %s", (unsigned long long)i,
				(unsigned long long)nseg,
				r == VG_EINTEGRITY ? "GCM tag check failed" : vg_strerror(r));
			r = VG_EINTEGRITY;
			goto out;
		}
		EVP_DigestUpdate(md, seg, n);
		total += n;
		*done += n;
		pthread_mutex_lock(&prog_lock);
		prog.bytes_done += n;
		pthread_mutex_unlock(&prog_lock);
		pace(rate, *done, t0);
	}
	EVP_DigestFinal_ex(md, sha, &shalen);
	if (total != e->o.size || CRYPTO_memcmp(sha, e->o.sha256, VC_HASH_LEN) != 0) {
		snprintf(detail, dn, "plaintext does not match its recorded size or SHA-256");
		r = VG_EINTEGRITY;
	}
out:
	EVP_MD_CTX_free(md);
	vs_reader_free(rd);
	return r;
}

int vscrub_run(struct vcore *c, const struct vcaller *who, const char *only_vault,
	uint64_t rate, int (*bad)(void *arg, const struct vscrub_bad *b), void *arg,
	struct vscrub_stats *st)
{
	struct acc a = {.c = c, .only = only_vault};
	struct vjob vj = {0};
	struct timespec t0, t1;
	struct vr_vault v;
	struct vcore_keys keys;
	uint64_t keys_for = 0, done = 0;
	int have_keys = 0, r, cbr = 0, completed = 0;
	uint8_t *seg = NULL;
	char summary[200];

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&prog_lock);
	if (prog.running) {
		pthread_mutex_unlock(&prog_lock);
		return VG_EBADSTATE;
	}
	prog.running = 1;
	pthread_mutex_unlock(&prog_lock);
	atomic_store(&cancel_flag, 0);

	if ((r = vdb_begin(c->db, false, &a.txn)))
		goto end;
	if (only_vault && (r = vcore_get_vault(c, a.txn, only_vault, &v))) {
		vdb_abort(a.txn);
		goto end;
	}
	r = vdb_each(c->db, a.txn, VDB_VAULTS, NULL, 0, vault_cb, &a);
	vdb_abort(a.txn);
	if (r)
		goto end;
	pthread_mutex_lock(&prog_lock);
	prog.objects_done = prog.bytes_done = 0;
	prog.objects_total = a.n;
	prog.bytes_total = a.bytes;
	prog.last_start = vault_now();
	pthread_mutex_unlock(&prog_lock);
	(void)vcore_audit(c, who, "scrub.start", only_vault ? only_vault : "*", "ok", NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < a.n && !cbr; i++) {
		struct obj *e = &a.e[i];
		struct vscrub_bad b;
		char target[700];
		if (strcmp(vj.vault, e->vault) != 0) {
			job_flush(c, who, &vj);
			snprintf(vj.vault, sizeof(vj.vault), "%s", e->vault);
		}
		if (!have_keys || keys_for != e->vault_id) {
			if (have_keys)
				vcore_keys_wipe(&keys);
			have_keys = 0;
			if (vcore_vault_get(c, e->vault, &v) || v.id != e->vault_id ||
			    vcore_keys_get(c, e->vault, &v, &keys)) {
				st->skipped++;
				vj.skipped++;
				snprintf(st->skipped_vault, sizeof(st->skipped_vault), "%s", e->vault);
				continue;
			}
			have_keys = 1;
			keys_for = e->vault_id;
		}
		if (!seg && !(seg = malloc(e->o.seg_size > VS_SEG_SIZE ? e->o.seg_size : VS_SEG_SIZE))) {
			r = -ENOMEM;
			break;
		}
		if (e->o.seg_size > VS_SEG_SIZE || e->o.seg_size == 0) {
			r = VG_EINTEGRITY;
			snprintf(b.detail, sizeof(b.detail), "segment size %u out of range",
				e->o.seg_size);
		} else {
			r = check_one(c, e, &keys, seg, rate, &done, &t0, b.detail, sizeof(b.detail));
		}
		if (r == VG_ECLOSED)
			break;
		st->objects++;
		st->bytes += e->o.size;
		vj.objects++;
		vj.bytes += e->o.size;
		pthread_mutex_lock(&prog_lock);
		prog.objects_done++;
		pthread_mutex_unlock(&prog_lock);
		if (r == 0)
			continue;
		r = 0;
		st->damaged++;
		vj.damaged++;
		snprintf(b.vault, sizeof(b.vault), "%s", e->vault);
		snprintf(b.item, sizeof(b.item), "%s", e->item);
		vcore_point_str(e->point_id, b.point);
		snprintf(b.object, sizeof(b.object), "%s", e->object);
		memcpy(b.sha256, e->o.sha256, sizeof(b.sha256));
		snprintf(target, sizeof(target), "%s/%s/%s/%s", e->vault, e->item, b.point, e->object);
		(void)valert_raise(c, NULL, "integrity-failure", who, e->vault, target, b.detail);
		(void)vcore_audit(c, who, "scrub.object", target, "failed", b.detail);
		if (bad)
			cbr = bad(arg, &b);
	}
	if (have_keys)
		vcore_keys_wipe(&keys);
	if (r != VG_ECLOSED)
		job_flush(c, who, &vj);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st->seconds = (uint64_t)(t1.tv_sec - t0.tv_sec);
	snprintf(summary, sizeof(summary), "%llu objects, %llu bytes, %llu damaged, %llu skipped "
		"(key unavailable)%s", (unsigned long long)st->objects, (unsigned long long)st->bytes,
		(unsigned long long)st->damaged, (unsigned long long)st->skipped,
		r == VG_ECLOSED ? ", cancelled" : "");
	(void)vcore_audit(c, who, "scrub.done", only_vault ? only_vault : "*",
		st->damaged ? "failed" : "ok", summary);
	if (!r)
		r = cbr;
	completed = 1;
end:
	free(seg);
	free(a.e);
	pthread_mutex_lock(&prog_lock);
	prog.running = 0;
	if (completed) {
		prog.runs++;
		prog.damaged_total += st->damaged;
		prog.objects_total_all += st->objects;
		prog.bytes_total_all += st->bytes;
		prog.last_end = vault_now();
		prog.last_damaged = st->damaged;
	}
	pthread_mutex_unlock(&prog_lock);
	return r;
}
