/* path.c - see path.h. */
#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>

#include <libmnl/libmnl.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/classifier.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/route.h>
#include <netlink/route/rtnl.h>
#include <netlink/route/rule.h>
#include <netlink/route/tc.h>

#include "link.h"
#include "nft.h"
#include "ns.h"
#include "path.h"
#include "vg_err.h"

/* --- sysctls ---------------------------------------------------------------- */

/* "%s" is the configured interface. Effective values: forwarding and
 * redirects per interface and "all"; rp_filter is max(all, interface). */
static const struct {
	const char *path;
	const char *want;
	const char *why;
} VN_SYSCTLS[] = {
	{"net/ipv4/ip_forward", "0", "the appliance routes nothing"},
	{"net/ipv4/conf/all/forwarding", "0", "the appliance routes nothing"},
	{"net/ipv6/conf/all/forwarding", "0", "the appliance routes nothing"},
	{"net/ipv4/conf/all/accept_redirects", "0", "no ICMP redirect may change a route"},
	{"net/ipv4/conf/default/accept_redirects", "0", "no ICMP redirect may change a route"},
	{"net/ipv4/conf/%s/accept_redirects", "0", "no ICMP redirect may change a route"},
	{"net/ipv4/conf/all/secure_redirects", "0", "no ICMP redirect may change a route"},
	{"net/ipv4/conf/%s/secure_redirects", "0", "no ICMP redirect may change a route"},
	{"net/ipv6/conf/all/accept_redirects", "0", "no ICMP redirect may change a route"},
	{"net/ipv6/conf/%s/accept_redirects", "0", "no ICMP redirect may change a route"},
	{"net/ipv4/conf/all/send_redirects", "0", "the appliance routes nothing"},
	{"net/ipv4/conf/%s/send_redirects", "0", "the appliance routes nothing"},
	{"net/ipv4/conf/all/accept_source_route", "0", "no source-routed packet"},
	{"net/ipv4/conf/%s/accept_source_route", "0", "no source-routed packet"},
	{"net/ipv6/conf/all/accept_source_route", "-1", "no source-routed packet"},
	{"net/ipv6/conf/%s/accept_source_route", "-1", "no source-routed packet"},
	{"net/ipv4/conf/all/rp_filter", "1", "strict reverse-path filter"},
	{"net/ipv4/conf/%s/rp_filter", "1", "strict reverse-path filter on the data link"},
	{"net/ipv4/conf/%s/arp_ignore", "1", "answer ARP only for the address on this link"},
	{"net/ipv4/conf/%s/arp_announce", "2", "announce only the address of this link"},
	{"net/ipv4/conf/%s/arp_accept", "0", "no neighbour entry from unsolicited ARP"},
	{"net/ipv4/conf/%s/proxy_arp", "0", "answer ARP for nobody else"},
	{"net/ipv6/conf/%s/accept_ra", "0", "no router advertisement may add a route or address"},
	{"net/ipv6/conf/default/accept_ra", "0", "no router advertisement may add a route or address"},
	{"net/ipv6/conf/%s/autoconf", "0", "no address from router advertisements"},
	{"net/ipv6/conf/default/autoconf", "0", "no address from router advertisements"},
	{"net/ipv6/conf/default/accept_redirects", "0", "no ICMP redirect may change a route"},
	{"net/ipv4/conf/default/rp_filter", "1", "strict reverse-path filter"},
	{"net/ipv4/conf/default/arp_ignore", "1", "answer ARP only for the address on this link"},
	{"net/ipv4/conf/default/arp_announce", "2", "announce only the address of this link"},
	{"net/ipv4/tcp_syncookies", "1", "SYN cookies hold the listener under a SYN flood"},
	{"net/ipv4/icmp_echo_ignore_broadcasts", "1", "no answer to broadcast pings"},
};

static int sysctl_path(const struct vn_config *c, size_t i, char *buf, size_t len)
{
	const char *p = VN_SYSCTLS[i].path, *pc = strstr(p, "%s");
	int n;

	if (pc)
		n = snprintf(buf, len, "/proc/sys/%.*s%s%s", (int)(pc - p), p, c->ifname, pc + 2);
	else
		n = snprintf(buf, len, "/proc/sys/%s", p);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* "net.ipv4.conf.vg0.rp_filter" */
static void sysctl_name(const char *path, char *buf, size_t len)
{
	size_t j = 0;

	path += strlen("/proc/sys/");
	for (; *path && j + 1 < len; path++)
		buf[j++] = *path == '/' ? '.' : *path;
	buf[j] = '\0';
}

static int sysctl_read(const char *path, char *val, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, val, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	val[n] = '\0';
	while (n > 0 && (val[n - 1] == '\n' || val[n - 1] == ' '))
		val[--n] = '\0';
	return 0;
}

static int sysctl_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : n < 0 ? -errno : -EIO;
}

