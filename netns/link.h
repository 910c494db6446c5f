/* link.h - the namespace's interface, addresses and routes, via libnl-route.
 *
 * vn_link_up() is idempotent: it creates the namespace if needed, the link
 * if it is not in the namespace yet (veth: the outside end stays in the
 * caller's namespace or goes to peer_netns; macvlan: on parent; physical:
 * the NIC is moved in), brings lo and the link up, and replaces the
 * addresses and routes. If it created the namespace and a later step
 * fails, it removes the namespace again. vn_link_down() undoes it and removes the
 * namespace. Both name the failing step in *step (for the operator).
 *
 * libnl's NLE_* codes are translated to negative errno here.
 */
#ifndef VN_LINK_H
#define VN_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

int vn_link_up(const struct vn_config *c, char *step, size_t steplen);
int vn_link_down(const struct vn_config *c, char *step, size_t steplen);

struct vn_link_state {
	bool netns;             /* the namespace exists */
	bool link;              /* ifname is in it */
	bool up;                /* and is administratively up */
	bool lo_up;
	int ifindex;
};

int vn_link_state(const struct vn_config *c, struct vn_link_state *st);

/* A NETLINK_ROUTE socket made in netns (NULL: ours), for path.c. */
struct nl_sock;
int vn_rt_open(const char *netns, struct nl_sock **out);
void vn_rt_close(struct nl_sock *sk);

/* libnl error to negative errno. */
int vn_nl_err(int nle);

#endif
