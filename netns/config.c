/* config.c - see config.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "config.h"
#include "vg_err.h"

#define VN_CONFIG_MAX_BYTES (64u * 1024u)
#define VN_LINE_MAX 4096u

struct perr {
	const char *name;
	unsigned line;
	const char *key;
	char *buf;
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static int bad(struct perr *e, const char *fmt, ...)
{
	char msg[VN_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (e->line && e->key)
		snprintf(e->buf, e->len, "%s:%u: %s: %s", e->name, e->line, e->key, msg);
	else if (e->line)
		snprintf(e->buf, e->len, "%s:%u: %s", e->name, e->line, msg);
	else
		snprintf(e->buf, e->len, "%s: %s", e->name, msg);
	return VG_EINVAL;
}

/* --- value grammars ------------------------------------------------------ */

static bool name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return false;
	}
	return true;
}

static int copy_name(struct perr *e, char *dst, size_t dstsz, const char *v, const char *what)
{
	if (!name_ok(v, dstsz - 1))
		return bad(e, "\"%s\": not a valid %s (1-%zu of A-Z a-z 0-9 _ . -, starting with a letter or digit)",
			   v, what, dstsz - 1);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static const char *fam_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

static int prefix_err(struct perr *e, const char *v, int family, int r, const struct vn_prefix *hint)
{
	switch (r) {
	case -EAFNOSUPPORT:
		return bad(e, "\"%s\": an %s address where %s is expected", v,
			   fam_name(family == AF_INET ? AF_INET6 : AF_INET), fam_name(family));
	case -ERANGE:
		return bad(e, "\"%s\": prefix length out of range (0-%d)", v, family == AF_INET ? 32 : 128);
	case -EDOM: {
		char net[VN_ADDR_STRLEN] = "";

		if (hint)
			vn_prefix_fmt(hint, net, sizeof(net));
		return bad(e, "\"%s\": host bits set (did you mean %s?)", v, net);
	}
	case -ENODATA:
		return bad(e, "\"%s\": prefix length missing (write ADDRESS/LENGTH)", v);
	default:
		return bad(e, "\"%s\": not an %s CIDR", v, fam_name(family));
	}
}

static int parse_prefix(struct perr *e, const char *v, int family, unsigned flags, struct vn_prefix *out)
{
	int r = vn_prefix_parse(v, family, flags, out);

	if (r == -EDOM) {
		struct vn_prefix p, net;

		vn_prefix_parse(v, family, flags | VN_PFX_HOST, &p);
		vn_prefix_network(&p, &net);
		return prefix_err(e, v, family, r, &net);
	}
	return r ? prefix_err(e, v, family, r, NULL) : 0;
}

static int parse_addr(struct perr *e, const char *v, int family, struct vn_addr *out)
{
	int r = vn_addr_parse(v, family, out);

	if (r == -EAFNOSUPPORT)
		return prefix_err(e, v, family, r, NULL);
	if (r)
		return bad(e, "\"%s\": not an %s address", v, fam_name(family));
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/* Splits v on commas in place; calls fn for each trimmed element. */
static int each_elem(struct perr *e, char *v, int (*fn)(struct perr *, struct vn_config *, char *),
		     struct vn_config *c)
{
	char *save = NULL, *tok;
	size_t n = strlen(v);
	int r;

	if (n && (v[0] == ',' || v[n - 1] == ',' || strstr(v, ",,")))
		return bad(e, "\"%s\": empty list element", v);
	for (tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = trim(tok);
		if (!*tok)
			return bad(e, "empty list element");
		if ((r = fn(e, c, tok)))
			return r;
	}
	return 0;
}

/* --- keys ---------------------------------------------------------------- */

static int k_netns(struct perr *e, struct vn_config *c, char *v)
{
	return copy_name(e, c->netns, sizeof(c->netns), v, "namespace name");
}

static int k_link(struct perr *e, struct vn_config *c, char *v)
{
	if (strcmp(v, "veth") == 0)
		c->link = VN_LINK_VETH;
	else if (strcmp(v, "macvlan") == 0)
		c->link = VN_LINK_MACVLAN;
	else if (strcmp(v, "physical") == 0)
		c->link = VN_LINK_PHYSICAL;
	else
		return bad(e, "\"%s\": expected veth, macvlan or physical", v);
	return 0;
}

static int k_ifname(struct perr *e, struct vn_config *c, char *v)
{
	return copy_name(e, c->ifname, sizeof(c->ifname), v, "interface name");
}

static int k_peer(struct perr *e, struct vn_config *c, char *v)
{
	return copy_name(e, c->peer, sizeof(c->peer), v, "interface name");
}

static int k_peer_netns(struct perr *e, struct vn_config *c, char *v)
{
	return copy_name(e, c->peer_netns, sizeof(c->peer_netns), v, "namespace name");
}

static int k_parent(struct perr *e, struct vn_config *c, char *v)
{
	return copy_name(e, c->parent, sizeof(c->parent), v, "interface name");
}

static int k_address(struct perr *e, struct vn_config *c, char *v)
{
	int r;

	if ((r = parse_prefix(e, v, AF_INET, VN_PFX_NEED_LEN | VN_PFX_HOST, &c->address)))
		return r;
	if (c->address.plen == 0 || vn_prefix_is_edge(&c->address, &c->address.a))
		return bad(e, "\"%s\": the network or broadcast address of its prefix", v);
	return 0;
}

static int k_address6(struct perr *e, struct vn_config *c, char *v)
{
	int r;

	if ((r = parse_prefix(e, v, AF_INET6, VN_PFX_NEED_LEN | VN_PFX_HOST, &c->address6)))
		return r;
	if (c->address6.plen == 0)
		return bad(e, "\"%s\": prefix length 0 is not an interface prefix", v);
	c->has_address6 = true;
	return 0;
}

static int k_gateway(struct perr *e, struct vn_config *c, char *v)
{
	c->has_gateway = true;
	return parse_addr(e, v, AF_INET, &c->gateway);
}

static int k_gateway6(struct perr *e, struct vn_config *c, char *v)
{
	c->has_gateway6 = true;
	return parse_addr(e, v, AF_INET6, &c->gateway6);
}

static int route_elem(struct perr *e, struct vn_config *c, char *v)
{
	char dst[VN_ADDR_STRLEN], via[VN_ADDR_STRLEN], extra[2];
	struct vn_route *rt;
	int r;

	if (c->nroutes == VN_ROUTES_MAX)
		return bad(e, "more than %d routes", VN_ROUTES_MAX);
	rt = &c->routes[c->nroutes];
	if (strlen(v) >= VN_ADDR_STRLEN * 2 ||
	    sscanf(v, "%95s via %95s %1s", dst, via, extra) != 2 || strstr(v, " via ") == NULL)
		return bad(e, "\"%s\": expected \"PREFIX via ADDRESS\"", v);
	if (vn_addr_parse(via, 0, &rt->via))
		return bad(e, "\"%s\": \"%s\" is not an address", v, via);
	if ((r = parse_prefix(e, dst, rt->via.family, VN_PFX_NEED_LEN, &rt->dst)))
		return r;
	c->nroutes++;
	return 0;
}

static int k_routes(struct perr *e, struct vn_config *c, char *v)
{
	return each_elem(e, v, route_elem, c);
}

static int port_elem(struct perr *e, struct vn_config *c, char *v)
{
	uint64_t n;

	if (vg_parse_u64(v, 1, 65535, &n))
		return bad(e, "\"%s\": not a port number (1-65535)", v);
	for (size_t i = 0; i < c->nports; i++)
		if (c->ports[i] == n)
			return bad(e, "port %s is given twice", v);
	if (c->nports == VN_PORTS_MAX)
		return bad(e, "more than %d ports", VN_PORTS_MAX);
	c->ports[c->nports++] = (uint16_t)n;
	c->port = c->ports[0];
	return 0;
}

/* port = 443 or a list, port = 443, 9000 (the gateway's listeners). */
static int k_port(struct perr *e, struct vn_config *c, char *v)
{
	c->nports = 0;
	return each_elem(e, v, port_elem, c);
}

static int allow_elem(struct perr *e, struct vn_config *c, char *v, int family)
{
	size_t *n = family == AF_INET ? &c->nallow4 : &c->nallow6;
	struct vn_prefix *p = family == AF_INET ? c->allow4 : c->allow6;

	if (*n == VN_ALLOW_MAX)
		return bad(e, "more than %d entries", VN_ALLOW_MAX);
	return parse_prefix(e, v, family, 0, &p[(*n)++]);
}

static int allow4_elem(struct perr *e, struct vn_config *c, char *v)
{
	return allow_elem(e, c, v, AF_INET);
}

static int allow6_elem(struct perr *e, struct vn_config *c, char *v)
{
	return allow_elem(e, c, v, AF_INET6);
}

static int k_allow_v4(struct perr *e, struct vn_config *c, char *v)
{
	return each_elem(e, v, allow4_elem, c);
}

static int k_allow_v6(struct perr *e, struct vn_config *c, char *v)
{
	return each_elem(e, v, allow6_elem, c);
}

static int parse_rate(struct perr *e, const char *v, struct vn_rate *out)
{
	static const struct {
		const char *name;
		uint32_t sec;
	} units[] = {{"second", 1}, {"minute", 60}, {"hour", 3600}, {"day", 86400}};
	char num[24];
	const char *slash = strchr(v, '/');
	uint64_t n;

	if (!slash || (size_t)(slash - v) >= sizeof(num))
		goto fail;
	memcpy(num, v, (size_t)(slash - v));
	num[slash - v] = '\0';
	if (vg_parse_u64(num, 1, 1000000, &n))
		goto fail;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(slash + 1, units[i].name) == 0) {
			out->count = (uint32_t)n;
			out->unit = units[i].sec;
			return 0;
		}
	}
fail:
	return bad(e, "\"%s\": expected N/second, N/minute, N/hour or N/day with N in 1-1000000", v);
}