static int harden(const struct vn_config *c, bool per_if, char *step, size_t steplen)
{
	char path[256];
	int saved, r = 0;

	if ((r = vn_netns_switch(c->netns, &saved)))
		return r;
	for (size_t i = 0; i < sizeof(VN_SYSCTLS) / sizeof(VN_SYSCTLS[0]) && !r; i++) {
		if (!per_if && strstr(VN_SYSCTLS[i].path, "%s"))
			continue;
		if ((r = sysctl_path(c, i, path, sizeof(path))))
			break;
		if ((r = sysctl_write(path, VN_SYSCTLS[i].want))) {
			char name[200];

			sysctl_name(path, name, sizeof(name));
			snprintf(step, steplen, "setting %s = %s", name, VN_SYSCTLS[i].want);
		}
	}
	if (vn_netns_return(saved) < 0 && !r)
		r = VG_EINTERNAL;
	return r;
}

int vn_path_harden(const struct vn_config *c, char *step, size_t steplen)
{
	return harden(c, true, step, steplen);
}

int vn_path_harden_ns(const struct vn_config *c, char *step, size_t steplen)
{
	return harden(c, false, step, steplen);
}

static size_t check_sysctls(const struct vn_config *c, struct vg_wr *out)
{
	char path[256], name[200], val[64];
	size_t nd = 0;
	int saved, r;

	if ((r = vn_netns_switch(c->netns, &saved))) {
		vg_wr_printf(out, "! sysctls: cannot enter namespace %s: %s\n", c->netns, vg_strerror(r));
		return 1;
	}
	for (size_t i = 0; i < sizeof(VN_SYSCTLS) / sizeof(VN_SYSCTLS[0]); i++) {
		if (sysctl_path(c, i, path, sizeof(path)))
			continue;
		sysctl_name(path, name, sizeof(name));
		if ((r = sysctl_read(path, val, sizeof(val)))) {
			vg_wr_printf(out, "! sysctl %s: cannot read (%s), required %s (%s)\n", name, vg_strerror(r),
				     VN_SYSCTLS[i].want, VN_SYSCTLS[i].why);
			nd++;
		} else if (strcmp(val, VN_SYSCTLS[i].want) != 0) {
			vg_wr_printf(out, "! sysctl %s = %s, required %s (%s)\n", name, val, VN_SYSCTLS[i].want,
				     VN_SYSCTLS[i].why);
			nd++;
		}
	}
	/* legacy x_tables: rules there run beside nftables, unseen by it */
	{
		static const char *const names[] = {"/proc/net/ip_tables_names", "/proc/net/ip6_tables_names",
						    "/proc/net/arp_tables_names"};

		for (size_t i = 0; i < 3; i++) {
			char buf[256];

			if (sysctl_read(names[i], buf, sizeof(buf)) == 0 && buf[0]) {
				for (char *p = buf; *p; p++)
					if (*p == '\n')
						*p = ' ';
				vg_wr_printf(out, "+ x_tables: %s lists \"%s\" (legacy iptables rules run beside nftables)\n",
					     names[i] + strlen("/proc/net/"), buf);
				nd++;
			}
		}
	}
	vn_netns_return(saved);
	return nd;
}

/* --- links, addresses, routes, rules, neighbours, tc ------------------------- */

static void naddr_fmt(struct nl_addr *a, char *buf, size_t len)
{
	if (!a) {
		snprintf(buf, len, "?");
		return;
	}
	nl_addr2str(a, buf, len);
}

/* The nl_addr as a vn_addr (0) or -1. */
static int to_vn(struct nl_addr *a, struct vn_addr *out)
{
	unsigned alen;

	if (!a)
		return -1;
	alen = nl_addr_get_len(a);
	memset(out, 0, sizeof(*out));
	out->family = (uint8_t)nl_addr_get_family(a);
	if ((out->family != AF_INET || alen != 4) && (out->family != AF_INET6 || alen != 16))
		return -1;
	memcpy(out->b, nl_addr_get_binary_addr(a), alen);
	return 0;
}

static bool is_loop(const struct vn_addr *a)
{
	static const uint8_t v6lo[16] = {[15] = 1};

	return a->family == AF_INET ? a->b[0] == 127 : memcmp(a->b, v6lo, 16) == 0;
}

static bool is_ll6(const struct vn_addr *a)
{
	return a->family == AF_INET6 && a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

static bool same_prefix(const struct vn_prefix *p, const struct vn_addr *a, unsigned plen)
{
	return p->plen == plen && memcmp(p->a.b, a->b, 16) == 0;
}

/* a, with plen, is the network of p (connected route) */
static bool is_network_of(const struct vn_prefix *p, const struct vn_addr *a, unsigned plen)
{
	struct vn_prefix net;

	if (p->a.family != a->family || p->plen != plen)
		return false;
	vn_prefix_network(p, &net);
	return memcmp(net.a.b, a->b, 16) == 0;
}

struct pctx {
	const struct vn_config *c;
	struct vg_wr *out;
	size_t nd;
	int ifindex;
	bool addr4, addr6;      /* the configured addresses are present */
	bool gw4, gw6;
	bool route[VN_ROUTES_MAX];
};

static void check_links(struct pctx *x, struct nl_cache *links)
{
	bool seen = false;

	for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const char *name = rtnl_link_get_name(l);

		if (name && strcmp(name, "lo") == 0)
			continue;
		if (name && strcmp(name, x->c->ifname) == 0) {
			seen = true;
			x->ifindex = rtnl_link_get_ifindex(l);
			if (!(rtnl_link_get_flags(l) & IFF_UP)) {
				vg_wr_printf(x->out, "! link %s: down\n", name);
				x->nd++;
			}
			continue;
		}
		vg_wr_printf(x->out, "+ link %s (%s): not in the configuration\n", name ? name : "?",
			     rtnl_link_get_type(l) ? rtnl_link_get_type(l) : "device");
		x->nd++;
	}
	if (!seen) {
		vg_wr_printf(x->out, "- link %s: missing\n", x->c->ifname);
		x->nd++;
	}
}

