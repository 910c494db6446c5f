/* anchor.c - see anchor.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "alerts.h"
#include "anchor.h"
#include "audit.h"
#include "buf.h"
#include "clock.h"
#include "keyfile.h"
#include "vg_err.h"

#define LABEL "vaultgate-anchor/v1 "

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static EVP_PKEY *key;            /* Ed25519, from keys/anchor.key */
static uint8_t pub[32];
static uint64_t last_seq;        /* the last head anchored (0: none yet) */
static atomic_int due;

void vanchor_note_critical(void)
{
	atomic_store(&due, 1);
}

/* With lock held: the signing key, loaded (or created) on first use. */
static int load_key(struct vcore *c, char *why, size_t whysz)
{
	char path[2100];
	uint8_t raw[32];
	size_t pl = sizeof(pub);
	int r;

	if (key)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/keys/anchor.key", c->dir) >= sizeof(path))
		return VG_EINVAL;
	if ((r = vk_keyfile_load(path, true, raw, why, whysz)))
		return r;
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	if (!key || EVP_PKEY_get_raw_public_key(key, pub, &pl) != 1 || pl != sizeof(pub)) {
		EVP_PKEY_free(key);
		key = NULL;
		snprintf(why, whysz, "the anchor key cannot be used as an Ed25519 key");
		return VG_EINTERNAL;
	}
	return 0;
}

static int sign(const char *msg, size_t n, uint8_t sig[64])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t sl = 64;
	int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
		 EVP_DigestSign(ctx, sig, &sl, (const uint8_t *)msg, n) == 1 && sl == 64;

	EVP_MD_CTX_free(ctx);
	return ok ? 0 : VG_EINTERNAL;
}

/* With lock held: the signed line for the committed head; *seq gets it. */
static int make_line(struct vcore *c, char line[VANCHOR_LINE_MAX], uint64_t *seq, char *why,
	size_t whysz)
{
	uint8_t hash[VC_HASH_LEN], sig[64];
	char hh[2 * VC_HASH_LEN + 1], ph[65], sh[129], msg[VANCHOR_LINE_MAX + 32];
	MDB_txn *txn;
	int r, version, n;

	if ((r = load_key(c, why, whysz)))
		return r;
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	r = va_head(c->audit, c->db, txn, seq, hash, &version);
	vdb_abort(txn);
	if (r == VG_ENOTFOUND) {
		*seq = 0;
		memset(hash, 0, sizeof(hash));
	} else if (r) {
		snprintf(why, whysz, "the audit head cannot be read: %s", vg_strerror(r));
		return r;
	}
	vg_hex(hh, hash, sizeof(hash));
	vg_hex(ph, pub, sizeof(pub));
	n = snprintf(line, VANCHOR_LINE_MAX, "seq=%llu hash=%s time=%llu instance=%s key=%s",
		(unsigned long long)*seq, hh, (unsigned long long)vault_now(), c->instance, ph);
	if (n < 0 || n >= VANCHOR_LINE_MAX - 140)
		return VG_EINTERNAL;
	snprintf(msg, sizeof(msg), LABEL "%s", line);
	if ((r = sign(msg, strlen(msg), sig)))
		return r;
	vg_hex(sh, sig, sizeof(sig));
	snprintf(line + n, VANCHOR_LINE_MAX - (size_t)n, " sig=%s", sh);
	return 0;
}

int vanchor_send(struct vcore *c, char line[VANCHOR_LINE_MAX], char *why, size_t whysz)
{
	static const struct vcaller who = {.principal = "vaultd", .peer = "local"};
	uint64_t seq;
	int r;

	pthread_mutex_lock(&lock);
	if (!(r = make_line(c, line, &seq, why, whysz)))
		last_seq = seq;
	pthread_mutex_unlock(&lock);
	return r ? r : valert_raise(c, NULL, "audit-anchor", &who, NULL, "audit", line);
}

int vanchor_maybe(struct vcore *c, int force)
{
	static const struct vcaller who = {.principal = "vaultd", .peer = "local"};
	char line[VANCHOR_LINE_MAX], why[200];
	uint64_t seq = 0;
	uint8_t hash[VC_HASH_LEN];
	MDB_txn *txn;
	int r, version, crit = atomic_exchange(&due, 0);

	if (!force && !crit) {
		/* Cheap test first: only the count of entries since the last one. */
		if (vdb_begin(c->db, false, &txn))
			return 0;
		r = va_head(c->audit, c->db, txn, &seq, hash, &version);
		vdb_abort(txn);
		pthread_mutex_lock(&lock);
		r = r || seq < last_seq + VANCHOR_EVERY;
		pthread_mutex_unlock(&lock);
		if (r)
			return 0;
	}
	pthread_mutex_lock(&lock);
	r = make_line(c, line, &seq, why, sizeof(why));
	if (!r && !force && seq == last_seq)
		r = 1;  /* nothing new since the last anchor */
	else if (!r)
		last_seq = seq;
	pthread_mutex_unlock(&lock);
	if (r)
		return r > 0 ? 0 : r;
	return valert_raise(c, NULL, "audit-anchor", &who, NULL, "audit", line);
}

int vanchor_check(struct vcore *c, uint64_t seq, const uint8_t hash[32], char *why, size_t whysz)
{
	uint8_t have[VC_HASH_LEN];
	char hh[2 * VC_HASH_LEN + 1];
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	r = va_entry_hash(c->db, txn, seq, have);
	vdb_abort(txn);
	if (r == VG_ENOTFOUND) {
		snprintf(why, whysz, "anchor %llu: the chain has no entry %llu: it was cut back, or the "
			"state directory was rolled back to an older copy", (unsigned long long)seq,
			(unsigned long long)seq);
		return VG_EINTEGRITY;
	}
	if (r)
		return r;
	if (CRYPTO_memcmp(have, hash, VC_HASH_LEN) != 0) {
		vg_hex(hh, have, sizeof(have));
		snprintf(why, whysz, "anchor %llu: entry %llu has hash %s, not the anchored one: the "
			"chain was rewritten or replaced since", (unsigned long long)seq,
			(unsigned long long)seq, hh);
		return VG_EINTEGRITY;
	}
	return 0;
}
