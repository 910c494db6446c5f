/* ns.h - named network namespaces, the iproute2 way.
 *
 * A namespace NAME is a bind mount of a namespace file at /run/netns/NAME
 * (the run directory is a shared mount so the bind propagates), so
 * `ip netns exec NAME ...` and `ip -n NAME ...` work on what we create, and
 * vaultnet works on what `ip netns add` created.
 *
 * vn_netns_enter() is what vaultgw calls for `--netns NAME`: it moves the
 * calling thread into the namespace for good (call it before creating
 * sockets and before starting threads).
 */
#ifndef VN_NS_H
#define VN_NS_H

#include <stdbool.h>
#include <stddef.h>

#define VN_NETNS_RUN_DIR "/run/netns"

/* 0 or VG_ENAME: [A-Za-z0-9][A-Za-z0-9_.-]*, 1..64 bytes. */
int vn_netns_name_check(const char *name);
bool vn_netns_exists(const char *name);
/* Creates NAME; -EEXIST if it is already there. */
int vn_netns_create(const char *name);
/* Unmounts and removes NAME; -ENOENT if it is not there. Interfaces in it
 * are destroyed by the kernel once no process holds the namespace
 * (physical NICs go back to the initial namespace). */
int vn_netns_delete(const char *name);
/* setns() into NAME for the rest of this thread's life. */
int vn_netns_enter(const char *name);
/* An O_RDONLY fd on NAME's namespace file (for IFLA_NET_NS_FD); NULL or
 * "" means the caller's own namespace. */
int vn_netns_open(const char *name);

/* Temporarily switch this thread into NAME (NULL/"": stay) to create
 * netlink sockets there: *saved receives the fd to return with. */
int vn_netns_switch(const char *name, int *saved);
int vn_netns_return(int saved);

#endif
