/* nft.c - see nft.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/flowtable.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "nft.h"
#include "ns.h"
#include "vg_err.h"

#define BATCH_BYTES (1u << 20)
#define ACK_TIMEOUT_MS 5000
#define MAX_MSGS 256
#define RECV_BYTES 32768u

/* --- socket -------------------------------------------------------------- */

int vn_nft_open(const char *netns, struct mnl_socket **out)
{
	struct mnl_socket *nl = NULL;
	int saved, r, one = 1;

	*out = NULL;
	if ((r = vn_netns_switch(netns, &saved)))
		return r;
	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	r = nl ? 0 : -errno;
	if (vn_netns_return(saved) < 0 && !r)
		r = VG_EINTERNAL;
	if (r)
		goto fail;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto fail;
	}
	/* short acks (no echoed request), with the kernel's message */
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	*out = nl;
	return 0;
fail:
	if (nl)
		mnl_socket_close(nl);
	return r;
}

void vn_nft_close(struct mnl_socket *nl)
{
	if (nl)
		mnl_socket_close(nl);
}

/* --- expression builders -------------------------------------------------- */

static struct nftnl_expr *ex(const char *name)
{
	return nftnl_expr_alloc(name);
}

static void add_meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = ex("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

static void add_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = ex("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	nftnl_rule_add_expr(r, e);
}

static void add_meta_eq8(struct nftnl_rule *r, uint32_t key, uint8_t v)
{
	add_meta(r, key);
	add_cmp(r, NFT_CMP_EQ, &v, 1);
}

static void add_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = ex("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

/* ct state & mask != 0 */
static void add_ct_state(struct nftnl_rule *r, uint32_t mask)
{
	struct nftnl_expr *e = ex("ct");
	uint32_t zero = 0;

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	e = ex("bitwise");
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	nftnl_rule_add_expr(r, e);
	add_cmp(r, NFT_CMP_NEQ, &zero, 4);
}

static void add_lookup_flags(struct nftnl_rule *r, const char *set, uint32_t flags)
{
	struct nftnl_expr *e = ex("lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, flags);  /* the kernel reports it: say it */
	nftnl_rule_add_expr(r, e);
}

static void add_lookup(struct nftnl_rule *r, const char *set)
{
	add_lookup_flags(r, set, 0);
}

static struct nftnl_expr *limit_expr(const struct vn_rate *rate, uint32_t burst)
{
	struct nftnl_expr *e = ex("limit");

	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, rate->count);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, rate->unit);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, burst);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, 0);
	return e;
}

static void add_verdict(struct nftnl_rule *r, enum vn_verdict v)
{
	struct nftnl_expr *e = ex("counter");

	nftnl_rule_add_expr(r, e);
	e = ex("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, v == VN_ACCEPT ? NF_ACCEPT : NF_DROP);
	nftnl_rule_add_expr(r, e);
}

/* saddr into reg 1, by family */
static void add_saddr(struct nftnl_rule *r, uint8_t family)
{
	if (family == AF_INET)
		add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
	else
		add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 16);
}

static int put_comment(struct nftnl_rule *r, const char *comment)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	int rc = 0;

	if (!u)
		return -ENOMEM;
	if (!nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, comment))
		rc = VG_ETOOBIG;
	else
		nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
	return rc;
}

