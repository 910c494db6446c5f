/* test_p11conf.c - the PKCS#11 key-provider configuration (p11conf.c):
 * strict parsing with FILE:LINE messages, key references and labels, and
 * the file-secrecy rules for the configuration and PIN files. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmk_suites.h"
#include "keys.h"
#include "vg_err.h"

static struct vk_p11_config cfg;
static char why[512];

static int parse(const char *text)
{
	why[0] = 0;
	return vk_p11_config_parse("t.conf", text, strlen(text), &cfg, why, sizeof(why));
}

START_TEST(good_config)
{
	ck_assert_int_eq(parse("# key provider\n\n  module = /usr/lib/softhsm/libsofthsm2.so  \n"
			       "token=vault-hsm\r\npin_file\t=\t/etc/vaultgate/pin\n"), 0);
	ck_assert_str_eq(cfg.module, "/usr/lib/softhsm/libsofthsm2.so");
	ck_assert_str_eq(cfg.token, "vault-hsm");
	ck_assert_str_eq(cfg.pin_file, "/etc/vaultgate/pin");
	/* No final newline is fine too. */
	ck_assert_int_eq(parse("module=/m.so\ntoken=t\npin_file=/p"), 0);
}
END_TEST

START_TEST(refusals_name_file_and_line)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"module=/m.so\ntoken=t\npin_file=/p\nslot=1\n",
		 "t.conf:4: unknown key \"slot\" (module, token, pin_file)"},
		{"module=/m.so\nmodule=/n.so\n", "t.conf:2: module is set twice"},
		{"module=/m.so\ntoken=t\n", "t.conf: pin_file is missing"},
		{"token=t\npin_file=/p\n", "t.conf: module is missing"},
		{"module=m.so\n", "t.conf:1: module \"m.so\" must be an absolute path"},
		{"module=/m.so\ntoken=t\npin_file=p\n", "t.conf:3: pin_file \"p\" must be an absolute path"},
		{"module=/m.so\ntoken = a;b\n", "t.conf:2: token \"a;b\" must not hold ';' or '='"},
		{"module=/m.so\ntoken=\n", "t.conf:2: token \"\" is empty or longer than 32 bytes"},
		{"module=/m.so\ntoken=123456789012345678901234567890123\n",
		 "t.conf:2: token \"123456789012345678901234567890123\" is empty or longer than 32 bytes"},
		{"module /m.so\n", "t.conf:1: expected KEY = VALUE, got \"module /m.so\""},
		{"module=/m\x01.so\n", "t.conf:1: control character in line"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(parse(cases[i].text), VG_EINVAL);
		ck_assert_str_eq(why, cases[i].msg);
	}
	ck_assert_int_eq(vk_p11_config_parse("t.conf", "module=/m\0.so\n", 14, &cfg, why, sizeof(why)),
		VG_EINVAL);
	ck_assert_str_eq(why, "t.conf: holds a NUL byte");
	{
		char *big = malloc(3000);
		memset(big, 'a', 2999);
		big[2999] = 0;
		ck_assert_int_eq(parse(big), VG_EINVAL);
		ck_assert_str_eq(why, "t.conf:1: line longer than 2047 bytes");
		free(big);
	}
}
END_TEST

START_TEST(refs_and_labels)
{
	char tok[VK_P11_TOKEN_MAX + 1], label[VK_P11_LABEL_MAX + 1];

	ck_assert_int_eq(vk_p11_ref_parse("pkcs11:token=hsm1;object=cmk-a", tok, label), 0);
	ck_assert_str_eq(tok, "hsm1");
	ck_assert_str_eq(label, "cmk-a");
	ck_assert_int_eq(vk_p11_ref_parse("local", tok, label), VG_EINVAL);
	ck_assert_int_eq(vk_p11_ref_parse("pkcs11:token=;object=a", tok, label), VG_EINVAL);
	ck_assert_int_eq(vk_p11_ref_parse("pkcs11:token=t;object=", tok, label), VG_EINVAL);
	ck_assert_int_eq(vk_p11_ref_parse("pkcs11:token=t;object=a/b", tok, label), VG_EINVAL);
	ck_assert_int_eq(vk_p11_ref_parse("pkcs11:object=a;token=t", tok, label), VG_EINVAL);
	ck_assert_int_eq(vk_p11_label_check("cmk_2025.q1-A"), 0);
	ck_assert_int_eq(vk_p11_label_check(""), VG_ENAME);
	ck_assert_int_eq(vk_p11_label_check("a;b"), VG_ENAME);
	ck_assert_int_eq(vk_p11_label_check("a b"), VG_ENAME);
	ck_assert_int_eq(vk_p11_label_check("../x"), VG_ENAME);
	{
		char l[VK_P11_LABEL_MAX + 2];
		memset(l, 'k', sizeof(l) - 1);
		l[sizeof(l) - 1] = 0;
		ck_assert_int_eq(vk_p11_label_check(l), VG_ENAME);
		l[VK_P11_LABEL_MAX] = 0;
		ck_assert_int_eq(vk_p11_label_check(l), 0);
	}
}
END_TEST

