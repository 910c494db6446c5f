/* fuzz_http.c - libFuzzer harness: one client byte stream through the
 * gateway's request parsing, as a worker sees it (gateway/http.c): find the
 * head, parse it, decode a chunked body in pieces, and parse the fields the
 * routes interpret (Range, Authorization, the restic path, the query). */
#include <string.h>

#include "auth.h"
#include "fuzz.h"
#include "http.h"
#include "range.h"
#include "restic_path.h"
#include "router.h"

static int sink(void *arg, const uint8_t *p, size_t n)
{
	size_t *total = arg;

	if (n && p[0] == 0xff && p[n - 1] == 0xff)
		return -1;  /* exercise the sink-error path now and then */
	*total += n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gw_http_req req;
	size_t start, end, off, total = 0, used;
	bool done = false;

	if (size > 256 * 1024)
		return 0;
	if (!gw_http_head_find(data, size, &start, &end))
		return 0;
	FUZZ_CHECK(start <= end && end <= size);
	if (gw_http_head_parse(&req, data + start, end - start, 4096)) {
		FUZZ_CHECK(req.status >= 400 && req.status <= 505 && req.why);
		return 0;
	}
	FUZZ_CHECK(req.path && req.path[0] == '/' && req.query);
	FUZZ_CHECK(!(req.body == GW_BODY_CHUNKED && req.minor == 0));
	{
		struct gw_range rg;
		struct gw_cred cred;
		struct vg_restic_path rp;
		char v[64];
		uint64_t o, l;
		if (req.has_range && gw_range_parse(req.range, &rg) == 0)
			(void)gw_range_resolve(&rg, size, &o, &l);
		(void)gw_auth_parse(req.authorization, &cred);
		(void)vg_restic_path_parse(req.path, &rp);
		(void)gw_query_get(req.query, "create", v, sizeof(v));
	}
	if (req.body != GW_BODY_CHUNKED)
		return 0;
	req.sink = sink;
	req.sink_arg = &total;
	off = end;
	/* Feed in pieces whose sizes come from the data itself. */
	while (off < size && !done) {
		size_t step = 1 + (data[off] % 17);
		if (step > size - off)
			step = size - off;
		if (gw_http_body_feed(&req, data + off, step, &used, &done))
			break;
		FUZZ_CHECK(used <= step && (done || used == step));
		off += used;
	}
	return 0;
}
