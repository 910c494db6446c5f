/* firewall.c - the private endpoint's firewall as network admins need it:
 * drift state (vaultnet verify), the allowlist and the live rules with
 * their counters (vaultnet export --json), the live table in nft syntax
 * (vaultnet show), and an explain form (source address and port -> the
 * verdict and the deciding rule, vaultnet explain). All of it is vaultnet's
 * own code, run by vaultd (VG_OP_FIREWALL, vault/firewall.h): the gateway
 * runs no nftables code and cannot enter the namespace's tables itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proxy.h"
#include "router.h"
#include "ui_int.h"
#include "vg_err.h"

#define FW_MAX (4u << 20)

/* Runs one VG_OP_FIREWALL; *out (malloc'd) and *status on success. */
static int fw_call(struct ui_ctx *u, const char *what, const char *src, const char *port,
	char **out, int *status)
{
	struct vg_wr *w = vgc_req(u->v, VG_OP_FIREWALL);
	struct vg_msg m;
	uint64_t size = 0, st = 0;
	size_t n = 0;
	char *buf;
	int r;

	*out = NULL;
	vg_msgb_str(w, VG_TAG_KIND, what);
	if (src)
		vg_msgb_str(w, VG_TAG_VALUE, src);
	if (port)
		vg_msgb_str(w, VG_TAG_NAME, port);
	if ((r = vgc_call(u->v, &m))) {
		if (gw_link_failed(u->v, r))
			u->x->link_bad = true;
		return r;
	}
	(void)vg_msg_u64(&m, VG_TAG_SIZE, &size);
	(void)vg_msg_u64(&m, VG_TAG_COUNT, &st);
	if (size > FW_MAX || !(buf = malloc((size_t)size + 1))) {
		u->x->link_bad = true;   /* its DATA frames are still coming */
		return VG_ETOOBIG;
	}
	while ((r = vgc_stream_next(u->v, &m)) == 1) {
		if (m.type != VG_F_DATA || m.datalen > size - n) {
			free(buf);
			u->x->link_bad = true;
			return VG_EPROTO;
		}
		memcpy(buf + n, m.data, m.datalen);
		n += m.datalen;
	}
	if (r) {
		free(buf);
		if (gw_link_failed(u->v, r))
			u->x->link_bad = true;
		return r;
	}
	buf[n] = 0;
	*out = buf;
	*status = (int)st;
	return 0;
}

static void rules_table(struct ui_ctx *u, json_t *root)
{
	json_t *chains = json_object_get(root, "chains"), *ch;
	size_t i;

	ui_raw(&u->b, "<table id=\"rules\"><tr><th>chain</th><th>handle</th><th>rule (nft)</th>"
		"<th>comment</th><th>verdict</th><th>packets</th><th>bytes</th></tr>\n");
	json_array_foreach(chains, i, ch) {
		const char *cn = json_string_value(json_object_get(ch, "name"));
		const char *pol = json_string_value(json_object_get(ch, "policy"));
		json_t *rules = json_object_get(ch, "rules"), *r;
		size_t j;
		json_array_foreach(rules, j, r) {
			const char *nft = json_string_value(json_object_get(r, "nft"));
			const char *cm = json_string_value(json_object_get(r, "comment"));
			const char *vd = json_string_value(json_object_get(r, "verdict"));
			const char *ex = json_string_value(json_object_get(r, "expressions"));
			bool cfg = json_is_true(json_object_get(r, "from_config"));
			ui_put(&u->b, "<tr><td>%s</td><td class=\"n\">%u</td><td class=\"mono\">%s%s</td>"
				"<td>%s</td><td>", cn ? cn : "", (uint64_t)json_integer_value(json_object_get(r, "handle")),
				cfg ? "" : "NOT FROM THE CONFIGURATION: ", nft ? nft : ex ? ex : "", cm ? cm : "");
			ui_raw(&u->b, vd && strcmp(vd, "accept") == 0 ? "<span class=\"tag t-ok\">" :
				"<span class=\"tag t-bad\">");
			ui_put(&u->b, "%s</span></td><td class=\"n\">%u</td><td class=\"n\">%b</td></tr>\n",
				vd ? vd : "?", (uint64_t)json_integer_value(json_object_get(r, "packets")),
				(uint64_t)json_integer_value(json_object_get(r, "bytes")));
		}
		if (pol)
			ui_put(&u->b, "<tr><td>%s</td><td></td><td class=\"mono\">policy %s</td><td>the "
				"chain's policy</td><td></td><td></td><td></td></tr>\n", cn ? cn : "", pol);
	}
	ui_raw(&u->b, "</table>\n");
}

