/* range.h - the HTTP Range request header (RFC 9110 §14), one byte range.
 *
 *   bytes=A-      from A to the end
 *   bytes=A-B     A..B inclusive (B past the end is clamped)
 *   bytes=-N      the last N bytes
 *
 * A unit other than "bytes" is ignored (the whole body is served). Several
 * ranges, and a malformed bytes= spec, are refused as unsatisfiable (416):
 * we never fall back to the whole body when a client asked for part of it,
 * because restic would then fail in confusing ways.
 */
#ifndef GW_RANGE_H
#define GW_RANGE_H

#include <stdint.h>

enum gw_range_kind { GW_RANGE_NONE = 0, GW_RANGE_FROM, GW_RANGE_FROM_TO, GW_RANGE_SUFFIX };

struct gw_range {
	enum gw_range_kind kind;
	uint64_t a;   /* FROM, FROM_TO: first byte; SUFFIX: byte count */
	uint64_t b;   /* FROM_TO: last byte (inclusive), always < UINT64_MAX, so
	               * b - a + 1 never wraps (A-18446744073709551615 parses as A-) */
};

/* 0 (kind NONE when the header is to be ignored) or VG_ERANGE. */
int gw_range_parse(const char *s, struct gw_range *out);
/* Resolves against a body of `size` bytes into [*off, *off + *len).
 * VG_ERANGE when unsatisfiable (answer 416 with "bytes *\/size"). */
int gw_range_resolve(const struct gw_range *r, uint64_t size, uint64_t *off, uint64_t *len);

#endif
