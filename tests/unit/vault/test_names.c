/* test_names.c - common/names.c: the one name grammar. */
#include <check.h>
#include <string.h>

#include "names.h"
#include "suites.h"
#include "vg_err.h"

START_TEST(accepted_names)
{
	static const char *ok[] = {
		"a", "Z", "0", "v1", "host1:srv", "a.b", "a.", "a-", "a.b.c", "a.-.b", "a_b",
		"user@example.org", "k=v", "a+b", "A.b.C.d", "2024-01-01T00:00:00",
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(vg_name_check(ok[i], 64) == 0, "\"%s\" refused", ok[i]);
}
END_TEST

START_TEST(refused_names)
{
	static const char *bad[] = {
		"", "/", "a/b", "/a", "a/", "..", "a..b", "..a", "a..", ".", ".a", "-a",
		":a", "@a", "+a", "=a", "_a", "a b", " a", "a ", "a\tb", "a\nb",
		"a\rb", "a\x7f", "a\x01", "\xc3\xa9", "a\xc3\xa9", "a\\b", "a*b", "a?b",
		"a%2fb", "a;b", "a|b", "a\"b", "a'b", "a,b", "a#b", "a~b", "a(b)", "a[b]",
		"a{b}", "a<b>", "a!b", "a$b", "a&b", "a`b", "a^b",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(vg_name_check(bad[i], 64) == VG_ENAME, "\"%s\" accepted", bad[i]);
	ck_assert_int_eq(vg_name_check(NULL, 64), VG_ENAME);
}
END_TEST

/* A NUL ends a C string; what follows it is never seen. A name that starts
 * with NUL is empty. (The wire decoder refuses NUL inside strings before a
 * name reaches vg_name_check: see test_wire.c.) */
START_TEST(nul_bytes)
{
	static const char lead[] = "\0abc";
	static const char mid[] = "ab\0/../c";

	ck_assert_int_eq(vg_name_check(lead, 64), VG_ENAME);
	ck_assert_int_eq(vg_name_check(mid, 64), 0);  /* is "ab" */
	ck_assert_int_eq(vg_name_check(mid, 1), VG_ENAME);
}
END_TEST

START_TEST(length_limits)
{
	static const size_t limits[] = {
		VG_VAULT_NAME_MAX, VG_ITEM_NAME_MAX, VG_OBJECT_NAME_MAX, VG_PRINCIPAL_NAME_MAX,
	};
	char s[VG_OBJECT_NAME_MAX + 2];

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		size_t max = limits[i];
		memset(s, 'a', max + 1);
		s[max] = 0;
		ck_assert_msg(vg_name_check(s, max) == 0, "%zu bytes at max %zu", max, max);
		s[max] = 'a';
		s[max + 1] = 0;
		ck_assert_msg(vg_name_check(s, max) == VG_ENAME, "%zu bytes at max %zu", max + 1, max);
	}
	/* Not NUL-terminated within max+1 bytes: never read past that. */
	memset(s, 'a', sizeof(s));
	ck_assert_int_eq(vg_name_check(s, 10), VG_ENAME);
}
END_TEST

/* Every byte value in the second position: only the grammar's set passes. */
START_TEST(every_byte)
{
	static const char allowed[] = "._:@+=-";

	for (int c = 1; c < 256; c++) {
		char s[4] = {'a', (char)c, 'b', 0};
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		int ok = alnum || (strchr(allowed, c) != NULL);
		ck_assert_msg(vg_name_check(s, 64) == (ok ? 0 : VG_ENAME), "byte 0x%02x", c);
		/* First position: alphanumerics only. */
		s[0] = (char)c;
		s[1] = 'a';
		ck_assert_msg(vg_name_check(s, 64) == (alnum ? 0 : VG_ENAME), "first byte 0x%02x", c);
	}
}
END_TEST

/* The one hex-id checker (restic file ids in gateway and vaultd, the API's
 * point ids). */
START_TEST(hex_ids)
{
	static const char id64[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

	ck_assert_int_eq(vg_hexid_check(id64, 64), 0);
	ck_assert_int_eq(vg_hexid_check("00ff00ff00ff00ff", 16), 0);
	ck_assert_int_eq(vg_hexid_check("00FF00FF00FF00FF", 16), VG_ENAME);
	ck_assert_int_eq(vg_hexid_check("00ff00ff00ff00f", 16), VG_ENAME);
	ck_assert_int_eq(vg_hexid_check("00ff00ff00ff00ff0", 16), VG_ENAME);
	ck_assert_int_eq(vg_hexid_check("00ff00ff00ff00fg", 16), VG_ENAME);
	ck_assert_int_eq(vg_hexid_check("00ff00ff 0ff00ff", 16), VG_ENAME);
	ck_assert_int_eq(vg_hexid_check("", 16), VG_ENAME);
	ck_assert_int_eq(vg_hexid_check(NULL, 16), VG_ENAME);
	ck_assert_int_eq(vg_hexid_check(id64, 63), VG_ENAME);
}
END_TEST

Suite *names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("grammar");

	tcase_add_test(tc, accepted_names);
	tcase_add_test(tc, refused_names);
	tcase_add_test(tc, nul_bytes);
	tcase_add_test(tc, length_limits);
	tcase_add_test(tc, every_byte);
	tcase_add_test(tc, hex_ids);
	suite_add_tcase(s, tc);
	return s;
}
