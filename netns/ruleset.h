/* ruleset.h - the nftables ruleset a configuration implies, as plain data.
 *
 * This is the one description of table inet vaultgate. nft.c encodes it
 * for the kernel, show/verify/explain/export read it back, and the unit
 * tests check it without a kernel. Rule order is the evaluation order.
 */
#ifndef VN_RULESET_H
#define VN_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"

#define VN_TABLE "vaultgate"
#define VN_RULES_MAX 64
#define VN_SETS_MAX 8
#define VN_COMMENT_MAX 128
#define VN_RULE_TEXT_MAX 512
/* Per-source rate-limit entries expire after this long without traffic. */
#define VN_METER_TIMEOUT_MS 60000u
/* The most sources a per-source meter tracks. A meter is sized to its
 * allowlist (one entry per allowed address) up to this; past it, new
 * connections from sources the meter cannot take are accepted without a
 * per-source limit (VN_R_METER_FULL), never dropped. */
#define VN_METER_SIZE 65535u
#define VN_ICMP_BURST 5u

enum vn_chain { VN_CH_INPUT, VN_CH_OUTPUT, VN_CH_FORWARD, VN_CH_COUNT };

enum vn_rule_kind {
	VN_R_PIN,               /* iiftype ether saddr @pinned ether saddr . saddr != @pin: log, drop */
	VN_R_CT_ESTABLISHED,    /* ct state established,related accept */
	VN_R_CT_INVALID,        /* ct state invalid drop */
	VN_R_IIF_LO,            /* iif "lo" accept */
	VN_R_OIF_LO,            /* oif "lo" accept */
	VN_R_ND,                /* icmpv6 type ND ip6 hoplimit 255 accept (icmp_type) */
	VN_R_GATEWAY,           /* tcp dport P saddr @allow ct state new, per-source limit, accept */
	VN_R_METER_FULL,        /* the same, saddr not in the (full) meter: accept, no per-source limit */
	VN_R_ECHO,              /* icmp(v6) echo-request saddr @allow limit accept */
	VN_R_LOG_DROP,          /* log group G drop */
	VN_R_DROP,              /* drop */
	VN_R_EGRESS,            /* output: ip daddr PREFIX tcp dport P[-P] ct state new accept (egress) */
};

enum vn_verdict { VN_ACCEPT = 1, VN_DROP };

struct vn_rule {
	enum vn_chain chain;
	enum vn_rule_kind kind;
	enum vn_verdict verdict;
	uint8_t family;         /* AF_INET/AF_INET6 for family-specific rules, else 0 */
	uint8_t icmp_type;      /* VN_R_ND, VN_R_ECHO */
	uint16_t port;          /* VN_R_GATEWAY, VN_R_METER_FULL: the port it admits */
	struct vn_egress egress; /* VN_R_EGRESS */
	char comment[VN_COMMENT_MAX];
	char text[VN_RULE_TEXT_MAX];  /* nft syntax, without counter values or comment */
};

struct vn_set {
	char name[16];
	uint8_t family;
	bool meter;             /* dynamic per-source rate-limit set, no static elements */
	uint32_t size;          /* meter: most entries (min(allowlist addresses, VN_METER_SIZE)) */
	bool pin;               /* ether_addr . ip address pairs (pins of this family) */
	size_t nranges;
	struct vn_range ranges[VN_ALLOW_MAX];   /* allow sets: merged, sorted */
};

struct vn_ruleset {
	uint16_t port;
	size_t nports;
	uint16_t ports[VN_PORTS_MAX];
	uint16_t nflog_group;
	struct vn_rate conn_rate;
	uint32_t conn_burst;
	struct vn_rate icmp_rate;
	size_t npins;
	struct vn_pin pins[VN_PINS_MAX];
	bool pin_onlink;
	size_t nsets;
	struct vn_set sets[VN_SETS_MAX];
	size_t nrules;
	struct vn_rule rules[VN_RULES_MAX];
};

int vn_ruleset_build(const struct vn_config *c, struct vn_ruleset **out);
void vn_ruleset_free(struct vn_ruleset *rs);

const char *vn_chain_name(enum vn_chain ch);
/* The hook of a chain: NF_INET_LOCAL_IN, ... */
unsigned vn_chain_hook(enum vn_chain ch);
const char *vn_verdict_name(enum vn_verdict v);
const struct vn_set *vn_ruleset_set(const struct vn_ruleset *rs, const char *name);

/* The whole table in nft syntax (what `nft list table inet vaultgate`
 * would show, without handles and with counters at zero). malloc'd. */
char *vn_ruleset_text(const struct vn_ruleset *rs);

/* explain: which rule decides a new packet from src. proto is IPPROTO_TCP
 * (with port) or IPPROTO_ICMP/IPPROTO_ICMPV6 (echo request). Returns the
 * index of the deciding rule in rs->rules, or -1 if the chain policy
 * decides. Established traffic is not modelled: it is always the first
 * rule. */
int vn_ruleset_explain(const struct vn_ruleset *rs, const struct vn_addr *src, int proto, uint16_t port);
/* explain --to: which rule of the output chain decides a new TCP
 * connection the namespace opens to dst:port (loopback, an egress rule or
 * the final drop). Returns the index in rs->rules, or -1 (chain policy). */
int vn_ruleset_explain_out(const struct vn_ruleset *rs, const struct vn_addr *dst, uint16_t port);
/* The pin of src, or NULL. */
const struct vn_pin *vn_ruleset_pin(const struct vn_ruleset *rs, const struct vn_addr *src);
/* The key of a pin set element: MAC, 2 bytes of padding, address. */
size_t vn_pin_key(const struct vn_pin *p, uint8_t key[32]);

#endif
