/* test_config.c - strict configuration parsing (gateway/config.c). */
#include <string.h>

#include "config.h"
#include "suites.h"
#include "vg_err.h"

static struct gw_config C;
static char why[512];

static int load(const char *text)
{
	memset(why, 0, sizeof(why));
	ck_assert_int_eq(gw_config_defaults(&C), 0);
	return gw_config_parse("t.conf", text, strlen(text), &C, why, sizeof(why));
}

static void bad(const char *text, const char *want)
{
	ck_assert_int_ne(load(text), 0);
	if (!strstr(why, want))
		ck_abort_msg("for %s: message '%s' lacks '%s'", text, why, want);
}

START_TEST(defaults)
{
	ck_assert_int_eq(load(""), 0);
	ck_assert_int_eq(C.nlisten, 1);
	ck_assert_str_eq(C.listen[0].text, "0.0.0.0:443");
	ck_assert_str_eq(C.user, "vaultgw");
	ck_assert_str_eq(C.restic_vault, "default");
	ck_assert_uint_eq(C.max_header_bytes, 16384);
	ck_assert_ptr_null(C.tls_cert);
	gw_config_free(&C);
}
END_TEST

START_TEST(full)
{
	ck_assert_int_eq(load("# comment\n\nlisten = 127.0.0.1:8443\nlisten=[::1]:8443\r\n"
			      "  user = nobody  \nheader_timeout = 3\nrestic_vault = v1\n"
			      "tls_cert = /a/c.pem\ntls_key = /a/k.pem\nmax_body_restic = 1024\n"), 0);
	ck_assert_int_eq(C.nlisten, 2);
	ck_assert_str_eq(C.listen[1].host, "::1");
	ck_assert_str_eq(C.user, "nobody");
	ck_assert_uint_eq(C.header_timeout, 3);
	ck_assert_str_eq(C.restic_vault, "v1");
	ck_assert_str_eq(C.tls_key, "/a/k.pem");
	gw_config_free(&C);
	gw_config_free(NULL);
}
END_TEST

START_TEST(refused)
{
	bad("nosuchkey = 1\n", "t.conf:1: unknown key 'nosuchkey'");
	bad("\n\nheader_timeout = 0\n", "t.conf:3: header_timeout: '0' is not a number in 1..600");
	bad("header_timeout = 10s\n", "t.conf:1: header_timeout: '10s'");
	bad("header_timeout = -1\n", "'-1'");
	bad("header_timeout = 1\nheader_timeout = 2\n", "t.conf:2: header_timeout given twice");
	bad("max_header_bytes = 99999999999999999999999\n", "t.conf:1: max_header_bytes");
	bad("listen = 127.0.0.1\n", "t.conf:1: listen: '127.0.0.1' is not ADDRESS:PORT");
	bad("listen = 127.0.0.1:0\n", "listen");
	bad("listen = 127.0.0.1:65536\n", "listen");
	bad("listen = ::1:443\n", "listen");
	bad("listen = [::1]443\n", "listen");
	bad("listen = host.example:443\n", "listen");
	bad("user\n", "t.conf:1: expected 'key = value'");
	bad("user =\n", "t.conf:1: user: empty value");
	bad("vaultd_socket = relative/path\n", "not an absolute path");
	bad("restic_vault = ../x\n", "not a valid vault name");
	bad("tls_cert = /a\n", "tls_cert and tls_key must be given together");
	bad("user = a\tb\n", "control character");
	bad("max_connections = 10\nmax_connections_per_principal = 11\n", "exceeds max_connections");
	bad("vaultd_connections = 8\nvaultd_links_per_principal = 9\n",
		"vaultd_links_per_principal 9 must be at most");
	bad("vaultd_connections = 8\nvaultd_links_reserved = 8\n", "vaultd_links_reserved 8 below");
	/* Unless given, the shares follow the pool: a quarter each. */
	ck_assert_int_eq(gw_config_defaults(&C), 0);
	ck_assert_int_eq(gw_config_parse("t.conf", "vaultd_connections = 8\n", 23, &C, why,
		sizeof(why)), 0);
	ck_assert_uint_eq(C.vaultd_links_per_principal, 2);
	ck_assert_uint_eq(C.vaultd_links_reserved, 2);
	gw_config_free(&C);
	ck_assert_int_eq(gw_config_defaults(&C), 0);
	ck_assert_int_eq(gw_config_parse("t.conf", "vaultd_connections = 1\n", 23, &C, why,
		sizeof(why)), 0);
	ck_assert_uint_eq(C.vaultd_links_per_principal, 1);
	ck_assert_uint_eq(C.vaultd_links_reserved, 0);
	gw_config_free(&C);
	{
		static const char nul[] = "user = a\0b\n";
		ck_assert_int_eq(gw_config_defaults(&C), 0);
		ck_assert_int_ne(gw_config_parse("t.conf", nul, sizeof(nul) - 1, &C, why, sizeof(why)), 0);
		ck_assert_ptr_nonnull(strstr(why, "NUL"));
	}
}
END_TEST

START_TEST(long_line)
{
	char text[2100];

	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = 0;
	bad(text, "line longer than");
}
END_TEST

START_TEST(listen_parse)
{
	struct gw_listen l;

	ck_assert_int_eq(gw_parse_listen("10.1.2.3:443", &l), 0);
	ck_assert_str_eq(l.host, "10.1.2.3");
	ck_assert_int_eq(gw_parse_listen("[fd00::1]:8443", &l), 0);
	ck_assert_str_eq(l.host, "fd00::1");
	ck_assert_int_eq(gw_parse_listen("[fd00::1]", &l), VG_EINVAL);
	ck_assert_int_eq(gw_parse_listen(":443", &l), VG_EINVAL);
	ck_assert_int_eq(gw_parse_listen("1.2.3.4:", &l), VG_EINVAL);
	ck_assert_int_eq(gw_parse_listen("1.2.3.4:44x", &l), VG_EINVAL);
	ck_assert_int_eq(gw_parse_listen("[]:443", &l), VG_EINVAL);
}
END_TEST

Suite *gw_config_suite(void)
{
	Suite *s = suite_create("gw_config");
	TCase *t = tcase_create("core");

	tcase_add_test(t, defaults);
	tcase_add_test(t, full);
	tcase_add_test(t, refused);
	tcase_add_test(t, long_line);
	tcase_add_test(t, listen_parse);
	suite_add_tcase(s, t);
	return s;
}