static struct nftnl_rule *rule_build(const struct vn_ruleset *rs, const struct vn_rule *ru)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	uint8_t nfproto = ru->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;

	if (!r)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, VN_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, vn_chain_name(ru->chain));

	switch (ru->kind) {
	case VN_R_PIN: {
		uint16_t ether = 1;     /* ARPHRD_ETHER */
		struct nftnl_expr *e;

		add_meta(r, NFT_META_IIFTYPE);
		add_cmp(r, NFT_CMP_EQ, &ether, 2);
		add_meta_eq8(r, NFT_META_NFPROTO, nfproto);
		add_saddr(r, ru->family);
		add_lookup(r, ru->family == AF_INET ? "pinned_v4" : "pinned_v6");
		/* ether saddr . ip saddr: the MAC in reg 1 (8 bytes), the address after it */
		add_payload(r, NFT_PAYLOAD_LL_HEADER, 6, 6);
		e = ex("payload");
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, ru->family == AF_INET ? 12 : 8);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, ru->family == AF_INET ? 4 : 16);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG32_02);
		nftnl_rule_add_expr(r, e);
		add_lookup_flags(r, ru->family == AF_INET ? "pin_v4" : "pin_v6", NFT_LOOKUP_F_INV);
		e = ex("log");
		nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, rs->nflog_group);
		nftnl_rule_add_expr(r, e);
		break;
	}
	case VN_R_CT_ESTABLISHED:
		add_ct_state(r, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
		break;
	case VN_R_CT_INVALID:
		add_ct_state(r, NF_CT_STATE_INVALID_BIT);
		break;
	case VN_R_IIF_LO:
	case VN_R_OIF_LO: {
		uint32_t lo = 1; /* LOOPBACK_IFINDEX: lo is ifindex 1 in every namespace */

		add_meta(r, ru->kind == VN_R_IIF_LO ? NFT_META_IIF : NFT_META_OIF);
		add_cmp(r, NFT_CMP_EQ, &lo, 4);
		break;
	}
	case VN_R_ND: {
		uint8_t hl = 255;

		add_meta_eq8(r, NFT_META_NFPROTO, NFPROTO_IPV6);
		add_meta_eq8(r, NFT_META_L4PROTO, IPPROTO_ICMPV6);
		add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
		add_cmp(r, NFT_CMP_EQ, &ru->icmp_type, 1);
		add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 7, 1);
		add_cmp(r, NFT_CMP_EQ, &hl, 1);
		break;
	}
	case VN_R_GATEWAY: {
		uint16_t port = htons(ru->port);
		struct nftnl_expr *e;

		add_meta_eq8(r, NFT_META_NFPROTO, nfproto);
		add_meta_eq8(r, NFT_META_L4PROTO, IPPROTO_TCP);
		add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
		add_cmp(r, NFT_CMP_EQ, &port, 2);
		add_saddr(r, ru->family);
		add_lookup(r, ru->family == AF_INET ? "allow_v4" : "allow_v6");
		add_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW));
		add_saddr(r, ru->family);
		e = ex("dynset");
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_ADD);
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
		nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, ru->family == AF_INET ? "rate_v4" : "rate_v6");
		nftnl_expr_set_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT, VN_METER_TIMEOUT_MS);
		nftnl_expr_set(e, NFTNL_EXPR_DYNSET_EXPR, limit_expr(&rs->conn_rate, rs->conn_burst), 0);
		nftnl_rule_add_expr(r, e);
		break;
	}
	case VN_R_METER_FULL: {
		uint16_t port = htons(ru->port);

		add_meta_eq8(r, NFT_META_NFPROTO, nfproto);
		add_meta_eq8(r, NFT_META_L4PROTO, IPPROTO_TCP);
		add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
		add_cmp(r, NFT_CMP_EQ, &port, 2);
		add_saddr(r, ru->family);
		add_lookup(r, ru->family == AF_INET ? "allow_v4" : "allow_v6");
		add_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW));
		add_saddr(r, ru->family);
		add_lookup_flags(r, ru->family == AF_INET ? "rate_v4" : "rate_v6", NFT_LOOKUP_F_INV);
		break;
	}
	case VN_R_ECHO:
		add_meta_eq8(r, NFT_META_NFPROTO, nfproto);
		add_meta_eq8(r, NFT_META_L4PROTO, ru->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
		add_cmp(r, NFT_CMP_EQ, &ru->icmp_type, 1);
		add_saddr(r, ru->family);
		add_lookup(r, ru->family == AF_INET ? "allow_v4" : "allow_v6");
		nftnl_rule_add_expr(r, limit_expr(&rs->icmp_rate, VN_ICMP_BURST));
		break;
	case VN_R_LOG_DROP: {
		struct nftnl_expr *e = ex("log");

		nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, rs->nflog_group);
		nftnl_rule_add_expr(r, e);
		break;
	}
	case VN_R_DROP:
		break;
	case VN_R_EGRESS: {
		const struct vn_egress *g = &ru->egress;
		size_t alen = vn_addr_len(ru->family);
		uint16_t lo = htons(g->port_lo), hi = htons(g->port_hi);

		add_meta_eq8(r, NFT_META_NFPROTO, nfproto);
		add_meta_eq8(r, NFT_META_L4PROTO, IPPROTO_TCP);
		/* ip daddr (offset 16) / ip6 daddr (offset 24), masked to the prefix */
		add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, ru->family == AF_INET ? 16 : 24, (uint32_t)alen);
		if (g->dst.plen < alen * 8) {
			struct nftnl_expr *e = ex("bitwise");
			uint8_t mask[16] = {0}, zero[16] = {0};

			for (size_t b = 0; b < g->dst.plen; b++)
				mask[b / 8] |= (uint8_t)(0x80u >> (b % 8));
			nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
			nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
			nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, (uint32_t)alen);
			nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, (uint32_t)alen);
			nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, (uint32_t)alen);
			nftnl_rule_add_expr(r, e);
		}
		add_cmp(r, NFT_CMP_EQ, g->dst.a.b, (uint32_t)alen);
		add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
		if (g->port_lo == g->port_hi) {
			add_cmp(r, NFT_CMP_EQ, &lo, 2);
		} else {
			struct nftnl_expr *e = ex("range");

			nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
			nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
			nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, &lo, 2);
			nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, &hi, 2);
			nftnl_rule_add_expr(r, e);
		}
		add_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW));
		break;
	}
	}
	add_verdict(r, ru->verdict);
	if (put_comment(r, ru->comment)) {
		nftnl_rule_free(r);
		return NULL;
	}
	return r;
}

static struct nftnl_table *table_build(void)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (t) {
		nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
		nftnl_table_set_str(t, NFTNL_TABLE_NAME, VN_TABLE);
	}
	return t;
}

static struct nftnl_chain *chain_build(enum vn_chain ch)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (c) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, VN_TABLE);
		nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, vn_chain_name(ch));
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, vn_chain_hook(ch));
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_DROP);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	}
	return c;
}

#define TYPE_IPADDR 7   /* nft's datatypes: ipv4_addr */
#define TYPE_IP6ADDR 8  /* ipv6_addr */
#define TYPE_ETHERADDR 9
#define TYPE_BITS 6     /* a concatenation's type: (first << 6) | second */

static uint32_t set_key_type(const struct vn_set *s)
{
	uint32_t ip = s->family == AF_INET ? TYPE_IPADDR : TYPE_IP6ADDR;

	return s->pin ? (TYPE_ETHERADDR << TYPE_BITS) | ip : ip;
}

static uint32_t set_key_len(const struct vn_set *s)
{
	return (uint32_t)vn_addr_len(s->family) + (s->pin ? 8u : 0u);
}

static struct nftnl_set *set_build(const struct vn_set *s, uint32_t id)
{
	struct nftnl_set *ns = nftnl_set_alloc();