static void allowlist(struct ui_ctx *u, json_t *root)
{
	json_t *sets = json_object_get(root, "sets"), *s;
	size_t i;
	bool any = false;

	ui_raw(&u->b, "<ul id=\"allowlist\">");
	json_array_foreach(sets, i, s) {
		const char *name = json_string_value(json_object_get(s, "name"));
		json_t *el = json_object_get(s, "elements"), *e;
		size_t j;
		if (!name || strncmp(name, "allow_", 6) != 0)
			continue;
		json_array_foreach(el, j, e) {
			ui_put(&u->b, "<li><span class=\"mono\">%s</span> <small>(%s)</small></li>",
				json_string_value(e) ? json_string_value(e) : "", name);
			any = true;
		}
	}
	if (!any)
		ui_raw(&u->b, "<li class=\"muted\">empty: no source reaches the data port</li>");
	ui_raw(&u->b, "</ul>\n");
}

/* A query value with %XX decoded (a browser sends an IPv6 source's colons
 * as %3A); only the bytes an address or a port may hold are kept, anything
 * else empties it (vaultd checks it again, and vaultnet parses it). */
static void query_addr(const char *query, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key), o = 0;

	out[0] = 0;
	for (const char *p = query; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
			for (size_t i = kl + 1; i < len; i++) {
				unsigned v = (unsigned char)p[i];
				if (v == '%' && i + 2 < len && sscanf(p + i + 1, "%2x", &v) == 1)
					i += 2;
				if (!strchr("0123456789abcdefghilnpABCDEF.:", (int)v) || v == 0 || o + 1 >= n) {
					out[0] = 0;
					return;
				}
				out[o++] = (char)v;
			}
			out[o] = 0;
			return;
		}
		p = amp ? amp + 1 : NULL;
	}
}

void ui_page_firewall(struct ui_ctx *u)
{
	char src[64] = "", port[16] = "", *out = NULL;
	json_t *root = NULL;
	json_error_t je;
	int r, st = 0;

	query_addr(u->x->req->query, "source", src, sizeof(src));
	query_addr(u->x->req->query, "port", port, sizeof(port));
	ui_begin(u, "Firewall", UI_N_FIREWALL);

	/* drift */
	r = fw_call(u, "verify", NULL, NULL, &out, &st);
	if (r) {
		ui_error_box(u, "firewall", r);
		ui_end(u);
		return;
	}
	ui_raw(&u->b, "<section><h2>Drift</h2>");
	ui_raw(&u->b, st == 0 ? "<p id=\"drift\" class=\"verdict\"><span class=\"tag t-ok\">in sync"
		"</span> the live table and the packet path are what the configuration implies</p>" :
		"<p id=\"drift\" class=\"verdict\"><span class=\"tag t-bad\">DRIFT</span> the live "
		"firewall differs from the configuration (vaultnet verify)</p>");
	ui_put(&u->b, "<pre class=\"rules\" id=\"verify\">%s</pre></section>\n", out);
	free(out);

	/* explain */
	ui_put(&u->b, "<section><h2>Explain</h2><p class=\"muted\">What the firewall does with a new "
		"connection from an address, and the rule that decides (vaultnet explain).</p>"
		"<form class=\"filter\" id=\"explain-form\" method=\"get\" action=\"/ui/firewall\">"
		"<label>Source address <input name=\"source\" value=\"%s\" maxlength=\"45\" required></label>"
		"<label>Port (or ping) <input name=\"port\" value=\"%s\" maxlength=\"5\" "
		"placeholder=\"443\"></label><button type=\"submit\">Explain</button></form>\n", src, port);
	if (*src) {
		r = fw_call(u, "explain", src, *port ? port : NULL, &out, &st);
		if (r)
			ui_error_box(u, "explain", r);
		else
			ui_put(&u->b, "<pre class=\"rules\" id=\"explain\">%s</pre>\n", out);
		free(out);
	}
	ui_raw(&u->b, "</section>\n");

	/* allowlist and rules with counters */
	r = fw_call(u, "export", NULL, NULL, &out, &st);
	if (!r && !(root = json_loads(out, 0, &je)))
		r = VG_EPROTO;
	free(out);
	if (r) {
		ui_error_box(u, "the live table", r);
	} else {
		ui_put(&u->b, "<section><h2>Allowlist</h2><p class=\"muted\">Sources that may open "
			"connections to the data port in namespace <b>%s</b>; everything else is dropped "
			"without an answer.</p>",
			json_string_value(json_object_get(root, "netns")) ?
				json_string_value(json_object_get(root, "netns")) : "");
		allowlist(u, root);
		ui_put(&u->b, "</section>\n<section><h2>Live rules and counters</h2><p class=\"muted\">"
			"ruleset sha256 <span class=\"mono\">%s</span></p>",
			json_string_value(json_object_get(root, "ruleset_sha256")) ?
				json_string_value(json_object_get(root, "ruleset_sha256")) : "");
		rules_table(u, root);
		ui_raw(&u->b, "</section>\n");
	}
	json_decref(root);

	/* the table as nft shows it */
	if (!fw_call(u, "show", NULL, NULL, &out, &st)) {
		ui_put(&u->b, "<section><details><summary>The live table in nft syntax (vaultnet show)"
			"</summary><pre class=\"rules\" id=\"show\">%s</pre></details></section>\n", out);
		free(out);
	}
	ui_end(u);
}
