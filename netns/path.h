/* path.h - the namespace's packet path outside nftables (issue 19.2).
 *
 * nftables is not the only thing in a namespace that can admit or divert
 * a packet. vn_path_check() compares the rest with the configuration and
 * appends one line per difference, in verify's diff format:
 *
 *   sysctls      a fixed list with required values (VN_SYSCTLS in path.c):
 *                no forwarding, no redirects, no source routes, strict
 *                rp_filter, arp_ignore/arp_announce, no RA, SYN cookies
 *   links        only lo and the configured interface, both up
 *   addresses    lo's loopback addresses, the configured address(es) and
 *                the interface's IPv6 link-local address, nothing else
 *   routes       every table: the kernel's local/broadcast/connected
 *                routes for those addresses, the configured gateways and
 *                routes, nothing else; policy rules: the kernel defaults
 *   neighbours   no permanent entry that the configuration does not pin
 *   tc           no ingress/clsact qdisc, only plain queueing qdiscs, no
 *                filter anywhere
 *   xdp          no XDP program on any link
 *   x_tables     no iptables/ip6tables/arptables (legacy) table
 *   conntrack    every entry is a flow the configuration admits (to the
 *                port from an allowlisted source, ping from one, loopback)
 *
 * vn_path_harden() writes the sysctls (`up` calls it).
 */
#ifndef VN_PATH_H
#define VN_PATH_H

#include <stddef.h>

#include "buf.h"
#include "config.h"

size_t vn_path_check(const struct vn_config *c, struct vg_wr *out);
/* 0 or -errno; *step names the sysctl that could not be written. */
int vn_path_harden(const struct vn_config *c, char *step, size_t steplen);
/* Only the namespace-wide ones (all, default): before the link comes in,
 * so it starts with them (no router advertisement is ever accepted). */
int vn_path_harden_ns(const struct vn_config *c, char *step, size_t steplen);

/* Deletes every conntrack entry in the namespace that no rule of c admits
 * (what verify reports as conntrack drift): `up` calls it after the table
 * is in force, so a source taken off the allowlist keeps no open flow.
 * *removed: how many. VG_ELIMIT if some could not be collected. */
int vn_path_ct_prune(const struct vn_config *c, size_t *removed);

#endif
