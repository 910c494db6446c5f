/* ruleset.c - see ruleset.h. */
#include <errno.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ruleset.h"
#include "vg_err.h"

#define ICMP_ECHO_REQUEST 8
#define ICMP6_ECHO_REQUEST 128
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136

const char *vn_chain_name(enum vn_chain ch)
{
	switch (ch) {
	case VN_CH_INPUT:
		return "input";
	case VN_CH_OUTPUT:
		return "output";
	case VN_CH_FORWARD:
		return "forward";
	case VN_CH_COUNT:
		break;
	}
	return "?";
}

unsigned vn_chain_hook(enum vn_chain ch)
{
	switch (ch) {
	case VN_CH_OUTPUT:
		return NF_INET_LOCAL_OUT;
	case VN_CH_FORWARD:
		return NF_INET_FORWARD;
	default:
		return NF_INET_LOCAL_IN;
	}
}

const char *vn_verdict_name(enum vn_verdict v)
{
	return v == VN_ACCEPT ? "accept" : "drop";
}

__attribute__((format(printf, 6, 7)))
static int add(struct vn_ruleset *rs, enum vn_chain ch, enum vn_rule_kind kind, enum vn_verdict v,
	       const char *comment, const char *fmt, ...)
{
	struct vn_rule *r;
	va_list ap;
	int n;

	if (rs->nrules == VN_RULES_MAX)
		return VG_EINTERNAL;
	r = &rs->rules[rs->nrules];
	memset(r, 0, sizeof(*r));
	r->chain = ch;
	r->kind = kind;
	r->verdict = v;
	if (snprintf(r->comment, sizeof(r->comment), "%s", comment) >= (int)sizeof(r->comment))
		return VG_ETOOBIG;
	va_start(ap, fmt);
	n = vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(r->text))
		return VG_ETOOBIG;
	rs->nrules++;
	return 0;
}

static struct vn_rule *last(struct vn_ruleset *rs)
{
	return &rs->rules[rs->nrules - 1];
}

static const char *unit_name(uint32_t unit)
{
	return unit == 1 ? "second" : unit == 60 ? "minute" : unit == 3600 ? "hour" : "day";
}

static int add_set(struct vn_ruleset *rs, const char *name, uint8_t family, bool meter,
		   const struct vn_prefix *p, size_t n)
{
	struct vn_set *s = &rs->sets[rs->nsets++];

	snprintf(s->name, sizeof(s->name), "%s", name);
	s->family = family;
	s->meter = meter;
	for (size_t i = 0; i < n; i++)
		vn_prefix_range(&p[i], &s->ranges[i]);
	s->nranges = vn_ranges_merge(s->ranges, n);
	return 0;
}

/* Addresses in a set's ranges, saturating at cap. */
static uint32_t ranges_count(const struct vn_set *s, uint32_t cap)
{
	size_t len = vn_addr_len(s->family);
	uint64_t total = 0;

	for (size_t i = 0; i < s->nranges && total < cap; i++) {
		uint8_t d[16];
		unsigned borrow = 0;
		uint64_t n = 0;
		bool big = false;

		/* d = hi - lo */
		for (size_t k = len; k-- > 0;) {
			int v = (int)s->ranges[i].hi[k] - (int)s->ranges[i].lo[k] - (int)borrow;

			borrow = v < 0;
			d[k] = (uint8_t)(v < 0 ? v + 256 : v);
		}
		for (size_t k = 0; k < len; k++) {
			if (k + 4 < len && d[k])
				big = true;
			else if (k + 4 >= len)
				n = n << 8 | d[k];
		}
		total += big ? cap : n + 1;
	}
	return total < cap ? (uint32_t)total : cap;
}

