/* audit_tamper.c - damage a stopped vaultd's audit chain the way an
 * attacker with write access to STATE/meta (but not the audit key) could.
 *
 *   audit_tamper META edit SEQ     change one byte of entry SEQ's reason
 *                                  (its target if the reason is empty)
 *   audit_tamper META delete SEQ   remove entry SEQ
 *   audit_tamper META delete-last  remove the newest entry
 *   audit_tamper META swap A B     exchange the stored values of A and B
 *
 * It opens the LMDB environment, changes the `audit` named database in one
 * write transaction and commits. The audit head in `meta` is left alone.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "meta.h"
#include "record.h"

static uint64_t parse_seq(const char *s)
{
	uint64_t v;

	if (vg_parse_u64(s, 1, UINT64_MAX, &v)) {
		fprintf(stderr, "audit_tamper: bad entry number %s\n", s);
		exit(2);
	}
	return v;
}

static void get(MDB_txn *txn, MDB_dbi dbi, uint64_t seq, uint8_t *key, MDB_val *v)
{
	MDB_val k = {8, key};
	int rc;

	vg_put_u64(key, seq);
	if ((rc = mdb_get(txn, dbi, &k, v)))
		meta_die("entry", rc);
}

static void put(MDB_txn *txn, MDB_dbi dbi, uint8_t *key, void *p, size_t n)
{
	MDB_val k = {8, key}, v = {n, p};
	int rc;

	if ((rc = mdb_put(txn, dbi, &k, &v, 0)))
		meta_die("put", rc);
}

static void edit(MDB_txn *txn, MDB_dbi dbi, uint64_t seq)
{
	struct vr_audit e;
	struct vg_wr w;
	uint8_t key[8];
	MDB_val v;
	char *f;

	get(txn, dbi, seq, key, &v);
	if (vr_audit_dec(v.mv_data, v.mv_size, &e)) {
		fprintf(stderr, "audit_tamper: entry %llu does not decode\n", (unsigned long long)seq);
		exit(1);
	}
	f = e.reason[0] ? e.reason : e.target;
	printf("entry %llu: %s \"%s\" -> ", (unsigned long long)seq,
		f == e.reason ? "reason" : "target", f);
	f[0] = f[0] == 'X' ? 'Y' : 'X';
	printf("\"%s\"\n", f);
	vg_wr_init(&w, 0);
	if (vr_audit_enc(&w, &e)) {  /* the old hash is kept: no key here */
		fprintf(stderr, "audit_tamper: encode failed\n");
		exit(1);
	}
	put(txn, dbi, key, w.p, w.len);
	vg_wr_free(&w);
}

int main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: audit_tamper META edit SEQ | delete SEQ | delete-last | swap A B\n");
		return 2;
	}
	meta_open(argv[1], "audit", 0, &env, &txn, &dbi);
	if (strcmp(argv[2], "edit") == 0 && argc == 4) {
		edit(txn, dbi, parse_seq(argv[3]));
	} else if (strcmp(argv[2], "delete") == 0 && argc == 4) {
		uint8_t key[8];
		MDB_val k = {8, key};
		vg_put_u64(key, parse_seq(argv[3]));
		if ((rc = mdb_del(txn, dbi, &k, NULL)))
			meta_die("delete", rc);
		printf("entry %s deleted\n", argv[3]);
	} else if (strcmp(argv[2], "delete-last") == 0 && argc == 3) {
		MDB_cursor *c;
		MDB_val k, v;
		if ((rc = mdb_cursor_open(txn, dbi, &c)) || (rc = mdb_cursor_get(c, &k, &v, MDB_LAST)))
			meta_die("last entry", rc);
		printf("entry %llu deleted\n", (unsigned long long)vg_get_u64(k.mv_data));
		if ((rc = mdb_cursor_del(c, 0)))
			meta_die("delete", rc);
		mdb_cursor_close(c);
	} else if (strcmp(argv[2], "swap") == 0 && argc == 5) {
		uint8_t ka[8], kb[8], *a, *b;
		MDB_val va, vb;
		size_t na, nb;
		get(txn, dbi, parse_seq(argv[3]), ka, &va);
		get(txn, dbi, parse_seq(argv[4]), kb, &vb);
		/* Copy out first: MDB_val data is invalid after a put. */
		na = va.mv_size;
		nb = vb.mv_size;
		a = malloc(na);
		b = malloc(nb);
		if (!a || !b)
			return 1;
		memcpy(a, va.mv_data, na);
		memcpy(b, vb.mv_data, nb);
		put(txn, dbi, ka, b, nb);
		put(txn, dbi, kb, a, na);
		free(a);
		free(b);
		printf("entries %s and %s swapped\n", argv[3], argv[4]);
	} else {
		fprintf(stderr, "audit_tamper: bad arguments\n");
		return 2;
	}
	if ((rc = mdb_txn_commit(txn)))
		meta_die("commit", rc);
	mdb_env_close(env);
	return 0;
}
