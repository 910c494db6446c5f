/* share.h - fair share of the gateway's vaultd links (issue 12 item 2).
 *
 * The pool (proxy.c) holds at most `max` links to vaultd. Without shares, one
 * principal with many slow uploads takes every link and everyone else gets
 * 503. A link is claimed for a principal once vaultd has named it (WHOAMI),
 * and released when the request ends. A claim is refused when:
 *
 *   - the principal already holds `per_principal` links      -> GW_SHARE_PRINCIPAL
 *   - it is an upload/change (not GET/HEAD) by a non-admin and
 *     non-admin changes already hold max - reserved links    -> GW_SHARE_RESERVE
 *   - it is a read by a non-admin and non-admins already hold
 *     max - ceil(reserved / 4) links                         -> GW_SHARE_RESERVE
 *
 * so reads keep `reserved` links that uploads never take, and admins (vault
 * Owners, as vaultd's WHOAMI says) keep a quarter of them that nobody else
 * takes. Every principal, admins included, stays under its share.
 */
#ifndef GW_SHARE_H
#define GW_SHARE_H

#include <stdbool.h>

struct gw_share;

enum gw_share_result {
	GW_SHARE_OK = 0,
	GW_SHARE_PRINCIPAL,   /* the principal holds its share */
	GW_SHARE_RESERVE,     /* the links left are reserved for reads or admins */
};

struct gw_share_limits {
	unsigned max;            /* links in the pool */
	unsigned per_principal;  /* 1..max */
	unsigned reserved;       /* 0..max-1 */
};

/* -EINVAL for limits out of range, -ENOMEM. */
int gw_share_new(const struct gw_share_limits *l, struct gw_share **out);
void gw_share_free(struct gw_share *s);
enum gw_share_result gw_share_claim(struct gw_share *s, const char *principal, bool admin,
	bool write);
void gw_share_release(struct gw_share *s, const char *principal, bool admin, bool write);
/* How many links the principal holds now (tests, metrics). */
unsigned gw_share_held(struct gw_share *s, const char *principal);

#endif