static void check_addrs(struct pctx *x, struct nl_cache *addrs)
{
	for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ad = (struct rtnl_addr *)o;
		struct vn_addr a;
		unsigned plen = (unsigned)rtnl_addr_get_prefixlen(ad);
		int ifi = rtnl_addr_get_ifindex(ad);
		char s[128];

		if (to_vn(rtnl_addr_get_local(ad), &a))
			continue;
		if (ifi == 1 && is_loop(&a))
			continue;
		if (ifi == x->ifindex && a.family == AF_INET && same_prefix(&x->c->address, &a, plen)) {
			x->addr4 = true;
			continue;
		}
		if (ifi == x->ifindex && x->c->has_address6 && a.family == AF_INET6 &&
		    same_prefix(&x->c->address6, &a, plen)) {
			x->addr6 = true;
			continue;
		}
		if (ifi == x->ifindex && is_ll6(&a) && plen == 64)
			continue;
		naddr_fmt(rtnl_addr_get_local(ad), s, sizeof(s));
		vg_wr_printf(x->out, "+ address %s on ifindex %d: not in the configuration\n", s, ifi);
		x->nd++;
	}
	if (!x->addr4) {
		char p[VN_ADDR_STRLEN];

		vn_prefix_fmt(&x->c->address, p, sizeof(p));
		vg_wr_printf(x->out, "- address %s on %s: missing\n", p, x->c->ifname);
		x->nd++;
	}
	if (x->c->has_address6 && !x->addr6) {
		char p[VN_ADDR_STRLEN];

		vn_prefix_fmt(&x->c->address6, p, sizeof(p));
		vg_wr_printf(x->out, "- address %s on %s: missing\n", p, x->c->ifname);
		x->nd++;
	}
}

/* An address the namespace owns: the configured ones, loopback, link-local. */
static bool own_addr(const struct pctx *x, const struct vn_addr *a)
{
	if (is_loop(a) || is_ll6(a))
		return true;
	if (a->family == AF_INET)
		return memcmp(a->b, x->c->address.a.b, 16) == 0;
	return x->c->has_address6 && memcmp(a->b, x->c->address6.a.b, 16) == 0;
}

static bool in_own_prefix(const struct pctx *x, const struct vn_addr *a)
{
	struct vn_prefix lo8 = {.a.family = AF_INET, .a.b = {127}, .plen = 8};

	if (a->family == AF_INET)
		return vn_prefix_contains(&x->c->address, a) || vn_prefix_contains(&lo8, a);
	return is_ll6(a) || (x->c->has_address6 && vn_prefix_contains(&x->c->address6, a));
}

static bool route_ok(struct pctx *x, struct rtnl_route *rt)
{
	uint32_t table = rtnl_route_get_table(rt);
	uint8_t type = rtnl_route_get_type(rt), proto = rtnl_route_get_protocol(rt);
	struct nl_addr *dst = rtnl_route_get_dst(rt);
	unsigned plen = dst ? nl_addr_get_prefixlen(dst) : 0;
	struct vn_addr d, gw;
	struct rtnl_nexthop *nh = rtnl_route_get_nnexthops(rt) == 1 ? rtnl_route_nexthop_n(rt, 0) : NULL;
	bool has_gw = nh && rtnl_route_nh_get_gateway(nh);
	int oif = nh ? rtnl_route_nh_get_ifindex(nh) : 0;
	int fam = rtnl_route_get_family(rt);

	memset(&d, 0, sizeof(d));
	d.family = (uint8_t)fam;
	if (dst && nl_addr_get_len(dst) && to_vn(dst, &d))
		return false;
	if (table == RT_TABLE_LOCAL) {
		if (proto != RTPROT_KERNEL)
			return false;
		if (type == RTN_LOCAL)
			return own_addr(x, &d);
		if (type == RTN_BROADCAST)
			return fam == AF_INET && in_own_prefix(x, &d);
		if (type == RTN_MULTICAST)
			return fam == AF_INET6 && d.b[0] == 0xff && plen == 8;
		if (type == RTN_ANYCAST)
			return fam == AF_INET6 && in_own_prefix(x, &d);
		return false;
	}
	if (table != RT_TABLE_MAIN || type != RTN_UNICAST)
		return false;
	if (!has_gw) {
		/* connected: the prefix of a configured address (or fe80::/64) */
		if (proto != RTPROT_KERNEL || oif != x->ifindex)
			return false;
		if (fam == AF_INET)
			return is_network_of(&x->c->address, &d, plen);
		if (is_ll6(&d) && plen == 64)
			return true;
		return x->c->has_address6 && is_network_of(&x->c->address6, &d, plen);
	}
	if (to_vn(rtnl_route_nh_get_gateway(nh), &gw) || oif != x->ifindex)
		return false;
	if (plen == 0 && fam == AF_INET && x->c->has_gateway && memcmp(gw.b, x->c->gateway.b, 16) == 0)
		return (x->gw4 = true);
	if (plen == 0 && fam == AF_INET6 && x->c->has_gateway6 && memcmp(gw.b, x->c->gateway6.b, 16) == 0)
		return (x->gw6 = true);
	for (size_t i = 0; i < x->c->nroutes; i++) {
		const struct vn_route *r = &x->c->routes[i];

		if (r->dst.a.family == fam && same_prefix(&r->dst, &d, plen) && memcmp(gw.b, r->via.b, 16) == 0)
			return (x->route[i] = true);
	}
	return false;
}

