/* test_ui.c - the console's parsers and its one escaping helper
 * (gateway/ui/html.c, session.c, ui.c): what reaches a page is escaped,
 * cookies and form fields are read exactly, CSRF tokens bind. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "suites.h"
#include "ui_int.h"
#include "vg_err.h"

START_TEST(escape_every_markup_byte)
{
	struct ui_buf b = {0};

	ui_esc(&b, "<script>alert('x')</script> & \"q\"");
	ck_assert_str_eq(b.p, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
	ui_buf_free(&b);
	ui_esc(&b, "");
	ck_assert(b.p == NULL || b.p[0] == 0);
	ui_buf_free(&b);
}
END_TEST

START_TEST(put_escapes_strings_only)
{
	struct ui_buf b = {0};

	ui_put(&b, "<td title=\"%s\">%s</td><b>%u</b> %b %t %t 100%%", "a\"b", "<i>", (uint64_t)42,
		(uint64_t)1536, (uint64_t)0, (uint64_t)86400);
	ck_assert_str_eq(b.p, "<td title=\"a&quot;b\">&lt;i&gt;</td><b>42</b> 1.5 KiB never "
		"1970-01-02 00:00:00Z 100%");
	ck_assert(!b.err);
	ui_buf_free(&b);
	/* a directive html.c does not know is a bug: the page is not sent */
	ui_put(&b, "%d", 5);
	ck_assert(b.err);
	ui_buf_free(&b);
}
END_TEST

START_TEST(cookie_exact_names)
{
	char v[80];

	ui_cookie("vguipre=aaa; vgui=bbb", UI_COOKIE, v, sizeof(v));
	ck_assert_str_eq(v, "bbb");
	ui_cookie("vguipre=aaa; vgui=bbb", UI_PRE_COOKIE, v, sizeof(v));
	ck_assert_str_eq(v, "aaa");
	ui_cookie("xvgui=1;vgui=2", UI_COOKIE, v, sizeof(v));
	ck_assert_str_eq(v, "2");
	ui_cookie("vgui", UI_COOKIE, v, sizeof(v));
	ck_assert_str_eq(v, "");
	ui_cookie("", UI_COOKIE, v, sizeof(v));
	ck_assert_str_eq(v, "");
	ui_cookie("vgui=0123456789", UI_COOKIE, v, 5);     /* too long: nothing */
	ck_assert_str_eq(v, "");
}
END_TEST

START_TEST(form_fields)
{
	char v[32];

	ck_assert_int_eq(ui_form_field("user=olga&token=vg_a%2Bb+c&csrf=00", "token", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "vg_a+b c");
	ck_assert_int_eq(ui_form_field("user=olga&xuser=bad", "user", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "olga");
	ck_assert_int_eq(ui_form_field("user=olga", "csrf", v, sizeof(v)), VG_ENOTFOUND);
	ck_assert_int_eq(ui_form_field("user=a%00b", "user", v, sizeof(v)), VG_EINVAL);
	ck_assert_int_eq(ui_form_field("user=a%4", "user", v, sizeof(v)), VG_EINVAL);
	ck_assert_int_eq(ui_form_field("user=a%zz", "user", v, sizeof(v)), VG_EINVAL);
	ck_assert_int_eq(ui_form_field("user=0123456789012345678901234567890123456789", "user", v,
		sizeof(v)), VG_EINVAL);
}
END_TEST

START_TEST(csrf_binds)
{
	char t[65], u[65];

	ui_csrf("pre:aaaa", t);
	ui_csrf("pre:aaab", u);
	ck_assert_uint_eq(strlen(t), 64);
	ck_assert(strcmp(t, u) != 0);
	ck_assert(ui_csrf_ok("pre:aaaa", t));
	ck_assert(!ui_csrf_ok("pre:aaab", t));
	ck_assert(!ui_csrf_ok("", t));
	t[63] ^= 1;
	ck_assert(!ui_csrf_ok("pre:aaaa", t));
	ck_assert(!ui_csrf_ok("pre:aaaa", ""));
}
END_TEST

START_TEST(sessions)
{
	char h[65], user[80], tok[300];

	ck_assert_int_eq(ui_sess_new("olga", "vg_secret", 60, 600, h), 0);
	ck_assert_uint_eq(strlen(h), 64);
	ck_assert_int_eq(ui_sess_get(h, user, sizeof(user), tok, sizeof(tok)), 0);
	ck_assert_str_eq(user, "olga");
	ck_assert_str_eq(tok, "vg_secret");
	ck_assert_int_eq(ui_sess_get("zz", user, sizeof(user), tok, sizeof(tok)), VG_ENOTFOUND);
	{
		char forged[65];
		memcpy(forged, h, 65);
		forged[0] = forged[0] == 'a' ? 'b' : 'a';
		ck_assert_int_eq(ui_sess_get(forged, user, sizeof(user), tok, sizeof(tok)), VG_ENOTFOUND);
	}
	ui_sess_end(h);
	ck_assert_int_eq(ui_sess_get(h, user, sizeof(user), tok, sizeof(tok)), VG_ENOTFOUND);
}
END_TEST

START_TEST(http_cookie_header)
{
	static const char req[] = "GET /ui/vaults HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\n"
				  "Cookie: vgui=2\r\n\r\n";
	struct gw_http_req *r = calloc(1, sizeof(*r));
	char v[16];

	ck_assert_int_eq(gw_http_head_parse(r, (const uint8_t *)req, sizeof(req) - 1, 4096), 0);
	ck_assert_str_eq(r->cookie, "a=1; vgui=2");
	ui_cookie(r->cookie, UI_COOKIE, v, sizeof(v));
	ck_assert_str_eq(v, "2");
	free(r);
}
END_TEST

Suite *gw_ui_suite(void)
{
	Suite *s = suite_create("ui");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, escape_every_markup_byte);
	tcase_add_test(tc, put_escapes_strings_only);
	tcase_add_test(tc, cookie_exact_names);
	tcase_add_test(tc, form_fields);
	tcase_add_test(tc, csrf_binds);
	tcase_add_test(tc, sessions);
	tcase_add_test(tc, http_cookie_header);
	suite_add_tcase(s, tc);
	return s;
}
