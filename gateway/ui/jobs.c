/* jobs.c - jobs running now with their progress (JOB_RUNNING), the jobs
 * of the last days (REPORT's job rows), and the report page: the very
 * renderer `vaultctl report --html` uses (vault/report.c vreport_body),
 * linked in, its charts inline SVG under this console's stylesheet. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy.h"
#include "report.h"
#include "router.h"
#include "ui_int.h"
#include "vg_err.h"

static int running_cb(struct ui_ctx *u, const struct vg_msg *m, void *arg)
{
	char id[24], kind[16], vault[VG_VAULT_NAME_MAX + 1], item[VG_ITEM_NAME_MAX + 1],
		who[VG_PRINCIPAL_NAME_MAX + 1];
	uint64_t done = ui_u64(m, VG_TAG_SIZE), total = ui_u64(m, VG_TAG_SIZE2);
	unsigned *n = arg;

	(*n)++;
	ui_str(m, VG_TAG_ID, id, sizeof(id));
	ui_str(m, VG_TAG_KIND, kind, sizeof(kind));
	ui_str(m, VG_TAG_VAULT, vault, sizeof(vault));
	ui_str(m, VG_TAG_ITEM, item, sizeof(item));
	ui_str(m, VG_TAG_PRINCIPAL, who, sizeof(who));
	ui_put(&u->b, "<tr><td class=\"n\">%s</td><td><b>%s</b></td><td>%s</td><td>%s</td><td>%s</td>"
		"<td>%t</td><td class=\"n\">%b</td>", id, kind, vault, item, who,
		ui_u64(m, VG_TAG_TIME), done);
	if (total) {
		uint64_t pct = done >= total ? 100 : done * 100 / total;
		/* the bar is an SVG (no style attribute: the CSP allows none) */
		ui_put(&u->b, "<td class=\"n\">%b</td><td><svg class=\"bar\" viewBox=\"0 0 100 8\" "
			"role=\"img\" aria-label=\"%u percent\"><rect width=\"100\" height=\"8\" class=\"bg\"/>"
			"<rect width=\"%u\" height=\"8\" class=\"fg\"/></svg> %u%%</td></tr>\n", total, pct, pct,
			pct);
	} else {
		ui_raw(&u->b, "<td class=\"muted\">not known</td><td class=\"muted\">-</td></tr>\n");
	}
	return 0;
}

struct recent {
	unsigned n;
};

static int recent_cb(struct ui_ctx *u, const struct vg_msg *m, void *arg)
{
	char kind[16], vault[VG_VAULT_NAME_MAX + 1], item[VG_ITEM_NAME_MAX + 1], job[16],
		result[16], detail[300];
	struct recent *r = arg;

	ui_str(m, VG_TAG_KIND, kind, sizeof(kind));
	if (strcmp(kind, "job") != 0)
		return 0;
	r->n++;
	ui_str(m, VG_TAG_VAULT, vault, sizeof(vault));
	ui_str(m, VG_TAG_ITEM, item, sizeof(item));
	ui_str(m, VG_TAG_NAME, job, sizeof(job));
	ui_str(m, VG_TAG_RESULT, result, sizeof(result));
	ui_str(m, VG_TAG_DETAIL, detail, sizeof(detail));
	ui_put(&u->b, "<tr><td>%t</td><td>%s</td><td>%s</td><td>%s</td><td>", ui_u64(m, VG_TAG_TIME),
		vault, item, job);
	ui_raw(&u->b, strcmp(result, "ok") == 0 ? "<span class=\"tag t-ok\">" : "<span class=\"tag t-bad\">");
	ui_put(&u->b, "%s</span></td><td class=\"n\">%b</td><td>%s</td></tr>\n", result,
		ui_u64(m, VG_TAG_SIZE), detail);
	return 0;
}

void ui_page_jobs(struct ui_ctx *u)
{
	struct recent rc = {0};
	unsigned n = 0;
	struct vg_wr *w;
	int r;

	ui_begin(u, "Jobs", UI_N_JOBS);
	ui_raw(&u->b, "<section><h2>Running now</h2><table id=\"running\"><tr><th>id</th><th>job</th>"
		"<th>vault</th><th>item</th><th>by</th><th>started</th><th>done</th><th>of</th>"
		"<th>progress</th></tr>\n");
	vgc_req(u->v, VG_OP_JOB_RUNNING);
	r = ui_rows(u, running_cb, &n);
	ui_raw(&u->b, "</table>");
	if (r)
		ui_error_box(u, "running jobs", r);
	else if (!n)
		ui_raw(&u->b, "<p class=\"muted\" id=\"none-running\">Nothing is running.</p>");
	ui_raw(&u->b, "<p class=\"muted\">Reload for fresh figures (the console runs no script).</p>"
		"</section>\n<section><h2>The last 7 days</h2><table id=\"recent\"><tr><th>time</th>"
		"<th>vault</th><th>item</th><th>job</th><th>result</th><th>bytes</th><th>detail</th>"
		"</tr>\n");
	w = vgc_req(u->v, VG_OP_REPORT);
	{
		uint64_t now = (uint64_t)time(NULL);
		vg_msgb_u64(w, VG_TAG_TIME, now > 7 * 86400 ? now - 7 * 86400 : 0);
	}
	r = ui_rows(u, recent_cb, &rc);
	ui_raw(&u->b, "</table>");
	if (r)
		ui_error_box(u, "jobs", r);
	ui_raw(&u->b, "</section>\n");
	ui_end(u);
}

void ui_page_report(struct ui_ctx *u)
{
	char vault[VG_VAULT_NAME_MAX + 1], *mem = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	ui_query_name(u->x, "vault", vault, sizeof(vault));
	ui_begin(u, "Report", UI_N_REPORT);
	ui_raw(&u->b, "<p class=\"muted\">The report <code>vaultctl report --html</code> writes, over "
		"the vaults you may view, the last 30 days.</p>\n<div class=\"report\">\n");
	if (!(f = open_memstream(&mem, &len))) {
		u->b.err = true;
		ui_end(u);
		return;
	}
	r = vreport_body(u->v, *vault ? vault : NULL, 30, f);
	if (fclose(f) != 0)
		u->b.err = true;
	if (r) {
		if (gw_link_failed(u->v, r))
			u->x->link_bad = true;
		ui_error_box(u, "report", r);
	} else if (mem) {
		/* vreport_body escapes every name it writes (report.c esc()). */
		ui_raw(&u->b, mem);
	}
	free(mem);
	ui_raw(&u->b, "</div>\n");
	ui_end(u);
}
