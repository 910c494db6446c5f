/* audit.h - events to vaultd (VG_OP_EVENT_RECORD over its UNIX socket).
 *
 *   firewall.apply   target = netns, reason = "ruleset sha256 ... config sha256 ..."
 *   firewall.drift   the same, with kind "firewall-drift" (raises the alert)
 *   firewall.drops   target = netns, one per interval: "N packets from M sources; top: SRC R; ..."
 *   firewall.scan-detected  target = netns, once per episode, kind "scan-detected" (alert)
 */
#ifndef VN_AUDIT_H
#define VN_AUDIT_H

#include <stddef.h>

/* kind may be NULL. On failure err holds vaultd's message (or ours). */
int vn_audit_event(const char *socket_path, const char *opname, const char *target,
		   const char *reason, const char *kind, char *err, size_t errlen);

#endif