static int add_family_port(struct vn_ruleset *rs, uint8_t family, uint16_t port)
{
	bool v4 = family == AF_INET;
	const char *ip = v4 ? "ip" : "ip6", *allow = v4 ? "allow_v4" : "allow_v6";
	const char *meter = v4 ? "rate_v4" : "rate_v6";
	const struct vn_set *ms = vn_ruleset_set(rs, meter);
	char comment[VN_COMMENT_MAX];
	int r;

	snprintf(comment, sizeof(comment),
		 "gateway: new connections to tcp/%u from %s, at most %u/%s per source",
		 port, allow, rs->conn_rate.count, unit_name(rs->conn_rate.unit));
	r = add(rs, VN_CH_INPUT, VN_R_GATEWAY, VN_ACCEPT, comment,
		"tcp dport %u %s saddr @%s ct state new add @%s { %s saddr timeout 1m limit rate %u/%s burst %u packets } counter accept",
		port, ip, allow, meter, ip, rs->conn_rate.count, unit_name(rs->conn_rate.unit),
		rs->conn_burst);
	if (r)
		return r;
	last(rs)->family = family;
	last(rs)->port = port;
	/* A full meter cannot take a new source: the rule above does not
	 * match it. A source that is in the meter is over its own rate and
	 * falls through to the drop; one that is not is let in without a
	 * per-source limit (the kernel's SYN cookies still guard the
	 * listener). Forged sources can fill a meter; they must not turn
	 * it into a denial for the agents. */
	snprintf(comment, sizeof(comment),
		 "gateway: %s full (%u sources): new connections from %s sources it cannot track, no per-source limit",
		 meter, ms ? ms->size : 0, allow);
	r = add(rs, VN_CH_INPUT, VN_R_METER_FULL, VN_ACCEPT, comment,
		"tcp dport %u %s saddr @%s ct state new %s saddr != @%s counter accept",
		port, ip, allow, ip, meter);
	if (r)
		return r;
	last(rs)->family = family;
	last(rs)->port = port;
	return 0;
}

/* The accept rules for each port of the gateway (443; and the S3
 * listener's, issue 16), in the order the configuration gives them. */
static int add_family(struct vn_ruleset *rs, uint8_t family)
{
	int r;

	for (size_t i = 0; i < rs->nports; i++)
		if ((r = add_family_port(rs, family, rs->ports[i])))
			return r;
	return 0;
}

static int add_echo(struct vn_ruleset *rs, uint8_t family)
{
	bool v4 = family == AF_INET;
	char comment[VN_COMMENT_MAX];
	int r;

	snprintf(comment, sizeof(comment), "ping from %s, at most %u/%s in all",
		 v4 ? "allow_v4" : "allow_v6", rs->icmp_rate.count, unit_name(rs->icmp_rate.unit));
	r = add(rs, VN_CH_INPUT, VN_R_ECHO, VN_ACCEPT, comment,
		"%s type echo-request %s saddr @%s limit rate %u/%s counter accept",
		v4 ? "icmp" : "icmpv6", v4 ? "ip" : "ip6", v4 ? "allow_v4" : "allow_v6",
		rs->icmp_rate.count, unit_name(rs->icmp_rate.unit));
	if (r)
		return r;
	last(rs)->family = family;
	last(rs)->icmp_type = v4 ? ICMP_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
	return 0;
}

static int add_nd(struct vn_ruleset *rs, enum vn_chain ch)
{
	static const struct {
		uint8_t type;
		const char *name;
		const char *what;
	} nd[] = {
		{ND_NEIGHBOR_SOLICIT, "nd-neighbor-solicit", "solicitations"},
		{ND_NEIGHBOR_ADVERT, "nd-neighbor-advert", "advertisements"},
	};
	char comment[VN_COMMENT_MAX];
	int r;

	for (size_t i = 0; i < 2; i++) {
		snprintf(comment, sizeof(comment), "IPv6 neighbour %s (on-link only)", nd[i].what);
		r = add(rs, ch, VN_R_ND, VN_ACCEPT, comment,
			"icmpv6 type %s ip6 hoplimit 255 counter accept", nd[i].name);
		if (r)
			return r;
		last(rs)->family = AF_INET6;
		last(rs)->icmp_type = nd[i].type;
	}
	return 0;
}

static int add_egress(struct vn_ruleset *rs, const struct vn_egress *g)
{
	bool v4 = g->dst.a.family == AF_INET;
	char d[INET6_ADDRSTRLEN + 4], ports[12], comment[VN_COMMENT_MAX];
	int r;

	if (vn_prefix_fmt(&g->dst, d, sizeof(d)))
		return VG_ETOOBIG;
	if (g->port_lo == g->port_hi)
		snprintf(ports, sizeof(ports), "%u", g->port_lo);
	else
		snprintf(ports, sizeof(ports), "%u-%u", g->port_lo, g->port_hi);
	if (snprintf(comment, sizeof(comment), "egress: new connections to %s tcp/%s", d, ports) >=
	    (int)sizeof(comment))
		return VG_ETOOBIG;
	r = add(rs, VN_CH_OUTPUT, VN_R_EGRESS, VN_ACCEPT, comment,
		"%s daddr %s tcp dport %s ct state new counter accept", v4 ? "ip" : "ip6", d, ports);
	if (r)
		return r;
	last(rs)->family = g->dst.a.family;
	last(rs)->egress = *g;
	return 0;
}