	if (!ns)
		return NULL;
	nftnl_set_set_u32(ns, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(ns, NFTNL_SET_TABLE, VN_TABLE);
	nftnl_set_set_str(ns, NFTNL_SET_NAME, s->name);
	nftnl_set_set_u32(ns, NFTNL_SET_ID, id);
	nftnl_set_set_u32(ns, NFTNL_SET_KEY_TYPE, set_key_type(s));
	nftnl_set_set_u32(ns, NFTNL_SET_KEY_LEN, set_key_len(s));
	if (s->pin) {
		nftnl_set_set_u32(ns, NFTNL_SET_FLAGS, 0);
	} else if (s->meter) {
		nftnl_set_set_u32(ns, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT | NFT_SET_EVAL);
		nftnl_set_set_u64(ns, NFTNL_SET_TIMEOUT, VN_METER_TIMEOUT_MS);
		nftnl_set_set_u32(ns, NFTNL_SET_DESC_SIZE, s->size);
	} else {
		nftnl_set_set_u32(ns, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
	}
	return ns;
}

static bool addr_inc(const uint8_t *a, uint8_t *b, size_t len)
{
	memcpy(b, a, len);
	for (size_t i = len; i-- > 0;) {
		if (++b[i] != 0)
			return true;
	}
	return false;
}

static int elem_add(struct nftnl_set *ns, const uint8_t *key, size_t len, bool end)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();

	if (!e)
		return -ENOMEM;
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, (uint32_t)len);
	if (end)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	nftnl_set_elem_add(ns, e);
	return 0;
}

/* Interval set encoding, as nft does it: each range is a start element and
 * an end element one past its last address; an end element at zero closes
 * everything below the first range. */
static int set_elems(struct nftnl_set *ns, const struct vn_set *s)
{
	static const uint8_t zero[16];
	size_t len = vn_addr_len(s->family);
	int r;

	if (s->nranges && memcmp(s->ranges[0].lo, zero, len) != 0 && (r = elem_add(ns, zero, len, true)))
		return r;
	for (size_t i = 0; i < s->nranges; i++) {
		uint8_t next[16];

		if ((r = elem_add(ns, s->ranges[i].lo, len, false)))
			return r;
		if (addr_inc(s->ranges[i].hi, next, len) && (r = elem_add(ns, next, len, true)))
			return r;
	}
	return 0;
}

/* --- batch ---------------------------------------------------------------- */

struct batch {
	struct mnl_nlmsg_batch *b;
	char *buf;
	uint32_t seq0, seq;
	size_t nmsgs;
	char what[MAX_MSGS][160];
	int err;
};

static int batch_init(struct batch *bt)
{
	memset(bt, 0, sizeof(*bt));
	if (!(bt->buf = malloc(BATCH_BYTES)))
		return -ENOMEM;
	bt->b = mnl_nlmsg_batch_start(bt->buf, BATCH_BYTES);
	bt->seq0 = bt->seq = (uint32_t)time(NULL);
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b), bt->seq++);
	mnl_nlmsg_batch_next(bt->b);
	return 0;
}

static void batch_free(struct batch *bt)
{
	if (bt->b)
		mnl_nlmsg_batch_stop(bt->b);
	free(bt->buf);
}

/* Starts one acked message; records what it is for error mapping. */
__attribute__((format(printf, 5, 6)))
static struct nlmsghdr *batch_msg(struct batch *bt, uint16_t type, uint16_t flags, uint16_t family,
				  const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	va_list ap;

	if (bt->err)
		return NULL;
	if (bt->nmsgs == MAX_MSGS || mnl_nlmsg_batch_size(bt->b) + 64u * 1024u > BATCH_BYTES) {
		bt->err = VG_ETOOBIG;
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(bt->what[bt->nmsgs], sizeof(bt->what[0]), fmt, ap);
	va_end(ap);
	bt->nmsgs++;
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), type, family,
				    flags | NLM_F_ACK, bt->seq++);
	return nlh;
}

static void batch_next(struct batch *bt)
{
	if (!bt->err && !mnl_nlmsg_batch_next(bt->b))
		bt->err = VG_ETOOBIG;
}

struct ack_state {
	struct batch *bt;
	size_t acked;
	int first_err;
	size_t first_idx;
	char kmsg[256];
};

static int ext_ack_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, NLMSGERR_ATTR_MAX) < 0)
		return MNL_CB_OK;       /* newer attribute: ignore */
	if (type == NLMSGERR_ATTR_MSG && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_ERROR;
	if (type == NLMSGERR_ATTR_OFFS && mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

/* One NLMSG_ERROR: an ack (error 0) or a failure, for message seq. */
static int handle_ack(struct ack_state *st, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e;
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = {0};
	size_t idx;

	if (nlh->nlmsg_type != NLMSG_ERROR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return VG_EPROTO;
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error > 0 || e->error < -4095)
		return VG_EPROTO;
	/* The whole batch refused at BEGIN (no CAP_NET_ADMIN, for one):
	 * the kernel answers that message only. */
	if (nlh->nlmsg_seq == st->bt->seq0 && e->error) {
		st->first_err = e->error;
		st->first_idx = SIZE_MAX;
		st->acked = st->bt->nmsgs;
		return 0;
	}
	/* message i of the batch has seq seq0 + 1 + i (seq0 is BEGIN) */
	if (nlh->nlmsg_seq <= st->bt->seq0 || nlh->nlmsg_seq >= st->bt->seq0 + 1 + st->bt->nmsgs)
		return VG_EPROTO;
	idx = nlh->nlmsg_seq - st->bt->seq0 - 1;
	st->acked++;
	if (e->error == 0)
		return 0;
	if (!st->first_err || idx < st->first_idx) {
		st->first_err = e->error;
		st->first_idx = idx;
		st->kmsg[0] = '\0';
		if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && (nlh->nlmsg_flags & NLM_F_CAPPED) &&
		    mnl_attr_parse(nlh, sizeof(*e), ext_ack_cb, tb) == MNL_CB_OK && tb[NLMSGERR_ATTR_MSG])
			snprintf(st->kmsg, sizeof(st->kmsg), "%s", mnl_attr_get_str(tb[NLMSGERR_ATTR_MSG]));
	}
	return 0;
}

static int batch_send(struct mnl_socket *nl, struct batch *bt, struct vn_nft_err *err)
{
	struct ack_state st = {.bt = bt};
	static uint8_t rbuf[RECV_BYTES];
	struct pollfd pfd = {.fd = mnl_socket_get_fd(nl), .events = POLLIN};
	uint32_t portid = mnl_socket_get_portid(nl);
	int r;

	if (bt->err)
		return bt->err;
	nftnl_batch_end(mnl_nlmsg_batch_current(bt->b), bt->seq++);
	if (!mnl_nlmsg_batch_next(bt->b))
		return VG_ETOOBIG;
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(bt->b), mnl_nlmsg_batch_size(bt->b)) < 0)
		return -errno;
	while (st.acked < bt->nmsgs) {
		const struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		if ((r = poll(&pfd, 1, ACK_TIMEOUT_MS)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -ETIMEDOUT;
		if ((n = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf))) < 0)
			return -errno;
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_pid != portid && nlh->nlmsg_pid != 0)
				continue;
			if ((r = handle_ack(&st, nlh)))
				return r;
		}
		if (len != 0)
			return VG_EPROTO;
	}
	if (st.first_err) {
		if (err) {
			snprintf(err->what, sizeof(err->what), "%s",
				 st.first_idx == SIZE_MAX ? "the whole batch" : bt->what[st.first_idx]);
			snprintf(err->kmsg, sizeof(err->kmsg), "%s", st.kmsg);
		}
		return st.first_err;
	}
	return 0;
}

