/* buf.h - bounds-checked cursors for untrusted bytes, and a growable writer.
 *
 * Every read from network or disk input goes through struct vg_rd: typed
 * big-endian reads that fail with VG_EPROTO instead of running past the end.
 * A reader that failed once stays failed (rd->err), so a parser may check
 * once at the end.
 */
#ifndef VG_BUF_H
#define VG_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vg_rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	int err;
};

static inline void vg_rd_init(struct vg_rd *rd, const void *p, size_t len)
{
	rd->p = p;
	rd->len = len;
	rd->off = 0;
	rd->err = 0;
}

static inline size_t vg_rd_left(const struct vg_rd *rd)
{
	return rd->err ? 0 : rd->len - rd->off;
}

int vg_rd_u8(struct vg_rd *rd, uint8_t *v);
int vg_rd_u16(struct vg_rd *rd, uint16_t *v);
int vg_rd_u32(struct vg_rd *rd, uint32_t *v);
int vg_rd_u64(struct vg_rd *rd, uint64_t *v);
/* Points *out into the buffer; no copy. */
int vg_rd_bytes(struct vg_rd *rd, size_t n, const uint8_t **out);
int vg_rd_copy(struct vg_rd *rd, void *dst, size_t n);
/* u16 length + bytes, copied into dst (NUL-terminated), refusing NUL inside. */
int vg_rd_str16(struct vg_rd *rd, char *dst, size_t dstsz);

/* Growable output buffer. On allocation failure it is poisoned (err set)
 * and every later append is a no-op; check wr->err once at the end.
 * Secrets pass through writers (tokens and PINs in frames, wrapped keys in
 * records), so no byte outlives its use: vg_wr_reset wipes what was
 * written, vg_wr_free wipes the whole buffer, and growth copies into a new
 * buffer and wipes the old one (never realloc, which may leave a copy). */
struct vg_wr {
	uint8_t *p;
	size_t len;
	size_t cap;
	size_t max;  /* 0: unlimited */
	int err;
	uint16_t refused;  /* wire.c: the field tag an encoder refused (0: none) */
};

void vg_wr_init(struct vg_wr *wr, size_t max);
/* Test hook: called with every buffer a writer gives back (free, growth),
 * after the wipe and before free(), so a test can check the wipe. NULL (the
 * default) in the daemons; set it before any writer runs. */
void vg_wr_set_release_hook(void (*hook)(const uint8_t *p, size_t cap));
void vg_wr_free(struct vg_wr *wr);
void vg_wr_reset(struct vg_wr *wr);
int vg_wr_reserve(struct vg_wr *wr, size_t n);
void vg_wr_bytes(struct vg_wr *wr, const void *p, size_t n);
void vg_wr_u8(struct vg_wr *wr, uint8_t v);
void vg_wr_u16(struct vg_wr *wr, uint16_t v);
void vg_wr_u32(struct vg_wr *wr, uint32_t v);
void vg_wr_u64(struct vg_wr *wr, uint64_t v);
void vg_wr_str16(struct vg_wr *wr, const char *s);
void vg_wr_printf(struct vg_wr *wr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline void vg_put_u16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static inline void vg_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = (uint8_t)v;
}
static inline void vg_put_u64(uint8_t *p, uint64_t v)
{
	vg_put_u32(p, (uint32_t)(v >> 32));
	vg_put_u32(p + 4, (uint32_t)v);
}
static inline uint16_t vg_get_u16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t vg_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t vg_get_u64(const uint8_t *p)
{
	return (uint64_t)vg_get_u32(p) << 32 | vg_get_u32(p + 4);
}

/* Lower-case hex. dst must hold 2*n+1 bytes. */
void vg_hex(char *dst, const void *src, size_t n);
/* Exactly 2*n hex digits (either case) into n bytes, else VG_EINVAL. */
int vg_unhex(void *dst, size_t n, const char *src);

/* Full read/write on a file descriptor, retrying on EINTR and short I/O.
 * vg_read_full returns the bytes read (short only at EOF) or -errno. */
long vg_read_full(int fd, void *p, size_t n);
int vg_write_full(int fd, const void *p, size_t n);

/* snprintf that treats truncation as an error: the length written, or
 * VG_EINVAL if it did not fit (or failed). */
int vg_fmt(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* t (unix seconds) as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into buf; `zero`, when
 * not NULL, is written for t == 0 instead ("-", "never"); a time that does
 * not fit is written as its number of seconds. */
void vg_time_iso(uint64_t t, const char *zero, char *buf, size_t n);

/* Strict unsigned parse: the whole string, base 10, within [min, max]. */
int vg_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
