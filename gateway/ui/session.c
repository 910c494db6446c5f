/* session.c - console sessions, in this process's memory only.
 *
 * A session is an opaque random handle (32 bytes from the OpenSSL DRBG, in
 * the cookie as hex) mapped to the principal's name and token, which the
 * gateway already holds for the length of every API request. Nothing is
 * written anywhere: a restart ends every session, and ending one (logout,
 * idle or absolute expiry, a full table) wipes its token (OPENSSL_cleanse).
 * vaultd still verifies the token on every page, so a token rotated or a
 * principal removed ends the console's access at once. Handles are looked
 * up by their SHA-256 and compared in constant time.
 *
 * CSRF: tokens are HMAC-SHA-256 under a key drawn at start, bound to the
 * pre-session cookie (the login form) or to the session (logout). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "buf.h"
#include "ui_int.h"
#include "vg_err.h"

#define UI_SESSIONS 256

struct sess {
	bool used;
	uint8_t idhash[32];            /* SHA-256 of the handle */
	char user[VG_PRINCIPAL_NAME_MAX + 1];
	char token[300];
	uint64_t created, last, idle, max;   /* milliseconds (monotonic) */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct sess table[UI_SESSIONS];
static uint8_t csrf_key[32];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static bool key_ok;

static void make_key(void)
{
	key_ok = RAND_bytes(csrf_key, sizeof(csrf_key)) == 1;
}

/* Milliseconds: a session of 1 s idle is one second, not "whatever is
 * left of this second". */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void wipe(struct sess *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

static bool hex_ok(const char *hex)
{
	if (strlen(hex) != 64)
		return false;
	for (const char *c = hex; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return false;
	return true;
}

static bool expired(const struct sess *s, uint64_t now)
{
	return now - s->last >= s->idle || now - s->created >= s->max;
}

int ui_random_hex(char out[65])
{
	uint8_t r[32];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return VG_EINTERNAL;
	vg_hex(out, r, sizeof(r));
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

int ui_sess_new(const char *user, const char *token, uint64_t idle, uint64_t max, char hex[65])
{
	uint64_t now = now_ms();
	struct sess *s = NULL;
	int r;

	if ((r = ui_random_hex(hex)))
		return r;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < UI_SESSIONS; i++) {
		if (table[i].used && expired(&table[i], now))
			wipe(&table[i]);
		if (!table[i].used && !s)
			s = &table[i];
	}
	if (!s) {
		pthread_mutex_unlock(&lock);
		OPENSSL_cleanse(hex, 65);
		return VG_ELIMIT;
	}
	s->used = true;
	SHA256((const uint8_t *)hex, 64, s->idhash);
	snprintf(s->user, sizeof(s->user), "%s", user);
	snprintf(s->token, sizeof(s->token), "%s", token);
	s->created = s->last = now;
	s->idle = idle * 1000;
	s->max = max * 1000;
	pthread_mutex_unlock(&lock);
	return 0;
}

static struct sess *find(const char *hex, uint64_t now)
{
	uint8_t h[32];
	struct sess *found = NULL;

	SHA256((const uint8_t *)hex, 64, h);
	for (int i = 0; i < UI_SESSIONS; i++)
		if (table[i].used && CRYPTO_memcmp(table[i].idhash, h, 32) == 0)
			found = &table[i];
	if (found && expired(found, now)) {
		wipe(found);
		found = NULL;
	}
	return found;
}

int ui_sess_get(const char *hex, char *user, size_t usz, char *token, size_t tsz)
{
	uint64_t now = now_ms();
	struct sess *s;

	if (!hex_ok(hex))
		return VG_ENOTFOUND;
	pthread_mutex_lock(&lock);
	if (!(s = find(hex, now))) {
		pthread_mutex_unlock(&lock);
		return VG_ENOTFOUND;
	}
	s->last = now;
	snprintf(user, usz, "%s", s->user);
	snprintf(token, tsz, "%s", s->token);
	pthread_mutex_unlock(&lock);
	return 0;
}

void ui_sess_end(const char *hex)
{
	struct sess *s;

	if (!hex_ok(hex))
		return;
	pthread_mutex_lock(&lock);
	if ((s = find(hex, now_ms())))
		wipe(s);
	pthread_mutex_unlock(&lock);
}

void ui_csrf(const char *what, char out[65])
{
	uint8_t mac[32];
	unsigned int len = sizeof(mac);

	pthread_once(&key_once, make_key);
	if (!key_ok || !HMAC(EVP_sha256(), csrf_key, sizeof(csrf_key), (const uint8_t *)what,
		    strlen(what), mac, &len)) {
		/* no key: a token nothing matches */
		memset(out, 0, 65);
		return;
	}
	vg_hex(out, mac, sizeof(mac));
}

bool ui_csrf_ok(const char *what, const char *given)
{
	char want[65];

	if (!*what || strlen(given) != 64)
		return false;
	ui_csrf(what, want);
	return strlen(want) == 64 && CRYPTO_memcmp(want, given, 64) == 0;
}

void ui_cookie(const char *header, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);

	out[0] = 0;
	for (const char *p = header; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vl = len - nl - 1;
			if (vl < n) {
				memcpy(out, p + nl + 1, vl);
				out[vl] = 0;
			}
			return;
		}
		p = end;
	}
}
