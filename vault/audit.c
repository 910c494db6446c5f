/* audit.c - see audit.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "crypto.h"
#include "keyfile.h"
#include "vg_err.h"

#define HEAD_KEY "audit_head"
#define HEAD_LEN (8 + VC_HASH_LEN + VC_HASH_LEN)
#define EPOCH_KEY "audit_epoch"
#define EPOCH_LEN (8 + VC_HASH_LEN + 8 + VC_HASH_LEN)

struct va_audit {
	uint8_t *key;  /* secmem */
};

int va_open(const char *keypath, struct va_audit **out, char *why, size_t whysz)
{
	struct va_audit *a = calloc(1, sizeof(*a));
	int r;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	if (!(a->key = vc_secmem_alloc(VC_KEY_LEN))) {
		free(a);
		return -ENOMEM;
	}
	if ((r = vk_keyfile_load(keypath, true, a->key, why, whysz))) {
		va_free(a);
		return r;
	}
	*out = a;
	return 0;
}

void va_free(struct va_audit *a)
{
	if (!a)
		return;
	vc_secmem_free(a->key, VC_KEY_LEN);
	free(a);
}

int va_mac(struct va_audit *a, const char *label, const void *p, size_t n,
	uint8_t mac[VC_HASH_LEN])
{
	return vc_hmac_sha256(a->key, label, strlen(label), p, n, mac);
}

/* v1 heads ("head") predate the high-water file; v2 heads ("hed2") say
 * that one is kept (audit_hwm.h), so a missing file is a finding. */
static int head_mac(struct va_audit *a, uint64_t seq, const uint8_t hash[VC_HASH_LEN],
	int version, uint8_t mac[VC_HASH_LEN])
{
	uint8_t buf[4 + 8 + VC_HASH_LEN];

	memcpy(buf, version == 2 ? "hed2" : "head", 4);
	vg_put_u64(buf + 4, seq);
	memcpy(buf + 12, hash, VC_HASH_LEN);
	return vc_hmac_sha256(a->key, buf, sizeof(buf), NULL, 0, mac);
}

/* 2 or 1: the head's MAC is good for that version; 0: for neither. */
static int head_version(struct va_audit *a, uint64_t seq, const uint8_t hash[VC_HASH_LEN],
	const uint8_t mac[VC_HASH_LEN])
{
	uint8_t want[VC_HASH_LEN];

	for (int v = 2; v >= 1; v--)
		if (head_mac(a, seq, hash, v, want) == 0 &&
		    CRYPTO_memcmp(want, mac, VC_HASH_LEN) == 0)
			return v;
	return 0;
}

static int read_head(struct vdb *db, MDB_txn *txn, uint64_t *seq, uint8_t hash[VC_HASH_LEN],
	uint8_t mac[VC_HASH_LEN])
{
	MDB_val v;
	int r = vdb_get(db, txn, VDB_META, HEAD_KEY, strlen(HEAD_KEY), &v);

	if (r)
		return r;
	if (v.mv_size != HEAD_LEN)
		return VG_EINTEGRITY;
	*seq = vg_get_u64(v.mv_data);
	memcpy(hash, (uint8_t *)v.mv_data + 8, VC_HASH_LEN);
	memcpy(mac, (uint8_t *)v.mv_data + 8 + VC_HASH_LEN, VC_HASH_LEN);
	return 0;
}

static void copy_field(char *dst, size_t dstsz, const char *src)
{
	/* Audit fields are bounded; longer values are cut, never refused,
	 * so a refusal can always be recorded. Control bytes become '?'. */
	size_t i = 0;

	for (; src && src[i] && i + 1 < dstsz; i++)
		dst[i] = (src[i] < 0x20 || src[i] == 0x7f) ? '?' : src[i];
	dst[i] = 0;
}