static char *dir;

static void fsetup(void)
{
	dir = cmk_tmpdir();
}

static void fteardown(void)
{
	cmk_rmrf(dir);
	free(dir);
}

static int secrecy(const char *name, mode_t mode, int secret, uid_t owner)
{
	char path[600];
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	if (owner != (uid_t)-1)
		ck_assert_int_eq(fchown(fd, owner, (gid_t)-1), 0);
	why[0] = 0;
	r = vk_file_secrecy(path, fd, secret, why, sizeof(why));
	close(fd);
	return r;
}

START_TEST(file_secrecy)
{
	char want[700];

	ck_assert_int_eq(secrecy("a", 0600, 1, (uid_t)-1), 0);
	ck_assert_int_eq(secrecy("b", 0400, 1, (uid_t)-1), 0);
	ck_assert_int_eq(secrecy("c", 0644, 0, (uid_t)-1), 0);   /* a config may be readable */
	ck_assert_int_eq(secrecy("d", 0640, 1, (uid_t)-1), VG_EKEYFILE);
	snprintf(want, sizeof(want), "%s/d: mode 0640 is too open: a secret file must be 0600 or 0400", dir);
	ck_assert_str_eq(why, want);
	ck_assert_int_eq(secrecy("e", 0604, 1, (uid_t)-1), VG_EKEYFILE);
	ck_assert_int_eq(secrecy("f", 0620, 0, (uid_t)-1), VG_EKEYFILE);
	snprintf(want, sizeof(want), "%s/f: mode 0620 is group or world writable", dir);
	ck_assert_str_eq(why, want);
	ck_assert_int_eq(secrecy("g", 0602, 0, (uid_t)-1), VG_EKEYFILE);
	if (geteuid() == 0) {
		ck_assert_int_eq(secrecy("h", 0600, 1, 4321), VG_EKEYFILE);
		snprintf(want, sizeof(want), "%s/h: owned by uid 4321, expected root or uid 0", dir);
		ck_assert_str_eq(why, want);
	}
	{
		char path[600];
		snprintf(path, sizeof(path), "%s/sub", dir);
		ck_assert_int_eq(mkdir(path, 0700), 0);
		int fd = open(path, O_RDONLY | O_DIRECTORY);
		ck_assert_int_eq(vk_file_secrecy(path, fd, 0, why, sizeof(why)), VG_EKEYFILE);
		close(fd);
	}
}
END_TEST

START_TEST(load_checks_the_file)
{
	char path[600], want[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/p11.conf", dir);
	ck_assert_int_eq(vk_p11_config_load(path, &cfg, why, sizeof(why)), VG_EKEYFILE);
	f = fopen(path, "w");
	fputs("module=/m.so\ntoken=t\npin_file=/p\n", f);
	fclose(f);
	chmod(path, 0666);
	ck_assert_int_eq(vk_p11_config_load(path, &cfg, why, sizeof(why)), VG_EKEYFILE);
	snprintf(want, sizeof(want), "%s: mode 0666 is group or world writable", path);
	ck_assert_str_eq(why, want);
	chmod(path, 0644);
	ck_assert_int_eq(vk_p11_config_load(path, &cfg, why, sizeof(why)), 0);
	ck_assert_str_eq(cfg.token, "t");
}
END_TEST

Suite *p11conf_suite(void)
{
	Suite *s = suite_create("p11conf");
	TCase *tc = tcase_create("parse");
	TCase *tf = tcase_create("files");

	tcase_add_test(tc, good_config);
	tcase_add_test(tc, refusals_name_file_and_line);
	tcase_add_test(tc, refs_and_labels);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tf, fsetup, fteardown);
	tcase_add_test(tf, file_secrecy);
	tcase_add_test(tf, load_checks_the_file);
	suite_add_tcase(s, tf);
	return s;
}
