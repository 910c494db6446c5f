/* test_pkcs11.c - keys_pkcs11.c against a real SoftHSM2 token, created per
 * test in a private directory (SOFTHSM2_CONF) with softhsm2-util, keys
 * imported and deleted with pkcs11-tool. Skipped (with a note) where those
 * tools are not installed. */
#include <check.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#include "cmk_suites.h"
#include "crypto.h"
#include "keys.h"
#include "vg_err.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define WRAPPED_LEN 61

static char *dir;
static char token[VK_P11_TOKEN_MAX + 1];
static struct vk_p11_config cfg;
static struct vk_p11 *tok;
static uint8_t dek[VK_DEK_LEN];
static const char aad[] = "vault:12345678";
static int have_tools;

static void run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "command failed: %s", cmd);
}

static void write_file(const char *name, const void *p, size_t n, mode_t mode)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

#define TOOL "pkcs11-tool --module " MODULE " --token-label %s --login --pin 1234 "

/* Imports the 32 bytes of dir/LABEL.bin (creating them if absent). */
static void import_key(const char *label, const char *extra)
{
	char path[600];
	uint8_t k[32];

	snprintf(path, sizeof(path), "%s/%s.bin", dir, label);
	if (access(path, F_OK) != 0) {
		ck_assert_int_eq(vc_random(k, sizeof(k)), 0);
		snprintf(path, sizeof(path), "%s.bin", label);
		write_file(path, k, sizeof(k), 0600);
	}
	run(TOOL "--write-object %s/%s.bin --type secrkey --key-type AES:32 --label %s --private %s "
	    ">/dev/null 2>&1", token, dir, label, label, extra);
}

static void delete_key(const char *label)
{
	run(TOOL "--delete-object --type secrkey --label %s >/dev/null 2>&1", token, label);
}

/* Sets CKA_DECRYPT of key label through the module vaultd's provider has
 * loaded (a second session of the same process): how an HSM admin disables
 * a key without deleting it. */
static void set_decrypt(const char *label, CK_BBOOL on)
{
	void *dl = dlopen(MODULE, RTLD_NOW | RTLD_NOLOAD);
	CK_C_GetFunctionList gfl;
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slots[16], slot = 0;
	CK_ULONG n = 16, found = 0;
	CK_SESSION_HANDLE sh;
	CK_OBJECT_HANDLE h;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE q[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_LABEL, (void *)label, strlen(label)}};
	CK_ATTRIBUTE a = {CKA_DECRYPT, &on, sizeof(on)};
	CK_RV rv;
	int have = 0;

	ck_assert_ptr_nonnull(dl);
	*(void **)(&gfl) = dlsym(dl, "C_GetFunctionList");
	ck_assert(gfl != NULL);
	ck_assert_int_eq(gfl(&f), CKR_OK);
	ck_assert_int_eq(f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	for (CK_ULONG i = 0; i < n && !have; i++) {
		CK_TOKEN_INFO ti;
		if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && memcmp(ti.label, token, strlen(token)) == 0 &&
		    ti.label[strlen(token)] == ' ') {
			slot = slots[i];
			have = 1;
		}
	}
	ck_assert(have);
	ck_assert_int_eq(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &sh), CKR_OK);
	rv = f->C_Login(sh, CKU_USER, (CK_UTF8CHAR *)"1234", 4);
	ck_assert(rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN);
	ck_assert_int_eq(f->C_FindObjectsInit(sh, q, 2), CKR_OK);
	ck_assert_int_eq(f->C_FindObjects(sh, &h, 1, &found), CKR_OK);
	(void)f->C_FindObjectsFinal(sh);
	ck_assert_uint_eq(found, 1);
	ck_assert_int_eq(f->C_SetAttributeValue(sh, h, &a, 1), CKR_OK);
	ck_assert_int_eq(f->C_CloseSession(sh), CKR_OK);
	dlclose(dl);
}