static void put_table(struct batch *bt, uint16_t type, uint16_t flags, const char *what)
{
	struct nftnl_table *t = table_build();
	struct nlmsghdr *nlh;

	if (!t) {
		bt->err = -ENOMEM;
		return;
	}
	if ((nlh = batch_msg(bt, type, flags, NFPROTO_INET, "%s table inet %s", what, VN_TABLE))) {
		nftnl_table_nlmsg_build_payload(nlh, t);
		batch_next(bt);
	}
	nftnl_table_free(t);
}

static int rule_index_in_chain(const struct vn_ruleset *rs, size_t i)
{
	int n = 0;

	for (size_t j = 0; j <= i; j++)
		n += rs->rules[j].chain == rs->rules[i].chain;
	return n;
}

int vn_nft_apply(struct mnl_socket *nl, const struct vn_ruleset *rs, struct vn_nft_err *err)
{
	struct batch bt;
	struct nlmsghdr *nlh;
	int r;

	if (err)
		memset(err, 0, sizeof(*err));
	if ((r = batch_init(&bt)))
		return r;
	/* add (a no-op if present) + delete + add: replaces the table atomically */
	put_table(&bt, NFT_MSG_NEWTABLE, NLM_F_CREATE, "add");
	put_table(&bt, NFT_MSG_DELTABLE, 0, "delete");
	put_table(&bt, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, "create");
	for (int ch = 0; ch < VN_CH_COUNT; ch++) {
		struct nftnl_chain *c = chain_build(ch);

		if (!c) {
			bt.err = -ENOMEM;
			break;
		}
		if ((nlh = batch_msg(&bt, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL, NFPROTO_INET,
				     "chain %s", vn_chain_name(ch)))) {
			nftnl_chain_nlmsg_build_payload(nlh, c);
			batch_next(&bt);
		}
		nftnl_chain_free(c);
	}
	for (size_t i = 0; i < rs->nsets; i++) {
		struct nftnl_set *s = set_build(&rs->sets[i], (uint32_t)i + 1);

		if (!s) {
			bt.err = -ENOMEM;
			break;
		}
		if ((nlh = batch_msg(&bt, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL, NFPROTO_INET,
				     "set %s", rs->sets[i].name))) {
			nftnl_set_nlmsg_build_payload(nlh, s);
			batch_next(&bt);
		}
		if (rs->sets[i].pin) {
			for (size_t j = 0; j < rs->npins && !bt.err; j++) {
				uint8_t key[32];
				size_t klen;

				if (rs->pins[j].ip.family != rs->sets[i].family)
					continue;
				klen = vn_pin_key(&rs->pins[j], key);
				if ((r = elem_add(s, key, klen, false)))
					bt.err = r;
			}
			if ((nlh = batch_msg(&bt, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL, NFPROTO_INET,
					     "elements of set %s", rs->sets[i].name))) {
				nftnl_set_elems_nlmsg_build_payload(nlh, s);
				batch_next(&bt);
			}
		} else if (!rs->sets[i].meter && rs->sets[i].nranges) {
			if ((r = set_elems(s, &rs->sets[i])))
				bt.err = r;
			else if ((nlh = batch_msg(&bt, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL,
						  NFPROTO_INET, "elements of set %s", rs->sets[i].name))) {
				nftnl_set_elems_nlmsg_build_payload(nlh, s);
				batch_next(&bt);
			}
		}
		nftnl_set_free(s);
	}
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct vn_rule *ru = &rs->rules[i];
		struct nftnl_rule *nr = rule_build(rs, ru);

		if (!nr) {
			bt.err = -ENOMEM;
			break;
		}
		if ((nlh = batch_msg(&bt, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, NFPROTO_INET,
				     "rule %d of chain %s (\"%s\")", rule_index_in_chain(rs, i),
				     vn_chain_name(ru->chain), ru->comment))) {
			nftnl_rule_nlmsg_build_payload(nlh, nr);
			batch_next(&bt);
		}
		nftnl_rule_free(nr);
	}
	r = batch_send(nl, &bt, err);
	batch_free(&bt);
	return r;
}

int vn_nft_delete(struct mnl_socket *nl, struct vn_nft_err *err)
{
	struct batch bt;
	int r;

	if (err)
		memset(err, 0, sizeof(*err));
	if ((r = batch_init(&bt)))
		return r;
	put_table(&bt, NFT_MSG_NEWTABLE, NLM_F_CREATE, "add");
	put_table(&bt, NFT_MSG_DELTABLE, 0, "delete");
	r = batch_send(nl, &bt, err);
	batch_free(&bt);
	return r;
}

/* --- read back ------------------------------------------------------------ */

void vn_live_free(struct vn_live *l)
{
	if (!l)
		return;
	free(l->rules);
	free(l);
}