static int k_conn_rate(struct perr *e, struct vn_config *c, char *v)
{
	return parse_rate(e, v, &c->conn_rate);
}

static int k_conn_burst(struct perr *e, struct vn_config *c, char *v)
{
	uint64_t n;

	if (vg_parse_u64(v, 1, 1000000, &n))
		return bad(e, "\"%s\": not a burst size (1-1000000)", v);
	c->conn_burst = (uint32_t)n;
	return 0;
}

static int k_icmp_rate(struct perr *e, struct vn_config *c, char *v)
{
	return parse_rate(e, v, &c->icmp_rate);
}

static int k_nflog_group(struct perr *e, struct vn_config *c, char *v)
{
	uint64_t n;

	if (vg_parse_u64(v, 0, 65535, &n))
		return bad(e, "\"%s\": not an NFLOG group (0-65535)", v);
	c->nflog_group = (uint16_t)n;
	return 0;
}

static int parse_mac(const char *v, uint8_t mac[6])
{
	unsigned b[6];
	char extra;

	if (strlen(v) != 17 ||
	    sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &extra) != 6)
		return -1;
	for (size_t i = 0; i < 6; i++) {
		if (!((v[i * 3] >= '0' && v[i * 3] <= '9') || (v[i * 3] >= 'a' && v[i * 3] <= 'f') ||
		      (v[i * 3] >= 'A' && v[i * 3] <= 'F')))
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int pin_elem(struct perr *e, struct vn_config *c, char *v)
{
	char ip[VN_ADDR_STRLEN], mac[24], extra[2];
	struct vn_pin *p;
	static const uint8_t zero[6];

	if (c->npins == VN_PINS_MAX)
		return bad(e, "more than %d pins", VN_PINS_MAX);
	p = &c->pins[c->npins];
	if (strlen(v) >= sizeof(ip) + sizeof(mac) || sscanf(v, "%95s %23s %1s", ip, mac, extra) != 2)
		return bad(e, "\"%s\": expected \"ADDRESS MAC\" (e.g. 10.0.0.7 02:00:5e:10:00:07)", v);
	if (vn_addr_parse(ip, 0, &p->ip))
		return bad(e, "\"%s\": \"%s\" is not an IPv4 or IPv6 address", v, ip);
	if (parse_mac(mac, p->mac))
		return bad(e, "\"%s\": \"%s\" is not a MAC address (xx:xx:xx:xx:xx:xx)", v, mac);
	if ((p->mac[0] & 1) || memcmp(p->mac, zero, 6) == 0)
		return bad(e, "\"%s\": %s is not a unicast MAC address", v, mac);
	for (size_t i = 0; i < c->npins; i++) {
		if (c->pins[i].ip.family == p->ip.family && memcmp(c->pins[i].ip.b, p->ip.b, 16) == 0)
			return bad(e, "\"%s\": %s is pinned twice", v, ip);
	}
	c->npins++;
	return 0;
}

static int k_pin(struct perr *e, struct vn_config *c, char *v)
{
	return each_elem(e, v, pin_elem, c);
}

static int k_pin_onlink(struct perr *e, struct vn_config *c, char *v)
{
	if (strcmp(v, "yes") == 0)
		c->pin_onlink = true;
	else if (strcmp(v, "no") == 0)
		c->pin_onlink = false;
	else
		return bad(e, "\"%s\": expected yes or no", v);
	return 0;
}

/* "DEST[/LEN] PORT[-PORT]" */
static int parse_port_range(const char *v, uint16_t *lo, uint16_t *hi)
{
	char a[8], b[8];
	const char *dash = strchr(v, '-');
	uint64_t x, y;

	if (!dash) {
		if (strlen(v) >= sizeof(a) || vg_parse_u64(v, 1, 65535, &x))
			return -1;
		*lo = *hi = (uint16_t)x;
		return 0;
	}
	if ((size_t)(dash - v) >= sizeof(a) || strlen(dash + 1) >= sizeof(b))
		return -1;
	memcpy(a, v, (size_t)(dash - v));
	a[dash - v] = '\0';
	memcpy(b, dash + 1, strlen(dash + 1) + 1);
	if (vg_parse_u64(a, 1, 65535, &x) || vg_parse_u64(b, 1, 65535, &y) || x > y)
		return -1;
	*lo = (uint16_t)x;
	*hi = (uint16_t)y;
	return 0;
}

static int egress_elem(struct perr *e, struct vn_config *c, char *v)
{
	char dst[VN_ADDR_STRLEN], ports[24], extra[2];
	struct vn_egress *g;
	int r;

	if (c->negress == VN_EGRESS_MAX)
		return bad(e, "more than %d entries", VN_EGRESS_MAX);
	g = &c->egress[c->negress];
	if (strlen(v) >= sizeof(dst) + sizeof(ports) || sscanf(v, "%95s %23s %1s", dst, ports, extra) != 2)
		return bad(e, "\"%s\": expected \"DEST[/LEN] PORT[-PORT]\" (e.g. 10.0.9.0/24 6800-7300)", v);
	if ((r = parse_prefix(e, dst, strchr(dst, ':') ? AF_INET6 : AF_INET, 0, &g->dst)))
		return r;
	if (g->dst.plen == 0)
		return bad(e, "\"%s\": a destination of length 0 is every host: name the hosts or networks", v);
	if (parse_port_range(ports, &g->port_lo, &g->port_hi))
		return bad(e, "\"%s\": \"%s\" is not a port or range (1-65535, or LO-HI with LO <= HI)", v, ports);
	for (size_t i = 0; i < c->negress; i++) {
		const struct vn_egress *o = &c->egress[i];

		if (o->dst.plen == g->dst.plen && o->dst.a.family == g->dst.a.family &&
		    memcmp(o->dst.a.b, g->dst.a.b, 16) == 0 && o->port_lo == g->port_lo && o->port_hi == g->port_hi)
			return bad(e, "\"%s\": listed twice", v);
	}
	c->negress++;
	return 0;
}

static int k_egress(struct perr *e, struct vn_config *c, char *v)
{
	return each_elem(e, v, egress_elem, c);
}

static int k_vaultd_socket(struct perr *e, struct vn_config *c, char *v)
{
	size_t n = strlen(v);

	if (v[0] != '/' || n > VN_SOCKET_MAX)
		return bad(e, "\"%s\": not an absolute path of at most %d bytes", v, VN_SOCKET_MAX);
	memcpy(c->vaultd_socket, v, n + 1);
	return 0;
}

enum key_id {
	K_NETNS, K_LINK, K_IFNAME, K_PEER, K_PEER_NETNS, K_PARENT, K_ADDRESS, K_ADDRESS6,
	K_GATEWAY, K_GATEWAY6, K_ROUTES, K_PORT, K_ALLOW_V4, K_ALLOW_V6, K_CONN_RATE,
	K_CONN_BURST, K_ICMP_RATE, K_NFLOG_GROUP, K_VAULTD_SOCKET, K_PIN, K_PIN_ONLINK, K_EGRESS, K_COUNT
};

static const struct key {
	const char *name;
	int (*fn)(struct perr *, struct vn_config *, char *);
} keys[K_COUNT] = {
	[K_NETNS] = {"netns", k_netns},
	[K_LINK] = {"link", k_link},
	[K_IFNAME] = {"ifname", k_ifname},
	[K_PEER] = {"peer", k_peer},
	[K_PEER_NETNS] = {"peer_netns", k_peer_netns},
	[K_PARENT] = {"parent", k_parent},
	[K_ADDRESS] = {"address", k_address},
	[K_ADDRESS6] = {"address6", k_address6},
	[K_GATEWAY] = {"gateway", k_gateway},
	[K_GATEWAY6] = {"gateway6", k_gateway6},
	[K_ROUTES] = {"routes", k_routes},
	[K_PORT] = {"port", k_port},
	[K_ALLOW_V4] = {"allow_v4", k_allow_v4},
	[K_ALLOW_V6] = {"allow_v6", k_allow_v6},
	[K_CONN_RATE] = {"conn_rate", k_conn_rate},
	[K_CONN_BURST] = {"conn_burst", k_conn_burst},
	[K_ICMP_RATE] = {"icmp_rate", k_icmp_rate},
	[K_NFLOG_GROUP] = {"nflog_group", k_nflog_group},
	[K_VAULTD_SOCKET] = {"vaultd_socket", k_vaultd_socket},
	[K_PIN] = {"pin", k_pin},
	[K_PIN_ONLINK] = {"pin_onlink", k_pin_onlink},
	[K_EGRESS] = {"egress", k_egress},
};

/* --- cross-key checks ---------------------------------------------------- */

/* Points the error at the line of key k. */
static struct perr *at(struct perr *e, const unsigned *lines, enum key_id k)
{
	e->line = lines[k];
	e->key = keys[k].name;
	return e;
}

static int check_via(struct perr *e, const struct vn_config *c, const struct vn_addr *via, const char *what)
{
	const struct vn_prefix *p = via->family == AF_INET ? &c->address : &c->address6;
	char a[VN_ADDR_STRLEN], pf[VN_ADDR_STRLEN];

	vn_addr_fmt(via, a, sizeof(a));
	if (via->family == AF_INET6 && !c->has_address6)
		return bad(e, "\"%s%s\": IPv6 but no address6 is set", what, a);
	vn_prefix_fmt(p, pf, sizeof(pf));
	if (!vn_prefix_contains(p, via))
		return bad(e, "\"%s%s\": outside the address prefix %s", what, a, pf);
	if (memcmp(via->b, p->a.b, 16) == 0)
		return bad(e, "\"%s%s\": the appliance's own address", what, a);
	return 0;
}

static int cross_check(struct perr *e, struct vn_config *c, const unsigned *lines)
{
	static const enum key_id required[] = {K_NETNS, K_LINK, K_IFNAME, K_ADDRESS};
	int r;

	e->line = 0;
	e->key = NULL;
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!lines[required[i]])
			return bad(e, "missing required key \"%s\"", keys[required[i]].name);
	}
	if (!lines[K_ALLOW_V4] && !lines[K_ALLOW_V6])
		return bad(e, "no allowlist: set allow_v4 and/or allow_v6");

	/* keys that belong to another link mode */
	if (c->link != VN_LINK_VETH && lines[K_PEER])
		return bad(at(e, lines, K_PEER), "only valid with link = veth");
	if (c->link != VN_LINK_VETH && lines[K_PEER_NETNS])
		return bad(at(e, lines, K_PEER_NETNS), "only valid with link = veth");
	if (c->link != VN_LINK_MACVLAN && lines[K_PARENT])
		return bad(at(e, lines, K_PARENT), "only valid with link = macvlan");
	if (c->link == VN_LINK_VETH && !lines[K_PEER])
		return bad(at(e, lines, K_LINK), "veth needs \"peer\" (the outside end's name)");
	if (c->link == VN_LINK_MACVLAN && !lines[K_PARENT])
		return bad(at(e, lines, K_LINK), "macvlan needs \"parent\" (the NIC it sits on)");
	if (lines[K_PEER_NETNS] && strcmp(c->peer_netns, c->netns) == 0)
		return bad(at(e, lines, K_PEER_NETNS), "\"%s\": the appliance namespace itself",
			   c->peer_netns);

	if (lines[K_ALLOW_V6] && !c->has_address6)
		return bad(at(e, lines, K_ALLOW_V6), "IPv6 allowlist given but no address6 is set");
	if (c->has_gateway && (r = check_via(at(e, lines, K_GATEWAY), c, &c->gateway, "")))
		return r;
	if (c->has_gateway6 && (r = check_via(at(e, lines, K_GATEWAY6), c, &c->gateway6, "")))
		return r;
	for (size_t i = 0; i < c->npins; i++) {
		const struct vn_pin *p = &c->pins[i];
		const struct vn_prefix *pf = p->ip.family == AF_INET ? &c->address : &c->address6;
		const struct vn_prefix *al = p->ip.family == AF_INET ? c->allow4 : c->allow6;
		size_t nal = p->ip.family == AF_INET ? c->nallow4 : c->nallow6;
		char a[VN_ADDR_STRLEN], pfs[VN_ADDR_STRLEN];
		bool allowed = false;

		vn_addr_fmt(&p->ip, a, sizeof(a));
		if (p->ip.family == AF_INET6 && !c->has_address6)
			return bad(at(e, lines, K_PIN), "\"%s\": IPv6 but no address6 is set", a);
		vn_prefix_fmt(pf, pfs, sizeof(pfs));
		if (!vn_prefix_contains(pf, &p->ip))
			return bad(at(e, lines, K_PIN), "\"%s\": not on-link (outside the address prefix %s): a MAC pins only a neighbour on the segment",
				   a, pfs);
		for (size_t j = 0; j < nal && !allowed; j++)
			allowed = vn_prefix_contains(&al[j], &p->ip);
		/* the router may be pinned too: with pin_onlink its ICMP errors
		 * (PMTU, unreachable) would otherwise be dropped as unpinned */
		if ((c->has_gateway && p->ip.family == AF_INET && memcmp(p->ip.b, c->gateway.b, 16) == 0) ||
		    (c->has_gateway6 && p->ip.family == AF_INET6 && memcmp(p->ip.b, c->gateway6.b, 16) == 0))
			allowed = true;
		if (!allowed)
			return bad(at(e, lines, K_PIN), "\"%s\": not in allow_v%c (pin only allowed agents and the gateway)", a,
				   p->ip.family == AF_INET ? '4' : '6');
	}
	for (size_t i = 0; i < c->negress; i++) {
		char d[VN_ADDR_STRLEN];

		vn_prefix_fmt(&c->egress[i].dst, d, sizeof(d));
		if (c->egress[i].dst.a.family == AF_INET6 && !c->has_address6)
			return bad(at(e, lines, K_EGRESS), "\"%s\": IPv6 but no address6 is set", d);
	}
	if (c->pin_onlink && !c->npins)
		return bad(at(e, lines, K_PIN_ONLINK), "pin_onlink = yes without any pin would drop every on-link agent");
	for (size_t i = 0; i < c->nroutes; i++) {
		if ((r = check_via(at(e, lines, K_ROUTES), c, &c->routes[i].via, "via ")))
			return r;
		if (c->routes[i].dst.plen == 0 &&
		    (c->routes[i].dst.a.family == AF_INET ? c->has_gateway : c->has_gateway6))
			return bad(e, "a default route here and a gateway key: keep one");
	}
	return 0;
}