static void setup(void)
{
	char conf[1200], why[512];

	have_tools = access(MODULE, R_OK) == 0 && system("command -v softhsm2-util pkcs11-tool >/dev/null") == 0;
	if (!have_tools)
		return;
	dir = cmk_tmpdir();
	snprintf(token, sizeof(token), "ut-%d", (int)getpid());
	snprintf(conf, sizeof(conf), "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", dir);
	write_file("softhsm2.conf", conf, strlen(conf), 0600);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
	setenv("SOFTHSM2_CONF", conf, 1);
	run("softhsm2-util --init-token --free --label %s --pin 1234 --so-pin 87654321 >/dev/null 2>&1", token);
	write_file("pin", "1234\n", 5, 0600);
	import_key("k1", "--sensitive");
	snprintf(cfg.module, sizeof(cfg.module), "%s", MODULE);
	snprintf(cfg.token, sizeof(cfg.token), "%s", token);
	snprintf(cfg.pin_file, sizeof(cfg.pin_file), "%s/pin", dir);
	ck_assert_int_eq(vk_p11_open(&cfg, &tok, why, sizeof(why)), 0);
	ck_assert_int_eq(vc_random(dek, sizeof(dek)), 0);
}

static void teardown(void)
{
	vk_p11_close(tok);
	tok = NULL;
	cmk_rmrf(dir);
	free(dir);
	dir = NULL;
}

#define NEED_TOOLS()                                                                 \
	do {                                                                          \
		if (!have_tools) {                                                    \
			fprintf(stderr, "skipped: SoftHSM2 or pkcs11-tool not installed\n"); \
			return;                                                       \
		}                                                                     \
	} while (0)

static void wrap(struct vk_provider *p, uint8_t *out, size_t *n)
{
	*n = VK_WRAPPED_MAX;
	ck_assert_int_eq(p->ops->wrap(p, dek, aad, sizeof(aad) - 1, out, n), 0);
	ck_assert_uint_eq(*n, WRAPPED_LEN);
}

static void last_error_is(const char *want)
{
	char got[300];

	vk_p11_last_error(tok, got, sizeof(got));
	ck_assert_str_eq(got, want);
}

START_TEST(wrap_unwrap_roundtrip)
{
	struct vk_provider *p;
	uint8_t w1[VK_WRAPPED_MAX], w2[VK_WRAPPED_MAX], back[VK_DEK_LEN];
	size_t n1, n2;
	char ref[128];

	NEED_TOOLS();
	ck_assert_int_eq(vk_p11_key(tok, "k1", &p), 0);
	snprintf(ref, sizeof(ref), "pkcs11:token=%s;object=k1", token);
	ck_assert_str_eq(p->ref, ref);
	ck_assert_str_eq(p->ops->name, "pkcs11");
	wrap(p, w1, &n1);
	wrap(p, w2, &n2);
	ck_assert_uint_eq(w1[0], 1);
	ck_assert_mem_ne(w1, w2, n1);                     /* a fresh IV each time */
	ck_assert_ptr_null(memmem(w1, n1, dek, 8));       /* no DEK bytes in the clear */
	ck_assert_int_eq(p->ops->unwrap(p, w1, n1, aad, sizeof(aad) - 1, back), 0);
	ck_assert_mem_eq(back, dek, VK_DEK_LEN);
	ck_assert_int_eq(p->ops->unwrap(p, w2, n2, aad, sizeof(aad) - 1, back), 0);
	ck_assert_mem_eq(back, dek, VK_DEK_LEN);
	vk_free(p);
}
END_TEST

START_TEST(aad_binds_the_vault)
{
	struct vk_provider *p;
	uint8_t w[VK_WRAPPED_MAX], back[VK_DEK_LEN];
	size_t n;
	char want[200];

	NEED_TOOLS();
	ck_assert_int_eq(vk_p11_key(tok, "k1", &p), 0);
	wrap(p, w, &n);
	ck_assert_int_eq(p->ops->unwrap(p, w, n, "vault:87654321", 14, back), VG_EKEY);
	/* SoftHSM2 2.6 reports a GCM tag mismatch as CKR_GENERAL_ERROR. */
	snprintf(want, sizeof(want), "the wrapped DEK does not open under key 'k1' (CKR_GENERAL_ERROR): "
		"other key material carries that label, or the wrapped DEK was altered");
	last_error_is(want);
	vk_free(p);
}
END_TEST

START_TEST(tampered_wrapped_dek)
{
	struct vk_provider *p;
	uint8_t w[VK_WRAPPED_MAX], back[VK_DEK_LEN];
	size_t n;

	NEED_TOOLS();
	ck_assert_int_eq(vk_p11_key(tok, "k1", &p), 0);
	wrap(p, w, &n);
	w[20] ^= 1;
	ck_assert_int_eq(p->ops->unwrap(p, w, n, aad, sizeof(aad) - 1, back), VG_EKEY);
	w[20] ^= 1;
	ck_assert_int_eq(p->ops->unwrap(p, w, n - 1, aad, sizeof(aad) - 1, back), VG_EINTEGRITY);
	w[0] = 2;
	ck_assert_int_eq(p->ops->unwrap(p, w, n, aad, sizeof(aad) - 1, back), VG_EINTEGRITY);
	vk_free(p);
}
END_TEST