int va_append(struct va_audit *a, struct vdb *db, MDB_txn *txn, uint64_t now,
	const struct va_entry *e, uint64_t *seq_out)
{
	struct vr_audit rec;
	uint8_t mac[VC_HASH_LEN], key[8], head[HEAD_LEN];
	struct vg_wr wr;
	uint64_t seq = 0;
	int r;

	memset(&rec, 0, sizeof(rec));
	r = read_head(db, txn, &seq, rec.prev, mac);
	if (r == VG_ENOTFOUND) {
		seq = 0;
		memset(rec.prev, 0, sizeof(rec.prev));
	} else if (r) {
		return r;
	}
	rec.seq = seq + 1;
	rec.time = now;
	copy_field(rec.principal, sizeof(rec.principal), e->principal);
	copy_field(rec.op, sizeof(rec.op), e->op);
	copy_field(rec.target, sizeof(rec.target), e->target);
	copy_field(rec.result, sizeof(rec.result), e->result);
	copy_field(rec.reason, sizeof(rec.reason), e->reason);
	copy_field(rec.peer, sizeof(rec.peer), e->peer);

	vg_wr_init(&wr, 8192);
	if ((r = vr_audit_body(&wr, &rec)))
		goto out;
	if ((r = vc_hmac_sha256(a->key, wr.p, wr.len, NULL, 0, rec.hash)))
		goto out;
	vg_wr_bytes(&wr, rec.hash, sizeof(rec.hash));
	if ((r = wr.err))
		goto out;
	vg_put_u64(key, rec.seq);
	if ((r = vdb_put(db, txn, VDB_AUDIT, key, sizeof(key), wr.p, wr.len, true)))
		goto out;
	vg_put_u64(head, rec.seq);
	memcpy(head + 8, rec.hash, VC_HASH_LEN);
	if ((r = head_mac(a, rec.seq, rec.hash, 2, head + 8 + VC_HASH_LEN)))
		goto out;
	r = vdb_put(db, txn, VDB_META, HEAD_KEY, strlen(HEAD_KEY), head, sizeof(head), false);
	if (!r && seq_out)
		*seq_out = rec.seq;
out:
	vg_wr_free(&wr);
	return r;
}

int va_iter(struct vdb *db, MDB_txn *txn, uint64_t from,
	int (*cb)(void *arg, const struct vr_audit *e), void *arg)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint8_t start[8];
	int r;

	if ((r = vdb_cursor(db, txn, VDB_AUDIT, &c)))
		return r;
	vg_put_u64(start, from);
	k.mv_size = 8;
	k.mv_data = start;
	r = vdb_err(mdb_cursor_get(c, &k, &v, MDB_SET_RANGE));
	while (r == 0) {
		struct vr_audit e;
		if ((r = vr_audit_dec(v.mv_data, v.mv_size, &e)))
			break;
		if ((r = cb(arg, &e)))
			break;
		r = vdb_err(mdb_cursor_get(c, &k, &v, MDB_NEXT));
	}
	mdb_cursor_close(c);
	return r == VG_ENOTFOUND ? 0 : r;
}

/* ---- acknowledged breaks ------------------------------------------------ */

struct epoch {
	uint64_t start;               /* the audit.acknowledge entry */
	uint8_t hash[VC_HASH_LEN];    /* its hash */
	uint64_t brk;                 /* the first entry that failed when it was made */
};

static int epoch_mac(struct va_audit *a, const uint8_t *rec, uint8_t mac[VC_HASH_LEN])
{
	return va_mac(a, "vaultgate/audit/epoch/v1", rec, 8 + VC_HASH_LEN + 8, mac);
}

struct epochs {
	struct va_audit *a;
	struct epoch *e;
	size_t n, cap;
	int bad;
};

static int epoch_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct epochs *l = arg;
	uint8_t mac[VC_HASH_LEN];
	const uint8_t *p = v->mv_data;

	(void)k;
	if (v->mv_size != EPOCH_LEN || epoch_mac(l->a, p, mac) ||
	    CRYPTO_memcmp(mac, p + 8 + VC_HASH_LEN + 8, VC_HASH_LEN) != 0) {
		l->bad = 1;
		return 0;
	}
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 4;
		void *np = realloc(l->e, nc * sizeof(*l->e));
		if (!np)
			return -ENOMEM;
		l->e = np;
		l->cap = nc;
	}
	l->e[l->n].start = vg_get_u64(p);
	memcpy(l->e[l->n].hash, p + 8, VC_HASH_LEN);
	l->e[l->n].brk = vg_get_u64(p + 8 + VC_HASH_LEN);
	l->n++;
	return 0;
}

