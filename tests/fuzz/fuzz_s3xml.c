/* fuzz_s3xml.c - libFuzzer harness: the S3 request bodies vaultgw parses
 * (gateway/s3/xml.c). The first byte picks the document, the rest is the
 * body. Beyond not crashing: whatever a parser accepts stays within the
 * limits xml.h promises, and a refusal always names an S3 error code. */
#include <string.h>

#include "fuzz.h"
#include "s3/xml.h"

static void check_delete(const char *b, size_t n)
{
	struct s3x_delete d;
	const char *code = NULL;

	if (s3x_parse_delete(b, n, &d, &code)) {
		FUZZ_CHECK(code && *code && d.n == 0 && !d.obj);
		return;
	}
	FUZZ_CHECK(d.n >= 1 && d.n <= S3X_DELETE_MAX);
	for (size_t i = 0; i < d.n; i++) {
		FUZZ_CHECK(d.obj[i].key && s3x_key_valid(d.obj[i].key, strlen(d.obj[i].key)));
		FUZZ_CHECK(!d.obj[i].version_id || (*d.obj[i].version_id &&
			   s3x_utf8_valid(d.obj[i].version_id, strlen(d.obj[i].version_id))));
	}
	s3x_delete_free(&d);
}

static void check_complete(const char *b, size_t n)
{
	struct s3x_complete c;
	const char *code = NULL;

	if (s3x_parse_complete(b, n, &c, &code)) {
		FUZZ_CHECK(code && *code && c.n == 0 && !c.part);
		return;
	}
	FUZZ_CHECK(c.n >= 1 && c.n <= S3X_PARTS_MAX);
	for (size_t i = 0; i < c.n; i++) {
		FUZZ_CHECK(c.part[i].number >= 1 && c.part[i].number <= S3X_PARTS_MAX);
		FUZZ_CHECK(i == 0 || c.part[i].number > c.part[i - 1].number);
		FUZZ_CHECK(c.part[i].etag[0] && strlen(c.part[i].etag) < sizeof(c.part[i].etag));
	}
	s3x_complete_free(&c);
}

static void check_small(unsigned which, const char *b, size_t n)
{
	const char *code = NULL;
	int r;

	switch (which) {
	case 0: {
		struct s3x_lockcfg l;

		r = s3x_parse_lockcfg(b, n, &l, &code);
		if (!r)
			FUZZ_CHECK(l.mode == S3X_NONE ? (l.days == 0 && l.years == 0)
						      : ((l.days != 0) != (l.years != 0)));
		break;
	}
	case 1: {
		struct s3x_retention t;

		r = s3x_parse_retention(b, n, &t, &code);
		if (!r)
			FUZZ_CHECK((t.mode == S3X_NONE) == (t.until[0] == 0) &&
				   strlen(t.until) < sizeof(t.until));
		break;
	}
	case 2: {
		struct s3x_hold h;

		r = s3x_parse_hold(b, n, &h, &code);
		if (!r)
			FUZZ_CHECK(h.on == 0 || h.on == 1);
		break;
	}
	case 3: {
		struct s3x_versioning v;

		r = s3x_parse_versioning(b, n, &v, &code);
		break;
	}
	default: {
		struct s3x_bucketcfg c;

		r = s3x_parse_bucketcfg(b, n, &c, &code);
		if (!r)
			FUZZ_CHECK(strlen(c.region) < sizeof(c.region));
		break;
	}
	}
	FUZZ_CHECK(r == 0 || (code && *code));
}

/* The writer: any accepted text escapes to something expat reads back
 * as the same text. */
static void check_writer(const char *b, size_t n)
{
	struct vg_wr w;
	struct s3x_delete d;
	const char *code;

	if (!s3x_key_valid(b, n))
		return;
	vg_wr_init(&w, 0);
	s3x_open(&w, "Delete");
	s3x_open(&w, "Object");
	s3x_elemn(&w, "Key", b, n);
	s3x_close(&w, "Object");
	s3x_close(&w, "Delete");
	FUZZ_CHECK(w.err == 0);
	/* XML 1.0 cannot carry most control bytes even as references: only
	 * those without them come back. */
	if (s3x_parse_delete((const char *)w.p, w.len, &d, &code) == 0) {
		FUZZ_CHECK(d.n == 1 && strlen(d.obj[0].key) == n);
		FUZZ_CHECK(memcmp(d.obj[0].key, b, n) == 0);
		s3x_delete_free(&d);
	} else {
		int ctl = 0;

		for (size_t i = 0; i < n; i++)
			ctl |= (unsigned char)b[i] < 0x20 && b[i] != '\t' && b[i] != '\n' &&
			       b[i] != '\r';
		FUZZ_CHECK(ctl);
	}
	vg_wr_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *b = (const char *)data + 1;
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1;
	switch (data[0] & 7) {
	case 0: check_delete(b, n); break;
	case 1: check_complete(b, n); break;
	case 7: check_writer(b, n); break;
	default: check_small((data[0] & 7) - 2u, b, n); break;
	}
	return 0;
}
