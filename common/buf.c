/* buf.c - see buf.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "vg_err.h"

static int rd_need(struct vg_rd *rd, size_t n)
{
	if (rd->err)
		return rd->err;
	if (n > rd->len - rd->off) {
		rd->err = VG_EPROTO;
		return rd->err;
	}
	return 0;
}

int vg_rd_u8(struct vg_rd *rd, uint8_t *v)
{
	int r = rd_need(rd, 1);
	if (r)
		return r;
	*v = rd->p[rd->off++];
	return 0;
}

int vg_rd_u16(struct vg_rd *rd, uint16_t *v)
{
	int r = rd_need(rd, 2);
	if (r)
		return r;
	*v = vg_get_u16(rd->p + rd->off);
	rd->off += 2;
	return 0;
}

int vg_rd_u32(struct vg_rd *rd, uint32_t *v)
{
	int r = rd_need(rd, 4);
	if (r)
		return r;
	*v = vg_get_u32(rd->p + rd->off);
	rd->off += 4;
	return 0;
}

int vg_rd_u64(struct vg_rd *rd, uint64_t *v)
{
	int r = rd_need(rd, 8);
	if (r)
		return r;
	*v = vg_get_u64(rd->p + rd->off);
	rd->off += 8;
	return 0;
}

int vg_rd_bytes(struct vg_rd *rd, size_t n, const uint8_t **out)
{
	int r = rd_need(rd, n);
	if (r)
		return r;
	*out = rd->p + rd->off;
	rd->off += n;
	return 0;
}

int vg_rd_copy(struct vg_rd *rd, void *dst, size_t n)
{
	const uint8_t *p;
	int r = vg_rd_bytes(rd, n, &p);
	if (r)
		return r;
	memcpy(dst, p, n);
	return 0;
}

int vg_rd_str16(struct vg_rd *rd, char *dst, size_t dstsz)
{
	uint16_t n;
	const uint8_t *p;
	int r;

	if ((r = vg_rd_u16(rd, &n)) || (r = vg_rd_bytes(rd, n, &p)))
		return r;
	if ((size_t)n >= dstsz || memchr(p, 0, n)) {
		rd->err = VG_EPROTO;
		return rd->err;
	}
	memcpy(dst, p, n);
	dst[n] = 0;
	return 0;
}

void vg_wr_init(struct vg_wr *wr, size_t max)
{
	memset(wr, 0, sizeof(*wr));
	wr->max = max;
}

static void (*wr_release_hook)(const uint8_t *p, size_t cap);

void vg_wr_set_release_hook(void (*hook)(const uint8_t *p, size_t cap))
{
	wr_release_hook = hook;
}

/* Every buffer a writer lets go of is wiped first: frames carry tokens and
 * PINs, records carry wrapped keys. */
static void wr_release(uint8_t *p, size_t cap)
{
	if (!p)
		return;
	explicit_bzero(p, cap);
	if (wr_release_hook)
		wr_release_hook(p, cap);
	free(p);
}

void vg_wr_free(struct vg_wr *wr)
{
	wr_release(wr->p, wr->cap);
	memset(wr, 0, sizeof(*wr));
}

void vg_wr_reset(struct vg_wr *wr)
{
	if (wr->p)
		explicit_bzero(wr->p, wr->len);
	wr->len = 0;
	wr->err = 0;
	wr->refused = 0;
}

int vg_wr_reserve(struct vg_wr *wr, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (wr->err)
		return wr->err;
	if (n > SIZE_MAX / 2 - wr->len || (wr->max && wr->len + n > wr->max))
		return wr->err = VG_ETOOBIG;
	if (wr->len + n <= wr->cap)
		return 0;
	cap = wr->cap ? wr->cap : 256;
	while (cap < wr->len + n)
		cap *= 2;
	if (wr->max && cap > wr->max)
		cap = wr->max;
	/* Not realloc: it may move the bytes and leave the old copy unwiped. */
	if (!(p = malloc(cap)))
		return wr->err = -ENOMEM;
	if (wr->len)
		memcpy(p, wr->p, wr->len);
	wr_release(wr->p, wr->cap);
	wr->p = p;
	wr->cap = cap;
	return 0;
}

void vg_wr_bytes(struct vg_wr *wr, const void *p, size_t n)
{
	if (n == 0 || vg_wr_reserve(wr, n))
		return;
	memcpy(wr->p + wr->len, p, n);
	wr->len += n;
}

void vg_wr_u8(struct vg_wr *wr, uint8_t v)
{
	vg_wr_bytes(wr, &v, 1);
}

void vg_wr_u16(struct vg_wr *wr, uint16_t v)
{
	uint8_t b[2];
	vg_put_u16(b, v);
	vg_wr_bytes(wr, b, 2);
}

void vg_wr_u32(struct vg_wr *wr, uint32_t v)
{
	uint8_t b[4];
	vg_put_u32(b, v);
	vg_wr_bytes(wr, b, 4);
}

void vg_wr_u64(struct vg_wr *wr, uint64_t v)
{
	uint8_t b[8];
	vg_put_u64(b, v);
	vg_wr_bytes(wr, b, 8);
}

void vg_wr_str16(struct vg_wr *wr, const char *s)
{
	size_t n = strlen(s);
	if (n > UINT16_MAX) {
		wr->err = VG_ETOOBIG;
		return;
	}
	vg_wr_u16(wr, (uint16_t)n);
	vg_wr_bytes(wr, s, n);
}

void vg_wr_printf(struct vg_wr *wr, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (wr->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || vg_wr_reserve(wr, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf((char *)wr->p + wr->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	wr->len += (size_t)n;
}

void vg_hex(char *dst, const void *src, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *s = src;

	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = digits[s[i] >> 4];
		dst[2 * i + 1] = digits[s[i] & 15];
	}
	dst[2 * n] = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vg_unhex(void *dst, size_t n, const char *src)
{
	uint8_t *d = dst;

	if (strlen(src) != 2 * n)
		return VG_EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(src[2 * i]), lo = hexval(src[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return VG_EINVAL;
		d[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

long vg_read_full(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (uint8_t *)p + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (long)got;
}

int vg_write_full(int fd, const void *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = write(fd, (const uint8_t *)p + done, n - done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)r;
	}
	return 0;
}

int vg_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return VG_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return VG_EINVAL;
	*out = v;
	return 0;
}

int vg_fmt(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return k < 0 || (size_t)k >= n ? VG_EINVAL : k;
}

void vg_time_iso(uint64_t t, const char *zero, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (zero && t == 0)
		snprintf(buf, n, "%s", zero);
	else if (!gmtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "%llu", (unsigned long long)t);
}