/* --- the parser ---------------------------------------------------------- */

int vn_config_parse(const char *name, const char *text, size_t len,
		    struct vn_config **out, char *err, size_t errlen)
{
	struct perr e = {.name = name, .buf = err, .len = errlen};
	unsigned lines[K_COUNT] = {0};
	struct vn_config *c;
	char line[VN_LINE_MAX + 1];
	size_t off = 0;
	unsigned lineno = 0;
	int r = 0;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (len > VN_CONFIG_MAX_BYTES)
		return bad(&e, "larger than %u bytes", VN_CONFIG_MAX_BYTES);
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->port = VN_DEFAULT_PORT;
	c->ports[0] = VN_DEFAULT_PORT;
	c->nports = 1;
	c->conn_rate = (struct vn_rate){VN_DEFAULT_CONN_RATE, 1};
	c->conn_burst = VN_DEFAULT_CONN_BURST;
	c->icmp_rate = (struct vn_rate){VN_DEFAULT_ICMP_RATE, 1};
	c->nflog_group = VN_DEFAULT_NFLOG_GROUP;

	while (off < len) {
		size_t n = 0;
		char *s, *eq, *key, *val;
		size_t k;

		lineno++;
		e.line = lineno;
		e.key = NULL;
		while (off < len && text[off] != '\n') {
			unsigned char ch = (unsigned char)text[off];

			if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				r = bad(&e, "control byte 0x%02x", ch);
				goto out;
			}
			if (n == VN_LINE_MAX) {
				r = bad(&e, "line longer than %u bytes", VN_LINE_MAX);
				goto out;
			}
			line[n++] = (char)ch;
			off++;
		}
		off++; /* the '\n' */
		line[n] = '\0';
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		if (!(eq = strchr(s, '='))) {
			r = bad(&e, "\"%s\": expected key = value", s);
			goto out;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		for (k = 0; k < K_COUNT; k++) {
			if (strcmp(key, keys[k].name) == 0)
				break;
		}
		if (k == K_COUNT) {
			r = bad(&e, "unknown key \"%s\"", key);
			goto out;
		}
		if (lines[k]) {
			r = bad(&e, "duplicate key \"%s\" (first set on line %u)", key, lines[k]);
			goto out;
		}
		lines[k] = lineno;
		e.key = keys[k].name;
		if (!*val) {
			r = bad(&e, k == K_ALLOW_V4 || k == K_ALLOW_V6 ? "empty allowlist" : "empty value");
			goto out;
		}
		if ((r = keys[k].fn(&e, c, val)))
			goto out;
	}
	r = cross_check(&e, c, lines);
out:
	if (r) {
		free(c);
		return r;
	}
	*out = c;
	return 0;
}

