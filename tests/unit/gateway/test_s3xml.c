/* test_s3xml.c - the S3 XML bodies and writer (gateway/s3/xml.c), good and
 * hostile. Its own runner (unit-s3xml): main() at the end. Every body is
 * copied into a buffer of exactly its length (no NUL after it), so ASan
 * sees any read past the end. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/xml.h"
#include "vg_err.h"

static char *exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(p);
	memcpy(p, s, n);
	return p;
}

/* Body copied to an exact-size buffer, parsed, freed: a comma expression
 * over file-scope temporaries (no statement expressions in ISO C). */
static char *g_b;
static size_t g_n;
static int g_r;
#define PARSE(fn, body, out, code) \
	(g_n = strlen(body), g_b = exact(body, g_n), g_r = fn(g_b, g_n, out, code), free(g_b), g_r)

/* A refusal with exactly this code, and nothing left to free. */
#define REFUSES(fn, type, body, want) \
	do { \
		type o_; \
		const char *c_ = NULL; \
		int r_ = PARSE(fn, body, &o_, &c_); \
		ck_assert_msg(r_ < 0, "accepted: %s", body); \
		ck_assert_ptr_nonnull(c_); \
		ck_assert_str_eq(c_, want); \
	} while (0)

START_TEST(delete_good)
{
	struct s3x_delete d;
	const char *code;
	const char *body =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
		"  <Quiet>true</Quiet>\n"
		"  <Object><Key>a/b.txt</Key></Object>\n"
		"  <Object><Key>x &amp; &lt;y&gt; \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80</Key>"
		"<VersionId>v1</VersionId><ETag>\"abc\"</ETag></Object>\n"
		"  <Object><Key><![CDATA[c<d]]></Key></Object>\n"
		"</Delete>";

	ck_assert_int_eq(PARSE(s3x_parse_delete, body, &d, &code), 0);
	ck_assert_int_eq(d.quiet, 1);
	ck_assert_uint_eq(d.n, 3);
	ck_assert_str_eq(d.obj[0].key, "a/b.txt");
	ck_assert_ptr_null(d.obj[0].version_id);
	ck_assert_str_eq(d.obj[1].key, "x & <y> \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	ck_assert_str_eq(d.obj[1].version_id, "v1");
	ck_assert_str_eq(d.obj[2].key, "c<d");
	s3x_delete_free(&d);
	ck_assert_uint_eq(d.n, 0);
	s3x_delete_free(NULL);

	/* A prefix bound to S3's namespace is the same element. */
	ck_assert_int_eq(PARSE(s3x_parse_delete,
			       "<s:Delete xmlns:s=\"" S3X_NS "\"><s:Object><s:Key>k</s:Key>"
			       "</s:Object></s:Delete>", &d, &code), 0);
	ck_assert_str_eq(d.obj[0].key, "k");
	ck_assert_int_eq(d.quiet, 0);
	s3x_delete_free(&d);
}
END_TEST

static char *many_objects(unsigned n, size_t keylen)
{
	size_t cap = 64 + (size_t)n * (keylen + 40);
	char *b = malloc(cap), *p = b;

	ck_assert_ptr_nonnull(b);
	p += sprintf(p, "<Delete>");
	for (unsigned i = 0; i < n; i++) {
		p += sprintf(p, "<Object><Key>");
		memset(p, 'k', keylen);
		p += keylen;
		p += sprintf(p, "</Key></Object>");
	}
	sprintf(p, "</Delete>");
	return b;
}

START_TEST(delete_limits)
{
	struct s3x_delete d;
	const char *code;
	char *b;

	b = many_objects(1000, 1024);
	ck_assert_int_eq(PARSE(s3x_parse_delete, b, &d, &code), 0);
	ck_assert_uint_eq(d.n, 1000);
	ck_assert_uint_eq(strlen(d.obj[999].key), 1024);
	s3x_delete_free(&d);
	free(b);

	b = many_objects(1001, 1);
	REFUSES(s3x_parse_delete, struct s3x_delete, b, "MalformedXML");
	free(b);

	b = many_objects(1, 1025);
	REFUSES(s3x_parse_delete, struct s3x_delete, b, "KeyTooLongError");
	free(b);
}
END_TEST

START_TEST(delete_hostile)
{
	/* No DTD, so no entity: billion laughs, external entities, or a
	 * harmless-looking internal subset all end at the DOCTYPE. */
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
		"<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
		"<Delete><Object><Key>&lol2;</Key></Object></Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		"<Delete><Object><Key>&x;</Key></Object></Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<!DOCTYPE Delete SYSTEM \"http://127.0.0.1/x.dtd\"><Delete><Object><Key>k</Key>"
		"</Object></Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete, "<!DOCTYPE Delete><Delete/>", "MalformedXML");
	/* Undeclared entity. */
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Object><Key>&foo;</Key></Object></Delete>", "MalformedXML");
	/* Not well-formed, wrong root, unknown or misplaced element, text
	 * where none belongs, two roots, trailing junk. */
	REFUSES(s3x_parse_delete, struct s3x_delete, "", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete, "   ", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete, "<Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Object><Key>k</Key></Object>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Remove><Object><Key>k</Key></Object></Remove>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Object><Key>k</Key><Evil/></Object></Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Key>k</Key></Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Object>text<Key>k</Key></Object></Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Object><Key>k<b/></Key></Object></Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Object><Key>k</Key></Object></Delete><Delete/>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Object><Key>k</Key></Object></Delete>junk", "MalformedXML");
	/* Required and duplicated elements. */
	REFUSES(s3x_parse_delete, struct s3x_delete, "<Delete></Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Object><VersionId>v</VersionId></Object></Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Quiet>true</Quiet><Quiet>false</Quiet><Object><Key>a</Key></Object>"
		"</Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Quiet>yes</Quiet><Object><Key>a</Key></Object></Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Object><Key></Key></Object></Delete>", "UserKeyMustBeSpecified");
	/* Bytes that are not UTF-8; a character reference to NUL. */
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Object><Key>\xff\xfe</Key></Object></Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Object><Key>\xc0\xaf</Key></Object></Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Object><Key>a&#0;b</Key></Object></Delete>", "MalformedXML");
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<Delete><Object><Key>&#xD800;</Key></Object></Delete>", "MalformedXML");
	/* An unbound prefix. */
	REFUSES(s3x_parse_delete, struct s3x_delete,
		"<x:Delete><Object><Key>k</Key></Object></x:Delete>", "MalformedXML");
}
END_TEST

START_TEST(delete_nul_inside)
{
	static const char body[] = "<Delete><Object><Key>a\0b</Key></Object></Delete>";
	struct s3x_delete d;
	const char *code;
	char *b = exact(body, sizeof(body) - 1);

	ck_assert_int_lt(s3x_parse_delete(b, sizeof(body) - 1, &d, &code), 0);
	ck_assert_str_eq(code, "MalformedXML");
	free(b);
}
END_TEST

START_TEST(depth_and_size)
{
	struct s3x_delete d;
	const char *code;
	size_t big = S3X_BODY_MAX + 1;
	char *b = malloc(big), *p;

	ck_assert_ptr_nonnull(b);
	memset(b, ' ', big);
	ck_assert_int_eq(s3x_parse_delete(b, big, &d, &code), VG_ETOOBIG);
	ck_assert_str_eq(code, "MaxMessageLengthExceeded");
	free(b);

	/* 100000 nested elements: refused at the first unknown one, the
	 * stack never grows. */
	b = malloc(100000 * 8 + 16);
	ck_assert_ptr_nonnull(b);
	p = b;
	for (int i = 0; i < 100000; i++)
		p += sprintf(p, "<Delete");
	for (int i = 0; i < 100000; i++)
		p += sprintf(p, ">");
	REFUSES(s3x_parse_delete, struct s3x_delete, b, "MalformedXML");
	free(b);
}
END_TEST

START_TEST(complete)
{
	struct s3x_complete c;
	const char *code;
	char *b, *p;

	ck_assert_int_eq(PARSE(s3x_parse_complete,
			       "<CompleteMultipartUpload xmlns=\"" S3X_NS "\">"
			       "<Part><PartNumber>1</PartNumber><ETag>\"0123abcd\"</ETag></Part>"
			       "<Part><ETag>ffff</ETag><PartNumber>3</PartNumber>"
			       "<ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>"
			       "</CompleteMultipartUpload>", &c, &code), 0);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_uint_eq(c.part[0].number, 1);
	ck_assert_str_eq(c.part[0].etag, "0123abcd");
	ck_assert_uint_eq(c.part[1].number, 3);
	ck_assert_str_eq(c.part[1].etag, "ffff");
	s3x_complete_free(&c);
	s3x_complete_free(NULL);

	REFUSES(s3x_parse_complete, struct s3x_complete,
		"<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>a</ETag></Part>"
		"<Part><PartNumber>1</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>",
		"InvalidPartOrder");
	REFUSES(s3x_parse_complete, struct s3x_complete,
		"<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>a</ETag></Part>"
		"<Part><PartNumber>2</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>",
		"InvalidPartOrder");
	REFUSES(s3x_parse_complete, struct s3x_complete,
		"<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>a</ETag></Part>"
		"</CompleteMultipartUpload>", "InvalidArgument");
	REFUSES(s3x_parse_complete, struct s3x_complete,
		"<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>a</ETag>"
		"</Part></CompleteMultipartUpload>", "InvalidArgument");
	REFUSES(s3x_parse_complete, struct s3x_complete,
		"<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>a</ETag>"
		"</Part></CompleteMultipartUpload>", "InvalidArgument");
	REFUSES(s3x_parse_complete, struct s3x_complete,
		"<CompleteMultipartUpload><Part><PartNumber>99999999999999999999</PartNumber>"
		"<ETag>a</ETag></Part></CompleteMultipartUpload>", "InvalidArgument");
	REFUSES(s3x_parse_complete, struct s3x_complete,
		"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part>"
		"</CompleteMultipartUpload>", "MalformedXML");
	REFUSES(s3x_parse_complete, struct s3x_complete,
		"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"\"</ETag>"
		"</Part></CompleteMultipartUpload>", "InvalidPart");
	REFUSES(s3x_parse_complete, struct s3x_complete,
		"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a b</ETag>"
		"</Part></CompleteMultipartUpload>", "InvalidPart");
	REFUSES(s3x_parse_complete, struct s3x_complete,
		"<CompleteMultipartUpload></CompleteMultipartUpload>", "MalformedXML");

	/* 10000 parts pass, 10001 do not. */
	b = malloc(10001 * 80 + 64);
	ck_assert_ptr_nonnull(b);
	p = b + sprintf(b, "<CompleteMultipartUpload>");
	for (int i = 1; i <= 10000; i++)
		p += sprintf(p, "<Part><PartNumber>%d</PartNumber><ETag>\"e%d\"</ETag></Part>", i, i);
	sprintf(p, "</CompleteMultipartUpload>");
	ck_assert_int_eq(PARSE(s3x_parse_complete, b, &c, &code), 0);
	ck_assert_uint_eq(c.n, 10000);
	ck_assert_uint_eq(c.part[9999].number, 10000);
	ck_assert_str_eq(c.part[9999].etag, "e10000");
	s3x_complete_free(&c);
	p += sprintf(p, "<Part><PartNumber>10000</PartNumber><ETag>x</ETag></Part>"
		     "</CompleteMultipartUpload>");
	REFUSES(s3x_parse_complete, struct s3x_complete, b, "MalformedXML");
	free(b);
}
END_TEST

START_TEST(lockcfg)
{
	struct s3x_lockcfg l;
	const char *code;

	ck_assert_int_eq(PARSE(s3x_parse_lockcfg,
			       "<ObjectLockConfiguration xmlns=\"" S3X_NS "\">"
			       "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
			       "<Mode>COMPLIANCE</Mode><Days>1</Days></DefaultRetention></Rule>"
			       "</ObjectLockConfiguration>", &l, &code), 0);
	ck_assert_int_eq(l.enabled, 1);
	ck_assert_int_eq(l.mode, S3X_COMPLIANCE);
	ck_assert_uint_eq(l.days, 1);
	ck_assert_uint_eq(l.years, 0);
	ck_assert_int_eq(PARSE(s3x_parse_lockcfg,
			       "<ObjectLockConfiguration><ObjectLockEnabled>Enabled"
			       "</ObjectLockEnabled><Rule><DefaultRetention><Years>2</Years>"
			       "<Mode>GOVERNANCE</Mode></DefaultRetention></Rule>"
			       "</ObjectLockConfiguration>", &l, &code), 0);
	ck_assert_int_eq(l.mode, S3X_GOVERNANCE);
	ck_assert_uint_eq(l.years, 2);
	ck_assert_int_eq(PARSE(s3x_parse_lockcfg,
			       "<ObjectLockConfiguration><ObjectLockEnabled>Enabled"
			       "</ObjectLockEnabled></ObjectLockConfiguration>", &l, &code), 0);
	ck_assert_int_eq(l.enabled, 1);
	ck_assert_int_eq(l.mode, S3X_NONE);

	REFUSES(s3x_parse_lockcfg, struct s3x_lockcfg,
		"<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled>"
		"</ObjectLockConfiguration>", "MalformedXML");
	REFUSES(s3x_parse_lockcfg, struct s3x_lockcfg,
		"<ObjectLockConfiguration><Rule><DefaultRetention><Mode>COMPLIANCE</Mode>"
		"<Days>1</Days><Years>1</Years></DefaultRetention></Rule>"
		"</ObjectLockConfiguration>", "MalformedXML");
	REFUSES(s3x_parse_lockcfg, struct s3x_lockcfg,
		"<ObjectLockConfiguration><Rule><DefaultRetention><Mode>COMPLIANCE</Mode>"
		"</DefaultRetention></Rule></ObjectLockConfiguration>", "MalformedXML");
	REFUSES(s3x_parse_lockcfg, struct s3x_lockcfg,
		"<ObjectLockConfiguration><Rule><DefaultRetention><Mode>COMPLIANCE</Mode>"
		"<Days>0</Days></DefaultRetention></Rule></ObjectLockConfiguration>",
		"InvalidArgument");
	REFUSES(s3x_parse_lockcfg, struct s3x_lockcfg,
		"<ObjectLockConfiguration><Rule><DefaultRetention><Mode>COMPLIANCE</Mode>"
		"<Days>1x</Days></DefaultRetention></Rule></ObjectLockConfiguration>",
		"InvalidArgument");
	REFUSES(s3x_parse_lockcfg, struct s3x_lockcfg,
		"<ObjectLockConfiguration><Rule><DefaultRetention><Mode>compliance</Mode>"
		"<Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>",
		"MalformedXML");
	REFUSES(s3x_parse_lockcfg, struct s3x_lockcfg,
		"<ObjectLockConfiguration><Rule><DefaultRetention><Days>1</Days>"
		"</DefaultRetention></Rule></ObjectLockConfiguration>", "MalformedXML");
	REFUSES(s3x_parse_lockcfg, struct s3x_lockcfg,
		"<ObjectLockConfiguration><Rule></Rule></ObjectLockConfiguration>", "MalformedXML");
}
END_TEST

START_TEST(retention_hold_versioning_bucket)
{
	struct s3x_retention r;
	struct s3x_hold h;
	struct s3x_versioning v;
	struct s3x_bucketcfg b;
	const char *code;

	ck_assert_int_eq(PARSE(s3x_parse_retention,
			       "<Retention xmlns=\"" S3X_NS "\"><Mode>GOVERNANCE</Mode>"
			       "<RetainUntilDate>2030-01-02T03:04:05.000Z</RetainUntilDate>"
			       "</Retention>", &r, &code), 0);
	ck_assert_int_eq(r.mode, S3X_GOVERNANCE);
	ck_assert_str_eq(r.until, "2030-01-02T03:04:05.000Z");
	ck_assert_int_eq(PARSE(s3x_parse_retention, "<Retention/>", &r, &code), 0);
	ck_assert_int_eq(r.mode, S3X_NONE);
	ck_assert_str_eq(r.until, "");
	REFUSES(s3x_parse_retention, struct s3x_retention,
		"<Retention><Mode>GOVERNANCE</Mode></Retention>", "MalformedXML");
	REFUSES(s3x_parse_retention, struct s3x_retention,
		"<Retention><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>",
		"MalformedXML");
	REFUSES(s3x_parse_retention, struct s3x_retention,
		"<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>tomorrow</RetainUntilDate>"
		"</Retention>", "InvalidArgument");
	REFUSES(s3x_parse_retention, struct s3x_retention,
		"<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>"
		"2030-01-01T00:00:00.000000000000000000000000000000Z</RetainUntilDate>"
		"</Retention>", "InvalidArgument");
	REFUSES(s3x_parse_retention, struct s3x_retention,
		"<Retention><Mode>FOREVER</Mode><RetainUntilDate>2030-01-01T00:00:00Z"
		"</RetainUntilDate></Retention>", "MalformedXML");

	ck_assert_int_eq(PARSE(s3x_parse_hold, "<LegalHold><Status>ON</Status></LegalHold>", &h,
			       &code), 0);
	ck_assert_int_eq(h.on, 1);
	ck_assert_int_eq(PARSE(s3x_parse_hold,
			       "<LegalHold xmlns=\"" S3X_NS "\"> <Status>OFF</Status>\n</LegalHold>",
			       &h, &code), 0);
	ck_assert_int_eq(h.on, 0);
	REFUSES(s3x_parse_hold, struct s3x_hold, "<LegalHold></LegalHold>", "MalformedXML");
	REFUSES(s3x_parse_hold, struct s3x_hold, "<LegalHold><Status>on</Status></LegalHold>",
		"MalformedXML");

	ck_assert_int_eq(PARSE(s3x_parse_versioning,
			       "<VersioningConfiguration><Status>Enabled</Status>"
			       "</VersioningConfiguration>", &v, &code), 0);
	ck_assert_int_eq(v.enabled, 1);
	ck_assert_int_eq(v.suspended, 0);
	ck_assert_int_eq(PARSE(s3x_parse_versioning,
			       "<VersioningConfiguration><Status>Suspended</Status>"
			       "<MfaDelete>Disabled</MfaDelete></VersioningConfiguration>", &v,
			       &code), 0);
	ck_assert_int_eq(v.suspended, 1);
	REFUSES(s3x_parse_versioning, struct s3x_versioning,
		"<VersioningConfiguration><Status>Off</Status></VersioningConfiguration>",
		"MalformedXML");

	ck_assert_int_eq(s3x_parse_bucketcfg(NULL, 0, &b, &code), 0);
	ck_assert_str_eq(b.region, "");
	ck_assert_int_eq(PARSE(s3x_parse_bucketcfg,
			       "<CreateBucketConfiguration xmlns=\"" S3X_NS "\"><LocationConstraint>"
			       "eu-west-1</LocationConstraint></CreateBucketConfiguration>", &b,
			       &code), 0);
	ck_assert_str_eq(b.region, "eu-west-1");
	REFUSES(s3x_parse_bucketcfg, struct s3x_bucketcfg,
		"<CreateBucketConfiguration><LocationConstraint>../x</LocationConstraint>"
		"</CreateBucketConfiguration>", "InvalidLocationConstraint");
	REFUSES(s3x_parse_bucketcfg, struct s3x_bucketcfg,
		"<CreateBucketConfiguration><LocationConstraint>"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"</LocationConstraint></CreateBucketConfiguration>", "InvalidLocationConstraint");
}
END_TEST

START_TEST(utf8)
{
	ck_assert(s3x_utf8_valid("", 0));
	ck_assert(s3x_utf8_valid("abc\xc3\xa9\xf4\x8f\xbf\xbf", 9));
	ck_assert(!s3x_utf8_valid("\xf4\x90\x80\x80", 4));   /* > U+10FFFF */
	ck_assert(!s3x_utf8_valid("\xed\xa0\x80", 3));       /* surrogate */
	ck_assert(!s3x_utf8_valid("\xe0\x80\xaf", 3));       /* overlong */
	ck_assert(!s3x_utf8_valid("\xc3", 1));               /* truncated */
	ck_assert(!s3x_utf8_valid("a\0b", 3));
	ck_assert(!s3x_key_valid("", 0));
}
END_TEST

START_TEST(writer)
{
	struct vg_wr w;

	vg_wr_init(&w, 0);
	s3x_doc(&w, "ListBucketResult");
	s3x_elem(&w, "Name", "b");
	s3x_elem(&w, "Key", "a&b<c>\"d'\x01\t\xc3\xa9");
	s3x_elemf(&w, "MaxKeys", "%d", 1000);
	s3x_close(&w, "ListBucketResult");
	vg_wr_u8(&w, 0);
	ck_assert_int_eq(w.err, 0);
	ck_assert_str_eq((char *)w.p,
			 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			 "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
			 "<Name>b</Name><Key>a&amp;b&lt;c&gt;&quot;d&apos;&#x01;&#x09;\xc3\xa9</Key>"
			 "<MaxKeys>1000</MaxKeys></ListBucketResult>");
	vg_wr_reset(&w);
	s3x_error(&w, "NoSuchKey", "The specified key does not exist.", "/b/<k>", "r1");
	vg_wr_u8(&w, 0);
	ck_assert_str_eq((char *)w.p,
			 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
			 "<Message>The specified key does not exist.</Message>"
			 "<Resource>/b/&lt;k&gt;</Resource><RequestId>r1</RequestId></Error>");
	/* The writer's output goes back through expat as the same text. */
	{
		struct s3x_delete d;
		const char *code;

		vg_wr_reset(&w);
		s3x_open(&w, "Delete");
		s3x_open(&w, "Object");
		s3x_elem(&w, "Key", "a&b<c>\"d'\t\xc3\xa9");
		s3x_close(&w, "Object");
		s3x_close(&w, "Delete");
		ck_assert_int_eq(s3x_parse_delete((char *)w.p, w.len, &d, &code), 0);
		ck_assert_str_eq(d.obj[0].key, "a&b<c>\"d'\t\xc3\xa9");
		s3x_delete_free(&d);
	}
	/* Not UTF-8: the writer is poisoned, nothing malformed goes out. */
	vg_wr_reset(&w);
	s3x_elem(&w, "Key", "\xff");
	ck_assert_int_eq(w.err, VG_EINVAL);
	vg_wr_free(&w);
	{
		char big[600];

		vg_wr_init(&w, 0);
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		s3x_elemf(&w, "M", "%s", big);
		ck_assert_int_eq(w.err, 0);
		ck_assert_uint_eq(w.len, 599 + 7);
		vg_wr_free(&w);
	}
}
END_TEST

static Suite *s3xml_suite(void)
{
	Suite *s = suite_create("s3xml");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, delete_good);
	tcase_add_test(tc, delete_limits);
	tcase_add_test(tc, delete_hostile);
	tcase_add_test(tc, delete_nul_inside);
	tcase_add_test(tc, depth_and_size);
	tcase_add_test(tc, complete);
	tcase_add_test(tc, lockcfg);
	tcase_add_test(tc, retention_hold_versioning_bucket);
	tcase_add_test(tc, utf8);
	tcase_add_test(tc, writer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(s3xml_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
