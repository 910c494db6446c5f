/* test_webhook.c - the webhook URL grammar (webhook.c): what is accepted,
 * and every refusal with its reason. */
#include <check.h>
#include <string.h>

#include "cmk_suites.h"
#include "vg_err.h"
#include "webhook.h"

START_TEST(accepted)
{
	struct wh_url u;
	char why[300];

	ck_assert_int_eq(wh_url_parse("https://127.0.0.1:8443/hook", &u, why, sizeof(why)), 0);
	ck_assert_str_eq(u.host, "127.0.0.1");
	ck_assert_str_eq(u.port, "8443");
	ck_assert_str_eq(u.path, "/hook");
	ck_assert_int_eq(u.ip, 1);
	ck_assert_int_eq(wh_url_parse("https://alerts.corp.example/v1/in?x=1", &u, why, sizeof(why)), 0);
	ck_assert_str_eq(u.host, "alerts.corp.example");
	ck_assert_str_eq(u.port, "443");
	ck_assert_str_eq(u.path, "/v1/in?x=1");
	ck_assert_int_eq(u.ip, 0);
	ck_assert_int_eq(wh_url_parse("https://[fd00::1]:9/", &u, why, sizeof(why)), 0);
	ck_assert_str_eq(u.host, "fd00::1");
	ck_assert_str_eq(u.port, "9");
	ck_assert_int_eq(u.ip, 1);
}
END_TEST

START_TEST(refused)
{
	static const struct {
		const char *url, *why;
	} cases[] = {
		{"http://127.0.0.1/hook", "webhook URL \"http://127.0.0.1/hook\": must start with https://"},
		{"https:///hook", "webhook URL \"https:///hook\": bad host"},
		{"https://user@host/hook", "webhook URL \"https://user@host/hook\": the path must start with / (and be shorter than 1 KiB)"},
		{"https://host:0/", "webhook URL \"https://host:0/\": port 0 out of range"},
		{"https://host:65536/", "webhook URL \"https://host:65536/\": port 65536 out of range"},
		{"https://host:/", "webhook URL \"https://host:/\": bad port"},
		{"https://host", "webhook URL \"https://host\": the path must start with / (and be shorter than 1 KiB)"},
		{"https://host/a b", "webhook URL \"https://host/a b\": space, '#' or control byte in the path"},
		{"https://host/a#frag", "webhook URL \"https://host/a#frag\": space, '#' or control byte in the path"},
		{"https://[fd00::1/", "webhook URL \"https://[fd00::1/\": unterminated [IPv6 address]"},
		{"https://[nonsense]/", "webhook URL \"https://[nonsense]/\": bad IPv6 address"},
	};
	struct wh_url u;
	char why[300];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(wh_url_parse(cases[i].url, &u, why, sizeof(why)), VG_EINVAL);
		ck_assert_str_eq(why, cases[i].why);
	}
}
END_TEST

START_TEST(client_needs_a_readable_ca)
{
	struct wh_client *w = (void *)1;
	char why[300];

	ck_assert_int_eq(wh_client_new("https://127.0.0.1:1/h", "/nonexistent/ca.pem", &w, why, sizeof(why)),
		VG_EINVAL);
	ck_assert_ptr_null(w);
	ck_assert_ptr_nonnull(strstr(why, "/nonexistent/ca.pem"));
}
END_TEST

Suite *webhook_suite(void)
{
	Suite *s = suite_create("webhook");
	TCase *tc = tcase_create("url");

	tcase_add_test(tc, accepted);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, client_needs_a_readable_ca);
	suite_add_tcase(s, tc);
	return s;
}