static struct vn_live *live_new(void)
{
	return calloc(1, sizeof(struct vn_live));
}

static struct vn_live_rule *live_rule_add(struct vn_live *l)
{
	if (l->nrules == l->caprules) {
		size_t cap = l->caprules ? l->caprules * 2 : 32;
		struct vn_live_rule *n;

		if (cap > 65536 || !(n = realloc(l->rules, cap * sizeof(*n))))
			return NULL;
		l->rules = n;
		l->caprules = cap;
	}
	memset(&l->rules[l->nrules], 0, sizeof(l->rules[0]));
	return &l->rules[l->nrules++];
}

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	const struct nftnl_udata **tb = data;
	uint8_t type = nftnl_udata_type(attr), len = nftnl_udata_len(attr);
	const char *v = nftnl_udata_get(attr);

	if (type != NFTNL_UDATA_RULE_COMMENT)
		return 0;
	/* a NUL-terminated string, NUL only at the end */
	if (len == 0 || v[len - 1] != '\0' || strlen(v) != (size_t)len - 1)
		return -1;
	tb[NFTNL_UDATA_RULE_COMMENT] = attr;
	return 0;
}

static int canon_append(char *buf, size_t len, size_t *off, const char *s)
{
	int n = snprintf(buf + *off, len - *off, "%s", s);

	if (n < 0 || (size_t)n >= len - *off)
		return VG_ETOOBIG;
	*off += (size_t)n;
	return 0;
}

/* The canonical text of a decoded rule: each expression as libnftnl
 * prints it, except counters, whose values are state. */
static int rule_to_live(struct nftnl_rule *r, struct vn_live_rule *lr)
{
	struct nftnl_expr_iter *it;
	struct nftnl_expr *e;
	size_t off = 0;
	int rc = 0;

	snprintf(lr->chain, sizeof(lr->chain), "%s",
		 nftnl_rule_is_set(r, NFTNL_RULE_CHAIN) ? nftnl_rule_get_str(r, NFTNL_RULE_CHAIN) : "?");
	lr->handle = nftnl_rule_is_set(r, NFTNL_RULE_HANDLE) ? nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE) : 0;
	if (nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) {
		const struct nftnl_udata *tb[NFTNL_UDATA_RULE_MAX + 1] = {0};
		uint32_t ulen = 0;
		const void *ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &ulen);

		if (nftnl_udata_parse(ud, ulen, comment_cb, tb) == 0 && tb[NFTNL_UDATA_RULE_COMMENT]) {
			lr->has_comment = true;
			snprintf(lr->comment, sizeof(lr->comment), "%s",
				 (const char *)nftnl_udata_get(tb[NFTNL_UDATA_RULE_COMMENT]));
		}
	}
	lr->canon[0] = '\0';
	if (!(it = nftnl_expr_iter_create(r)))
		return -ENOMEM;
	while ((e = nftnl_expr_iter_next(it)) && !rc) {
		const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
		char tmp[1024];

		if (strcmp(name, "counter") == 0) {
			lr->has_counter = true;
			lr->packets += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
			lr->bytes += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
			rc = canon_append(lr->canon, sizeof(lr->canon), &off, "[ counter ] ");
			continue;
		}
		nftnl_expr_snprintf(tmp, sizeof(tmp), e, NFTNL_OUTPUT_DEFAULT, 0);
		if (!(rc = canon_append(lr->canon, sizeof(lr->canon), &off, "[ ")) &&
		    !(rc = canon_append(lr->canon, sizeof(lr->canon), &off, name)) &&
		    !(rc = canon_append(lr->canon, sizeof(lr->canon), &off, " ")) &&
		    !(rc = canon_append(lr->canon, sizeof(lr->canon), &off, tmp)))
			rc = canon_append(lr->canon, sizeof(lr->canon), &off, "] ");
	}
	nftnl_expr_iter_destroy(it);
	/* one space between tokens, none at the ends */
	{
		size_t w = 0;

		for (size_t i = 0; lr->canon[i]; i++) {
			if (lr->canon[i] == ' ' && (w == 0 || lr->canon[w - 1] == ' '))
				continue;
			lr->canon[w++] = lr->canon[i];
		}
		while (w && lr->canon[w - 1] == ' ')
			w--;
		lr->canon[w] = '\0';
	}
	return rc;
}

struct dump_ctx {
	struct vn_live *l;
	struct vn_live_set *set;        /* GETSETELEM target */
	uint8_t family;
	int err;
};

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct nftnl_table *t = nftnl_table_alloc();
	uint32_t fam;
	const char *name;

	if (!t)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, t) < 0) {
		d->err = VG_EPROTO;
		goto out;
	}
	fam = nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY);
	name = nftnl_table_get_str(t, NFTNL_TABLE_NAME);
	if (!name) {
		d->err = VG_EPROTO;
		goto out;
	}
	if (fam == NFPROTO_INET && strcmp(name, VN_TABLE) == 0) {
		d->l->table = true;
		d->l->table_flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
	} else if (d->l->nother < VN_LIVE_MAX) {
		const char *f = fam == NFPROTO_INET ? "inet" : fam == NFPROTO_IPV4 ? "ip" :
				fam == NFPROTO_IPV6 ? "ip6" : fam == NFPROTO_ARP ? "arp" :
				fam == NFPROTO_BRIDGE ? "bridge" : fam == NFPROTO_NETDEV ? "netdev" : "?";

		snprintf(d->l->other[d->l->nother++], sizeof(d->l->other[0]), "%s %.*s", f,
			 VN_NAME_MAX - 1, name);
	}
