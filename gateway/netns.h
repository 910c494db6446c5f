/* netns.h - --netns NAME: join the network namespace bind-mounted at
 * /run/netns/NAME (as iproute2 and vaultnet create it) before binding.
 * The vaultd UNIX socket is a path, so it stays reachable from inside. */
#ifndef GW_NETNS_H
#define GW_NETNS_H

#include <stddef.h>

#define GW_NETNS_DIR "/run/netns"

int gw_netns_enter(const char *name, char *why, size_t whysz);

#endif