size_t vn_pin_key(const struct vn_pin *p, uint8_t key[32])
{
	size_t alen = vn_addr_len(p->ip.family);

	memset(key, 0, 32);
	memcpy(key, p->mac, 6);
	memcpy(key + 8, p->ip.b, alen);
	return 8 + alen;
}

const struct vn_pin *vn_ruleset_pin(const struct vn_ruleset *rs, const struct vn_addr *src)
{
	for (size_t i = 0; i < rs->npins; i++) {
		if (rs->pins[i].ip.family == src->family && memcmp(rs->pins[i].ip.b, src->b, 16) == 0)
			return &rs->pins[i];
	}
	return NULL;
}

/* pin_vN (MAC . address pairs) and pinned_vN (the guarded sources: the
 * pinned addresses, or with pin_onlink the whole on-link prefix). */
static int add_pin_sets(struct vn_ruleset *rs, const struct vn_config *c, uint8_t family)
{
	bool v4 = family == AF_INET;
	struct vn_prefix guard[VN_PINS_MAX];
	size_t n = 0;
	struct vn_set *s;

	if (c->pin_onlink) {
		vn_prefix_network(v4 ? &c->address : &c->address6, &guard[0]);
		n = 1;
	} else {
		for (size_t i = 0; i < c->npins; i++) {
			if (c->pins[i].ip.family != family)
				continue;
			guard[n].a = c->pins[i].ip;
			guard[n++].plen = v4 ? 32 : 128;
		}
	}
	if (!n)
		return 0;
	if (rs->nsets + 2 > VN_SETS_MAX)
		return VG_EINTERNAL;
	add_set(rs, v4 ? "pinned_v4" : "pinned_v6", family, false, guard, n);
	s = &rs->sets[rs->nsets++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", v4 ? "pin_v4" : "pin_v6");
	s->family = family;
	s->pin = true;
	return 0;
}

static int add_pin_rule(struct vn_ruleset *rs, uint8_t family)
{
	bool v4 = family == AF_INET;
	char comment[VN_COMMENT_MAX];
	int r;

	if (!vn_ruleset_set(rs, v4 ? "pinned_v4" : "pinned_v6"))
		return 0;
	snprintf(comment, sizeof(comment), "%s: from another MAC is forged: log, drop",
		 rs->pin_onlink ? (v4 ? "on-link IPv4 sources are pinned" : "on-link IPv6 sources are pinned")
				: (v4 ? "pinned IPv4 agents" : "pinned IPv6 agents"));
	r = add(rs, VN_CH_INPUT, VN_R_PIN, VN_DROP, comment,
		"meta iiftype ether %s saddr @%s ether saddr . %s saddr != @%s log group %u counter drop",
		v4 ? "ip" : "ip6", v4 ? "pinned_v4" : "pinned_v6", v4 ? "ip" : "ip6", v4 ? "pin_v4" : "pin_v6",
		rs->nflog_group);
	if (r)
		return r;
	last(rs)->family = family;
	return 0;
}

int vn_ruleset_build(const struct vn_config *c, struct vn_ruleset **out)
{
	struct vn_ruleset *rs;
	char comment[VN_COMMENT_MAX];
	int r;

	*out = NULL;
	if (!(rs = calloc(1, sizeof(*rs))))
		return -ENOMEM;
	rs->port = c->port;
	rs->nports = c->nports ? c->nports : 1;
	memcpy(rs->ports, c->ports, rs->nports * sizeof(rs->ports[0]));
	rs->ports[0] = c->port;
	rs->nflog_group = c->nflog_group;
	rs->conn_rate = c->conn_rate;
	rs->conn_burst = c->conn_burst;
	rs->icmp_rate = c->icmp_rate;
	if (c->nallow4) {
		add_set(rs, "allow_v4", AF_INET, false, c->allow4, c->nallow4);
		add_set(rs, "rate_v4", AF_INET, true, NULL, 0);
		rs->sets[rs->nsets - 1].size = ranges_count(&rs->sets[rs->nsets - 2], VN_METER_SIZE);
	}
	if (c->nallow6) {
		add_set(rs, "allow_v6", AF_INET6, false, c->allow6, c->nallow6);
		add_set(rs, "rate_v6", AF_INET6, true, NULL, 0);
		rs->sets[rs->nsets - 1].size = ranges_count(&rs->sets[rs->nsets - 2], VN_METER_SIZE);
	}
	rs->npins = c->npins;
	memcpy(rs->pins, c->pins, c->npins * sizeof(c->pins[0]));
	rs->pin_onlink = c->pin_onlink;
	if (c->npins && ((r = add_pin_sets(rs, c, AF_INET)) ||
			 (c->has_address6 && (r = add_pin_sets(rs, c, AF_INET6))) ||
			 (r = add_pin_rule(rs, AF_INET)) || (r = add_pin_rule(rs, AF_INET6))))
		goto out;

	if ((r = add(rs, VN_CH_INPUT, VN_R_CT_ESTABLISHED, VN_ACCEPT,
		     "replies and data of connections already admitted",
		     "ct state established,related counter accept")) ||
	    (r = add(rs, VN_CH_INPUT, VN_R_CT_INVALID, VN_DROP,
		     "packets conntrack cannot place", "ct state invalid counter drop")) ||
	    (r = add(rs, VN_CH_INPUT, VN_R_IIF_LO, VN_ACCEPT,
		     "loopback inside the namespace", "iif \"lo\" counter accept")))
		goto out;
	if (c->has_address6 && (r = add_nd(rs, VN_CH_INPUT)))
		goto out;
	if (c->nallow4 && (r = add_family(rs, AF_INET)))
		goto out;
	if (c->nallow6 && (r = add_family(rs, AF_INET6)))
		goto out;
	if (c->nallow4 && (r = add_echo(rs, AF_INET)))
		goto out;
	if (c->nallow6 && (r = add_echo(rs, AF_INET6)))
		goto out;
	snprintf(comment, sizeof(comment),
		 "everything else: log to NFLOG group %u, then drop (never reject)", c->nflog_group);
	if ((r = add(rs, VN_CH_INPUT, VN_R_LOG_DROP, VN_DROP, comment,
		     "log group %u counter drop", c->nflog_group)))
		goto out;

	if ((r = add(rs, VN_CH_OUTPUT, VN_R_CT_ESTABLISHED, VN_ACCEPT,
		     c->negress ? "replies, and connections the egress rules admitted"
				: "replies only: the appliance opens no connection",
		     "ct state established,related counter accept")) ||
	    (r = add(rs, VN_CH_OUTPUT, VN_R_OIF_LO, VN_ACCEPT,
		     "loopback inside the namespace", "oif \"lo\" counter accept")))
		goto out;
	if (c->has_address6 && (r = add_nd(rs, VN_CH_OUTPUT)))
		goto out;
	for (size_t i = 0; i < c->negress; i++) {
		if ((r = add_egress(rs, &c->egress[i])))
			goto out;
	}
	if ((r = add(rs, VN_CH_OUTPUT, VN_R_DROP, VN_DROP,
		     c->negress ? "everything else the appliance sends (no egress rule admits it): drop"
				: "everything else the appliance sends: drop",
		     "counter drop")) ||
	    (r = add(rs, VN_CH_FORWARD, VN_R_DROP, VN_DROP,
		     "the appliance routes nothing", "counter drop")))
		goto out;
out:
	if (r) {
		free(rs);
		return r;
	}
	*out = rs;
	return 0;
}

void vn_ruleset_free(struct vn_ruleset *rs)
{
	free(rs);
}

const struct vn_set *vn_ruleset_set(const struct vn_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->nsets; i++) {
		if (strcmp(rs->sets[i].name, name) == 0)
			return &rs->sets[i];
	}
	return NULL;
}