int vn_config_load(const char *path, struct vn_config **out, char *err, size_t errlen)
{
	struct perr e = {.name = path, .buf = err, .len = errlen};
	struct stat st;
	char *text = NULL;
	long n;
	int fd, r;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		r = -errno;
		bad(&e, "cannot open: %s", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		bad(&e, "cannot stat: %s", strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = bad(&e, "not a regular file");
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		bad(&e, "refusing a group- or world-writable file (mode %04o)", (unsigned)(st.st_mode & 07777));
		r = VG_EDENIED;
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		bad(&e, "refusing a file owned by uid %u (not root or us)", (unsigned)st.st_uid);
		r = VG_EDENIED;
		goto out;
	}
	if (st.st_size > (off_t)VN_CONFIG_MAX_BYTES) {
		bad(&e, "larger than %u bytes", VN_CONFIG_MAX_BYTES);
		r = VG_ETOOBIG;
		goto out;
	}
	if (!(text = malloc((size_t)st.st_size + 1))) {
		r = -ENOMEM;
		goto out;
	}
	if ((n = vg_read_full(fd, text, (size_t)st.st_size)) < 0) {
		r = (int)n;
		bad(&e, "cannot read: %s", strerror(-r));
		goto out;
	}
	r = vn_config_parse(path, text, (size_t)n, out, err, errlen);
out:
	free(text);
	close(fd);
	return r;
}

void vn_config_free(struct vn_config *c)
{
	free(c);
}

bool vn_config_pinned(const struct vn_config *c, const void *ip, int family, const void *mac)
{
	if (!ip || !mac)
		return false;
	for (size_t i = 0; i < c->npins; i++) {
		const struct vn_pin *p = &c->pins[i];

		if (p->ip.family == family && memcmp(p->ip.b, ip, vn_addr_len(family)) == 0 &&
		    memcmp(p->mac, mac, 6) == 0)
			return true;
	}
	return false;
}

const struct vn_egress *vn_config_egress(const struct vn_config *c, const struct vn_addr *dst, uint16_t port)
{
	for (size_t i = 0; i < c->negress; i++) {
		const struct vn_egress *g = &c->egress[i];

		if (g->dst.a.family == dst->family && vn_prefix_contains(&g->dst, dst) && port >= g->port_lo &&
		    port <= g->port_hi)
			return g;
	}
	return NULL;
}

int vn_egress_fmt(const struct vn_egress *g, char *buf, size_t len)
{
	char d[VN_ADDR_STRLEN];
	int n;

	vn_prefix_fmt(&g->dst, d, sizeof(d));
	if (g->port_lo == g->port_hi)
		n = snprintf(buf, len, "%s %u", d, g->port_lo);
	else
		n = snprintf(buf, len, "%s %u-%u", d, g->port_lo, g->port_hi);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

const char *vn_link_mode_name(enum vn_link_mode m)
{
	switch (m) {
	case VN_LINK_VETH:
		return "veth";
	case VN_LINK_MACVLAN:
		return "macvlan";
	case VN_LINK_PHYSICAL:
		return "physical";
	}
	return "?";
}

int vn_rate_fmt(const struct vn_rate *r, char *buf, size_t len)
{
	const char *u = r->unit == 1 ? "second" : r->unit == 60 ? "minute" :
			r->unit == 3600 ? "hour" : "day";
	int n = snprintf(buf, len, "%u/%s", r->count, u);

	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static void put_prefixes(struct vg_wr *w, const char *key, const struct vn_prefix *p, size_t n)
{
	char s[VN_ADDR_STRLEN];

	if (!n)
		return;
	vg_wr_printf(w, "%s = ", key);
	for (size_t i = 0; i < n; i++) {
		vn_prefix_fmt(&p[i], s, sizeof(s));
		vg_wr_printf(w, "%s%s", i ? ", " : "", s);
	}
	vg_wr_printf(w, "\n");
}

char *vn_config_canonical(const struct vn_config *c)
{
	char s[VN_ADDR_STRLEN], t[VN_ADDR_STRLEN];
	struct vg_wr w;
	char *out = NULL;

	vg_wr_init(&w, VN_CONFIG_MAX_BYTES * 2);
	vg_wr_printf(&w, "netns = %s\nlink = %s\nifname = %s\n", c->netns,
		     vn_link_mode_name(c->link), c->ifname);
	if (c->peer[0])
		vg_wr_printf(&w, "peer = %s\n", c->peer);
	if (c->peer_netns[0])
		vg_wr_printf(&w, "peer_netns = %s\n", c->peer_netns);
	if (c->parent[0])
		vg_wr_printf(&w, "parent = %s\n", c->parent);
	vn_prefix_fmt(&c->address, s, sizeof(s));
	vg_wr_printf(&w, "address = %s\n", s);
	if (c->has_address6) {
		vn_prefix_fmt(&c->address6, s, sizeof(s));
		vg_wr_printf(&w, "address6 = %s\n", s);
	}
	if (c->has_gateway) {
		vn_addr_fmt(&c->gateway, s, sizeof(s));
		vg_wr_printf(&w, "gateway = %s\n", s);
	}
	if (c->has_gateway6) {
		vn_addr_fmt(&c->gateway6, s, sizeof(s));
		vg_wr_printf(&w, "gateway6 = %s\n", s);
	}
	if (c->nroutes) {
		vg_wr_printf(&w, "routes = ");
		for (size_t i = 0; i < c->nroutes; i++) {
			vn_prefix_fmt(&c->routes[i].dst, s, sizeof(s));
			vn_addr_fmt(&c->routes[i].via, t, sizeof(t));
			vg_wr_printf(&w, "%s%s via %s", i ? ", " : "", s, t);
		}
		vg_wr_printf(&w, "\n");
	}
	/* port is the first of ports (kept apart for the one-port configurations) */
	vg_wr_printf(&w, "port = %u", c->port);
	for (size_t i = 1; i < c->nports; i++)
		vg_wr_printf(&w, ", %u", c->ports[i]);
	vg_wr_printf(&w, "\n");
	put_prefixes(&w, "allow_v4", c->allow4, c->nallow4);
	put_prefixes(&w, "allow_v6", c->allow6, c->nallow6);
	vn_rate_fmt(&c->conn_rate, s, sizeof(s));
	vg_wr_printf(&w, "conn_rate = %s\nconn_burst = %u\n", s, c->conn_burst);
	vn_rate_fmt(&c->icmp_rate, s, sizeof(s));
	vg_wr_printf(&w, "icmp_rate = %s\nnflog_group = %u\n", s, c->nflog_group);
	if (c->npins) {
		vg_wr_printf(&w, "pin = ");
		for (size_t i = 0; i < c->npins; i++) {
			const uint8_t *m = c->pins[i].mac;

			vn_addr_fmt(&c->pins[i].ip, s, sizeof(s));
			vg_wr_printf(&w, "%s%s %02x:%02x:%02x:%02x:%02x:%02x", i ? ", " : "", s, m[0], m[1], m[2], m[3],
				     m[4], m[5]);
		}
		vg_wr_printf(&w, "\npin_onlink = %s\n", c->pin_onlink ? "yes" : "no");
	}
	if (c->negress) {
		vg_wr_printf(&w, "egress = ");
		for (size_t i = 0; i < c->negress; i++) {
			vn_egress_fmt(&c->egress[i], s, sizeof(s));
			vg_wr_printf(&w, "%s%s", i ? ", " : "", s);
		}
		vg_wr_printf(&w, "\n");
	}
	/* vaultd_socket is where events go, not what the firewall is: it is
	 * left out so moving the socket does not change the digest. */
	vg_wr_u8(&w, 0);
	if (!w.err)
		out = strdup((const char *)w.p);
	vg_wr_free(&w);
	return out;
}

int vn_config_digest(const struct vn_config *c, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	char *canon = vn_config_canonical(c);
	int r = 0;

	if (!canon)
		return -ENOMEM;
	if (!EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		r = VG_EINTERNAL;
	else
		vg_hex(hex, md, 32);
	free(canon);
	return r;
}
