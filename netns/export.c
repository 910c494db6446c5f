/* export.c - see export.h. */
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "export.h"
#include "verify.h"

int vn_rule_match(const struct vn_live *want, const struct vn_live_rule *h)
{
	for (size_t i = 0; i < want->nrules; i++) {
		const struct vn_live_rule *w = &want->rules[i];

		if (strcmp(w->chain, h->chain) == 0 && w->has_comment == h->has_comment &&
		    strcmp(w->comment, h->comment) == 0 && strcmp(w->canon, h->canon) == 0)
			return (int)i;
	}
	return -1;
}

/* rs text with "counter" replaced by the live values. */
static void rule_text_counters(struct vg_wr *out, const char *text, const struct vn_live_rule *h)
{
	const char *c = strstr(text, "counter");

	if (!c) {
		vg_wr_printf(out, "%s", text);
		return;
	}
	vg_wr_printf(out, "%.*scounter packets %llu bytes %llu%s", (int)(c - text), text,
		     (unsigned long long)h->packets, (unsigned long long)h->bytes, c + strlen("counter"));
}

static void set_elems_text(struct vg_wr *out, const struct vn_live_set *s)
{
	for (size_t i = 0; i < s->nranges; i++) {
		char t[VN_ADDR_STRLEN];

		vn_range_fmt(&s->ranges[i], t, sizeof(t));
		vg_wr_printf(out, "%s%s", i ? ", " : "", t);
	}
}

void vn_show_text(const struct vn_ruleset *rs, const struct vn_live *want, const struct vn_live *have,
		  struct vg_wr *out)
{
	for (size_t i = 0; i < have->nother; i++)
		vg_wr_printf(out, "# another table in this namespace: %s (not vaultgate's)\n", have->other[i]);
	if (!have->table) {
		vg_wr_printf(out, "# table inet %s is not loaded\n", VN_TABLE);
		return;
	}
	vg_wr_printf(out, "table inet %s {%s\n", VN_TABLE, have->table_flags & 1 ? " # DORMANT: filters nothing" : "");
	for (size_t i = 0; i < have->nsets; i++) {
		const struct vn_live_set *s = &have->sets[i];

		vg_wr_printf(out, "\tset %s {\n\t\ttype %s\n", s->name,
			     s->key_type == 7 ? "ipv4_addr" : s->key_type == 8 ? "ipv6_addr" :
			     s->key_type == (9 << 6 | 7) ? "ether_addr . ipv4_addr" :
			     s->key_type == (9 << 6 | 8) ? "ether_addr . ipv6_addr" : "(other)");
		if (vn_live_set_plain(s)) {
			vg_wr_printf(out, "\t\telements = { ");
			for (size_t k = 0; k < s->nkeys; k++) {
				char t[96];

				vn_live_key_fmt(s, k, t, sizeof(t));
				vg_wr_printf(out, "%s%s", k ? ", " : "", t);
			}
			vg_wr_printf(out, " }\n");
		} else if (s->flags & NFT_SET_EVAL) {
			vg_wr_printf(out, "\t\tsize %u\n\t\tflags dynamic%s\n", s->size,
				     s->flags & NFT_SET_TIMEOUT ? ",timeout" : "");
			if (s->timeout)
				vg_wr_printf(out, "\t\ttimeout %llus\n", (unsigned long long)(s->timeout / 1000));
			vg_wr_printf(out, "\t\t# %zu source(s) tracked\n", s->nelems);
		} else {
			vg_wr_printf(out, "\t\tflags %s\n\t\telements = { ",
				     s->flags & NFT_SET_INTERVAL ? "interval" : "0");
			set_elems_text(out, s);
			vg_wr_printf(out, " }\n");
		}
		vg_wr_printf(out, "\t}\n\n");
	}
	for (size_t i = 0; i < have->nchains; i++) {
		const struct vn_live_chain *c = &have->chains[i];

		vg_wr_printf(out, "%s\tchain %s {\n", i ? "\n" : "", c->name);
		if (c->base)
			vg_wr_printf(out, "\t\ttype %s hook %s priority %d; policy %s;\n", c->type,
				     vn_hook_name(c->hook), c->prio, vn_policy_name(c->policy));
		for (size_t j = 0; j < have->nrules; j++) {
			const struct vn_live_rule *h = &have->rules[j];
			int k;

			if (strcmp(h->chain, c->name) != 0)
				continue;
			if ((k = vn_rule_match(want, h)) >= 0) {
				vg_wr_printf(out, "\t\t");
				rule_text_counters(out, rs->rules[k].text, h);
				vg_wr_printf(out, " comment \"%s\" # handle %llu\n", h->comment,
					     (unsigned long long)h->handle);
			} else {
				vg_wr_printf(out, "\t\t# NOT FROM THE CONFIGURATION (handle %llu%s%s%s", (unsigned long long)h->handle,
					     h->has_comment ? ", comment \"" : "", h->has_comment ? h->comment : "",
					     h->has_comment ? "\"" : "");
				if (h->has_counter)
					vg_wr_printf(out, ", packets %llu bytes %llu", (unsigned long long)h->packets,
						     (unsigned long long)h->bytes);
				vg_wr_printf(out, "):\n\t\t#   %s\n", h->nft[0] ? h->nft : h->canon);
			}
		}
		vg_wr_printf(out, "\t}\n");
	}
	vg_wr_printf(out, "}\n");
}

