/* keys_pkcs11.c - the customer-managed-key provider: an AES key in a
 * PKCS#11 token (an HSM; SoftHSM2 in tests), loaded with dlopen.
 *
 * The DEK is wrapped and unwrapped inside the token with CKM_AES_GCM
 * (C_Encrypt/C_Decrypt under the KEK); the KEK never leaves the token. The
 * format is in keys.h. One session, opened on first use and re-opened after
 * the token comes back; every operation finds the key by label afresh, so a
 * deleted, replaced or disabled key is noticed by the very next call. All
 * token calls are serialized by one mutex.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <p11-kit/pkcs11.h>

#include "buf.h"
#include "crypto.h"
#include "keys.h"
#include "vg_err.h"

#define P11_VERSION 0x01
#define P11_WRAPPED_LEN (1 + VC_NONCE_LEN + VK_DEK_LEN + VC_TAG_LEN)
#define PIN_MAX 256
static const char p11_aad_label[] = "vaultgate/dek/pkcs11/v1";

struct vk_p11 {
	pthread_mutex_t lock;
	void *dl;
	CK_FUNCTION_LIST *f;
	struct vk_p11_config cfg;
	CK_SESSION_HANDLE s;
	int have_session;
	/* A PIN the token refused is not offered again until the file changes
	 * (tokens lock after a few wrong PINs). */
	int pin_refused;
	struct stat pin_st;
	char err[256];
};

struct vk_p11_key {
	struct vk_provider base;
	struct vk_p11 *t;
	char label[VK_P11_LABEL_MAX + 1];
};

static const char *rv_name(CK_RV rv)
{
	switch (rv) {
	case CKR_OK: return "CKR_OK";
	case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
	case CKR_FUNCTION_FAILED: return "CKR_FUNCTION_FAILED";
	case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD";
	case CKR_ATTRIBUTE_TYPE_INVALID: return "CKR_ATTRIBUTE_TYPE_INVALID";
	case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
	case CKR_DEVICE_REMOVED: return "CKR_DEVICE_REMOVED";
	case CKR_ENCRYPTED_DATA_INVALID: return "CKR_ENCRYPTED_DATA_INVALID";
	case CKR_ENCRYPTED_DATA_LEN_RANGE: return "CKR_ENCRYPTED_DATA_LEN_RANGE";
	case CKR_KEY_HANDLE_INVALID: return "CKR_KEY_HANDLE_INVALID";
	case CKR_KEY_TYPE_INCONSISTENT: return "CKR_KEY_TYPE_INCONSISTENT";
	case CKR_KEY_FUNCTION_NOT_PERMITTED: return "CKR_KEY_FUNCTION_NOT_PERMITTED";
	case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
	case CKR_MECHANISM_PARAM_INVALID: return "CKR_MECHANISM_PARAM_INVALID";
	case CKR_OBJECT_HANDLE_INVALID: return "CKR_OBJECT_HANDLE_INVALID";
	case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
	case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
	case CKR_PIN_EXPIRED: return "CKR_PIN_EXPIRED";
	case CKR_PIN_LEN_RANGE: return "CKR_PIN_LEN_RANGE";
	case CKR_SESSION_CLOSED: return "CKR_SESSION_CLOSED";
	case CKR_SESSION_HANDLE_INVALID: return "CKR_SESSION_HANDLE_INVALID";
	case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
	case CKR_TOKEN_NOT_RECOGNIZED: return "CKR_TOKEN_NOT_RECOGNIZED";
	case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
	case CKR_CRYPTOKI_NOT_INITIALIZED: return "CKR_CRYPTOKI_NOT_INITIALIZED";
	case CKR_BUFFER_TOO_SMALL: return "CKR_BUFFER_TOO_SMALL";
	default: return "CKR_?";
	}
}