int va_acknowledge(struct va_audit *a, struct vdb *db, MDB_txn *txn, uint64_t now,
	const struct va_entry *e, uint64_t brk, uint64_t *seq_out)
{
	uint8_t rec[EPOCH_LEN], key[sizeof(EPOCH_KEY) + 8], mac[VC_HASH_LEN];
	uint64_t seq;
	int r;

	if ((r = va_append(a, db, txn, now, e, &seq)) ||
	    (r = read_head(db, txn, &seq, rec + 8, mac)))
		return r;
	vg_put_u64(rec, seq);
	vg_put_u64(rec + 8 + VC_HASH_LEN, brk);
	if ((r = epoch_mac(a, rec, rec + 8 + VC_HASH_LEN + 8)))
		return r;
	memcpy(key, EPOCH_KEY "/", sizeof(EPOCH_KEY));
	vg_put_u64(key + sizeof(EPOCH_KEY), seq);
	if ((r = vdb_put(db, txn, VDB_META, key, sizeof(key), rec, sizeof(rec), true)))
		return r;
	if (seq_out)
		*seq_out = seq;
	return 0;
}

int va_head(struct va_audit *a, struct vdb *db, MDB_txn *txn, uint64_t *seq,
	uint8_t hash[VC_HASH_LEN], int *version)
{
	uint8_t mac[VC_HASH_LEN];
	int r = read_head(db, txn, seq, hash, mac);

	if (r)
		return r;
	*version = head_version(a, *seq, hash, mac);
	return *version ? 0 : VG_EINTEGRITY;
}

int va_entry_hash(struct vdb *db, MDB_txn *txn, uint64_t seq, uint8_t hash[VC_HASH_LEN])
{
	struct vr_audit e;
	uint8_t key[8];
	MDB_val v;
	int r;

	vg_put_u64(key, seq);
	if ((r = vdb_get(db, txn, VDB_AUDIT, key, 8, &v)) ||
	    (r = vr_audit_dec(v.mv_data, v.mv_size, &e)))
		return r;
	if (e.seq != seq)
		return VG_EINTEGRITY;
	memcpy(hash, e.hash, VC_HASH_LEN);
	return 0;
}

/* Checks one stored entry: its key, its encoding, its link to prev and its
 * HMAC. 0, or VG_EINTEGRITY with why. */
static int check_entry(struct va_audit *a, struct vg_wr *wr, const MDB_val *k, const MDB_val *v,
	uint64_t expect, const uint8_t *prev, struct vr_audit *e, char *why, size_t whysz)
{
	uint8_t hash[VC_HASH_LEN];
	int r;

	if (k->mv_size != 8 || vg_get_u64(k->mv_data) != expect) {
		snprintf(why, whysz, "entry %llu is missing or out of order", (unsigned long long)expect);
		return VG_EINTEGRITY;
	}
	if (vr_audit_dec(v->mv_data, v->mv_size, e) || e->seq != expect) {
		snprintf(why, whysz, "entry %llu is malformed", (unsigned long long)expect);
		return VG_EINTEGRITY;
	}
	if (prev && CRYPTO_memcmp(e->prev, prev, VC_HASH_LEN) != 0) {
		snprintf(why, whysz, "entry %llu does not link to entry %llu",
			(unsigned long long)expect, (unsigned long long)expect - 1);
		return VG_EINTEGRITY;
	}
	vg_wr_reset(wr);
	if ((r = vr_audit_body(wr, e)) || (r = vc_hmac_sha256(a->key, wr->p, wr->len, NULL, 0, hash)))
		return r;
	if (CRYPTO_memcmp(hash, e->hash, sizeof(hash)) != 0) {
		snprintf(why, whysz, "entry %llu was altered (HMAC mismatch)", (unsigned long long)expect);
		return VG_EINTEGRITY;
	}
	return 0;
}

