/* nflog.h - the drops the firewall logs, read from nfnetlink_log.
 *
 * The input chain's last rule logs to NFLOG group G before it drops.
 * vn_nflog_open() binds that group in the appliance namespace and asks for
 * the first 128 bytes of each packet (network + transport headers). Every
 * message and attribute is checked (type, length) and the packet headers
 * are read through the bounds-checked cursor.
 *
 * vn_drops aggregates per source address over a window (a minute):
 * packets and the distinct destination ports.
 */
#ifndef VN_NFLOG_H
#define VN_NFLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct vn_nflog_pkt {
	struct vn_addr src;
	uint8_t proto;          /* IPPROTO_* */
	bool has_port;
	uint16_t dport;
};

struct vn_nflog;

int vn_nflog_open(const char *netns, uint16_t group, struct vn_nflog **out);
int vn_nflog_fd(const struct vn_nflog *n);
/* Reads one batch of messages; calls cb for each logged packet.
 * Returns 0, or -ENOBUFS if the kernel dropped log messages (counted in
 * *lost, reading can go on), or another negative error. */
int vn_nflog_read(struct vn_nflog *n, void (*cb)(const struct vn_nflog_pkt *, void *), void *arg,
		  uint64_t *lost);
void vn_nflog_close(struct vn_nflog *n);

/* Parses one nfnetlink_log message (exposed for tests and fuzzing).
 * Returns 1 with *pkt set, 0 for a message that is not a packet, or
 * VG_EPROTO for a malformed one. */
int vn_nflog_parse(const void *msg, size_t len, struct vn_nflog_pkt *pkt);

#define VN_DROPS_MAX_SOURCES 4096
#define VN_DROPS_MAX_PORTS 8
#define VN_DROPS_HASH 8192      /* open addressing over src[], a power of two */

struct vn_drop_src {
	struct vn_addr src;
	uint64_t packets;
	size_t nports;
	uint16_t ports[VN_DROPS_MAX_PORTS];
	bool more_ports, other_proto;
};

/* One interval's drops. A flood from forged sources can bring any number
 * of them: the table keeps the first VN_DROPS_MAX_SOURCES, counts the rest
 * in overflow, and every packet in total; a hash index keeps vn_drops_add
 * O(1) under a flood. */
struct vn_drops {
	size_t n;
	uint64_t total;         /* every packet of the interval */
	uint64_t overflow;      /* packets from sources past the table's size */
	struct vn_drop_src src[VN_DROPS_MAX_SOURCES];
	uint16_t slot[VN_DROPS_HASH];   /* index + 1 into src, 0 = empty */
};

void vn_drops_add(struct vn_drops *d, const struct vn_nflog_pkt *p);
void vn_drops_reset(struct vn_drops *d);
/* The indexes of the (at most n) sources with the most packets, most first. */
size_t vn_drops_top(const struct vn_drops *d, size_t *idx, size_t n);
/* "3 packets to port 443", "5 packets to ports 22, 443", "2 packets (no port)" */
int vn_drop_reason(const struct vn_drop_src *s, char *buf, size_t len);

#endif