char *vn_ruleset_text(const struct vn_ruleset *rs)
{
	struct vg_wr w;
	char *out = NULL;

	vg_wr_init(&w, 1u << 20);
	vg_wr_printf(&w, "table inet %s {\n", VN_TABLE);
	for (size_t i = 0; i < rs->nsets; i++) {
		const struct vn_set *s = &rs->sets[i];

		vg_wr_printf(&w, "\tset %s {\n\t\ttype %s%s\n", s->name, s->pin ? "ether_addr . " : "",
			     s->family == AF_INET ? "ipv4_addr" : "ipv6_addr");
		if (s->pin) {
			size_t k = 0;

			vg_wr_printf(&w, "\t\telements = { ");
			for (size_t j = 0; j < rs->npins; j++) {
				char t[VN_ADDR_STRLEN];
				const uint8_t *m = rs->pins[j].mac;

				if (rs->pins[j].ip.family != s->family)
					continue;
				vn_addr_fmt(&rs->pins[j].ip, t, sizeof(t));
				vg_wr_printf(&w, "%s%02x:%02x:%02x:%02x:%02x:%02x . %s", k++ ? ", " : "", m[0], m[1], m[2],
					     m[3], m[4], m[5], t);
			}
			vg_wr_printf(&w, " }\n");
		} else if (s->meter) {
			vg_wr_printf(&w, "\t\tsize %u\n\t\tflags dynamic,timeout\n\t\ttimeout 1m\n",
				     s->size);
		} else {
			vg_wr_printf(&w, "\t\tflags interval\n\t\telements = { ");
			for (size_t j = 0; j < s->nranges; j++) {
				char t[VN_ADDR_STRLEN];

				vn_range_fmt(&s->ranges[j], t, sizeof(t));
				vg_wr_printf(&w, "%s%s", j ? ", " : "", t);
			}
			vg_wr_printf(&w, " }\n");
		}
		vg_wr_printf(&w, "\t}\n\n");
	}
	for (int ch = 0; ch < VN_CH_COUNT; ch++) {
		vg_wr_printf(&w, "%s\tchain %s {\n\t\ttype filter hook %s priority filter; policy drop;\n",
			     ch ? "\n" : "", vn_chain_name(ch), vn_chain_name(ch));
		for (size_t i = 0; i < rs->nrules; i++) {
			const struct vn_rule *r = &rs->rules[i];

			if ((int)r->chain == ch)
				vg_wr_printf(&w, "\t\t%s comment \"%s\"\n", r->text, r->comment);
		}
		vg_wr_printf(&w, "\t}\n");
	}
	vg_wr_printf(&w, "}\n");
	vg_wr_u8(&w, 0);
	if (!w.err)
		out = strdup((const char *)w.p);
	vg_wr_free(&w);
	return out;
}

