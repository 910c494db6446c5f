/* firewall.h - the private endpoint's firewall, read for the console
 * (issue 18) by vaultnet's own code, `vaultnet serve`: one request line
 * ("show", "verify", "export", "explain SOURCE [PORT|ping]") in, the
 * command's output and "vaultnet-exit N" out (VG_OP_FIREWALL). The gateway
 * runs no nft code. Two ways to reach the helper:
 *   --vaultnet-socket PATH   the appliance: a socket-activated unit
 *                            (image/units/vaultnet-query.socket) runs
 *                            `vaultnet serve` as root per connection, since
 *                            vaultd's own sandbox (no capabilities, no
 *                            namespaces) could not read the table;
 *   --vaultnet-config FILE   vaultd forks `vaultnet serve --config FILE`
 *                            itself (a vaultd running as root; the tests).
 * No shell, the source and port checked against their grammar first, a
 * fixed environment, a 20 s deadline (a helper vaultd started is killed
 * by its pid after it), at most 4 MiB of output. Neither configured:
 * VG_EBADSTATE. */
#ifndef VAULT_FIREWALL_H
#define VAULT_FIREWALL_H

#include <stddef.h>

/* From vaultd's --vaultnet-config FILE and --vaultnet PATH (default: the
 * vaultnet beside vaultd's own binary, else /usr/sbin/vaultnet). */
void vfw_configure(const char *config, const char *binary, const char *socket);

#define VFW_OUT_MAX (4u << 20)

/* what: show, verify, export, explain (source, port: NULL for tcp/443).
 * *out (malloc'd, NUL-terminated; the caller frees), *status: the
 * helper's exit status (verify and explain: 1 = the live table differs).
 * 0, VG_EBADSTATE (not configured), VG_EINVAL (bad what/source/port),
 * VG_EINTERNAL (could not run it, or it timed out). */
int vfw_run(const char *what, const char *source, const char *port, char **out, size_t *len,
	int *status);

#endif