out:
	nftnl_table_free(t);
	return d->err ? MNL_CB_ERROR : MNL_CB_OK;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct vn_live_chain *lc;

	if (!c)
		return MNL_CB_ERROR;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0 || !nftnl_chain_is_set(c, NFTNL_CHAIN_NAME)) {
		d->err = VG_EPROTO;
		goto out;
	}
	if (strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), VN_TABLE) != 0)
		goto out;
	if (d->l->nchains == VN_LIVE_MAX) {
		d->err = VG_ETOOBIG;
		goto out;
	}
	lc = &d->l->chains[d->l->nchains++];
	memset(lc, 0, sizeof(*lc));
	snprintf(lc->name, sizeof(lc->name), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
		lc->base = true;
		lc->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
		lc->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
		lc->policy = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) ?
			     nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) : NF_ACCEPT;
		if (nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE))
			snprintf(lc->type, sizeof(lc->type), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE));
	}
out:
	nftnl_chain_free(c);
	return d->err ? MNL_CB_ERROR : MNL_CB_OK;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct nftnl_set *s = nftnl_set_alloc();
	struct vn_live_set *ls;

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_nlmsg_parse(nlh, s) < 0 || !nftnl_set_is_set(s, NFTNL_SET_NAME)) {
		d->err = VG_EPROTO;
		goto out;
	}
	if (strcmp(nftnl_set_get_str(s, NFTNL_SET_TABLE), VN_TABLE) != 0)
		goto out;
	if (d->l->nsets == VN_LIVE_MAX) {
		d->err = VG_ETOOBIG;
		goto out;
	}
	ls = &d->l->sets[d->l->nsets++];
	memset(ls, 0, sizeof(*ls));
	snprintf(ls->name, sizeof(ls->name), "%s", nftnl_set_get_str(s, NFTNL_SET_NAME));
	ls->flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
	ls->key_type = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE);
	ls->key_len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
	if (nftnl_set_is_set(s, NFTNL_SET_TIMEOUT))
		ls->timeout = nftnl_set_get_u64(s, NFTNL_SET_TIMEOUT);
	if (nftnl_set_is_set(s, NFTNL_SET_DESC_SIZE))
		ls->size = nftnl_set_get_u32(s, NFTNL_SET_DESC_SIZE);
out:
	nftnl_set_free(s);
	return d->err ? MNL_CB_ERROR : MNL_CB_OK;
}

struct raw_elem {
	uint8_t key[32];
	bool end;
};

static int elem_cmp(const void *x, const void *y)
{
	const struct raw_elem *a = x, *b = y;
	int c = memcmp(a->key, b->key, 32);

	/* at the same key an end sorts first: it closes the previous range */
	return c ? c : (int)b->end - (int)a->end;
}

static int key_cmp(const void *x, const void *y)
{
	return memcmp(x, y, 32);
}

/* Rebuilds ranges from interval elements (start, end one past). */
static void elems_to_ranges(struct vn_live_set *ls, struct raw_elem *el, size_t n, uint8_t family)
{
	size_t len = vn_addr_len(family);

	qsort(el, n, sizeof(*el), elem_cmp);
	ls->nranges = 0;
	for (size_t i = 0; i < n; i++) {
		struct vn_range *r;

		if (el[i].end)
			continue;       /* a leading "closed below" marker */
		if (ls->nranges == VN_ALLOW_MAX + 1) {
			ls->elems_bad = true;
			return;
		}
		r = &ls->ranges[ls->nranges++];
		memset(r, 0, sizeof(*r));
		r->family = family;
		memcpy(r->lo, el[i].key, len);
		if (i + 1 < n && el[i + 1].end) {
			/* hi = end - 1 */
			memcpy(r->hi, el[i + 1].key, len);
			for (size_t k = len; k-- > 0;) {
				if (r->hi[k]-- != 0)
					break;
			}
			i++;
		} else if (i + 1 < n) {
			ls->elems_bad = true;   /* two starts in a row */
			memcpy(r->hi, r->lo, len);
		} else {
			memset(r->hi, 0xff, len);
		}
	}
}

static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it = NULL;
	struct nftnl_set_elem *e;
	struct raw_elem *el = NULL;
	size_t n = 0, cap = 0;

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		d->err = VG_EPROTO;
		goto out;
	}
	if (!(it = nftnl_set_elems_iter_create(s))) {
		d->err = -ENOMEM;
		goto out;
	}
	/* merge with what earlier messages of this dump gave */
	cap = d->set->nelems + 64;
	if (!(el = calloc(cap, sizeof(*el)))) {
		d->err = -ENOMEM;
		goto out;
	}
	while ((e = nftnl_set_elems_iter_next(it))) {
		uint32_t klen = 0;
		const void *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);

		d->set->nelems++;
		if (!key || klen != d->set->key_len || klen > 32) {
			d->set->elems_bad = true;
			continue;
		}
		if (!(d->set->flags & (NFT_SET_INTERVAL | NFT_SET_EVAL))) {
			/* a plain set (the pin sets): its keys */
			if (d->set->nkeys == VN_PINS_MAX) {
				d->set->elems_bad = true;
				continue;
			}
			memset(d->set->keys[d->set->nkeys], 0, 32);
			memcpy(d->set->keys[d->set->nkeys++], key, klen);
			continue;
		}
		if (n == cap) {
			struct raw_elem *x;

			if (cap > 8 * VN_ALLOW_MAX || !(x = realloc(el, cap * 2 * sizeof(*el)))) {
				d->set->elems_bad = true;
				break;
			}
			el = x;
			cap *= 2;
		}
		memset(&el[n], 0, sizeof(el[n]));
		memcpy(el[n].key, key, klen);
		el[n].end = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
			    (nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END);
		n++;
	}
	if (!(d->set->flags & (NFT_SET_INTERVAL | NFT_SET_EVAL)))
		qsort(d->set->keys, d->set->nkeys, 32, key_cmp);
	if (d->set->flags & NFT_SET_INTERVAL) {
		/* keep earlier ranges: append them back as elements */
		for (size_t i = 0; i < d->set->nranges && n + 2 <= cap; i++) {
			uint8_t next[16];
			size_t len = vn_addr_len(d->family);

			memset(&el[n], 0, sizeof(el[n]));
			memcpy(el[n++].key, d->set->ranges[i].lo, len);
			if (addr_inc(d->set->ranges[i].hi, next, len)) {
				memset(&el[n], 0, sizeof(el[n]));
				memcpy(el[n].key, next, len);
				el[n++].end = true;
			}
		}
		elems_to_ranges(d->set, el, n, d->family);
	}