static json_t *set_json(const struct vn_live_set *s)
{
	json_t *o = json_object(), *el = json_array(), *fl = json_array();

	json_object_set_new(o, "name", json_string(s->name));
	json_object_set_new(o, "type", json_string(s->key_type == 7 ? "ipv4_addr" :
						     s->key_type == 8 ? "ipv6_addr" :
						     s->key_type == (9 << 6 | 7) ? "ether_addr . ipv4_addr" :
						     s->key_type == (9 << 6 | 8) ? "ether_addr . ipv6_addr" : "other"));
	if (s->flags & NFT_SET_INTERVAL)
		json_array_append_new(fl, json_string("interval"));
	if (s->flags & NFT_SET_TIMEOUT)
		json_array_append_new(fl, json_string("timeout"));
	if (s->flags & NFT_SET_EVAL)
		json_array_append_new(fl, json_string("dynamic"));
	json_object_set_new(o, "flags", fl);
	if (vn_live_set_plain(s)) {
		for (size_t k = 0; k < s->nkeys; k++) {
			char t[96];

			vn_live_key_fmt(s, k, t, sizeof(t));
			json_array_append_new(el, json_string(t));
		}
		json_object_set_new(o, "elements", el);
	} else if (s->flags & NFT_SET_EVAL) {
		json_object_set_new(o, "size", json_integer(s->size));
		json_object_set_new(o, "timeout_ms", json_integer((json_int_t)s->timeout));
		json_object_set_new(o, "tracked_sources", json_integer((json_int_t)s->nelems));
		json_decref(el);
	} else {
		for (size_t i = 0; i < s->nranges; i++) {
			char t[VN_ADDR_STRLEN];

			vn_range_fmt(&s->ranges[i], t, sizeof(t));
			json_array_append_new(el, json_string(t));
		}
		json_object_set_new(o, "elements", el);
	}
	return o;
}

json_t *vn_export_json(const struct vn_config *c, const struct vn_ruleset *rs, const struct vn_live *want,
		       const struct vn_live *have, size_t drift)
{
	json_t *root = json_object(), *chains = json_array(), *sets = json_array(), *other = json_array();
	char cdig[65] = "", ldig[65] = "", wdig[65] = "";

	vn_config_digest(c, cdig);
	vn_live_digest(have, ldig);
	vn_live_digest(want, wdig);
	json_object_set_new(root, "netns", json_string(c->netns));
	json_object_set_new(root, "config_sha256", json_string(cdig));
	json_object_set_new(root, "ruleset_sha256", json_string(ldig));
	json_object_set_new(root, "expected_ruleset_sha256", json_string(wdig));
	json_object_set_new(root, "in_sync", json_boolean(drift == 0));
	{
		json_t *ports = json_array();

		json_array_append_new(ports, json_integer(c->port));
		for (size_t i = 1; i < c->nports; i++)
			json_array_append_new(ports, json_integer(c->ports[i]));
		json_object_set_new(root, "ports", ports);
	}
	{
		json_t *eg = json_array();

		for (size_t i = 0; i < c->negress; i++) {
			const struct vn_egress *g = &c->egress[i];
			char d[VN_ADDR_STRLEN];

			vn_prefix_fmt(&g->dst, d, sizeof(d));
			json_array_append_new(eg, json_pack("{s:s, s:s, s:i, s:i}", "destination", d, "protocol", "tcp",
							    "port_from", (int)g->port_lo, "port_to", (int)g->port_hi));
		}
		json_object_set_new(root, "egress", eg);
	}
	json_object_set_new(root, "differences", json_integer((json_int_t)drift));
	json_object_set_new(root, "table", have->table ? json_pack("{s:s, s:s, s:i}", "family", "inet", "name",
								   VN_TABLE, "flags", (int)have->table_flags)
						       : json_null());
	for (size_t i = 0; i < have->nother; i++)
		json_array_append_new(other, json_string(have->other[i]));
	json_object_set_new(root, "other_tables", other);
	for (size_t i = 0; i < have->nsets; i++)
		json_array_append_new(sets, set_json(&have->sets[i]));
	json_object_set_new(root, "sets", sets);
	for (size_t i = 0; i < have->nchains; i++) {
		const struct vn_live_chain *ch = &have->chains[i];
		json_t *jc = json_object(), *rules = json_array();

		json_object_set_new(jc, "name", json_string(ch->name));
		if (ch->base) {
			json_object_set_new(jc, "type", json_string(ch->type));
			json_object_set_new(jc, "hook", json_string(vn_hook_name(ch->hook)));
			json_object_set_new(jc, "priority", json_integer(ch->prio));
			json_object_set_new(jc, "policy", json_string(vn_policy_name(ch->policy)));
		}
		for (size_t j = 0; j < have->nrules; j++) {
			const struct vn_live_rule *h = &have->rules[j];
			json_t *jr;
			int k;

			if (strcmp(h->chain, ch->name) != 0)
				continue;
			k = vn_rule_match(want, h);
			jr = json_object();
			json_object_set_new(jr, "handle", json_integer((json_int_t)h->handle));
			json_object_set_new(jr, "comment", h->has_comment ? json_string(h->comment) : json_null());
			json_object_set_new(jr, "nft", k >= 0 ? json_string(rs->rules[k].text) : json_null());
			json_object_set_new(jr, "from_config", json_boolean(k >= 0));
			if (k >= 0)
				json_object_set_new(jr, "verdict", json_string(vn_verdict_name(rs->rules[k].verdict)));
			json_object_set_new(jr, "expressions", json_string(h->canon));
			json_object_set_new(jr, "packets", json_integer((json_int_t)h->packets));
			json_object_set_new(jr, "bytes", json_integer((json_int_t)h->bytes));
			json_array_append_new(rules, jr);
		}
		json_object_set_new(jc, "rules", rules);
		json_array_append_new(chains, jc);
	}
	json_object_set_new(root, "chains", chains);
	return root;
}