START_TEST(deleted_then_reimported)
{
	struct vk_provider *p;
	uint8_t w[VK_WRAPPED_MAX], back[VK_DEK_LEN];
	size_t n;
	char want[200];

	NEED_TOOLS();
	ck_assert_int_eq(vk_p11_key(tok, "k1", &p), 0);
	wrap(p, w, &n);
	delete_key("k1");
	ck_assert_int_eq(p->ops->unwrap(p, w, n, aad, sizeof(aad) - 1, back), VG_EKEY);
	snprintf(want, sizeof(want), "no AES key labelled 'k1' in token '%s' (deleted or never imported)", token);
	last_error_is(want);
	import_key("k1", "--sensitive");   /* the same 32 bytes */
	ck_assert_int_eq(p->ops->unwrap(p, w, n, aad, sizeof(aad) - 1, back), 0);
	ck_assert_mem_eq(back, dek, VK_DEK_LEN);
	vk_free(p);
}
END_TEST

START_TEST(disabled_then_enabled)
{
	struct vk_provider *p;
	uint8_t w[VK_WRAPPED_MAX], back[VK_DEK_LEN];
	size_t n;
	char want[300];

	NEED_TOOLS();
	ck_assert_int_eq(vk_p11_key(tok, "k1", &p), 0);
	wrap(p, w, &n);
	ck_assert_int_eq(p->ops->unwrap(p, w, n, aad, sizeof(aad) - 1, back), 0);
	set_decrypt("k1", CK_FALSE);
	ck_assert_int_eq(p->ops->unwrap(p, w, n, aad, sizeof(aad) - 1, back), VG_EKEY);
	snprintf(want, sizeof(want), "key 'k1' is disabled for decryption in token '%s' (CKA_DECRYPT is false)",
		token);
	last_error_is(want);
	set_decrypt("k1", CK_TRUE);
	ck_assert_int_eq(p->ops->unwrap(p, w, n, aad, sizeof(aad) - 1, back), 0);
	ck_assert_mem_eq(back, dek, VK_DEK_LEN);
	vk_free(p);
}
END_TEST

START_TEST(other_material_under_the_label)
{
	struct vk_provider *p;
	uint8_t w[VK_WRAPPED_MAX], back[VK_DEK_LEN];
	size_t n;
	char path[600];

	NEED_TOOLS();
	ck_assert_int_eq(vk_p11_key(tok, "k1", &p), 0);
	wrap(p, w, &n);
	delete_key("k1");
	snprintf(path, sizeof(path), "%s/k1.bin", dir);
	unlink(path);
	import_key("k1", "--sensitive");   /* new random bytes */
	ck_assert_int_eq(p->ops->unwrap(p, w, n, aad, sizeof(aad) - 1, back), VG_EKEY);
	last_error_is("the wrapped DEK does not open under key 'k1' (CKR_GENERAL_ERROR): "
		"other key material carries that label, or the wrapped DEK was altered");
	vk_free(p);
}
END_TEST

START_TEST(missing_and_extractable_keys)
{
	struct vk_provider *p, *x;
	uint8_t w[VK_WRAPPED_MAX];
	size_t n = sizeof(w);
	char want[200];

	NEED_TOOLS();
	ck_assert_int_eq(vk_p11_key(tok, "nosuch", &p), 0);
	ck_assert_int_eq(p->ops->wrap(p, dek, aad, sizeof(aad) - 1, w, &n), VG_EKEY);
	snprintf(want, sizeof(want), "no AES key labelled 'nosuch' in token '%s' (deleted or never imported)", token);
	last_error_is(want);
	vk_free(p);
	import_key("kx", "--extractable");
	ck_assert_int_eq(vk_p11_key(tok, "kx", &x), 0);
	n = sizeof(w);
	ck_assert_int_eq(x->ops->wrap(x, dek, aad, sizeof(aad) - 1, w, &n), VG_EPOLICY);
	last_error_is("key 'kx' can leave the token (CKA_SENSITIVE false, CKA_EXTRACTABLE true): "
		"a KEK must be sensitive and not extractable");
	vk_free(x);
	ck_assert_int_eq(vk_p11_key(tok, "bad;label", &x), VG_ENAME);
}
END_TEST

