/* link.c - see link.h. */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "link.h"
#include "ns.h"
#include "path.h"
#include "vg_err.h"

int vn_nl_err(int nle)
{
	if (nle >= 0)
		return nle;
	switch (-nle) {
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return -ENODEV;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_INVAL:
	case NLE_MISSING_ATTR:
		return -EINVAL;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INTR:
		return -EINTR;
	default:
		return VG_EINTERNAL;
	}
}

__attribute__((format(printf, 3, 4)))
static void step_set(char *step, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!len)
		return;
	va_start(ap, fmt);
	vsnprintf(step, len, fmt, ap);
	va_end(ap);
}

/* A NETLINK_ROUTE socket created in netns (NULL: ours). */
static int rt_open(const char *netns, struct nl_sock **out)
{
	struct nl_sock *sk;
	int saved, r;

	*out = NULL;
	if (!(sk = nl_socket_alloc()))
		return -ENOMEM;
	if ((r = vn_netns_switch(netns, &saved))) {
		nl_socket_free(sk);
		return r;
	}
	r = vn_nl_err(nl_connect(sk, NETLINK_ROUTE));
	if (vn_netns_return(saved) < 0 && !r)
		r = VG_EINTERNAL;
	if (r) {
		nl_socket_free(sk);
		return r;
	}
	*out = sk;
	return 0;
}

static void rt_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

int vn_rt_open(const char *netns, struct nl_sock **out)
{
	return rt_open(netns, out);
}

void vn_rt_close(struct nl_sock *sk)
{
	rt_close(sk);
}

static int link_get(struct nl_sock *sk, const char *name, struct rtnl_link **out)
{
	return vn_nl_err(rtnl_link_get_kernel(sk, 0, name, out));
}

static int set_up(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *l = NULL, *ch = NULL;
	int r;

	if ((r = link_get(sk, name, &l)))
		return r;
	if (rtnl_link_get_flags(l) & IFF_UP)
		goto out;
	if (!(ch = rtnl_link_alloc())) {
		r = -ENOMEM;
		goto out;
	}
	rtnl_link_set_flags(ch, IFF_UP);
	r = vn_nl_err(rtnl_link_change(sk, l, ch, 0));
out:
	rtnl_link_put(ch);
	rtnl_link_put(l);
	return r;
}

static int make_veth(const struct vn_config *c, int tgt_fd)
{
	struct nl_sock *sk = NULL;
	struct rtnl_link *l = NULL, *peer;
	int r;

	/* created from the peer's namespace: the peer stays there, the main
	 * end goes straight into the appliance namespace */
	if ((r = rt_open(c->peer_netns, &sk)))
		return r;
	if (!(l = rtnl_link_veth_alloc())) {
		r = -ENOMEM;
		goto out;
	}
	rtnl_link_set_name(l, c->ifname);
	rtnl_link_set_ns_fd(l, tgt_fd);
	peer = rtnl_link_veth_get_peer(l);
	rtnl_link_set_name(peer, c->peer);
	rtnl_link_put(peer);
	if ((r = vn_nl_err(rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL))))
		goto out;
	r = set_up(sk, c->peer);
out:
	if (l)
		rtnl_link_veth_release(l);
	rt_close(sk);
	return r;
}

static int make_macvlan(const struct vn_config *c, int tgt_fd)
{
	struct nl_sock *sk = NULL;
	struct rtnl_link *l = NULL, *parent = NULL;
	int r;

	if ((r = rt_open(NULL, &sk)))
		return r;
	if ((r = link_get(sk, c->parent, &parent)))
		goto out;
	if (!(l = rtnl_link_macvlan_alloc())) {
		r = -ENOMEM;
		goto out;
	}
	rtnl_link_set_name(l, c->ifname);
	rtnl_link_set_link(l, rtnl_link_get_ifindex(parent));
	rtnl_link_macvlan_set_mode(l, rtnl_link_macvlan_str2mode("bridge"));
	rtnl_link_set_ns_fd(l, tgt_fd);
	r = vn_nl_err(rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL));