static void check_routes(struct pctx *x, struct nl_cache *routes)
{
	for (struct nl_object *o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		char s[128], t[32];

		if (route_ok(x, rt))
			continue;
		naddr_fmt(rtnl_route_get_dst(rt), s, sizeof(s));
		nl_rtntype2str(rtnl_route_get_type(rt), t, sizeof(t));
		vg_wr_printf(x->out, "+ route %s %s table %u proto %u%s: not in the configuration\n", t, s,
			     rtnl_route_get_table(rt), rtnl_route_get_protocol(rt),
			     rtnl_route_get_nnexthops(rt) == 1 &&
			     rtnl_route_nh_get_gateway(rtnl_route_nexthop_n(rt, 0)) ? " (via a gateway)" : "");
		x->nd++;
	}
	if (x->c->has_gateway && !x->gw4) {
		char g[VN_ADDR_STRLEN];

		vn_addr_fmt(&x->c->gateway, g, sizeof(g));
		vg_wr_printf(x->out, "- route default via %s: missing\n", g);
		x->nd++;
	}
	if (x->c->has_gateway6 && !x->gw6) {
		char g[VN_ADDR_STRLEN];

		vn_addr_fmt(&x->c->gateway6, g, sizeof(g));
		vg_wr_printf(x->out, "- route default via %s: missing\n", g);
		x->nd++;
	}
	for (size_t i = 0; i < x->c->nroutes; i++) {
		char p[VN_ADDR_STRLEN], g[VN_ADDR_STRLEN];

		if (x->route[i])
			continue;
		vn_prefix_fmt(&x->c->routes[i].dst, p, sizeof(p));
		vn_addr_fmt(&x->c->routes[i].via, g, sizeof(g));
		vg_wr_printf(x->out, "- route %s via %s: missing\n", p, g);
		x->nd++;
	}
}

/* The kernel's default policy rules: 0 local, 32766 main, 32767 default.
 * Kernels differ in which of the last two they create per family (a VM's
 * 6.1 showed IPv6 rules at 32767 to main and to default), so a plain rule
 * (no selector) at 32766 or 32767 to main or default passes for either
 * family: it diverts nothing, and the routes in every table are checked. */
static void check_rules(struct pctx *x, struct nl_cache *rules)
{
	for (struct nl_object *o = nl_cache_get_first(rules); o; o = nl_cache_get_next(o)) {
		struct rtnl_rule *ru = (struct rtnl_rule *)o;
		uint32_t prio = rtnl_rule_get_prio(ru), table = rtnl_rule_get_table(ru);
		int fam = rtnl_rule_get_family(ru);
		bool plain = !rtnl_rule_get_src(ru) && !rtnl_rule_get_dst(ru) && !rtnl_rule_get_iif(ru) &&
			     !rtnl_rule_get_oif(ru) && rtnl_rule_get_action(ru) == FR_ACT_TO_TBL;

		if (plain && ((prio == 0 && table == RT_TABLE_LOCAL) ||
			      ((prio == 32766 || prio == 32767) &&
			       (table == RT_TABLE_MAIN || table == RT_TABLE_DEFAULT))))
			continue;
		vg_wr_printf(x->out, "+ policy rule %s priority %u table %u: not the kernel's default\n",
			     fam == AF_INET ? "ipv4" : "ipv6", prio, table);
		x->nd++;
	}
}

static void check_neigh(struct pctx *x, struct nl_cache *neigh)
{
	for (struct nl_object *o = nl_cache_get_first(neigh); o; o = nl_cache_get_next(o)) {
		struct rtnl_neigh *n = (struct rtnl_neigh *)o;
		int st = rtnl_neigh_get_state(n);
		char s[128], m[64];

		if (!(st & NUD_PERMANENT) || rtnl_neigh_get_ifindex(n) == 1)
			continue;
		if (vn_config_pinned(x->c, rtnl_neigh_get_dst(n) ? nl_addr_get_binary_addr(rtnl_neigh_get_dst(n)) : NULL,
				     rtnl_neigh_get_family(n),
				     rtnl_neigh_get_lladdr(n) && nl_addr_get_len(rtnl_neigh_get_lladdr(n)) == 6 ?
				     nl_addr_get_binary_addr(rtnl_neigh_get_lladdr(n)) : NULL))
			continue;
		naddr_fmt(rtnl_neigh_get_dst(n), s, sizeof(s));
		naddr_fmt(rtnl_neigh_get_lladdr(n), m, sizeof(m));
		vg_wr_printf(x->out, "+ neighbour %s lladdr %s permanent: not pinned in the configuration\n", s, m);
		x->nd++;
	}
}

