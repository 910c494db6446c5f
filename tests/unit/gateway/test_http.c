/* test_http.c - request head parsing and chunked decoding (gateway/http.c),
 * with the refusals a front end must make to avoid request smuggling. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "suites.h"
#include "vg_err.h"

static struct gw_http_req R;

/* Parses a whole head; returns gw_http_head_parse's result, or 1 if the
 * head finder did not see a complete head. */
static int parse(const char *s)
{
	size_t start, end;

	if (!gw_http_head_find((const uint8_t *)s, strlen(s), &start, &end))
		return 1;
	return gw_http_head_parse(&R, (const uint8_t *)s + start, end - start, 1024);
}

static void refused(const char *s, int status)
{
	int r = parse(s);

	ck_assert_int_eq(r, VG_EPROTO);
	ck_assert_int_eq(R.status, status);
	ck_assert_ptr_nonnull(R.why);
}

START_TEST(head_find)
{
	size_t s, e;
	const char *a = "GET / HTTP/1.1\r\nHost: x\r\n\r\nNEXT";

	ck_assert_int_eq(gw_http_head_find((const uint8_t *)a, strlen(a), &s, &e), 1);
	ck_assert_uint_eq(s, 0);
	ck_assert_uint_eq(e, strlen(a) - 4);
	ck_assert_int_eq(gw_http_head_find((const uint8_t *)a, 20, &s, &e), 0);
	a = "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
	ck_assert_int_eq(gw_http_head_find((const uint8_t *)a, strlen(a), &s, &e), 1);
	ck_assert_uint_eq(s, 4);
	ck_assert_uint_eq(e, strlen(a));
	a = "GET / HTTP/1.1\nHost: x\n\n";
	ck_assert_int_eq(gw_http_head_find((const uint8_t *)a, strlen(a), &s, &e), 1);
}
END_TEST

START_TEST(parse_get)
{
	ck_assert_int_eq(parse("GET /restic/r1/keys/?x=1 HTTP/1.1\r\nHost: h\r\n"
			       "Accept: application/vnd.x.restic.rest.v2\r\n"
			       "Authorization:  Basic YTpi  \r\nRange: bytes=1-2\r\n\r\n"), 0);
	ck_assert_int_eq(R.method, GW_M_GET);
	ck_assert_str_eq(R.path, "/restic/r1/keys/");
	ck_assert_str_eq(R.query, "x=1");
	ck_assert_str_eq(R.host, "h");
	ck_assert_str_eq(R.authorization, "Basic YTpi");
	ck_assert_str_eq(R.range, "bytes=1-2");
	ck_assert(R.has_range);
	ck_assert(R.keep_alive);
	ck_assert_int_eq(R.body, GW_BODY_NONE);
	ck_assert_int_eq(R.minor, 1);
}
END_TEST