START_TEST(wrong_pin_is_not_retried_until_the_file_changes)
{
	struct vk_provider *p;
	uint8_t w[VK_WRAPPED_MAX], back[VK_DEK_LEN];
	size_t n;
	char want[1400];

	NEED_TOOLS();
	ck_assert_int_eq(vk_p11_key(tok, "k1", &p), 0);
	wrap(p, w, &n);
	/* A new module instance: the old one is logged in. */
	vk_p11_close(tok);
	write_file("pin", "99999\n", 6, 0600);
	{
		char why[300];
		ck_assert_int_eq(vk_p11_open(&cfg, &tok, why, sizeof(why)), 0);
	}
	vk_free(p);
	ck_assert_int_eq(vk_p11_key(tok, "k1", &p), 0);
	ck_assert_int_eq(p->ops->unwrap(p, w, n, aad, sizeof(aad) - 1, back), VG_EKEY);
	snprintf(want, sizeof(want), "token '%s' refused the PIN in %s (CKR_PIN_INCORRECT)", token, cfg.pin_file);
	last_error_is(want);
	ck_assert_int_eq(p->ops->unwrap(p, w, n, aad, sizeof(aad) - 1, back), VG_EKEY);
	snprintf(want, sizeof(want), "token '%s' refused the PIN in %s; not retried until that file changes",
		token, cfg.pin_file);
	last_error_is(want);
	write_file("pin", "1234\n", 5, 0600);
	ck_assert_int_eq(p->ops->unwrap(p, w, n, aad, sizeof(aad) - 1, back), 0);
	ck_assert_mem_eq(back, dek, VK_DEK_LEN);
	/* A PIN file that became too open is refused before the token sees it. */
	vk_p11_close(tok);
	tok = NULL;
	vk_free(p);
	{
		char why[300];
		chmod(cfg.pin_file, 0644);
		ck_assert_int_eq(vk_p11_open(&cfg, &tok, why, sizeof(why)), VG_EKEYFILE);
		snprintf(want, sizeof(want), "%s: mode 0644 is too open: a secret file must be 0600 or 0400",
			cfg.pin_file);
		ck_assert_str_eq(why, want);
		chmod(cfg.pin_file, 0600);
	}
}
END_TEST

START_TEST(absent_token_and_module)
{
	struct vk_p11_config bad = cfg;
	struct vk_provider *p;
	uint8_t w[VK_WRAPPED_MAX];
	size_t n = sizeof(w);
	char why[300], want[1400];

	NEED_TOOLS();
	vk_p11_close(tok);
	snprintf(bad.token, sizeof(bad.token), "absent");
	ck_assert_int_eq(vk_p11_open(&bad, &tok, why, sizeof(why)), 0);  /* tokens may come later */
	ck_assert_int_eq(vk_p11_key(tok, "k1", &p), 0);
	ck_assert_int_eq(p->ops->wrap(p, dek, aad, sizeof(aad) - 1, w, &n), VG_EKEY);
	last_error_is("token 'absent' is not present");
	vk_free(p);
	vk_p11_close(tok);
	tok = NULL;
	bad = cfg;
	snprintf(bad.module, sizeof(bad.module), "%s/none.so", dir);
	ck_assert_int_eq(vk_p11_open(&bad, &tok, why, sizeof(why)), VG_EKEYFILE);
	snprintf(want, sizeof(want), "PKCS#11 module %s/none.so: No such file or directory", dir);
	ck_assert_str_eq(why, want);
}
END_TEST

Suite *pkcs11_suite(void)
{
	Suite *s = suite_create("pkcs11");
	TCase *tc = tcase_create("softhsm2");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, wrap_unwrap_roundtrip);
	tcase_add_test(tc, aad_binds_the_vault);
	tcase_add_test(tc, tampered_wrapped_dek);
	tcase_add_test(tc, deleted_then_reimported);
	tcase_add_test(tc, disabled_then_enabled);
	tcase_add_test(tc, other_material_under_the_label);
	tcase_add_test(tc, missing_and_extractable_keys);
	tcase_add_test(tc, wrong_pin_is_not_retried_until_the_file_changes);
	tcase_add_test(tc, absent_token_and_module);
	suite_add_tcase(s, tc);
	return s;
}