static void seterr(struct vk_p11 *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seterr(struct vk_p11 *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
}

/* Errors after which the session is worth re-opening once. */
static int session_lost(CK_RV rv)
{
	return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
	       rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT ||
	       rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_DEVICE_ERROR;
}

static void drop_session(struct vk_p11 *t)
{
	if (t->have_session)
		(void)t->f->C_CloseSession(t->s);
	t->have_session = 0;
}

/* Reads the PIN file (secrecy-checked) into pin; the caller wipes it. */
static int read_pin(struct vk_p11 *t, char pin[PIN_MAX + 1], size_t *len, struct stat *st)
{
	char why[300];
	long n;
	int fd, r;

	fd = open(t->cfg.pin_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		seterr(t, "pin_file %s: cannot open: %s", t->cfg.pin_file, strerror(errno));
		return VG_EKEY;
	}
	if ((r = vk_file_secrecy(t->cfg.pin_file, fd, 1, why, sizeof(why))) || fstat(fd, st) < 0) {
		seterr(t, "%s", r ? why : "pin_file: fstat failed");
		close(fd);
		return VG_EKEY;
	}
	n = vg_read_full(fd, pin, PIN_MAX + 1);
	close(fd);
	if (n < 0 || n > PIN_MAX) {
		OPENSSL_cleanse(pin, PIN_MAX + 1);
		seterr(t, "pin_file %s: unreadable or longer than %d bytes", t->cfg.pin_file, PIN_MAX);
		return VG_EKEY;
	}
	while (n > 0 && (pin[n - 1] == '\n' || pin[n - 1] == '\r'))
		n--;
	pin[n] = 0;
	if (n == 0 || memchr(pin, '\n', (size_t)n)) {
		OPENSSL_cleanse(pin, PIN_MAX + 1);
		seterr(t, "pin_file %s: must hold the PIN on one line", t->cfg.pin_file);
		return VG_EKEY;
	}
	*len = (size_t)n;
	return 0;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static int find_slot(struct vk_p11 *t, CK_SLOT_ID *slot)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	CK_RV rv;
	char want[32];
	size_t tl = strlen(t->cfg.token);

	memset(want, ' ', sizeof(want));
	memcpy(want, t->cfg.token, tl);
	if ((rv = t->f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK) {
		seterr(t, "C_GetSlotList: %s", rv_name(rv));
		return VG_EKEY;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (t->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		if (memcmp(ti.label, want, sizeof(want)) == 0) {
			*slot = slots[i];
			return 0;
		}
	}
	seterr(t, "token '%s' is not present", t->cfg.token);
	return VG_EKEY;
}

/* An open, logged-in session, or VG_EKEY with the reason in t->err. */
static int ensure_session(struct vk_p11 *t)
{
	char pin[PIN_MAX + 1];
	struct stat st;
	CK_SLOT_ID slot;
	size_t pl = 0;
	CK_RV rv;
	int r;

	if (t->have_session)
		return 0;
	if ((r = find_slot(t, &slot)))
		return r;
	if ((r = read_pin(t, pin, &pl, &st)))
		return r;
	if (t->pin_refused && same_file(&st, &t->pin_st)) {
		OPENSSL_cleanse(pin, sizeof(pin));
		seterr(t, "token '%s' refused the PIN in %s; not retried until that file changes",
			t->cfg.token, t->cfg.pin_file);
		return VG_EKEY;
	}
	if ((rv = t->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &t->s)) != CKR_OK) {
		OPENSSL_cleanse(pin, sizeof(pin));
		seterr(t, "token '%s': C_OpenSession: %s", t->cfg.token, rv_name(rv));
		return VG_EKEY;
	}
	t->have_session = 1;
	rv = t->f->C_Login(t->s, CKU_USER, (CK_UTF8CHAR *)pin, (CK_ULONG)pl);
	OPENSSL_cleanse(pin, sizeof(pin));
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
		t->pin_refused = 0;
		return 0;
	}
	drop_session(t);
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_EXPIRED ||
	    rv == CKR_PIN_LEN_RANGE) {
		t->pin_refused = 1;
		t->pin_st = st;
		seterr(t, "token '%s' refused the PIN in %s (%s)", t->cfg.token, t->cfg.pin_file,
			rv_name(rv));
	} else {
		seterr(t, "token '%s': C_Login: %s", t->cfg.token, rv_name(rv));
	}
	return VG_EKEY;
}

