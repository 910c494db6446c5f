/* firewall.h - the private endpoint's firewall, read for the console
 * (issue 18) by vaultnet's own code: vaultd runs the vaultnet helper
 * (`vaultnet show|verify|export --json|explain SOURCE [PORT|ping] --config
 * FILE`) and hands its output back (VG_OP_FIREWALL). The gateway runs no
 * nft code and sees the namespace only through this; vaultd, root in the
 * host namespace, is what may enter it. No shell: argv only, the source
 * and port checked against their grammar first, a fixed environment, a
 * 20 s deadline (the helper is killed by its pid after it), at most 4 MiB
 * of output. Unconfigured (no --vaultnet-config): VG_EBADSTATE. */
#ifndef VAULT_FIREWALL_H
#define VAULT_FIREWALL_H

#include <stddef.h>

/* From vaultd's --vaultnet-config FILE and --vaultnet PATH (default: the
 * vaultnet beside vaultd's own binary, else /usr/sbin/vaultnet). */
void vfw_configure(const char *config, const char *binary);

#define VFW_OUT_MAX (4u << 20)

/* what: show, verify, export, explain (source, port: NULL for tcp/443).
 * *out (malloc'd, NUL-terminated; the caller frees), *status: the
 * helper's exit status (verify and explain: 1 = the live table differs).
 * 0, VG_EBADSTATE (not configured), VG_EINVAL (bad what/source/port),
 * VG_EINTERNAL (could not run it, or it timed out). */
int vfw_run(const char *what, const char *source, const char *port, char **out, size_t *len,
	int *status);

#endif
