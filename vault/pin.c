/* pin.c - see pin.h. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "alerts.h"
#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "pin.h"
#include "vg_err.h"

static size_t pin_key(uint8_t key[VC_HASH_LEN], const char *vault, const char *pin)
{
	uint8_t buf[VG_VAULT_NAME_MAX + 1 + VPIN_DIGITS + 1];
	size_t a = strlen(vault), b = strlen(pin);

	memcpy(buf, vault, a);
	buf[a] = '/';
	memcpy(buf + a + 1, pin, b);
	vc_sha256(buf, a + 1 + b, key);
	OPENSSL_cleanse(buf, sizeof(buf));
	return VC_HASH_LEN;
}

int vpin_generate(struct vcore *c, const struct vcaller *who, const char *vault,
	char pin[VPIN_DIGITS + 1], uint64_t *expires)
{
	struct vr_vault v;
	struct vr_pin p;
	uint8_t key[VC_HASH_LEN];
	uint32_t rnd;
	MDB_txn *txn;
	int r;

	memset(&p, 0, sizeof(p));
	do {
		if ((r = vc_random(&rnd, sizeof(rnd))))
			return r;
	} while (rnd >= 4200000000u);  /* no modulo bias */
	snprintf(pin, VPIN_DIGITS + 1, "%08u", rnd % 100000000u);
	p.expires = vault_now() + VPIN_VALIDITY;
	snprintf(p.vault, sizeof(p.vault), "%s", vault);
	snprintf(p.creator, sizeof(p.creator), "%s", who->principal);
	pin_key(key, vault, pin);
	memcpy(p.hash, key, sizeof(key));
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, NULL, &v, NULL)) ||
	    (r = vcore_put(c, txn, VDB_PINS, key, sizeof(key), &p, true)) ||
	    (r = vcore_audit_txn(c, txn, who, "pin.generate", vault, "ok", "valid 5 minutes, once"))) {
		vdb_abort(txn);
		OPENSSL_cleanse(pin, VPIN_DIGITS + 1);
		return r;
	}
	*expires = p.expires;
	return vdb_commit(txn);
}

/* ---- wrong PINs, per principal (SPEC §11) ------------------------------ */

static struct {
	char principal[VG_PRINCIPAL_NAME_MAX + 1];
	char vault[VG_VAULT_NAME_MAX + 1];
	uint64_t start;          /* of the current window */
	unsigned count;
	int alert;               /* 1: pin-bruteforce to raise (vpin_alerts) */
} fails[64];
static pthread_mutex_t fails_lock = PTHREAD_MUTEX_INITIALIZER;

/* The slot of principal (a new or the oldest one if absent and make). */
static int slot_of(const char *principal, uint64_t now, int make)
{
	int oldest = 0;

	for (int i = 0; i < 64; i++) {
		if (strcmp(fails[i].principal, principal) == 0) {
			if (now - fails[i].start >= VPIN_FAIL_WINDOW) {
				fails[i].start = now;
				fails[i].count = 0;
			}
			return i;
		}
		if (fails[i].start < fails[oldest].start)
			oldest = i;
	}
	if (!make)
		return -1;
	memset(&fails[oldest], 0, sizeof(fails[oldest]));
	snprintf(fails[oldest].principal, sizeof(fails[oldest].principal), "%s", principal);
	fails[oldest].start = now;
	return oldest;
}

/* Seconds principal must still wait (0: may try a PIN). */
static uint64_t locked_for(const char *principal, uint64_t now)
{
	uint64_t left = 0;
	int i;

	pthread_mutex_lock(&fails_lock);
	if ((i = slot_of(principal, now, 0)) >= 0 && fails[i].count >= VPIN_FAIL_MAX)
		left = fails[i].start + VPIN_FAIL_WINDOW - now;
	pthread_mutex_unlock(&fails_lock);
	return left;
}

static void note_wrong(const struct vcaller *who, const char *vault, uint64_t now)
{
	int i;

	pthread_mutex_lock(&fails_lock);
	i = slot_of(who->principal, now, 1);
	if (++fails[i].count == VPIN_FAIL_MAX) {
		fails[i].alert = 1;
		snprintf(fails[i].vault, sizeof(fails[i].vault), "%s", vault);
	}
	pthread_mutex_unlock(&fails_lock);
}

static int wrong(const struct vcaller *who, const char *vault, char *why, size_t whysz)
{
	note_wrong(who, vault, vault_now());
	snprintf(why, whysz, "security PIN is wrong");
	return VG_EPIN;
}

int vpin_alerts(struct vcore *c)
{
	struct vcaller who;
	char vault[VG_VAULT_NAME_MAX + 1], detail[200];
	int r = 0;

	for (;;) {
		int found = 0;
		pthread_mutex_lock(&fails_lock);
		for (int i = 0; i < 64 && !found; i++) {
			if (!fails[i].alert)
				continue;
			fails[i].alert = 0;
			found = 1;
			memset(&who, 0, sizeof(who));
			snprintf(who.principal, sizeof(who.principal), "%s", fails[i].principal);
			snprintf(who.peer, sizeof(who.peer), "local");
			snprintf(vault, sizeof(vault), "%s", fails[i].vault);
		}
		pthread_mutex_unlock(&fails_lock);
		if (!found)
			return r;
		snprintf(detail, sizeof(detail), "%u wrong security PINs within %u minutes: further PINs "
			"from %s are refused for the rest of the window", VPIN_FAIL_MAX,
			VPIN_FAIL_WINDOW / 60, who.principal);
		if (!r)
			r = valert_raise(c, NULL, "pin-bruteforce", &who, vault, who.principal, detail);
	}
}

int vpin_consume(struct vcore *c, MDB_txn *txn, const struct vcaller *who, const char *vault,
	char *why, size_t whysz)
{
	struct vr_pin p;
	uint8_t key[VC_HASH_LEN];
	uint64_t wait;
	MDB_val v;
	int r;

	if (!*who->pin) {
		snprintf(why, whysz, "this operation needs a security PIN (vaultctl pin generate %s)", vault);
		return VG_EPIN;
	}
	/* After VPIN_FAIL_MAX wrong PINs, no PIN is looked at, right or
	 * wrong, until the window ends: guessing gains nothing. */
	if ((wait = locked_for(who->principal, vault_now()))) {
		snprintf(why, whysz, "too many wrong security PINs from %s: try again in %llu s",
			who->principal, (unsigned long long)wait);
		return VG_ELIMIT;
	}
	if (strlen(who->pin) != VPIN_DIGITS || strspn(who->pin, "0123456789") != VPIN_DIGITS)
		return wrong(who, vault, why, whysz);
	pin_key(key, vault, who->pin);
	r = vdb_get(c->db, txn, VDB_PINS, key, sizeof(key), &v);
	if (r == VG_ENOTFOUND)
		return wrong(who, vault, why, whysz);
	if (r || (r = vr_pin_dec(v.mv_data, v.mv_size, &p)))
		return r;
	if (p.used) {
		snprintf(why, whysz, "security PIN was already used");
		return VG_EPIN;
	}
	if (vault_now() > p.expires) {
		snprintf(why, whysz, "security PIN expired (valid 5 minutes)");
		return VG_EPIN;
	}
	p.used = 1;
	return vcore_put(c, txn, VDB_PINS, key, sizeof(key), &p, false);
}
