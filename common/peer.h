/* peer.h - one normal form for a network peer, used by vaultgw and vaultd
 * alike for counting failed authentications (vaultgw's 429 limiter,
 * vaultd's auth-bruteforce), for audit entries and for messages.
 *
 *   input                      addr              source             key (16 bytes)
 *   10.0.0.5:4431              10.0.0.5          10.0.0.5           ::ffff:10.0.0.5
 *   [::ffff:10.0.0.5]:4431     10.0.0.5          10.0.0.5           ::ffff:10.0.0.5
 *   [2001:db8:1:2::7]:4431     2001:db8:1:2::7   2001:db8:1:2::/64  2001:db8:1:2::
 *   2001:db8:1:2::7            2001:db8:1:2::7   2001:db8:1:2::/64  2001:db8:1:2::
 *
 * The port never counts: every new connection has another one. An IPv6
 * peer is counted by its /64, the smallest block one customer is given,
 * so an attacker cannot step through its own addresses to dodge the count.
 * IPv4-mapped IPv6 (a dual-stack listener) is plain IPv4.
 */
#ifndef VG_PEER_H
#define VG_PEER_H

#include <stdint.h>
#include <sys/socket.h>

#define VG_PEER_ADDR_MAX 46    /* INET6_ADDRSTRLEN */

struct vg_peer {
	char addr[VG_PEER_ADDR_MAX];        /* the address alone */
	char source[VG_PEER_ADDR_MAX + 4];  /* what failures are counted by */
	uint8_t key[16];                    /* source as bytes (IPv4-mapped for IPv4) */
};

/* From a socket address (AF_INET or AF_INET6); VG_EINVAL for others. */
int vg_peer_from_sockaddr(const struct sockaddr_storage *sa, struct vg_peer *out);
/* From text: "IP", "IP:port", "[IPv6]", "[IPv6]:port". Anything else,
 * including a bad port, is VG_EINVAL and *out is zeroed. */
int vg_peer_parse(const char *text, struct vg_peer *out);

#endif
