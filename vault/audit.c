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

static int head_mac(struct va_audit *a, uint64_t seq, const uint8_t hash[VC_HASH_LEN],
	uint8_t mac[VC_HASH_LEN])
{
	uint8_t buf[4 + 8 + VC_HASH_LEN];

	memcpy(buf, "head", 4);
	vg_put_u64(buf + 4, seq);
	memcpy(buf + 12, hash, VC_HASH_LEN);
	return vc_hmac_sha256(a->key, buf, sizeof(buf), NULL, 0, mac);
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
	if ((r = head_mac(a, rec.seq, rec.hash, head + 8 + VC_HASH_LEN)))
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

int va_verify(struct va_audit *a, struct vdb *db, uint64_t *count, uint64_t *bad_seq,
	char *why, size_t whysz)
{
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	uint8_t prev[VC_HASH_LEN] = {0}, hash[VC_HASH_LEN], hhash[VC_HASH_LEN], hmac[VC_HASH_LEN];
	uint64_t expect = 1, hseq = 0;
	struct vg_wr wr;
	int r, rc;

	*count = 0;
	*bad_seq = 0;
	vg_wr_init(&wr, 8192);
	if ((r = vdb_begin(db, false, &txn)))
		return r;
	if ((r = vdb_cursor(db, txn, VDB_AUDIT, &c)))
		goto out;
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), expect++) {
		struct vr_audit e;

		*bad_seq = expect;
		if (k.mv_size != 8 || vg_get_u64(k.mv_data) != expect) {
			snprintf(why, whysz, "entry %llu is missing or out of order",
				(unsigned long long)expect);
			r = VG_EINTEGRITY;
			goto out;
		}
		if (vr_audit_dec(v.mv_data, v.mv_size, &e) || e.seq != expect) {
			snprintf(why, whysz, "entry %llu is malformed", (unsigned long long)expect);
			r = VG_EINTEGRITY;
			goto out;
		}
		if (CRYPTO_memcmp(e.prev, prev, sizeof(prev)) != 0) {
			snprintf(why, whysz, "entry %llu does not link to entry %llu",
				(unsigned long long)expect, (unsigned long long)expect - 1);
			r = VG_EINTEGRITY;
			goto out;
		}
		vg_wr_reset(&wr);
		if ((r = vr_audit_body(&wr, &e)) ||
		    (r = vc_hmac_sha256(a->key, wr.p, wr.len, NULL, 0, hash)))
			goto out;
		if (CRYPTO_memcmp(hash, e.hash, sizeof(hash)) != 0) {
			snprintf(why, whysz, "entry %llu was altered (HMAC mismatch)",
				(unsigned long long)expect);
			r = VG_EINTEGRITY;
			goto out;
		}
		memcpy(prev, hash, sizeof(prev));
		(*count)++;
	}
	if (rc != MDB_NOTFOUND) {
		r = vdb_err(rc);
		goto out;
	}
	*bad_seq = 0;
	r = read_head(db, txn, &hseq, hhash, hmac);
	if (r == VG_ENOTFOUND && *count == 0) {
		r = 0;
		goto out;
	}
	if (r) {
		snprintf(why, whysz, "the chain head is missing or malformed");
		r = VG_EINTEGRITY;
		goto out;
	}
	if ((r = head_mac(a, hseq, hhash, hash)))
		goto out;
	if (CRYPTO_memcmp(hash, hmac, sizeof(hash)) != 0) {
		snprintf(why, whysz, "the chain head was altered");
		r = VG_EINTEGRITY;
	} else if (hseq != *count || CRYPTO_memcmp(hhash, prev, sizeof(prev)) != 0) {
		snprintf(why, whysz, "the chain ends at entry %llu but its head names entry %llu: "
			"entries were removed", (unsigned long long)*count, (unsigned long long)hseq);
		*bad_seq = *count + 1;
		r = VG_EINTEGRITY;
	}
out:
	if (c)
		mdb_cursor_close(c);
	vdb_abort(txn);
	vg_wr_free(&wr);
	return r;
}