/* The AES secret key labelled label, found afresh. With for_wrap, the key
 * must also be unable to leave the token (sensitive, not extractable). */
static int find_key(struct vk_p11 *t, const char *label, int for_wrap, CK_OBJECT_HANDLE *key,
	CK_RV *rvout)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_KEY_TYPE, &kt, sizeof(kt)},
		{CKA_LABEL, (void *)label, strlen(label)},
	};
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0, vlen = 0;
	CK_BBOOL sens = CK_FALSE, extr = CK_TRUE;
	CK_ATTRIBUTE a[] = {
		{CKA_VALUE_LEN, &vlen, sizeof(vlen)},
		{CKA_SENSITIVE, &sens, sizeof(sens)},
		{CKA_EXTRACTABLE, &extr, sizeof(extr)},
	};
	CK_RV rv;

	*rvout = CKR_OK;
	if ((rv = t->f->C_FindObjectsInit(t->s, tmpl, 3)) != CKR_OK) {
		*rvout = rv;
		seterr(t, "token '%s': C_FindObjectsInit: %s", t->cfg.token, rv_name(rv));
		return VG_EKEY;
	}
	rv = t->f->C_FindObjects(t->s, h, 2, &n);
	(void)t->f->C_FindObjectsFinal(t->s);
	if (rv != CKR_OK) {
		*rvout = rv;
		seterr(t, "token '%s': C_FindObjects: %s", t->cfg.token, rv_name(rv));
		return VG_EKEY;
	}
	if (n == 0) {
		seterr(t, "no AES key labelled '%s' in token '%s' (deleted or never imported)",
			label, t->cfg.token);
		return VG_EKEY;
	}
	if (n > 1) {
		seterr(t, "more than one AES key is labelled '%s' in token '%s'", label,
			t->cfg.token);
		return VG_EKEY;
	}
	if ((rv = t->f->C_GetAttributeValue(t->s, h[0], a, 3)) != CKR_OK) {
		*rvout = rv;
		seterr(t, "key '%s': C_GetAttributeValue: %s", label, rv_name(rv));
		return VG_EKEY;
	}
	if (vlen != 32) {
		seterr(t, "key '%s' is AES-%lu, expected AES-256", label, (unsigned long)vlen * 8);
		return VG_EKEY;
	}
	if (for_wrap && (!sens || extr)) {
		seterr(t, "key '%s' can leave the token (CKA_SENSITIVE %s, CKA_EXTRACTABLE %s): "
			"a KEK must be sensitive and not extractable", label, sens ? "true" : "false",
			extr ? "true" : "false");
		return VG_EPOLICY;
	}
	*key = h[0];
	return 0;
}

static void full_aad(const void *aad, size_t aadlen, uint8_t *out, size_t *outlen)
{
	memcpy(out, p11_aad_label, sizeof(p11_aad_label));
	memcpy(out + sizeof(p11_aad_label), aad, aadlen);
	*outlen = sizeof(p11_aad_label) + aadlen;
}

/* One GCM operation under label: encrypt DEK (in 32, out 48) or decrypt
 * (in 48, out 32). Retries once on a lost session. */
