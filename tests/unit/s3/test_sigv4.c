/* test_sigv4.c - the SigV4 canonical request (common/sigv4.c) and vaultd's
 * signing (vault/s3auth.c) against the worked examples of the AWS S3
 * documentation ("Authenticating Requests: Using the Authorization Header"
 * and "Query String Authentication", examplebucket, 20130524T000000Z),
 * written down here from the documented algorithm and its published
 * signatures; plus hostile input. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "s3auth.h"
#include "sigv4.h"
#include "vg_err.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static char *canon(const char *method, const char *path, const char *query, const char *head,
	const char *signed_headers, const char *payload, bool presigned, int *err)
{
	struct vg_wr w;
	char *s;

	vg_wr_init(&w, VG_SIGV4_CANON_MAX + 1);
	*err = vg_sigv4_canonical(&(struct vg_sigv4_req){method, path, query, head, strlen(head),
		signed_headers, payload, presigned}, &w);
	vg_wr_u8(&w, 0);
	s = strdup((const char *)w.p);
	vg_wr_free(&w);
	return s;
}

START_TEST(get_object_header)
{
	const char *head = "GET /test.txt HTTP/1.1\r\nHost: examplebucket.s3.amazonaws.com\r\n"
			   "Range: bytes=0-9\r\nx-amz-content-sha256:" EMPTY "\r\n"
			   "x-amz-date: 20130524T000000Z\r\n\r\n";
	const char *want = "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
			   "x-amz-content-sha256:" EMPTY "\nx-amz-date:20130524T000000Z\n\n"
			   "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY;
	char sig[65];
	int err;
	char *c = canon("GET", "/test.txt", "", head, "host;range;x-amz-content-sha256;x-amz-date",
		EMPTY, false, &err);

	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(c, want);
	ck_assert_int_eq(vs3_sign(SECRET, "20130524", "us-east-1", "s3", "20130524T000000Z", c,
		strlen(c), sig), 0);
	ck_assert_str_eq(sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	free(c);
}
END_TEST

START_TEST(list_objects_query)
{
	const char *head = "GET /?max-keys=2&prefix=J HTTP/1.1\r\nHost: examplebucket.s3.amazonaws.com\r\n"
			   "x-amz-date: 20130524T000000Z\r\nx-amz-content-sha256: " EMPTY "\r\n\r\n";
	char sig[65];
	int err;
	char *c = canon("GET", "/", "prefix=J&max-keys=2", head, "host;x-amz-content-sha256;x-amz-date",
		EMPTY, false, &err);

	ck_assert_int_eq(err, 0);
	ck_assert_ptr_nonnull(strstr(c, "\nmax-keys=2&prefix=J\n"));
	ck_assert_int_eq(vs3_sign(SECRET, "20130524", "us-east-1", "s3", "20130524T000000Z", c,
		strlen(c), sig), 0);
	ck_assert_str_eq(sig, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
	free(c);
}
END_TEST

START_TEST(presigned_get)
{
	const char *q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F"
			"20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&"
			"X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="
			"aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
	const char *head = "GET /test.txt?x HTTP/1.1\r\nHost: examplebucket.s3.amazonaws.com\r\n\r\n";
	struct vg_sigv4_auth a;
	char sig[65];
	int err;
	char *c;

	ck_assert_int_eq(vg_sigv4_parse_query(q, &a), 0);
	ck_assert(a.presigned);
	ck_assert_uint_eq(a.expires, 86400);
	ck_assert_str_eq(a.akid, "AKIAIOSFODNN7EXAMPLE");
	c = canon("GET", "/test.txt", q, head, a.signed_headers, "UNSIGNED-PAYLOAD", true, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_ptr_null(strstr(c, "X-Amz-Signature"));
	ck_assert_int_eq(vs3_sign(SECRET, a.date8, a.region, a.service, a.amz_date, c, strlen(c), sig), 0);
	ck_assert_str_eq(sig, a.signature);
	free(c);
}
END_TEST

START_TEST(encoding)
{
	struct vg_wr w;
	char out[64];
	size_t n;

	vg_wr_init(&w, 0);
	vg_sigv4_uri_encode(&w, "a b/ü+~*", 9, true);
	vg_wr_u8(&w, 0);
	ck_assert_str_eq((const char *)w.p, "a%20b/%C3%BC%2B~%2A");
	vg_wr_free(&w);
	ck_assert_int_eq(vg_sigv4_uri_decode("%2", 2, out, sizeof(out), &n), VG_EINVAL);
	ck_assert_int_eq(vg_sigv4_uri_decode("%zz", 3, out, sizeof(out), &n), VG_EINVAL);
	ck_assert_int_eq(vg_sigv4_uri_decode("%00", 3, out, sizeof(out), &n), VG_EINVAL);
	ck_assert_int_eq(vg_sigv4_uri_decode("abc", 3, out, 3, &n), VG_ETOOBIG);
	ck_assert_int_eq(vg_sigv4_uri_decode("a%2Fb", 5, out, sizeof(out), &n), 0);
	ck_assert_str_eq(out, "a/b");
}
END_TEST

START_TEST(hostile)
{
	struct vg_sigv4_auth a;
	struct vg_sigv4_creq q;
	int err;
	char *c;

	/* SignedHeaders out of order, duplicated, empty; missing fields */
	ck_assert_int_ne(vg_sigv4_parse_authz("AWS4-HMAC-SHA256 Credential=A/20130524/us-east-1/s3/"
		"aws4_request, SignedHeaders=x-amz-date;host, Signature=" EMPTY, &a), 0);
	ck_assert_int_ne(vg_sigv4_parse_authz("AWS4-HMAC-SHA256 Credential=A/20130524/us-east-1/s3/"
		"aws4_request, SignedHeaders=host;host, Signature=" EMPTY, &a), 0);
	ck_assert_int_ne(vg_sigv4_parse_authz("AWS4-HMAC-SHA256 Credential=A/2013052/us-east-1/s3/"
		"aws4_request, SignedHeaders=host, Signature=" EMPTY, &a), 0);
	ck_assert_int_ne(vg_sigv4_parse_authz("AWS4-HMAC-SHA256 Credential=A/20130524/us-east-1/s3/"
		"aws4_request, SignedHeaders=host", &a), 0);
	ck_assert_int_ne(vg_sigv4_parse_authz("AWS AKIA:abc", &a), 0);
	ck_assert_int_eq(vg_sigv4_parse_authz("AWS4-HMAC-SHA256 Credential=A/20130524/us-east-1/s3/"
		"aws4_request, SignedHeaders=host;x-amz-date, Signature=" EMPTY, &a), 0);
	ck_assert_str_eq(a.region, "us-east-1");
	/* a signed header the request does not have */
	c = canon("GET", "/x", "", "GET /x HTTP/1.1\r\nHost: h\r\n\r\n", "host;x-amz-date", EMPTY,
		false, &err);
	ck_assert_int_eq(err, VG_EINVAL);
	free(c);
	/* the request line is no header */
	c = canon("GET", "/x", "", "GET /x HTTP/1.1\r\nHost: h\r\n\r\n", "get /x http/1.1", EMPTY,
		false, &err);
	ck_assert_int_ne(err, 0);
	free(c);
	/* vaultd's split: truncated or NUL-holding canonical requests */
	ck_assert_int_ne(vg_sigv4_creq_split("GET\n/\n", 6, &q), 0);
	ck_assert_int_ne(vg_sigv4_creq_split("GET\n/\n\nhost:h\n\nhost\n", 20, &q), 0);
	ck_assert_int_ne(vg_sigv4_creq_split("GET\n/\n\nhost:h\n\nhost\nX\0Y", 24, &q), 0);
	ck_assert_int_eq(vg_sigv4_creq_split("GET\n/\n\nhost:h\n\nhost\nX", 21, &q), 0);
	ck_assert_int_ne(vg_sigv4_parse_amzdate("20131324T000000Z", &(uint64_t){0}), 0);
	ck_assert_int_ne(vg_sigv4_parse_amzdate("20130524T000000", &(uint64_t){0}), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sigv4");
	TCase *tc = tcase_create("sigv4");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, get_object_header);
	tcase_add_test(tc, list_objects_query);
	tcase_add_test(tc, presigned_get);
	tcase_add_test(tc, encoding);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
