/* range.c - see range.h. */
#include <string.h>
#include <strings.h>

#include "range.h"
#include "vg_err.h"

/* Digits only, no sign, no overflow; *p advances past them. */
static int digits(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t n = 0;

	if (*s < '0' || *s > '9')
		return VG_ERANGE;
	while (*s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');
		if (n > (UINT64_MAX - d) / 10)
			return VG_ERANGE;
		n = n * 10 + d;
		s++;
	}
	*p = s;
	*v = n;
	return 0;
}

int gw_range_parse(const char *s, struct gw_range *out)
{
	const char *p;

	memset(out, 0, sizeof(*out));
	if (strncasecmp(s, "bytes", 5) != 0)
		return 0;  /* another unit: ignore the header */
	p = s + 5;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '=')
		return 0;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '-') {
		p++;
		if (digits(&p, &out->a) || out->a == 0)
			return VG_ERANGE;
		out->kind = GW_RANGE_SUFFIX;
	} else {
		if (digits(&p, &out->a) || *p != '-')
			return VG_ERANGE;
		p++;
		if (*p >= '0' && *p <= '9') {
			if (digits(&p, &out->b) || out->b < out->a)
				return VG_ERANGE;
			/* No body has a byte at 2^64-1, so A-(2^64-1) is A- (RFC 9110
			 * §14.1.2: a last position past the end is clamped), and every
			 * FROM_TO keeps b < UINT64_MAX: b - a + 1 cannot wrap to 0. */
			out->kind = out->b == UINT64_MAX ? GW_RANGE_FROM : GW_RANGE_FROM_TO;
		} else {
			out->kind = GW_RANGE_FROM;
		}
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != 0) {
		memset(out, 0, sizeof(*out));
		return VG_ERANGE;  /* several ranges, or trailing junk */
	}
	return 0;
}

int gw_range_resolve(const struct gw_range *r, uint64_t size, uint64_t *off, uint64_t *len)
{
	switch (r->kind) {
	case GW_RANGE_NONE:
		*off = 0;
		*len = size;
		return 0;
	case GW_RANGE_FROM:
		if (r->a >= size)
			return VG_ERANGE;
		*off = r->a;
		*len = size - r->a;
		return 0;
	case GW_RANGE_FROM_TO:
		if (r->a >= size)
			return VG_ERANGE;
		*off = r->a;
		*len = (r->b >= size ? size - 1 : r->b) - r->a + 1;
		return 0;
	case GW_RANGE_SUFFIX:
		if (size == 0)
			return VG_ERANGE;
		*len = r->a > size ? size : r->a;
		*off = size - *len;
		return 0;
	}
	return VG_ERANGE;
}
