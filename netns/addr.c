/* addr.c - see addr.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"

int vn_addr_cmp(const uint8_t *a, const uint8_t *b, size_t len)
{
	return memcmp(a, b, len);
}

int vn_addr_parse(const char *s, int family, struct vn_addr *out)
{
	struct vn_addr a;

	memset(&a, 0, sizeof(a));
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, a.b) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.b) == 1)
		a.family = AF_INET6;
	else
		return -EINVAL;
	if (family && a.family != family)
		return -EAFNOSUPPORT;
	*out = a;
	return 0;
}

static void mask_host(uint8_t *b, size_t len, unsigned plen, int set)
{
	for (size_t i = 0; i < len; i++) {
		unsigned bits = plen > i * 8 ? plen - (unsigned)i * 8 : 0;
		uint8_t keep = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		b[i] = set ? (uint8_t)(b[i] | ~keep) : (uint8_t)(b[i] & keep);
	}
}

int vn_prefix_parse(const char *s, int family, unsigned flags, struct vn_prefix *out)
{
	char tmp[VN_ADDR_STRLEN];
	const char *slash;
	struct vn_prefix p;
	uint64_t plen;
	size_t alen;
	int r;

	memset(out, 0, sizeof(*out));
	if (flags & ~VN_PFX_KNOWN)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, alen);
	tmp[alen] = '\0';
	if ((r = vn_addr_parse(tmp, family, &p.a)))
		return r;
	if (!slash) {
		if (flags & VN_PFX_NEED_LEN)
			return -ENODATA;
		p.plen = p.a.family == AF_INET ? 32 : 128;
	} else {
		unsigned max = p.a.family == AF_INET ? 32 : 128;

		if (slash[1] < '0' || slash[1] > '9' || (slash[1] == '0' && slash[2] != '\0'))
			return -EINVAL;
		if (vg_parse_u64(slash + 1, 0, UINT64_MAX, &plen))
			return -EINVAL;
		if (plen > max)
			return -ERANGE;
		p.plen = (uint8_t)plen;
	}
	if (!(flags & VN_PFX_HOST)) {
		struct vn_prefix net;

		vn_prefix_network(&p, &net);
		if (memcmp(net.a.b, p.a.b, sizeof(p.a.b)))
			return -EDOM;
	}
	*out = p;
	return 0;
}

void vn_prefix_network(const struct vn_prefix *p, struct vn_prefix *net)
{
	*net = *p;
	mask_host(net->a.b, vn_addr_len(p->a.family), p->plen, 0);
}

bool vn_prefix_contains(const struct vn_prefix *p, const struct vn_addr *a)
{
	struct vn_prefix x = {.a = *a, .plen = p->plen}, n1, n2;

	if (a->family != p->a.family)
		return false;
	vn_prefix_network(p, &n1);
	vn_prefix_network(&x, &n2);
	return memcmp(n1.a.b, n2.a.b, sizeof(n1.a.b)) == 0;
}

void vn_prefix_range(const struct vn_prefix *p, struct vn_range *r)
{
	size_t len = vn_addr_len(p->a.family);

	memset(r, 0, sizeof(*r));
	r->family = p->a.family;
	memcpy(r->lo, p->a.b, len);
	memcpy(r->hi, p->a.b, len);
	mask_host(r->lo, len, p->plen, 0);
	mask_host(r->hi, len, p->plen, 1);
}

bool vn_prefix_is_edge(const struct vn_prefix *p, const struct vn_addr *a)
{
	struct vn_range r;

	if (p->a.family != AF_INET || p->plen > 30)
		return false;
	vn_prefix_range(p, &r);
	return memcmp(r.lo, a->b, 4) == 0 || memcmp(r.hi, a->b, 4) == 0;
}

static int range_cmp(const void *x, const void *y)
{
	const struct vn_range *a = x, *b = y;
	int c = memcmp(a->lo, b->lo, 16);

	return c ? c : memcmp(a->hi, b->hi, 16);
}

/* b = a + 1 within len bytes; returns false on overflow (a was all-ones). */
static bool addr_inc(const uint8_t *a, uint8_t *b, size_t len)
{
	memcpy(b, a, len);
	for (size_t i = len; i-- > 0;) {
		if (++b[i] != 0)
			return true;
	}
	return false;
}

size_t vn_ranges_merge(struct vn_range *r, size_t n)
{
	size_t out = 0;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), range_cmp);
	for (size_t i = 1; i < n; i++) {
		size_t len = vn_addr_len(r[out].family);
		uint8_t next[16] = {0};
		bool ok = addr_inc(r[out].hi, next, len);

		/* overlapping or adjacent: extend */
		if (!ok || memcmp(r[i].lo, next, len) <= 0) {
			if (memcmp(r[i].hi, r[out].hi, len) > 0)
				memcpy(r[out].hi, r[i].hi, len);
			continue;
		}
		r[++out] = r[i];
	}
	return out + 1;
}

bool vn_ranges_lookup(const struct vn_range *r, size_t n, const struct vn_addr *a)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = vn_addr_len(r[i].family);

		if (r[i].family != a->family)
			continue;
		if (memcmp(r[i].lo, a->b, len) <= 0 && memcmp(a->b, r[i].hi, len) <= 0)
			return true;
	}
	return false;
}

int vn_addr_fmt(const struct vn_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->b, buf, (socklen_t)len))
		return -ENOSPC;
	return 0;
}

int vn_prefix_fmt(const struct vn_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int n;

	if (vn_addr_fmt(&p->a, a, sizeof(a)))
		return -ENOSPC;
	n = snprintf(buf, len, "%s/%u", a, p->plen);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

/* If [lo, hi] is exactly one prefix, its length; else -1. */
static int range_plen(const struct vn_range *r)
{
	size_t len = vn_addr_len(r->family);

	for (unsigned plen = 0; plen <= len * 8; plen++) {
		struct vn_prefix p = {.plen = (uint8_t)plen};
		struct vn_range x;

		p.a.family = r->family;
		memcpy(p.a.b, r->lo, len);
		vn_prefix_range(&p, &x);
		if (memcmp(x.lo, r->lo, len) == 0 && memcmp(x.hi, r->hi, len) == 0)
			return (int)plen;
	}
	return -1;
}

int vn_range_fmt(const struct vn_range *r, char *buf, size_t len)
{
	struct vn_addr lo = {.family = r->family}, hi = {.family = r->family};
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int plen = range_plen(r), n;

	memcpy(lo.b, r->lo, 16);
	memcpy(hi.b, r->hi, 16);
	if (vn_addr_fmt(&lo, a, sizeof(a)) || vn_addr_fmt(&hi, b, sizeof(b)))
		return -ENOSPC;
	if (plen == (int)vn_addr_len(r->family) * 8)
		n = snprintf(buf, len, "%s", a);
	else if (plen >= 0)
		n = snprintf(buf, len, "%s/%d", a, plen);
	else
		n = snprintf(buf, len, "%s-%s", a, b);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
