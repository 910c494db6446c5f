/* privs.h - giving up root after binding (relayd, httpd): supplementary
 * groups, gid, uid, all three ids each, then no_new_privs. vaultgw refuses
 * to go on if any id is still 0 afterwards, or if root can be regained. */
#ifndef GW_PRIVS_H
#define GW_PRIVS_H

#include <stddef.h>

/* As root: becomes `user`. Not root: checks we hold no root id at all. */
int gw_privs_drop(const char *user, char *why, size_t whysz);

#endif