out:
	rtnl_link_put(l);
	rtnl_link_put(parent);
	rt_close(sk);
	return r;
}

/* Moves name from the namespace of sk to the namespace fd. */
static int move_link(struct nl_sock *sk, const char *name, int fd)
{
	struct rtnl_link *l = NULL, *ch = NULL;
	int r;

	if ((r = link_get(sk, name, &l)))
		return r;
	if (!(ch = rtnl_link_alloc())) {
		r = -ENOMEM;
		goto out;
	}
	rtnl_link_set_ns_fd(ch, fd);
	r = vn_nl_err(rtnl_link_change(sk, l, ch, 0));
out:
	rtnl_link_put(ch);
	rtnl_link_put(l);
	return r;
}

static int make_physical(const struct vn_config *c, int tgt_fd)
{
	struct nl_sock *sk = NULL;
	int r;

	if ((r = rt_open(NULL, &sk)))
		return r;
	r = move_link(sk, c->ifname, tgt_fd);
	rt_close(sk);
	return r;
}

static struct nl_addr *mkaddr(const struct vn_addr *a, unsigned plen)
{
	struct nl_addr *na = nl_addr_build(a->family, a->b, vn_addr_len(a->family));

	if (na)
		nl_addr_set_prefixlen(na, (int)plen);
	return na;
}

static int add_address(struct nl_sock *sk, int ifindex, const struct vn_prefix *p)
{
	struct rtnl_addr *ad = rtnl_addr_alloc();
	struct nl_addr *local = mkaddr(&p->a, p->plen);
	int r;

	if (!ad || !local) {
		r = -ENOMEM;
		goto out;
	}
	rtnl_addr_set_ifindex(ad, ifindex);
	rtnl_addr_set_family(ad, p->a.family);
	rtnl_addr_set_local(ad, local);
	rtnl_addr_set_prefixlen(ad, p->plen);
	if (p->a.family == AF_INET6)
		rtnl_addr_set_flags(ad, IFA_F_NODAD);   /* usable at once; the prefix is ours */
	r = vn_nl_err(rtnl_addr_add(sk, ad, NLM_F_REPLACE));
out:
	nl_addr_put(local);
	rtnl_addr_put(ad);
	return r;
}

static int add_route(struct nl_sock *sk, int ifindex, const struct vn_prefix *dst, const struct vn_addr *via)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *d = mkaddr(&dst->a, dst->plen), *g = mkaddr(via, via->family == AF_INET ? 32 : 128);
	int r;

	if (!rt || !nh || !d || !g) {
		r = -ENOMEM;
		if (nh)
			rtnl_route_nh_free(nh);
		goto out;
	}
	rtnl_route_set_family(rt, dst->a.family);
	rtnl_route_set_dst(rt, d);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
	rtnl_route_set_type(rt, RTN_UNICAST);
	rtnl_route_nh_set_gateway(nh, g);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(rt, nh);
	r = vn_nl_err(rtnl_route_add(sk, rt, NLM_F_REPLACE));
out:
	nl_addr_put(d);
	nl_addr_put(g);
	rtnl_route_put(rt);
	return r;
}

/* A permanent neighbour entry: the reply path to a pinned agent cannot be
 * redirected by forged ARP or neighbour advertisements. */
static int pin_neigh(struct nl_sock *sk, int ifindex, const struct vn_pin *p)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *dst = nl_addr_build(p->ip.family, p->ip.b, vn_addr_len(p->ip.family));
	struct nl_addr *ll = nl_addr_build(AF_LLC, p->mac, 6);
	int r;

	if (!n || !dst || !ll) {
		r = -ENOMEM;
		goto out;
	}
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_family(n, p->ip.family);
	rtnl_neigh_set_dst(n, dst);
	rtnl_neigh_set_lladdr(n, ll);
	rtnl_neigh_set_state(n, NUD_PERMANENT);
	r = vn_nl_err(rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_REPLACE));