static bool is_loopback(const struct vn_addr *a)
{
	static const uint8_t v6lo[16] = {[15] = 1};

	return a->family == AF_INET ? a->b[0] == 127 : memcmp(a->b, v6lo, 16) == 0;
}

int vn_ruleset_explain(const struct vn_ruleset *rs, const struct vn_addr *src, int proto, uint16_t port)
{
	char allow[16];
	const struct vn_set *s;

	snprintf(allow, sizeof(allow), "allow_v%c", src->family == AF_INET ? '4' : '6');
	s = vn_ruleset_set(rs, allow);
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct vn_rule *r = &rs->rules[i];

		if (r->chain != VN_CH_INPUT)
			continue;
		switch (r->kind) {
		case VN_R_PIN: {
			/* a source the rule guards, with no pin of its own: whatever
			 * its MAC, the pair is not in the pin set */
			char pinned[16];
			const struct vn_set *g;

			snprintf(pinned, sizeof(pinned), "pinned_v%c", src->family == AF_INET ? '4' : '6');
			g = vn_ruleset_set(rs, pinned);
			if (r->family == src->family && g && vn_ranges_lookup(g->ranges, g->nranges, src) &&
			    !vn_ruleset_pin(rs, src))
				return (int)i;
			break;
		}
		case VN_R_IIF_LO:
			if (is_loopback(src))
				return (int)i;
			break;
		case VN_R_GATEWAY:
			if (proto == IPPROTO_TCP && r->family == src->family && port == r->port && s &&
			    vn_ranges_lookup(s->ranges, s->nranges, src))
				return (int)i;
			break;
		case VN_R_ECHO:
			if ((proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) && r->family == src->family &&
			    s && vn_ranges_lookup(s->ranges, s->nranges, src))
				return (int)i;
			break;
		case VN_R_LOG_DROP:
		case VN_R_DROP:
			return (int)i;
		default:
			break;
		}
	}
	return -1;
}

int vn_ruleset_explain_out(const struct vn_ruleset *rs, const struct vn_addr *dst, uint16_t port)
{
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct vn_rule *r = &rs->rules[i];

		if (r->chain != VN_CH_OUTPUT)
			continue;
		switch (r->kind) {
		case VN_R_OIF_LO:
			if (is_loopback(dst))
				return (int)i;
			break;
		case VN_R_EGRESS:
			if (r->family == dst->family && vn_prefix_contains(&r->egress.dst, dst) &&
			    port >= r->egress.port_lo && port <= r->egress.port_hi)
				return (int)i;
			break;
		case VN_R_LOG_DROP:
		case VN_R_DROP:
			return (int)i;
		default:
			break;
		}
	}
	return -1;
}