out:
	free(el);
	if (it)
		nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return d->err ? MNL_CB_ERROR : MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct vn_live_rule *lr;

	if (!r)
		return MNL_CB_ERROR;
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		d->err = VG_EPROTO;
		goto out;
	}
	if (strcmp(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), VN_TABLE) != 0 ||
	    nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY) != NFPROTO_INET)
		goto out;
	if (!(lr = live_rule_add(d->l))) {
		d->err = VG_ETOOBIG;
		goto out;
	}
	d->err = rule_to_live(r, lr);
out:
	nftnl_rule_free(r);
	return d->err ? MNL_CB_ERROR : MNL_CB_OK;
}

static const char *obj_type_name(uint32_t t)
{
	switch (t) {
	case NFT_OBJECT_COUNTER:
		return "counter";
	case NFT_OBJECT_QUOTA:
		return "quota";
	case NFT_OBJECT_CT_HELPER:
		return "ct helper";
	case NFT_OBJECT_LIMIT:
		return "limit";
	case NFT_OBJECT_CONNLIMIT:
		return "ct count";
	case NFT_OBJECT_TUNNEL:
		return "tunnel";
	case NFT_OBJECT_CT_TIMEOUT:
		return "ct timeout";
	case NFT_OBJECT_SECMARK:
		return "secmark";
	case NFT_OBJECT_CT_EXPECT:
		return "ct expectation";
	case NFT_OBJECT_SYNPROXY:
		return "synproxy";
	default:
		return "object";
	}
}

static void obj_add(struct dump_ctx *d, const char *what, const char *name)
{
	if (d->l->nobjs < VN_LIVE_MAX)
		snprintf(d->l->objs[d->l->nobjs++], sizeof(d->l->objs[0]), "%s %.*s", what, VN_NAME_MAX - 1, name);
}

static int obj_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct nftnl_obj *o = nftnl_obj_alloc();

	if (!o)
		return MNL_CB_ERROR;
	if (nftnl_obj_nlmsg_parse(nlh, o) < 0 || !nftnl_obj_is_set(o, NFTNL_OBJ_NAME)) {
		d->err = VG_EPROTO;
	} else if (nftnl_obj_get_str(o, NFTNL_OBJ_TABLE) && strcmp(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE), VN_TABLE) == 0 &&
		   nftnl_obj_get_u32(o, NFTNL_OBJ_FAMILY) == NFPROTO_INET) {
		obj_add(d, obj_type_name(nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE)), nftnl_obj_get_str(o, NFTNL_OBJ_NAME));
	}
	nftnl_obj_free(o);
	return d->err ? MNL_CB_ERROR : MNL_CB_OK;
}

static int flowtable_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct nftnl_flowtable *f = nftnl_flowtable_alloc();

	if (!f)
		return MNL_CB_ERROR;
	if (nftnl_flowtable_nlmsg_parse(nlh, f) < 0 || !nftnl_flowtable_is_set(f, NFTNL_FLOWTABLE_NAME)) {
		d->err = VG_EPROTO;
	} else if (nftnl_flowtable_get_str(f, NFTNL_FLOWTABLE_TABLE) &&
		   strcmp(nftnl_flowtable_get_str(f, NFTNL_FLOWTABLE_TABLE), VN_TABLE) == 0 &&
		   nftnl_flowtable_get_u32(f, NFTNL_FLOWTABLE_FAMILY) == NFPROTO_INET) {
		obj_add(d, "flowtable", nftnl_flowtable_get_str(f, NFTNL_FLOWTABLE_NAME));
	}
	nftnl_flowtable_free(f);
	return d->err ? MNL_CB_ERROR : MNL_CB_OK;
}

/* One dump request and its replies. */
static int dump(struct mnl_socket *nl, uint16_t type, uint16_t family, struct nlmsghdr *(*fill)(char *, uint16_t, uint16_t, uint32_t, void *),
		void *farg, mnl_cb_t cb, struct dump_ctx *d)
{
	char *buf = malloc(RECV_BYTES);
	uint32_t seq = (uint32_t)time(NULL) ^ (uint32_t)type << 16, portid = mnl_socket_get_portid(nl);
	struct nlmsghdr *nlh;
	int r;

	if (!buf)
		return -ENOMEM;
	nlh = fill(buf, type, family, seq, farg);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, RECV_BYTES);

		if (n < 0) {
			r = -errno;
			break;
		}
		r = mnl_cb_run(buf, (size_t)n, seq, portid, cb, d);
		if (r <= MNL_CB_STOP) {
			if (r < 0)
				r = d->err ? d->err : (errno == ENOENT ? 0 : -errno);
			break;
		}
	}
out:
	free(buf);
	return r < 0 ? r : 0;
}

static struct nlmsghdr *fill_plain(char *buf, uint16_t type, uint16_t family, uint32_t seq, void *arg)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, family, NLM_F_DUMP, seq);

	(void)arg;
	return nlh;
}

static struct nlmsghdr *fill_rules(char *buf, uint16_t type, uint16_t family, uint32_t seq, void *arg)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, family, NLM_F_DUMP, seq);
	struct nftnl_rule *r = nftnl_rule_alloc();

	(void)arg;
	if (r) {
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, VN_TABLE);
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nftnl_rule_free(r);
	}
	return nlh;
}

static struct nlmsghdr *fill_elems(char *buf, uint16_t type, uint16_t family, uint32_t seq, void *arg)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, family, NLM_F_DUMP, seq);
	struct nftnl_set *s = nftnl_set_alloc();

	if (s) {
		nftnl_set_set_str(s, NFTNL_SET_TABLE, VN_TABLE);
		nftnl_set_set_str(s, NFTNL_SET_NAME, arg);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
	}
	return nlh;
}