out:
	nl_addr_put(dst);
	nl_addr_put(ll);
	if (n)
		rtnl_neigh_put(n);
	return r;
}

/* Permanent entries on the link that the configuration does not pin (a
 * pin removed from the file, or one added by hand) go: up leaves only what
 * the configuration says. */
static int unpin_stale(struct nl_sock *sk, int ifindex, const struct vn_config *c)
{
	struct nl_cache *cache = NULL;
	int r;

	if ((r = vn_nl_err(rtnl_neigh_alloc_cache(sk, &cache))))
		return r;
	for (struct nl_object *o = nl_cache_get_first(cache); o && !r; o = nl_cache_get_next(o)) {
		struct rtnl_neigh *n = (struct rtnl_neigh *)o;
		struct nl_addr *dst = rtnl_neigh_get_dst(n), *ll = rtnl_neigh_get_lladdr(n);

		if (rtnl_neigh_get_ifindex(n) != ifindex || !(rtnl_neigh_get_state(n) & NUD_PERMANENT) || !dst)
			continue;
		if (ll && nl_addr_get_len(ll) == 6 &&
		    vn_config_pinned(c, nl_addr_get_binary_addr(dst), rtnl_neigh_get_family(n), nl_addr_get_binary_addr(ll)))
			continue;
		r = vn_nl_err(rtnl_neigh_delete(sk, n, 0));
	}
	nl_cache_free(cache);
	return r;
}

int vn_link_up(const struct vn_config *c, char *step, size_t steplen)
{
	struct nl_sock *sk = NULL;
	struct rtnl_link *l = NULL;
	int tgt = -1, r, ifindex;
	bool created = false;
	char a[VN_ADDR_STRLEN], b[VN_ADDR_STRLEN];

	step_set(step, steplen, "creating namespace %s", c->netns);
	if (!vn_netns_exists(c->netns)) {
		if ((r = vn_netns_create(c->netns)))
			return r;
		created = true;
	}
	if ((tgt = vn_netns_open(c->netns)) < 0)
		return tgt;
	/* the namespace's defaults before the link arrives: a link created
	 * in or moved into it starts with them (no RA, no redirects) */
	if ((r = vn_path_harden_ns(c, step, steplen)))
		goto out;
	step_set(step, steplen, "opening rtnetlink in namespace %s", c->netns);
	if ((r = rt_open(c->netns, &sk)))
		goto out;
	if ((r = link_get(sk, c->ifname, &l)) == -ENODEV) {
		switch (c->link) {
		case VN_LINK_VETH:
			step_set(step, steplen, "creating veth %s (peer %s%s%s)", c->ifname, c->peer,
				 c->peer_netns[0] ? " in namespace " : "", c->peer_netns);
			r = make_veth(c, tgt);
			break;
		case VN_LINK_MACVLAN:
			step_set(step, steplen, "creating macvlan %s on %s", c->ifname, c->parent);
			r = make_macvlan(c, tgt);
			break;
		case VN_LINK_PHYSICAL:
			step_set(step, steplen, "moving %s into namespace %s", c->ifname, c->netns);
			r = make_physical(c, tgt);
			break;
		}
		if (r)
			goto out;
		r = link_get(sk, c->ifname, &l);
	}
	if (r) {
		step_set(step, steplen, "looking up %s in namespace %s", c->ifname, c->netns);
		goto out;
	}
	ifindex = rtnl_link_get_ifindex(l);
	step_set(step, steplen, "bringing up lo and %s", c->ifname);
	if ((r = set_up(sk, "lo")) || (r = set_up(sk, c->ifname)))
		goto out;
	vn_prefix_fmt(&c->address, a, sizeof(a));
	step_set(step, steplen, "adding address %s to %s", a, c->ifname);
	if ((r = add_address(sk, ifindex, &c->address)))
		goto out;
	if (c->has_address6) {
		vn_prefix_fmt(&c->address6, a, sizeof(a));
		step_set(step, steplen, "adding address %s to %s", a, c->ifname);
		if ((r = add_address(sk, ifindex, &c->address6)))
			goto out;
	}
	if (c->has_gateway) {
		struct vn_prefix def = {.a.family = AF_INET, .plen = 0};

		vn_addr_fmt(&c->gateway, a, sizeof(a));
		step_set(step, steplen, "adding default route via %s", a);
		if ((r = add_route(sk, ifindex, &def, &c->gateway)))
			goto out;
	}
	if (c->has_gateway6) {
		struct vn_prefix def = {.a.family = AF_INET6, .plen = 0};

		vn_addr_fmt(&c->gateway6, a, sizeof(a));
		step_set(step, steplen, "adding default route via %s", a);
		if ((r = add_route(sk, ifindex, &def, &c->gateway6)))
			goto out;
	}
	for (size_t i = 0; i < c->nroutes; i++) {
		vn_prefix_fmt(&c->routes[i].dst, a, sizeof(a));
		vn_addr_fmt(&c->routes[i].via, b, sizeof(b));
		step_set(step, steplen, "adding route %s via %s", a, b);
		if ((r = add_route(sk, ifindex, &c->routes[i].dst, &c->routes[i].via)))
			goto out;
	}
	step_set(step, steplen, "removing permanent neighbour entries no pin explains");
	if ((r = unpin_stale(sk, ifindex, c)))
		goto out;
	for (size_t i = 0; i < c->npins; i++) {
		vn_addr_fmt(&c->pins[i].ip, a, sizeof(a));
		step_set(step, steplen, "pinning the neighbour entry of %s", a);
		if ((r = pin_neigh(sk, ifindex, &c->pins[i])))
			goto out;
	}
	step_set(step, steplen, "done");
out:
	rtnl_link_put(l);
	rt_close(sk);
	if (tgt >= 0)
		close(tgt);
	/* a namespace this call created does not outlive its failure */
	if (r && created)
		vn_netns_delete(c->netns);
	return r;
}

