/* ui.h - the read-only console under /ui/ (issue 18), on the gateway's TLS
 * listener. Server-rendered HTML and inline SVG, one stylesheet
 * (/ui/style.css), no script, no third-party asset. Every page is read
 * through the same vaultd operations the native API uses, as the logged-in
 * principal, so roles apply exactly as there. Nothing here changes
 * anything: the only POSTs are login and logout. See ui/README.md. */
#ifndef GW_UI_H
#define GW_UI_H

#include "gw.h"

/* Added to every answer under /ui/ (reply.c), errors included. */
#define GW_UI_HEADERS \
	"Content-Security-Policy: default-src 'none'; style-src 'self'; img-src 'self' data:; " \
	"frame-ancestors 'none'; form-action 'self'; base-uri 'none'\r\n" \
	"X-Frame-Options: DENY\r\n" \
	"Referrer-Policy: no-referrer\r\n"

void gw_ui_handle(struct gw_rctx *x);

#endif