static bool qdisc_plain(const char *kind)
{
	static const char *const ok[] = {"noqueue", "pfifo_fast", "fq_codel", "fq", "mq", "pfifo", "bfifo", NULL};

	for (size_t i = 0; ok[i]; i++)
		if (strcmp(kind, ok[i]) == 0)
			return true;
	return false;
}

static void count_filters(struct pctx *x, struct nl_sock *sk, int ifindex, uint32_t parent, const char *where)
{
	struct nl_cache *cls = NULL;

	if (rtnl_cls_alloc_cache(sk, ifindex, parent, &cls) < 0)
		return;
	for (struct nl_object *o = nl_cache_get_first(cls); o; o = nl_cache_get_next(o)) {
		const char *kind = rtnl_tc_get_kind(TC_CAST(o));

		vg_wr_printf(x->out, "+ tc filter %s on ifindex %d %s: traffic control can admit or divert packets around the firewall\n",
			     kind ? kind : "?", ifindex, where);
		x->nd++;
	}
	nl_cache_free(cls);
}

static void check_tc(struct pctx *x, struct nl_sock *sk, struct nl_cache *qdiscs)
{
	for (struct nl_object *o = nl_cache_get_first(qdiscs); o; o = nl_cache_get_next(o)) {
		struct rtnl_tc *tc = TC_CAST(o);
		const char *kind = rtnl_tc_get_kind(tc);
		int ifi = rtnl_tc_get_ifindex(tc);
		uint32_t h = rtnl_tc_get_handle(tc);

		if (!kind)
			continue;
		if (strcmp(kind, "clsact") == 0 || strcmp(kind, "ingress") == 0) {
			vg_wr_printf(x->out, "+ tc qdisc %s on ifindex %d: a hook for filters outside nftables\n", kind, ifi);
			x->nd++;
			count_filters(x, sk, ifi, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), "ingress");
			if (strcmp(kind, "clsact") == 0)
				count_filters(x, sk, ifi, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS), "egress");
			continue;
		}
		if (!qdisc_plain(kind)) {
			vg_wr_printf(x->out, "+ tc qdisc %s on ifindex %d: not a plain queue\n", kind, ifi);
			x->nd++;
		}
		if (h)
			count_filters(x, sk, ifi, h, "egress");
	}
}

static size_t check_rtnl(const struct vn_config *c, struct vg_wr *out)
{
	struct pctx x = {.c = c, .out = out, .ifindex = -1};
	struct nl_sock *sk = NULL;
	struct nl_cache *links = NULL, *addrs = NULL, *routes = NULL, *rules = NULL, *neigh = NULL, *q = NULL;
	int r;

	if ((r = vn_rt_open(c->netns, &sk))) {
		vg_wr_printf(out, "! rtnetlink in %s: %s\n", c->netns, vg_strerror(r));
		return 1;
	}
	if ((r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links)) < 0 || (r = rtnl_addr_alloc_cache(sk, &addrs)) < 0 ||
	    (r = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &routes)) < 0 ||
	    (r = rtnl_rule_alloc_cache(sk, AF_UNSPEC, &rules)) < 0 || (r = rtnl_neigh_alloc_cache(sk, &neigh)) < 0 ||
	    (r = rtnl_qdisc_alloc_cache(sk, &q)) < 0) {
		vg_wr_printf(out, "! rtnetlink in %s: reading: %s\n", c->netns, vg_strerror(vn_nl_err(r)));
		x.nd = 1;
		goto out;
	}
	check_links(&x, links);
	check_addrs(&x, addrs);
	check_routes(&x, routes);
	check_rules(&x, rules);
	check_neigh(&x, neigh);
	check_tc(&x, sk, q);
out:
	if (q)
		nl_cache_free(q);
	if (neigh)
		nl_cache_free(neigh);
	if (rules)
		nl_cache_free(rules);
	if (routes)
		nl_cache_free(routes);
	if (addrs)
		nl_cache_free(addrs);
	if (links)
		nl_cache_free(links);
	vn_rt_close(sk);
	return x.nd;
}

/* --- XDP: programs that see packets before nftables does ---------------------- */

static int xdp_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= IFLA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

struct xdp_ctx {
	struct vg_wr *out;
	size_t nd;
};

