/* api.h - the native API under /v1/ (PROTOCOLS.md §2): JSON for management
 * (jansson), raw streams for object bodies.
 *
 *   GET  /v1/whoami
 *   GET  /v1/vaults                          POST /v1/vaults {"name"}
 *   GET  /v1/vaults/V
 *   GET  /v1/vaults/V/items                  POST /v1/vaults/V/items {"name","kind"}
 *   GET  /v1/vaults/V/items/I
 *   GET  /v1/vaults/V/items/I/points[?all=true]
 *   POST /v1/vaults/V/items/I/points         -> 201 {"point"} (detached: may span requests)
 *   GET  /v1/vaults/V/items/I/points/P
 *   DELETE /v1/vaults/V/items/I/points/P     abandons an uncommitted point
 *   POST /v1/vaults/V/items/I/points/P/commit
 *   GET  /v1/vaults/V/items/I/points/P/objects
 *   PUT  /v1/vaults/V/items/I/points/P/objects/NAME[?sha256=HEX]   streamed body
 *   GET|HEAD /v1/vaults/V/items/I/points/P/objects/NAME            Range
 *   GET  /v1/audit[?from=SEQ]
 *   and the management routes listed in gateway/README.md (settings, keys,
 *   policies, PINs, alerts, reports, deletes and undeletes, MUA requests)
 *
 * Errors: {"error": vg_errcode, "message"}.
 * The contract, every route and body: gateway/api.yaml (the table
 * api_routes in api.c is the router; api-schema compares them).
 */
#ifndef GW_API_H
#define GW_API_H

#include "gw.h"

void gw_api_handle(struct gw_rctx *x);

#endif
