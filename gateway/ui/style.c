/* style.c - /ui/style.css: the console's one stylesheet, followed by the
 * report's (vault/report.c vreport_css), so the charts look the same here
 * as in the --html file. No inline style anywhere (the CSP forbids it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "report.h"
#include "ui_int.h"

static const char ui_css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
	"background:#f1f5f9;color:#0f172a}\n"
	"header.top{display:flex;align-items:center;gap:24px;background:#0f172a;color:#f8fafc;"
	"padding:10px 28px}\n"
	"header.top a{color:#cbd5e1;text-decoration:none;font-size:14px}\n"
	"header.top a.brand{color:#f8fafc;font-weight:700;font-size:18px}\n"
	"header.top nav{display:flex;gap:16px;flex:1}header.top nav a.on{color:#fff;"
	"border-bottom:2px solid #38bdf8;padding-bottom:2px}\n"
	"form.who{display:flex;gap:10px;align-items:center;font-size:13px;color:#e2e8f0}\n"
	"form.who small{color:#94a3b8}\n"
	"button{background:#2563eb;color:#fff;border:0;border-radius:6px;padding:6px 12px;"
	"font-size:13px;cursor:pointer}\n"
	"form.who button{background:#334155}\n"
	"main{padding:18px 28px;max-width:1280px}\nh1{font-size:22px;margin:4px 0 14px}\n"
	"footer{padding:10px 28px;color:#94a3b8;font-size:12px}\n"
	"a{color:#1d4ed8}\ncode,.mono{font-family:ui-monospace,monospace;font-size:12px}\n"
	"p.error{background:#fee2e2;color:#991b1b;border-radius:6px;padding:8px 12px}\n"
	"p.chain{font-size:14px}\n"
	"form.filter{display:flex;gap:14px;align-items:end;margin:0 0 12px;font-size:13px}\n"
	"form.filter label,main.login label{display:flex;flex-direction:column;gap:4px}\n"
	"input,select{font:inherit;padding:5px 8px;border:1px solid #cbd5e1;border-radius:6px}\n"
	"main.login{max-width:380px;margin:60px auto;background:#fff;border-radius:10px;"
	"padding:24px 28px;box-shadow:0 1px 3px rgba(0,0,0,.12)}\n"
	"main.login form{display:flex;flex-direction:column;gap:14px;margin-top:14px}\n"
	"table td small{color:#64748b}\n"
	"svg.bar{width:120px;height:10px;vertical-align:middle}svg.bar .bg{fill:#e2e8f0}"
	"svg.bar .fg{fill:#2563eb}\n"
	"pre.rules{background:#0f172a;color:#e2e8f0;padding:12px;border-radius:8px;overflow:auto;"
	"font-size:12px}\n"
	".verdict{font-size:15px;font-weight:600}\n"
	"section.attention{border-left:6px solid #16a34a}section.attention.bad{border-left-color:#dc2626}\n"
	"section.attention ul{margin:0;padding-left:20px;font-size:14px;line-height:1.7}\n";

void ui_style(struct gw_rctx *x)
{
	size_t a = strlen(ui_css), b = strlen(vreport_css);
	char *css = malloc(a + b + 2);

	if (!css) {
		gw_reply_error(x, 500, "internal", "out of memory");
		return;
	}
	memcpy(css, ui_css, a);
	memcpy(css + a, vreport_css, b);
	css[a + b] = '\n';
	gw_reply_full(x, 200, "text/css; charset=utf-8", css, a + b + 1, NULL);
	free(css);
}