int va_verify_report(struct va_audit *a, struct vdb *db, struct va_report *rep,
	char *why, size_t whysz)
{
	struct epochs ep = {.a = a};
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	uint8_t prev[VC_HASH_LEN] = {0}, hhash[VC_HASH_LEN], hmac[VC_HASH_LEN];
	uint64_t expect = 1, hseq = 0, last = 0;
	struct vg_wr wr;
	int r, rc;

	memset(rep, 0, sizeof(*rep));
	vg_wr_init(&wr, 8192);
	if ((r = vdb_begin(db, false, &txn)))
		return r;
	if ((r = vdb_each(db, txn, VDB_META, EPOCH_KEY "/", sizeof(EPOCH_KEY), epoch_cb, &ep)))
		goto out;
	if (ep.bad) {
		snprintf(why, whysz, "a record of an acknowledged break was altered");
		r = VG_EINTEGRITY;
		goto out;
	}
	for (size_t i = 0; i < ep.n; i++)
		if (ep.e[i].start > rep->ack_seq) {
			rep->ack_seq = ep.e[i].start;
			rep->known_break = ep.e[i].brk;
		}
	rep->acks = ep.n;
	if ((r = vdb_cursor(db, txn, VDB_AUDIT, &c)))
		goto out;
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), expect++) {
		struct vr_audit e;
		size_t j;

		rep->bad_seq = expect;
		r = check_entry(a, &wr, &k, &v, expect, prev, &e, why, whysz);
		if (r && r != VG_EINTEGRITY)
			goto out;
		if (r) {
			/* A break acknowledged at a later entry: verification
			 * starts again at that entry, whose hash the MAC'd
			 * acknowledgment record holds. */
			for (j = 0; j < ep.n; j++)
				if (ep.e[j].brk == expect && ep.e[j].start > expect)
					break;
			if (j == ep.n)
				goto out;
			vg_put_u64(hhash, ep.e[j].start);
			k.mv_size = 8;
			k.mv_data = hhash;
			if ((rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY)) ||
			    (r = check_entry(a, &wr, &k, &v, ep.e[j].start, NULL, &e, why, whysz)) ||
			    CRYPTO_memcmp(e.hash, ep.e[j].hash, VC_HASH_LEN) != 0) {
				snprintf(why, whysz, "entry %llu, where an acknowledged break ends, "
					"is missing or altered", (unsigned long long)ep.e[j].start);
				rep->bad_seq = ep.e[j].start;
				r = VG_EINTEGRITY;
				goto out;
			}
			expect = ep.e[j].start;
		}
		memcpy(prev, e.hash, sizeof(prev));
		last = expect;
		rep->count++;
	}
	if (rc != MDB_NOTFOUND) {
		r = vdb_err(rc);
		goto out;
	}
	rep->bad_seq = 0;
	r = read_head(db, txn, &hseq, hhash, hmac);
	if (r == VG_ENOTFOUND && last == 0) {
		r = 0;
		goto out;
	}
	if (r) {
		snprintf(why, whysz, "the chain head is missing or malformed");
		r = VG_EINTEGRITY;
		goto out;
	}
	rep->head_seq = hseq;
	if (!(rep->head_version = head_version(a, hseq, hhash, hmac))) {
		snprintf(why, whysz, "the chain head was altered");
		r = VG_EINTEGRITY;
	} else if (hseq != last || CRYPTO_memcmp(hhash, prev, sizeof(prev)) != 0) {
		snprintf(why, whysz, "the chain ends at entry %llu but its head names entry %llu: "
			"entries were removed", (unsigned long long)last, (unsigned long long)hseq);
		rep->bad_seq = last + 1;
		r = VG_EINTEGRITY;
	}
out:
	if (c)
		mdb_cursor_close(c);
	vdb_abort(txn);
	vg_wr_free(&wr);
	free(ep.e);
	return r;
}

int va_verify(struct va_audit *a, struct vdb *db, uint64_t *count, uint64_t *bad_seq,
	char *why, size_t whysz)
{
	struct va_report rep;
	int r = va_verify_report(a, db, &rep, why, whysz);

	*count = rep.count;
	*bad_seq = rep.bad_seq;
	return r;
}
