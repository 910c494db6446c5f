/* fuzz_sigv4.c - libFuzzer harness: the SigV4 canonicaliser (common/sigv4.c),
 * both sides. The input is split at its first two newlines into an
 * Authorization header (or a presigned query), a raw query and a raw
 * request head. Beyond not crashing: whatever the gateway builds, vaultd's
 * split accepts, and the split gives back the method, the signed headers
 * and the payload hash that went in; query parameters read back decode. */
#include <string.h>

#include "fuzz.h"
#include "sigv4.h"
#include "vg_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[24576], *authz, *query, *head;
	struct vg_sigv4_auth a;
	struct vg_sigv4_creq q;
	struct vg_wr w;
	char v[256];
	size_t hl;
	int r;

	if (size >= sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	authz = buf;
	if (memchr(buf, 0, size))
		return 0;  /* a head never holds NUL (http.c) */
	query = strchr(authz, '\n');
	if (!query)
		return 0;
	*query++ = 0;
	head = strchr(query, '\n');
	if (!head)
		return 0;
	*head++ = 0;
	hl = strlen(head);
	if (vg_sigv4_parse_authz(authz, &a) != 0 && vg_sigv4_parse_query(query, &a) != 0)
		return 0;
	FUZZ_CHECK(strlen(a.signature) == 64 && strlen(a.date8) == 8 && *a.akid);
	vg_wr_init(&w, VG_SIGV4_CANON_MAX + 1);
	r = vg_sigv4_canonical(&(struct vg_sigv4_req){"GET", "/b/k%20x", query, head, hl,
		a.signed_headers, "UNSIGNED-PAYLOAD", a.presigned}, &w);
	if (r == 0) {
		FUZZ_CHECK(vg_sigv4_creq_split((const char *)w.p, w.len, &q) == 0);
		FUZZ_CHECK(q.method_len == 3 && memcmp(q.method, "GET", 3) == 0);
		FUZZ_CHECK(q.signed_len == strlen(a.signed_headers) &&
			   memcmp(q.signed_headers, a.signed_headers, q.signed_len) == 0);
		FUZZ_CHECK(q.payload_len == 16 && memcmp(q.payload, "UNSIGNED-PAYLOAD", 16) == 0);
		FUZZ_CHECK(q.path_len == 8 && memcmp(q.path, "/b/k%20x", 8) == 0);
		(void)vg_sigv4_creq_param(&q, "versionId", v, sizeof(v));
		(void)vg_sigv4_creq_header(&q, "host", v, sizeof(v));
	}
	vg_wr_free(&w);
	return 0;
}
