/* nft.h - table inet vaultgate in the kernel: apply, delete, read back.
 *
 * Apply is one nfnetlink batch: add table (so the delete cannot fail),
 * delete table, add table, chains, sets, elements and rules. Every message
 * asks for an ack; all acks are collected and an error is mapped back to
 * the object that caused it by sequence number. The kernel commits the
 * whole batch or nothing.
 *
 * Read back is plain netlink dumps parsed by libnftnl into struct vn_live.
 * The expected state is built into the same struct (vn_nft_expected) by
 * encoding our own rules and decoding them again, so verify compares like
 * with like.
 */
#ifndef VN_NFT_H
#define VN_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "ruleset.h"

#define VN_NAME_MAX 64
#define VN_CANON_MAX 2048
#define VN_LIVE_MAX 64

struct vn_live_rule {
	char chain[VN_NAME_MAX];
	uint64_t handle;
	bool has_comment;
	char comment[256];
	char canon[VN_CANON_MAX];       /* expressions, counter values left out */
	char nft[320];                  /* nft's own text of it, if known (nfttext.h) */
	bool has_counter;
	uint64_t packets, bytes;
};

struct vn_live_chain {
	char name[VN_NAME_MAX];
	bool base;
	uint32_t hook;
	int32_t prio;
	uint32_t policy;
	char type[16];
};

struct vn_live_set {
	char name[VN_NAME_MAX];
	uint32_t flags, key_type, key_len;
	uint64_t timeout;
	uint32_t size;
	size_t nranges;
	struct vn_range ranges[VN_ALLOW_MAX + 1];
	bool elems_bad;                 /* elements that do not form intervals */
	size_t nelems;                  /* raw element count (dynamic sets) */
	size_t nkeys;                   /* plain sets (the pin sets): keys, sorted */
	uint8_t keys[VN_PINS_MAX][32];
};

struct vn_live {
	bool table;
	uint32_t table_flags;
	size_t nother;                  /* other tables in the namespace */
	char other[VN_LIVE_MAX][VN_NAME_MAX + 8];
	size_t nchains;
	struct vn_live_chain chains[VN_LIVE_MAX];
	size_t nsets;
	struct vn_live_set sets[VN_LIVE_MAX];
	size_t nrules, caprules;
	struct vn_live_rule *rules;
	size_t nobjs;                   /* stateful objects and flowtables in our table */
	char objs[VN_LIVE_MAX][VN_NAME_MAX + 32];
};

/* Where an apply failed: the object and the kernel's message. */
struct vn_nft_err {
	char what[256];
	char kmsg[256];
};

struct mnl_socket;

/* A NETLINK_NETFILTER socket created inside netns (NULL: ours). */
int vn_nft_open(const char *netns, struct mnl_socket **out);
void vn_nft_close(struct mnl_socket *nl);

int vn_nft_apply(struct mnl_socket *nl, const struct vn_ruleset *rs, struct vn_nft_err *err);
/* Deletes table inet vaultgate; 0 if it was not there. */
int vn_nft_delete(struct mnl_socket *nl, struct vn_nft_err *err);

int vn_nft_read(struct mnl_socket *nl, struct vn_live **out);
int vn_nft_expected(const struct vn_ruleset *rs, struct vn_live **out);
void vn_live_free(struct vn_live *l);

/* A pin set's key i as "02:00:5e:10:00:07 . 10.0.0.7". */
void vn_live_key_fmt(const struct vn_live_set *s, size_t i, char *buf, size_t len);
/* A plain (non-interval, non-dynamic) set. */
bool vn_live_set_plain(const struct vn_live_set *s);

/* The live rule that is rs->rules[i] (same chain, comment and
 * expressions), or NULL. */
const struct vn_live_rule *vn_live_find(const struct vn_live *live, const struct vn_live *want, size_t i);

#endif