static int xdp_link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct xdp_ctx *x = data;
	const struct nlattr *tb[IFLA_MAX + 1] = {0}, *xt[IFLA_MAX + 1] = {0};
	const char *name = "?";
	uint8_t mode;

	if (mnl_attr_parse(nlh, sizeof(struct ifinfomsg), xdp_attr_cb, tb) != MNL_CB_OK || !tb[IFLA_XDP])
		return MNL_CB_OK;
	if (tb[IFLA_IFNAME] && mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) == 0)
		name = mnl_attr_get_str(tb[IFLA_IFNAME]);
	if (mnl_attr_parse_nested(tb[IFLA_XDP], xdp_attr_cb, xt) != MNL_CB_OK || !xt[IFLA_XDP_ATTACHED] ||
	    mnl_attr_get_payload_len(xt[IFLA_XDP_ATTACHED]) < 1)
		return MNL_CB_OK;
	mode = mnl_attr_get_u8(xt[IFLA_XDP_ATTACHED]);
	if (mode == XDP_ATTACHED_NONE)
		return MNL_CB_OK;
	vg_wr_printf(x->out, "+ xdp program on %s (%s): it sees every packet before nftables and can pass, drop or redirect it\n",
		     name, mode == XDP_ATTACHED_SKB ? "generic" : mode == XDP_ATTACHED_DRV ? "driver" :
		     mode == XDP_ATTACHED_HW ? "offloaded" : "multi");
	x->nd++;
	return MNL_CB_OK;
}

static size_t check_xdp(const struct vn_config *c, struct vg_wr *out)
{
	struct xdp_ctx x = {.out = out};
	struct mnl_socket *nl = NULL;
	char *buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	uint32_t seq = (uint32_t)time(NULL), portid;
	int saved, r;

	if (!buf)
		return 1;
	if ((r = vn_netns_switch(c->netns, &saved)) == 0) {
		nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
		vn_netns_return(saved);
	}
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		vg_wr_printf(out, "! xdp: cannot open rtnetlink in %s\n", c->netns);
		if (nl)
			mnl_socket_close(nl);
		free(buf);
		return 1;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	r = 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		r = -errno;
	while (!r) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, MNL_SOCKET_BUFFER_SIZE);

		if (n < 0) {
			r = -errno;
			break;
		}
		r = mnl_cb_run(buf, (size_t)n, seq, portid, xdp_link_cb, &x);
		if (r <= MNL_CB_STOP) {
			r = r < 0 ? -errno : 0;
			break;
		}
		r = 0;
	}
	mnl_socket_close(nl);
	free(buf);
	if (r) {
		vg_wr_printf(out, "! xdp: reading the links of %s: %s\n", c->netns, vg_strerror(r));
		return x.nd + 1;
	}
	return x.nd;
}

/* --- conntrack -------------------------------------------------------------- */

struct ct_flow {
	struct vn_addr src, dst;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t icmp_type;
	uint8_t tcp_state;
	bool has_tcp_state;
};

static int ct_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= CTA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

static int ct_nested(const struct nlattr *a, const struct nlattr **tb, size_t n)
{
	memset(tb, 0, n * sizeof(*tb));
	return mnl_attr_parse_nested(a, ct_attr_cb, tb) == MNL_CB_OK ? 0 : -1;
}

static int ct_addr(const struct nlattr *a, uint8_t family, struct vn_addr *out)
{
	size_t len = family == AF_INET ? 4 : 16;

	if (mnl_attr_get_payload_len(a) != len)
		return -1;
	memset(out, 0, sizeof(*out));
	out->family = family;
	memcpy(out->b, mnl_attr_get_payload(a), len);
	return 0;
}

static int ct_parse(const struct nlmsghdr *nlh, struct ct_flow *f)
{
	const struct nlattr *tb[CTA_MAX + 1] = {0}, *tt[CTA_MAX + 1], *ti[CTA_MAX + 1], *tp[CTA_MAX + 1];
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);

	memset(f, 0, sizeof(*f));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return -1;
	if (mnl_attr_parse(nlh, sizeof(*g), ct_attr_cb, tb) != MNL_CB_OK || !tb[CTA_TUPLE_ORIG])
		return -1;
	if (ct_nested(tb[CTA_TUPLE_ORIG], tt, CTA_MAX + 1) || !tt[CTA_TUPLE_IP] || !tt[CTA_TUPLE_PROTO] ||
	    ct_nested(tt[CTA_TUPLE_IP], ti, CTA_MAX + 1) || ct_nested(tt[CTA_TUPLE_PROTO], tp, CTA_MAX + 1))
		return -1;
	if (ti[CTA_IP_V4_SRC] && ti[CTA_IP_V4_DST]) {
		if (ct_addr(ti[CTA_IP_V4_SRC], AF_INET, &f->src) || ct_addr(ti[CTA_IP_V4_DST], AF_INET, &f->dst))
			return -1;
	} else if (ti[CTA_IP_V6_SRC] && ti[CTA_IP_V6_DST]) {
		if (ct_addr(ti[CTA_IP_V6_SRC], AF_INET6, &f->src) || ct_addr(ti[CTA_IP_V6_DST], AF_INET6, &f->dst))
			return -1;
	} else {
		return -1;
	}
	if (!tp[CTA_PROTO_NUM] || mnl_attr_get_payload_len(tp[CTA_PROTO_NUM]) < 1)
		return -1;
	f->proto = mnl_attr_get_u8(tp[CTA_PROTO_NUM]);
	if (tp[CTA_PROTO_SRC_PORT] && mnl_attr_get_payload_len(tp[CTA_PROTO_SRC_PORT]) == 2)
		f->sport = ntohs(mnl_attr_get_u16(tp[CTA_PROTO_SRC_PORT]));
	if (tp[CTA_PROTO_DST_PORT] && mnl_attr_get_payload_len(tp[CTA_PROTO_DST_PORT]) == 2)
		f->dport = ntohs(mnl_attr_get_u16(tp[CTA_PROTO_DST_PORT]));
	if (tp[CTA_PROTO_ICMP_TYPE] && mnl_attr_get_payload_len(tp[CTA_PROTO_ICMP_TYPE]) >= 1)
		f->icmp_type = mnl_attr_get_u8(tp[CTA_PROTO_ICMP_TYPE]);
	if (tp[CTA_PROTO_ICMPV6_TYPE] && mnl_attr_get_payload_len(tp[CTA_PROTO_ICMPV6_TYPE]) >= 1)
		f->icmp_type = mnl_attr_get_u8(tp[CTA_PROTO_ICMPV6_TYPE]);
	if (tb[CTA_PROTOINFO]) {
		const struct nlattr *pi[CTA_MAX + 1], *pt[CTA_MAX + 1];

		if (!ct_nested(tb[CTA_PROTOINFO], pi, CTA_MAX + 1) && pi[CTA_PROTOINFO_TCP] &&
		    !ct_nested(pi[CTA_PROTOINFO_TCP], pt, CTA_MAX + 1) && pt[CTA_PROTOINFO_TCP_STATE] &&
		    mnl_attr_get_payload_len(pt[CTA_PROTOINFO_TCP_STATE]) >= 1) {
			f->tcp_state = mnl_attr_get_u8(pt[CTA_PROTOINFO_TCP_STATE]);
			f->has_tcp_state = true;
		}
	}
	return 0;
}

