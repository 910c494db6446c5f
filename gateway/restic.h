/* restic.h - restic's REST backend, v1 and v2 (PROTOCOLS.md §1), over the
 * RESTIC_* operations of vaultd (common/ops.h). The path grammar is in
 * restic_path.c; this file maps methods and statuses:
 *
 *   POST   /restic/ITEM/?create=true   RESTIC_CREATE          200 (400 without create)
 *   HEAD   …/config, …/TYPE/ID         RESTIC_STAT            200 + Content-Length, 404
 *   GET    …/config, …/TYPE/ID         RESTIC_GET             200, 206 + Content-Range, 416
 *   POST   …/config, …/TYPE/ID         RESTIC_PUT             200; 403 exists; 400 bad hash
 *   DELETE …/config, …/TYPE/ID         RESTIC_DELETE          200 (also if missing); 403
 *   GET    …/TYPE/                     RESTIC_LIST            v1 or v2 JSON, never null
 *
 * Success is always exactly 200 (or 206). Other methods: 405 with Allow.
 * The vault is the configuration's restic_vault.
 */
#ifndef GW_RESTIC_H
#define GW_RESTIC_H

#include "gw.h"

#define GW_RESTIC_V1 "application/vnd.x.restic.rest.v1"
#define GW_RESTIC_V2 "application/vnd.x.restic.rest.v2"

void gw_restic_handle(struct gw_rctx *x);

#endif