int vn_nft_read(struct mnl_socket *nl, struct vn_live **out)
{
	struct vn_live *l = live_new();
	struct dump_ctx d = {.l = l};
	int r;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	if ((r = dump(nl, NFT_MSG_GETTABLE, NFPROTO_UNSPEC, fill_plain, NULL, table_cb, &d)))
		goto fail;
	if (!l->table)
		goto done;
	if ((r = dump(nl, NFT_MSG_GETCHAIN, NFPROTO_INET, fill_plain, NULL, chain_cb, &d)) ||
	    (r = dump(nl, NFT_MSG_GETSET, NFPROTO_INET, fill_plain, NULL, set_cb, &d)))
		goto fail;
	for (size_t i = 0; i < l->nsets; i++) {
		d.set = &l->sets[i];
		d.family = l->sets[i].key_len == 4 || l->sets[i].key_len == 12 ? AF_INET : AF_INET6;
		if ((r = dump(nl, NFT_MSG_GETSETELEM, NFPROTO_INET, fill_elems, l->sets[i].name, elem_cb, &d)))
			goto fail;
	}
	if ((r = dump(nl, NFT_MSG_GETRULE, NFPROTO_INET, fill_rules, NULL, rule_cb, &d)) ||
	    (r = dump(nl, NFT_MSG_GETOBJ, NFPROTO_INET, fill_plain, NULL, obj_cb, &d)) ||
	    (r = dump(nl, NFT_MSG_GETFLOWTABLE, NFPROTO_INET, fill_plain, NULL, flowtable_cb, &d)))
		goto fail;
done:
	*out = l;
	return 0;
fail:
	vn_live_free(l);
	return r;
}

/* Encode, then decode, so the expected rule takes the same path as a
 * rule read from the kernel. */
static int rule_roundtrip(struct nftnl_rule *r, struct vn_live_rule *lr)
{
	char *buf = malloc(RECV_BYTES);
	struct nftnl_rule *back = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	int rc;

	if (!buf || !back) {
		rc = -ENOMEM;
		goto out;
	}
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, NFPROTO_INET, 0, 0);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	if (nftnl_rule_nlmsg_parse(nlh, back) < 0) {
		rc = VG_EINTERNAL;
		goto out;
	}
	rc = rule_to_live(back, lr);
out:
	if (back)
		nftnl_rule_free(back);
	free(buf);
	return rc;
}

int vn_nft_expected(const struct vn_ruleset *rs, struct vn_live **out)
{
	struct vn_live *l = live_new();
	int r = 0;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->table = true;
	for (int ch = 0; ch < VN_CH_COUNT; ch++) {
		struct vn_live_chain *c = &l->chains[l->nchains++];

		snprintf(c->name, sizeof(c->name), "%s", vn_chain_name(ch));
		c->base = true;
		c->hook = vn_chain_hook(ch);
		c->prio = 0;
		c->policy = NF_DROP;
		snprintf(c->type, sizeof(c->type), "filter");
	}
	for (size_t i = 0; i < rs->nsets; i++) {
		const struct vn_set *s = &rs->sets[i];
		struct vn_live_set *ls = &l->sets[l->nsets++];

		snprintf(ls->name, sizeof(ls->name), "%s", s->name);
		ls->key_type = set_key_type(s);
		ls->key_len = set_key_len(s);
		if (s->pin) {
			ls->flags = 0;
			for (size_t j = 0; j < rs->npins; j++) {
				if (rs->pins[j].ip.family == s->family)
					vn_pin_key(&rs->pins[j], ls->keys[ls->nkeys++]);
			}
			qsort(ls->keys, ls->nkeys, 32, key_cmp);
		} else if (s->meter) {
			ls->flags = NFT_SET_TIMEOUT | NFT_SET_EVAL;
			ls->timeout = VN_METER_TIMEOUT_MS;
			ls->size = s->size;
		} else {
			ls->flags = NFT_SET_INTERVAL;
			ls->nranges = s->nranges;
			memcpy(ls->ranges, s->ranges, s->nranges * sizeof(s->ranges[0]));
		}
	}
	for (size_t i = 0; i < rs->nrules && !r; i++) {
		struct nftnl_rule *nr = rule_build(rs, &rs->rules[i]);
		struct vn_live_rule *lr = live_rule_add(l);

		if (!nr || !lr)
			r = -ENOMEM;
		else
			r = rule_roundtrip(nr, lr);
		if (nr)
			nftnl_rule_free(nr);
	}
	if (r) {
		vn_live_free(l);
		return r;
	}
	*out = l;
	return 0;
}

bool vn_live_set_plain(const struct vn_live_set *s)
{
	return !(s->flags & (NFT_SET_INTERVAL | NFT_SET_EVAL));
}

void vn_live_key_fmt(const struct vn_live_set *s, size_t i, char *buf, size_t len)
{
	const uint8_t *k = s->keys[i];
	struct vn_addr a = {.family = s->key_len == 12 ? AF_INET : AF_INET6};
	char t[VN_ADDR_STRLEN];

	memcpy(a.b, k + 8, s->key_len == 12 ? 4 : 16);
	vn_addr_fmt(&a, t, sizeof(t));
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x . %s", k[0], k[1], k[2], k[3], k[4], k[5], t);
}

const struct vn_live_rule *vn_live_find(const struct vn_live *live, const struct vn_live *want, size_t i)
{
	const struct vn_live_rule *w = &want->rules[i];

	for (size_t j = 0; j < live->nrules; j++) {
		const struct vn_live_rule *h = &live->rules[j];

		if (strcmp(h->chain, w->chain) == 0 && h->has_comment == w->has_comment &&
		    strcmp(h->comment, w->comment) == 0 && strcmp(h->canon, w->canon) == 0)
			return h;
	}
	return NULL;
}