int vn_link_down(const struct vn_config *c, char *step, size_t steplen)
{
	struct nl_sock *sk = NULL;
	struct rtnl_link *l = NULL;
	int home = -1, r;

	step_set(step, steplen, "looking up namespace %s", c->netns);
	if (!vn_netns_exists(c->netns))
		return 0;
	if ((home = vn_netns_open(NULL)) < 0)
		return home;
	if ((r = rt_open(c->netns, &sk)))
		goto out;
	r = link_get(sk, c->ifname, &l);
	if (r == 0 && c->link == VN_LINK_PHYSICAL) {
		step_set(step, steplen, "moving %s back out of namespace %s", c->ifname, c->netns);
		r = move_link(sk, c->ifname, home);
	} else if (r == 0) {
		step_set(step, steplen, "deleting %s", c->ifname);
		r = vn_nl_err(rtnl_link_delete(sk, l));
	} else if (r == -ENODEV) {
		r = 0;
	}
	if (r)
		goto out;
	step_set(step, steplen, "deleting namespace %s", c->netns);
	r = vn_netns_delete(c->netns);
out:
	rtnl_link_put(l);
	rt_close(sk);
	if (home >= 0)
		close(home);
	return r;
}

int vn_link_state(const struct vn_config *c, struct vn_link_state *st)
{
	struct nl_sock *sk = NULL;
	struct rtnl_link *l = NULL;
	int r;

	memset(st, 0, sizeof(*st));
	if (!(st->netns = vn_netns_exists(c->netns)))
		return 0;
	if ((r = rt_open(c->netns, &sk)))
		return r;
	if (link_get(sk, "lo", &l) == 0)
		st->lo_up = rtnl_link_get_flags(l) & IFF_UP;
	rtnl_link_put(l);
	l = NULL;
	if (link_get(sk, c->ifname, &l) == 0) {
		st->link = true;
		st->up = rtnl_link_get_flags(l) & IFF_UP;
		st->ifindex = rtnl_link_get_ifindex(l);
	}
	rtnl_link_put(l);
	rt_close(sk);
	return 0;
}