static int gcm_op(struct vk_p11 *t, const char *label, int enc, const uint8_t iv[VC_NONCE_LEN],
	const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t inlen, uint8_t *out)
{
	uint8_t buf[VK_DEK_LEN + VC_TAG_LEN + 16];
	CK_GCM_PARAMS gp;
	CK_MECHANISM mech = {CKM_AES_GCM, &gp, sizeof(gp)};
	CK_OBJECT_HANDLE key;
	CK_ULONG outlen;
	CK_RV rv = CKR_OK;
	int r = VG_EKEY;

	for (int attempt = 0; attempt < 2; attempt++) {
		if ((r = ensure_session(t)))
			return r;
		r = find_key(t, label, enc, &key, &rv);
		if (r && session_lost(rv)) {
			drop_session(t);
			continue;
		}
		if (r)
			return r;
		memset(&gp, 0, sizeof(gp));
		gp.pIv = (CK_BYTE *)iv;
		gp.ulIvLen = VC_NONCE_LEN;
		gp.ulIvBits = VC_NONCE_LEN * 8;
		gp.pAAD = (CK_BYTE *)aad;
		gp.ulAADLen = aadlen;
		gp.ulTagBits = VC_TAG_LEN * 8;
		rv = enc ? t->f->C_EncryptInit(t->s, &mech, key) : t->f->C_DecryptInit(t->s, &mech, key);
		if (rv == CKR_OK) {
			outlen = sizeof(buf);
			rv = enc ? t->f->C_Encrypt(t->s, (CK_BYTE *)in, inlen, buf, &outlen) :
				   t->f->C_Decrypt(t->s, (CK_BYTE *)in, inlen, buf, &outlen);
		}
		if (rv == CKR_OK)
			break;
		if (session_lost(rv) && attempt == 0) {
			drop_session(t);
			continue;
		}
		if (rv == CKR_KEY_FUNCTION_NOT_PERMITTED)
			seterr(t, "key '%s' is disabled for %s in token '%s' (CKA_%s is false)", label,
				enc ? "encryption" : "decryption", t->cfg.token, enc ? "ENCRYPT" : "DECRYPT");
		else if (!enc && (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE ||
				  rv == CKR_GENERAL_ERROR || rv == CKR_FUNCTION_FAILED))
			seterr(t, "the wrapped DEK does not open under key '%s' (%s): other key material "
				"carries that label, or the wrapped DEK was altered", label, rv_name(rv));
		else
			seterr(t, "key '%s': C_%s: %s", label, enc ? "Encrypt" : "Decrypt", rv_name(rv));
		if (session_lost(rv))
			drop_session(t);
		OPENSSL_cleanse(buf, sizeof(buf));
		return VG_EKEY;
	}
	if (rv != CKR_OK) {
		seterr(t, "token '%s': the session was lost twice (%s)", t->cfg.token, rv_name(rv));
		return VG_EKEY;
	}
	if (outlen != (enc ? VK_DEK_LEN + VC_TAG_LEN : VK_DEK_LEN)) {
		OPENSSL_cleanse(buf, sizeof(buf));
		seterr(t, "key '%s': unexpected output length %lu", label, (unsigned long)outlen);
		return VG_EKEY;
	}
	memcpy(out, buf, outlen);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

static int p11_wrap(struct vk_provider *p, const uint8_t dek[VK_DEK_LEN],
	const void *aad, size_t aadlen, uint8_t *out, size_t *outlen)
{
	struct vk_p11_key *k = (struct vk_p11_key *)p;
	uint8_t fa[256];
	size_t fl;
	int r;

	if (aadlen > sizeof(fa) - sizeof(p11_aad_label) || *outlen < P11_WRAPPED_LEN)
		return VG_EINVAL;
	full_aad(aad, aadlen, fa, &fl);
	out[0] = P11_VERSION;
	if ((r = vc_random(out + 1, VC_NONCE_LEN)))
		return r;
	pthread_mutex_lock(&k->t->lock);
	r = gcm_op(k->t, k->label, 1, out + 1, fa, fl, dek, VK_DEK_LEN, out + 1 + VC_NONCE_LEN);
	pthread_mutex_unlock(&k->t->lock);
	if (!r)
		*outlen = P11_WRAPPED_LEN;
	return r;
}

static int p11_unwrap(struct vk_provider *p, const uint8_t *in, size_t inlen,
	const void *aad, size_t aadlen, uint8_t dek[VK_DEK_LEN])
{
	struct vk_p11_key *k = (struct vk_p11_key *)p;
	uint8_t fa[256];
	size_t fl;
	int r;

	if (inlen != P11_WRAPPED_LEN || in[0] != P11_VERSION)
		return VG_EINTEGRITY;
	if (aadlen > sizeof(fa) - sizeof(p11_aad_label))
		return VG_EINVAL;
	full_aad(aad, aadlen, fa, &fl);
	pthread_mutex_lock(&k->t->lock);
	r = gcm_op(k->t, k->label, 0, in + 1, fa, fl, in + 1 + VC_NONCE_LEN,
		VK_DEK_LEN + VC_TAG_LEN, dek);
	pthread_mutex_unlock(&k->t->lock);
	if (r)
		OPENSSL_cleanse(dek, VK_DEK_LEN);
	return r;
}

static void p11_key_free(struct vk_provider *p)
{
	free(p);
}

static const struct vk_ops p11_ops = {
	.name = "pkcs11",
	.wrap = p11_wrap,
	.unwrap = p11_unwrap,
	.free = p11_key_free,
};

int vk_p11_key(struct vk_p11 *t, const char *label, struct vk_provider **out)
{
	struct vk_p11_key *k;

	*out = NULL;
	if (vk_p11_label_check(label))
		return VG_ENAME;
	if (!(k = calloc(1, sizeof(*k))))
		return -ENOMEM;
	k->base.ops = &p11_ops;
	k->t = t;
	snprintf(k->label, sizeof(k->label), "%s", label);
	if (snprintf(k->base.ref, sizeof(k->base.ref), VK_P11_PREFIX "token=%s;object=%s",
		    t->cfg.token, label) >= (int)sizeof(k->base.ref)) {
		free(k);
		return VG_ETOOBIG;
	}
	*out = &k->base;
	return 0;
}

const char *vk_p11_token(const struct vk_p11 *t)
{
	return t->cfg.token;
}

void vk_p11_last_error(struct vk_p11 *t, char *buf, size_t n)
{
	pthread_mutex_lock(&t->lock);
	snprintf(buf, n, "%s", *t->err ? t->err : "no error");
	pthread_mutex_unlock(&t->lock);
}

int vk_p11_open(const struct vk_p11_config *cfg, struct vk_p11 **out, char *why, size_t whysz)
{
	CK_C_GetFunctionList getfl;
	CK_C_INITIALIZE_ARGS ia;
	struct vk_p11 *t;
	CK_RV rv;
	int fd, r;

	*out = NULL;
	/* The module is code that will hold the KEK's session: same rules as
	 * the configuration file. */
	fd = open(cfg->module, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whysz, "PKCS#11 module %s: %s", cfg->module, strerror(errno));
		return VG_EKEYFILE;
	}
	r = vk_file_secrecy(cfg->module, fd, 0, why, whysz);
	close(fd);
	if (r)
		return r;
	/* The PIN file is read at each login; refuse a bad one now, not later. */
	fd = open(cfg->pin_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(why, whysz, "pin_file %s: %s", cfg->pin_file, strerror(errno));
		return VG_EKEYFILE;
	}
	r = vk_file_secrecy(cfg->pin_file, fd, 1, why, whysz);
	close(fd);
	if (r)
		return r;
	if (!(t = calloc(1, sizeof(*t))))
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	t->cfg = *cfg;
	if (!(t->dl = dlopen(cfg->module, RTLD_NOW | RTLD_LOCAL))) {
		snprintf(why, whysz, "PKCS#11 module %s: %s", cfg->module, dlerror());
		r = VG_EKEYFILE;
		goto fail;
	}
	*(void **)(&getfl) = dlsym(t->dl, "C_GetFunctionList");
	if (!getfl || getfl(&t->f) != CKR_OK || !t->f) {
		snprintf(why, whysz, "PKCS#11 module %s: no usable C_GetFunctionList", cfg->module);
		r = VG_EKEYFILE;
		goto fail;
	}
	memset(&ia, 0, sizeof(ia));
	ia.flags = CKF_OS_LOCKING_OK;
	rv = t->f->C_Initialize(&ia);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		snprintf(why, whysz, "PKCS#11 module %s: C_Initialize: %s", cfg->module, rv_name(rv));
		t->f = NULL;
		r = VG_EKEYFILE;
		goto fail;
	}
	*out = t;
	return 0;
fail:
	vk_p11_close(t);
	return r;
}

void vk_p11_close(struct vk_p11 *t)
{
	if (!t)
		return;
	if (t->f) {
		drop_session(t);
		(void)t->f->C_Finalize(NULL);
	}
	if (t->dl)
		dlclose(t->dl);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