static bool allowed_src(const struct vn_config *c, const struct vn_addr *a)
{
	const struct vn_prefix *p = a->family == AF_INET ? c->allow4 : c->allow6;
	size_t n = a->family == AF_INET ? c->nallow4 : c->nallow6;

	for (size_t i = 0; i < n; i++)
		if (vn_prefix_contains(&p[i], a))
			return true;
	return false;
}

static bool dst_is_us(const struct vn_config *c, const struct vn_addr *a)
{
	if (a->family == AF_INET)
		return memcmp(a->b, c->address.a.b, 16) == 0;
	return c->has_address6 && memcmp(a->b, c->address6.a.b, 16) == 0;
}

/* A flow some rule of the configuration admits. */
static bool flow_admitted(const struct vn_config *c, const struct ct_flow *f)
{
	if (is_loop(&f->src) && is_loop(&f->dst))
		return true;
	if (dst_is_us(c, &f->src) && dst_is_us(c, &f->dst))
		return true;        /* to itself, over lo */
	if (dst_is_us(c, &f->src) && f->proto == IPPROTO_TCP && vn_config_egress(c, &f->dst, f->dport))
		return true;        /* opened by the namespace, to an egress destination */
	if (!dst_is_us(c, &f->dst) || !allowed_src(c, &f->src))
		return false;
	if (f->proto == IPPROTO_TCP) {
		for (size_t i = 1; i < c->nports; i++)
			if (f->dport == c->ports[i])
				return true;
		return f->dport == c->port;
	}
	if (f->proto == IPPROTO_ICMP)
		return f->icmp_type == 8;
	if (f->proto == IPPROTO_ICMPV6)
		return f->icmp_type == 128;
	return false;
}

static const char *tcp_state_name(uint8_t s)
{
	static const char *const n[] = {"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
					"LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2"};

	return s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

#define CT_SHOW_MAX 20

struct ct_ctx {
	const struct vn_config *c;
	struct vg_wr *out;
	size_t entries, bad, malformed;
};

static int ct_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_ctx *x = data;
	struct ct_flow f;
	char s[VN_ADDR_STRLEN], d[VN_ADDR_STRLEN];

	x->entries++;
	if (ct_parse(nlh, &f)) {
		x->malformed++;
		return MNL_CB_OK;
	}
	if (flow_admitted(x->c, &f))
		return MNL_CB_OK;
	if (x->bad++ >= CT_SHOW_MAX)
		return MNL_CB_OK;
	vn_addr_fmt(&f.src, s, sizeof(s));
	vn_addr_fmt(&f.dst, d, sizeof(d));
	if (f.proto == IPPROTO_TCP || f.proto == IPPROTO_UDP)
		vg_wr_printf(x->out, "+ conntrack: %s %s port %u -> %s port %u%s%s: no rule of the configuration admits this flow\n",
			     f.proto == IPPROTO_TCP ? "tcp" : "udp", s, f.sport, d, f.dport, f.has_tcp_state ? " " : "",
			     f.has_tcp_state ? tcp_state_name(f.tcp_state) : "");
	else
		vg_wr_printf(x->out, "+ conntrack: protocol %u %s -> %s (type %u): no rule of the configuration admits this flow\n",
			     f.proto, s, d, f.icmp_type);
	return MNL_CB_OK;
}

