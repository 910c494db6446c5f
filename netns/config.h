/* config.h - the vaultnet configuration file (README.md, "Configuration").
 *
 *   # comment (whole lines only)
 *   key = value
 *
 * Every key at most once; lists are comma-separated. Parsing is strict and
 * all-or-nothing: the first problem is reported as "FILE:LINE: KEY: ..."
 * (or "FILE: ..." for a missing key) and nothing is returned. Cross-key
 * checks (a gateway outside the address prefix, allow_v6 without address6)
 * name the line of the key that is wrong.
 */
#ifndef VN_CONFIG_H
#define VN_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define VN_NETNS_NAME_MAX 64
#define VN_ALLOW_MAX 256
#define VN_ROUTES_MAX 32
#define VN_PORTS_MAX 8
#define VN_SOCKET_MAX 107
#define VN_ERR_MAX 512

enum vn_link_mode {
	VN_LINK_VETH = 1,       /* a veth pair: ifname inside, peer outside */
	VN_LINK_MACVLAN,        /* a macvlan on parent, moved inside */
	VN_LINK_PHYSICAL,       /* the NIC ifname itself is moved inside */
};

struct vn_rate {
	uint32_t count;
	uint32_t unit;          /* seconds: 1, 60, 3600, 86400 */
};

struct vn_route {
	struct vn_prefix dst;
	struct vn_addr via;
};

/* A destination the namespace may open TCP connections to (issue 14):
 * "DEST[/LEN] PORT[-PORT]". Without any, the namespace opens none. */
#define VN_EGRESS_MAX 16
struct vn_egress {
	struct vn_prefix dst;   /* network address, host bits zero */
	uint16_t port_lo, port_hi;
};

/* An on-link agent pinned to its MAC address (issue 19.4). */
#define VN_PINS_MAX 256
struct vn_pin {
	struct vn_addr ip;
	uint8_t mac[6];
};

struct vn_config {
	char netns[VN_NETNS_NAME_MAX + 1];
	enum vn_link_mode link;
	char ifname[IF_NAMESIZE];
	char peer[IF_NAMESIZE];                 /* veth */
	char peer_netns[VN_NETNS_NAME_MAX + 1]; /* veth, optional */
	char parent[IF_NAMESIZE];               /* macvlan */
	struct vn_prefix address;               /* IPv4, host bits set */
	bool has_address6;
	struct vn_prefix address6;
	bool has_gateway, has_gateway6;
	struct vn_addr gateway, gateway6;
	size_t nroutes;
	struct vn_route routes[VN_ROUTES_MAX];
	uint16_t port;                          /* the first of ports */
	size_t nports;                          /* port = 443, 9000 (issue 16: S3) */
	uint16_t ports[VN_PORTS_MAX];
	size_t nallow4, nallow6;                /* as written */
	struct vn_prefix allow4[VN_ALLOW_MAX];
	struct vn_prefix allow6[VN_ALLOW_MAX];
	struct vn_rate conn_rate;
	uint32_t conn_burst;
	struct vn_rate icmp_rate;
	uint16_t nflog_group;
	char vaultd_socket[VN_SOCKET_MAX + 1];
	size_t npins;
	struct vn_pin pins[VN_PINS_MAX];
	bool pin_onlink;                        /* every on-link source must be pinned */
	size_t negress;
	struct vn_egress egress[VN_EGRESS_MAX]; /* as written */
};

/* Defaults (README.md). */
#define VN_DEFAULT_PORT 443
#define VN_DEFAULT_CONN_RATE 20
#define VN_DEFAULT_CONN_BURST 40
#define VN_DEFAULT_ICMP_RATE 5
#define VN_DEFAULT_NFLOG_GROUP 100

/* Parses text of len bytes; name is used in error messages. On failure
 * returns VG_EINVAL (or -ENOMEM) and writes one line into err. */
int vn_config_parse(const char *name, const char *text, size_t len,
		    struct vn_config **out, char *err, size_t errlen);
/* Reads and parses path. Refuses files that are group- or world-writable
 * or not owned by root (VG_EDENIED), and files over 64 KiB (VG_ETOOBIG). */
int vn_config_load(const char *path, struct vn_config **out, char *err, size_t errlen);
void vn_config_free(struct vn_config *c);

/* The canonical form: every key in a fixed order, defaults filled in,
 * lists in the order written. Two files that mean the same give the same
 * canonical text. Returns a malloc'd string or NULL. */
char *vn_config_canonical(const struct vn_config *c);
/* SHA-256 of the canonical form, as 64 hex digits + NUL. */
int vn_config_digest(const struct vn_config *c, char hex[65]);

/* Whether the configuration pins ip (4 or 16 bytes of family) to mac
 * (6 bytes). NULL ip or mac: false. */
bool vn_config_pinned(const struct vn_config *c, const void *ip, int family, const void *mac);

/* The egress entry that admits a new TCP connection to dst:port, or NULL. */
const struct vn_egress *vn_config_egress(const struct vn_config *c, const struct vn_addr *dst, uint16_t port);
/* "10.0.9.0/24 6800-7300" */
int vn_egress_fmt(const struct vn_egress *e, char *buf, size_t len);

const char *vn_link_mode_name(enum vn_link_mode m);
/* "20/second" */
int vn_rate_fmt(const struct vn_rate *r, char *buf, size_t len);

#endif
