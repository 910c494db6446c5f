/* addr.h - IPv4/IPv6 addresses, prefixes and ranges for vaultnet.
 *
 * Parsing is strict: inet_pton for the address, a whole-string decimal
 * prefix length within the family's range, and (for networks) no host bits
 * set. Addresses are kept in network byte order in a 16-byte array; IPv4
 * uses the first 4 bytes.
 */
#ifndef VN_ADDR_H
#define VN_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Text buffer large enough for any address, prefix or range we print. */
#define VN_ADDR_STRLEN 96

struct vn_addr {
	uint8_t family;         /* AF_INET or AF_INET6 */
	uint8_t b[16];
};

struct vn_prefix {
	struct vn_addr a;
	uint8_t plen;
};

/* An inclusive address range [lo, hi] of one family. */
struct vn_range {
	uint8_t family;
	uint8_t lo[16];
	uint8_t hi[16];
};

static inline size_t vn_addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

/* family: AF_INET, AF_INET6, or 0 for either.
 * Returns 0, -EINVAL (not an address), -EAFNOSUPPORT (other family). */
int vn_addr_parse(const char *s, int family, struct vn_addr *out);

enum {
	VN_PFX_NEED_LEN = 1u << 0,  /* "/N" is required (else a bare address is /32 or /128) */
	VN_PFX_HOST = 1u << 1,      /* an interface address: host bits may be set */
	VN_PFX_KNOWN = VN_PFX_NEED_LEN | VN_PFX_HOST,
};

/* Returns 0, -EINVAL (syntax), -EAFNOSUPPORT (other family), -ERANGE
 * (prefix length out of range), -EDOM (host bits set where VN_PFX_HOST is
 * not given), -ENODATA (prefix length missing with VN_PFX_NEED_LEN). */
int vn_prefix_parse(const char *s, int family, unsigned flags, struct vn_prefix *out);

bool vn_prefix_contains(const struct vn_prefix *p, const struct vn_addr *a);
/* The network address of p (host bits cleared). */
void vn_prefix_network(const struct vn_prefix *p, struct vn_prefix *net);
/* Is a the network or broadcast address of p (IPv4, plen <= 30)? */
bool vn_prefix_is_edge(const struct vn_prefix *p, const struct vn_addr *a);
void vn_prefix_range(const struct vn_prefix *p, struct vn_range *r);

/* Sorts ranges of one family and merges overlapping and adjacent ones in
 * place. Returns the new count. */
size_t vn_ranges_merge(struct vn_range *r, size_t n);
bool vn_ranges_lookup(const struct vn_range *r, size_t n, const struct vn_addr *a);

int vn_addr_cmp(const uint8_t *a, const uint8_t *b, size_t len);

/* Text forms. Each returns -ENOSPC on truncation. */
int vn_addr_fmt(const struct vn_addr *a, char *buf, size_t len);
int vn_prefix_fmt(const struct vn_prefix *p, char *buf, size_t len);
/* "a.b.c.d/n" when the range is one prefix, "a.b.c.d" for a single address,
 * else "lo-hi" (nft's own notation). */
int vn_range_fmt(const struct vn_range *r, char *buf, size_t len);

#endif