static size_t check_conntrack(const struct vn_config *c, struct vg_wr *out)
{
	struct ct_ctx x = {.c = c, .out = out};
	struct mnl_socket *nl = NULL;
	size_t bufsz = MNL_SOCKET_BUFFER_SIZE * 4;
	char *buf = malloc(bufsz);
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;
	uint32_t seq = (uint32_t)time(NULL), portid;
	int r;

	if (!buf || (r = vn_nft_open(c->netns, &nl))) {
		vg_wr_printf(out, "! conntrack in %s: cannot open ctnetlink\n", c->netns);
		free(buf);
		return 1;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, bufsz);

		if (n < 0) {
			r = -errno;
			break;
		}
		r = mnl_cb_run(buf, (size_t)n, seq, portid, ct_cb, &x);
		if (r <= MNL_CB_STOP) {
			r = r < 0 ? -errno : 0;
			break;
		}
	}
out:
	vn_nft_close(nl);
	free(buf);
	if (r) {
		vg_wr_printf(out, "! conntrack in %s: reading the table: %s\n", c->netns, vg_strerror(r));
		return x.bad + 1;
	}
	if (x.bad > CT_SHOW_MAX)
		vg_wr_printf(out, "+ conntrack: %zu more entries no rule admits\n", x.bad - CT_SHOW_MAX);
	if (x.malformed)
		vg_wr_printf(out, "! conntrack: %zu entries could not be read\n", x.malformed);
	return x.bad + x.malformed;
}

size_t vn_path_check(const struct vn_config *c, struct vg_wr *out)
{
	return check_sysctls(c, out) + check_rtnl(c, out) + check_xdp(c, out) + check_conntrack(c, out);
}

/* --- conntrack: dropping flows the configuration no longer admits ----------- */

/* A connection admitted under an older allowlist would live on through
 * "ct state established" after its source left the list: up removes every
 * conntrack entry no rule of the new configuration admits (the entries
 * verify would call drift). Collected during the dump (a socket in a dump
 * takes no other request), then deleted one by one by their original
 * tuple, echoed back as the kernel sent it. */
#define CT_PRUNE_MAX 65536

struct ct_prune {
	const struct vn_config *c;
	struct ct_victim {
		uint8_t family;
		uint16_t len;
		uint8_t tuple[256];
	} *v;
	size_t n, cap, skipped;
};

static int prune_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_prune *p = data;
	const struct nlattr *tb[CTA_MAX + 1] = {0};
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	struct ct_flow f;
	size_t len;

	if (ct_parse(nlh, &f) || flow_admitted(p->c, &f))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*g), ct_attr_cb, tb) != MNL_CB_OK || !tb[CTA_TUPLE_ORIG] ||
	    (len = mnl_attr_get_payload_len(tb[CTA_TUPLE_ORIG])) > sizeof(p->v[0].tuple)) {
		p->skipped++;
		return MNL_CB_OK;
	}
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 64;
		struct ct_victim *nv;
		if (nc > CT_PRUNE_MAX || !(nv = realloc(p->v, nc * sizeof(*nv)))) {
			p->skipped++;
			return MNL_CB_OK;
		}
		p->v = nv;
		p->cap = nc;
	}
	p->v[p->n].family = g->nfgen_family;
	p->v[p->n].len = (uint16_t)len;
	memcpy(p->v[p->n].tuple, mnl_attr_get_payload(tb[CTA_TUPLE_ORIG]), len);
	p->n++;
	return MNL_CB_OK;
}

static int ct_request(struct mnl_socket *nl, char *buf, size_t bufsz, uint16_t type, uint16_t flags,
	uint8_t family, const struct ct_victim *v, mnl_cb_t cb, void *data)
{
	uint32_t seq = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)v, portid = mnl_socket_get_portid(nl);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	int r;

	nlh->nlmsg_type = (uint16_t)((NFNL_SUBSYS_CTNETLINK << 8) | type);
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	if (v)
		mnl_attr_put(nlh, CTA_TUPLE_ORIG | NLA_F_NESTED, v->len, v->tuple);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, bufsz);
		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (r <= MNL_CB_STOP)
			return r < 0 ? -errno : 0;
	}
}

int vn_path_ct_prune(const struct vn_config *c, size_t *removed)
{
	struct ct_prune p = {.c = c};
	struct mnl_socket *nl = NULL;
	size_t bufsz = MNL_SOCKET_BUFFER_SIZE * 4;
	char *buf = malloc(bufsz);
	int r;

	*removed = 0;
	if (!buf)
		return -ENOMEM;
	if ((r = vn_nft_open(c->netns, &nl)))
		goto out;
	if ((r = ct_request(nl, buf, bufsz, IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_DUMP, AF_UNSPEC, NULL,
		     prune_cb, &p)))
		goto out;
	for (size_t i = 0; i < p.n; i++) {
		r = ct_request(nl, buf, bufsz, IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST | NLM_F_ACK, p.v[i].family,
			&p.v[i], NULL, NULL);
		if (r == 0)
			(*removed)++;
		else if (r != -ENOENT)  /* gone by itself meanwhile: fine */
			goto out;
		r = 0;
	}
	if (p.skipped)
		r = VG_ELIMIT;
out:
	vn_nft_close(nl);
	free(p.v);
	free(buf);
	return r;
}