START_TEST(parse_bodies)
{
	ck_assert_int_eq(parse("PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 12345\r\n"
			       "Expect: 100-continue\r\n\r\n"), 0);
	ck_assert_int_eq(R.body, GW_BODY_LENGTH);
	ck_assert_uint_eq(R.content_length, 12345);
	ck_assert(R.expect_continue);
	ck_assert_int_eq(parse("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
	ck_assert_int_eq(R.body, GW_BODY_CHUNKED);
	ck_assert_int_eq(parse("GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"), 0);
	ck_assert(!R.keep_alive);
	ck_assert_int_eq(parse("GET /a HTTP/1.0\r\n\r\n"), 0);
	ck_assert(!R.keep_alive);
	ck_assert_int_eq(R.minor, 0);
	ck_assert_int_eq(parse("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 0);
	ck_assert(R.keep_alive);
	ck_assert_int_eq(parse("GET /a HTTP/1.1\r\nHost: h\r\nAccept: a\r\nAccept: b\r\n\r\n"), 0);
	ck_assert_str_eq(R.accept, "a, b");
}
END_TEST

START_TEST(smuggling_shapes)
{
	/* RFC 9112 §6.3: both framings, duplicates, unknown codings. */
	refused("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
	refused("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400);
	refused("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 400);
	refused("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400);
	refused("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n", 400);
	refused("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400);
	refused("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", 400);
	refused("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400);
	refused("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400);
	refused("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n", 400);
	refused("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
	refused("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n", 400);
	refused("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\x0b" "chunked\r\n\r\n", 400);
	refused("POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
	/* obs-fold, bare CR/LF, NUL */
	refused("GET /a HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n 2\r\n\r\n", 400);
	refused("GET /a HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\t2\r\n\r\n", 400);
	refused("GET /a HTTP/1.1\r\nHost: h\r\n Content-Length: 5\r\n\r\n", 400);
	refused("GET /a HTTP/1.1\nHost: h\n\n", 400);
	refused("GET /a HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400);
	refused("GET /a HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400);
	{
		static const char nul[] = "GET /a HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n";
		size_t s, e;
		ck_assert_int_eq(gw_http_head_find((const uint8_t *)nul, sizeof(nul) - 1, &s, &e), 1);
		ck_assert_int_eq(gw_http_head_parse(&R, (const uint8_t *)nul, e, 1024), VG_EPROTO);
		ck_assert_int_eq(R.status, 400);
	}
	/* duplicates of fields that must be single */
	refused("GET /a HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n", 400);
	refused("GET /a HTTP/1.1\r\nHost: h\r\nAuthorization: Basic YTpi\r\nAuthorization: Basic YTpj\r\n\r\n", 400);
	refused("GET /a HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n", 400);
}
END_TEST

START_TEST(other_refusals)
{
	char big[GW_TARGET_MAX + 64];

	refused("GET /a HTTP/1.1\r\n\r\n", 400);                     /* no Host */
	refused("GET /a HTTP/2.0\r\nHost: h\r\n\r\n", 505);
	refused("GET /a HTTP/1.2\r\nHost: h\r\n\r\n", 505);
	refused("FOO /a HTTP/1.1\r\nHost: h\r\n\r\n", 501);
	refused("TRACE /a HTTP/1.1\r\nHost: h\r\n\r\n", 501);
	refused("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	refused("GET http://h/a HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	refused("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	refused("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	refused("GET /a HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n", 417);
	refused("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	strcpy(big + GW_TARGET_MAX + 8, " HTTP/1.1\r\nHost: h\r\n\r\n");
	refused(big, 414);
	{
		char hdr[GW_AUTHZ_MAX + 100];
		memset(hdr, 0, sizeof(hdr));
		strcpy(hdr, "GET /a HTTP/1.1\r\nHost: h\r\nAuthorization: Basic ");
		memset(hdr + strlen(hdr), 'A', GW_AUTHZ_MAX);
		strcat(hdr, "\r\n\r\n");
		refused(hdr, 431);
	}
}
END_TEST

struct acc {
	char buf[256];
	size_t len;
};

static int acc_sink(void *arg, const uint8_t *p, size_t n)
{
	struct acc *a = arg;

	if (n > sizeof(a->buf) - a->len)
		return VG_ETOOBIG;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
	return 0;
}

static int feed_all(const char *body, size_t step, struct acc *a, size_t *rest)
{
	size_t off = 0, n = strlen(body), used;
	bool done = false;
	int r;

	R.sink = acc_sink;
	R.sink_arg = a;
	while (off < n && !done) {
		size_t k = n - off < step ? n - off : step;
		if ((r = gw_http_body_feed(&R, (const uint8_t *)body + off, k, &used, &done)))
			return r;
		off += used;
		if (!done)
			ck_assert_uint_eq(used, k);
	}
	*rest = n - off;
	return done ? 0 : 1;
}

START_TEST(chunked_decode)
{
	static const char body[] = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: v\r\n\r\nGET /next";
	size_t steps[] = {1, 2, 7, 1000};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct acc a = {.len = 0};
		size_t rest;
		ck_assert_int_eq(parse("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
		ck_assert_int_eq(feed_all(body, steps[i], &a, &rest), 0);
		ck_assert_uint_eq(a.len, 11);
		ck_assert(memcmp(a.buf, "hello world", 11) == 0);
		ck_assert_uint_eq(rest, strlen("GET /next"));
	}
}
END_TEST

START_TEST(chunked_bad)
{
	struct acc a = {.len = 0};
	size_t rest;

	ck_assert_int_eq(parse("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
	ck_assert_int_eq(feed_all("zz\r\nhello\r\n0\r\n\r\n", 100, &a, &rest), VG_EPROTO);
	ck_assert_int_eq(parse("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
	ck_assert_int_eq(feed_all("ffffffffffffffffff\r\n", 100, &a, &rest), VG_EPROTO);
	ck_assert_int_eq(parse("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
	ck_assert_int_eq(feed_all("5\r\nhelloXX0\r\n\r\n", 100, &a, &rest), VG_EPROTO);
	/* shapes llhttp 8.1 lets through; our framing check refuses them */
	{
		static const char *const lenient[] = {
			"5\r\nhello\r\n0\r\n\n",
			"5\r\nhello\n0\r\n\r\n",
			"5\r\nhello\r\n0\r\nX: y\r\n z\r\n\r\n",
			"5\nhello\r\n0\r\n\r\n",
			"5 \r\nhello\r\n0\r\n\r\n",
			"0x5\r\nhello\r\n0\r\n\r\n",
			"00000000000000005\r\nhello\r\n0\r\n\r\n",
			"5\r\nhello\r\n0\r\nX: y\n\r\n",
		};
		for (size_t i = 0; i < sizeof(lenient) / sizeof(lenient[0]); i++) {
			ck_assert_int_eq(parse("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
			a.len = 0;
			if (feed_all(lenient[i], 3, &a, &rest) != VG_EPROTO)
				ck_abort_msg("chunked body %zu was accepted", i);
			ck_assert_int_eq(R.status, 400);
		}
		a.len = 0;
	}
	/* the sink's error stops decoding and comes back as is */
	ck_assert_int_eq(parse("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
	a.len = sizeof(a.buf) - 2;
	ck_assert_int_eq(feed_all("5\r\nhello\r\n0\r\n\r\n", 100, &a, &rest), VG_ETOOBIG);
}
END_TEST

START_TEST(chunked_overhead_capped)
{
	char body[4096];
	struct acc a = {.len = 0};
	size_t rest;

	/* Trailers past the overhead budget (1024 here) are refused. */
	strcpy(body, "0\r\n");
	for (int i = 0; i < 60; i++)
		strcat(body, "X-Trailer-Field: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
	strcat(body, "\r\n");
	ck_assert_int_eq(parse("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
	ck_assert_int_eq(feed_all(body, 100, &a, &rest), VG_EPROTO);
	ck_assert_int_eq(R.status, 400);
}
END_TEST

Suite *gw_http_suite(void)
{
	Suite *s = suite_create("gw_http");
	TCase *t = tcase_create("core");

	tcase_add_test(t, head_find);
	tcase_add_test(t, parse_get);
	tcase_add_test(t, parse_bodies);
	tcase_add_test(t, smuggling_shapes);
	tcase_add_test(t, other_refusals);
	tcase_add_test(t, chunked_decode);
	tcase_add_test(t, chunked_bad);
	tcase_add_test(t, chunked_overhead_capped);
	suite_add_tcase(s, t);
	return s;
}
