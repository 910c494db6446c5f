/* verify.c - see verify.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <openssl/evp.h>

#include "verify.h"
#include "vg_err.h"

const char *vn_policy_name(uint32_t p)
{
	return p == NF_DROP ? "drop" : p == NF_ACCEPT ? "accept" : "?";
}

const char *vn_hook_name(uint32_t h)
{
	switch (h) {
	case NF_INET_PRE_ROUTING:
		return "prerouting";
	case NF_INET_LOCAL_IN:
		return "input";
	case NF_INET_FORWARD:
		return "forward";
	case NF_INET_LOCAL_OUT:
		return "output";
	case NF_INET_POST_ROUTING:
		return "postrouting";
	default:
		return "?";
	}
}

static void ranges_text(struct vg_wr *w, const struct vn_live_set *s)
{
	vg_wr_printf(w, "{ ");
	for (size_t i = 0; i < s->nranges; i++) {
		char t[VN_ADDR_STRLEN];

		vn_range_fmt(&s->ranges[i], t, sizeof(t));
		vg_wr_printf(w, "%s%s", i ? ", " : "", t);
	}
	vg_wr_printf(w, " }");
}

static bool ranges_equal(const struct vn_live_set *a, const struct vn_live_set *b)
{
	if (a->nranges != b->nranges || a->elems_bad || b->elems_bad)
		return false;
	for (size_t i = 0; i < a->nranges; i++) {
		if (memcmp(a->ranges[i].lo, b->ranges[i].lo, 16) || memcmp(a->ranges[i].hi, b->ranges[i].hi, 16))
			return false;
	}
	return true;
}

static const struct vn_live_chain *find_chain(const struct vn_live *l, const char *name)
{
	for (size_t i = 0; i < l->nchains; i++) {
		if (strcmp(l->chains[i].name, name) == 0)
			return &l->chains[i];
	}
	return NULL;
}

static const struct vn_live_set *find_set(const struct vn_live *l, const char *name)
{
	for (size_t i = 0; i < l->nsets; i++) {
		if (strcmp(l->sets[i].name, name) == 0)
			return &l->sets[i];
	}
	return NULL;
}

static bool rule_eq(const struct vn_live_rule *a, const struct vn_live_rule *b)
{
	return a->has_comment == b->has_comment && strcmp(a->comment, b->comment) == 0 &&
	       strcmp(a->canon, b->canon) == 0;
}

/* The rules of one chain, as indexes into l->rules. */
static size_t chain_rules(const struct vn_live *l, const char *chain, size_t *idx, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < l->nrules && n < max; i++) {
		if (strcmp(l->rules[i].chain, chain) == 0)
			idx[n++] = i;
	}
	return n;
}

static void rule_desc(struct vg_wr *w, const struct vn_ruleset *rs, const struct vn_live *want,
		      const struct vn_live_rule *r, bool is_want)
{
	if (is_want) {
		size_t i = (size_t)(r - want->rules);

		vg_wr_printf(w, "%s comment \"%s\"", rs->rules[i].text, rs->rules[i].comment);
		return;
	}
	vg_wr_printf(w, "handle %llu", (unsigned long long)r->handle);
	if (r->has_comment)
		vg_wr_printf(w, ", comment \"%s\"", r->comment);
	else
		vg_wr_printf(w, ", no comment");
	if (r->nft[0])
		vg_wr_printf(w, ": %s\n      (expressions: %s)", r->nft, r->canon);
	else
		vg_wr_printf(w, ": %s", r->canon);
}

#define CHAIN_RULES_MAX 512

/* Ordered diff of one chain's rules (longest common subsequence). */
static size_t diff_chain(const struct vn_ruleset *rs, const struct vn_live *want, const struct vn_live *have,
			 const char *chain, struct vg_wr *out)
{
	static size_t wi[CHAIN_RULES_MAX], hi[CHAIN_RULES_MAX];
	size_t nw = chain_rules(want, chain, wi, CHAIN_RULES_MAX);
	size_t nh = chain_rules(have, chain, hi, CHAIN_RULES_MAX);
	uint16_t *t;
	size_t i = 0, j = 0, nd = 0;

	if (!(t = calloc((nw + 1) * (nh + 1), sizeof(*t)))) {
		vg_wr_printf(out, "! chain %s: out of memory while comparing\n", chain);
		return 1;
	}
#define T(a, b) t[(a) * (nh + 1) + (b)]
	for (size_t a = nw; a-- > 0;) {
		for (size_t b = nh; b-- > 0;) {
			if (rule_eq(&want->rules[wi[a]], &have->rules[hi[b]]))
				T(a, b) = (uint16_t)(T(a + 1, b + 1) + 1);
			else
				T(a, b) = T(a + 1, b) > T(a, b + 1) ? T(a + 1, b) : T(a, b + 1);
		}
	}
	while (i < nw || j < nh) {
		if (i < nw && j < nh && rule_eq(&want->rules[wi[i]], &have->rules[hi[j]])) {
			i++;
			j++;
		} else if (j < nh && (i == nw || T(i, j + 1) >= T(i + 1, j))) {
			vg_wr_printf(out, "+ chain %s: unexpected rule at position %zu: ", chain, j + 1);
			rule_desc(out, rs, want, &have->rules[hi[j]], false);
			vg_wr_printf(out, "\n");
			j++;
			nd++;
		} else {
			vg_wr_printf(out, "- chain %s: missing rule: ", chain);
			rule_desc(out, rs, want, &want->rules[wi[i]], true);
			vg_wr_printf(out, "\n");
			i++;
			nd++;
		}
	}
#undef T
	free(t);
	return nd;
}

size_t vn_verify(const struct vn_ruleset *rs, const struct vn_live *want, const struct vn_live *have,
		 struct vg_wr *out)
{
	size_t nd = 0;

	for (size_t i = 0; i < have->nother; i++, nd++)
		vg_wr_printf(out, "+ table %s: another table in the namespace\n", have->other[i]);
	if (!have->table) {
		vg_wr_printf(out, "- table inet %s: missing (the namespace has no vaultgate firewall)\n", VN_TABLE);
		return nd + 1;
	}
	if (have->table_flags != want->table_flags) {
		vg_wr_printf(out, "! table inet %s: flags 0x%x%s, expected 0x%x\n", VN_TABLE, have->table_flags,
			     have->table_flags & 1 ? " (dormant: it filters nothing)" : "", want->table_flags);
		nd++;
	}
	for (size_t i = 0; i < want->nchains; i++) {
		const struct vn_live_chain *w = &want->chains[i], *h = find_chain(have, w->name);

		if (!h) {
			vg_wr_printf(out, "- chain %s: missing\n", w->name);
			nd++;
			continue;
		}
		if (h->base != w->base || h->hook != w->hook || h->prio != w->prio || h->policy != w->policy ||
		    strcmp(h->type, w->type) != 0) {
			vg_wr_printf(out, "! chain %s: type %s hook %s priority %d policy %s, expected type %s hook %s priority %d policy %s\n",
				     w->name, h->base ? h->type : "(regular)", h->base ? vn_hook_name(h->hook) : "-",
				     h->prio, vn_policy_name(h->policy), w->type, vn_hook_name(w->hook), w->prio,
				     vn_policy_name(w->policy));
			nd++;
		}
	}
	for (size_t i = 0; i < have->nchains; i++) {
		if (!find_chain(want, have->chains[i].name)) {
			vg_wr_printf(out, "+ chain %s: not in the configuration\n", have->chains[i].name);
			nd++;
		}
	}
	for (size_t i = 0; i < want->nsets; i++) {
		const struct vn_live_set *w = &want->sets[i], *h = find_set(have, w->name);

		if (!h) {
			vg_wr_printf(out, "- set %s: missing\n", w->name);
			nd++;
			continue;
		}
		if (h->flags != w->flags || h->key_type != w->key_type || h->key_len != w->key_len ||
		    h->timeout != w->timeout || h->size != w->size) {
			vg_wr_printf(out, "! set %s: type %u/%u flags 0x%x timeout %llums size %u, expected type %u/%u flags 0x%x timeout %llums size %u\n",
				     w->name, h->key_type, h->key_len, h->flags, (unsigned long long)h->timeout, h->size,
				     w->key_type, w->key_len, w->flags, (unsigned long long)w->timeout, w->size);
			nd++;
		}
		if (vn_live_set_plain(w)) {
			if (h->nkeys != w->nkeys || h->elems_bad ||
			    (w->nkeys && memcmp(h->keys, w->keys, w->nkeys * sizeof(w->keys[0])) != 0)) {
				char t[96];

				vg_wr_printf(out, "! set %s: elements {", w->name);
				for (size_t k = 0; k < h->nkeys; k++) {
					vn_live_key_fmt(h, k, t, sizeof(t));
					vg_wr_printf(out, "%s %s", k ? "," : "", t);
				}
				vg_wr_printf(out, " }, expected {");
				for (size_t k = 0; k < w->nkeys; k++) {
					vn_live_key_fmt(w, k, t, sizeof(t));
					vg_wr_printf(out, "%s %s", k ? "," : "", t);
				}
				vg_wr_printf(out, " }\n");
				nd++;
			}
		} else if (!(w->flags & NFT_SET_EVAL) && !ranges_equal(w, h)) {
			vg_wr_printf(out, "! set %s: elements ", w->name);
			ranges_text(out, h);
			vg_wr_printf(out, "%s, expected ", h->elems_bad ? " (malformed intervals)" : "");
			ranges_text(out, w);
			vg_wr_printf(out, "\n");
			nd++;
		}
	}
	for (size_t i = 0; i < have->nsets; i++) {
		if (!find_set(want, have->sets[i].name)) {
			vg_wr_printf(out, "+ set %s: not in the configuration\n", have->sets[i].name);
			nd++;
		}
	}
	for (size_t i = 0; i < have->nobjs; i++, nd++)
		vg_wr_printf(out, "+ %s in table inet %s: not in the configuration (stateful objects can change what rules do)\n",
			     have->objs[i], VN_TABLE);
	for (size_t i = 0; i < want->nchains; i++)
		nd += diff_chain(rs, want, have, want->chains[i].name, out);
	for (size_t i = 0; i < have->nchains; i++) {
		if (!find_chain(want, have->chains[i].name))
			nd += diff_chain(rs, want, have, have->chains[i].name, out);
	}
	return nd;
}

int vn_live_digest(const struct vn_live *l, char hex[65])
{
	struct vg_wr w;
	unsigned char md[32];
	unsigned int mdlen = 0;
	int r = 0;

	vg_wr_init(&w, 64u << 20);
	vg_wr_printf(&w, "table %d %u\n", l->table, l->table_flags);
	for (size_t i = 0; i < l->nother; i++)
		vg_wr_printf(&w, "other %s\n", l->other[i]);
	for (size_t i = 0; i < l->nchains; i++) {
		const struct vn_live_chain *c = &l->chains[i];

		vg_wr_printf(&w, "chain %s %d %s %u %d %u\n", c->name, c->base, c->type, c->hook, c->prio, c->policy);
	}
	for (size_t i = 0; i < l->nsets; i++) {
		const struct vn_live_set *s = &l->sets[i];

		vg_wr_printf(&w, "set %s %u %u %u %llu %u ", s->name, s->key_type, s->key_len, s->flags,
			     (unsigned long long)s->timeout, s->size);
		if (vn_live_set_plain(s)) {
			for (size_t k = 0; k < s->nkeys; k++) {
				char t[96];

				vn_live_key_fmt(s, k, t, sizeof(t));
				vg_wr_printf(&w, "%s%s", k ? ", " : "", t);
			}
		} else if (!(s->flags & NFT_SET_EVAL)) {
			ranges_text(&w, s);
		}
		vg_wr_printf(&w, "\n");
	}
	for (size_t i = 0; i < l->nobjs; i++)
		vg_wr_printf(&w, "object %s\n", l->objs[i]);
	for (size_t i = 0; i < l->nrules; i++) {
		const struct vn_live_rule *ru = &l->rules[i];

		vg_wr_printf(&w, "rule %s %d \"%s\" %s\n", ru->chain, ru->has_comment, ru->comment, ru->canon);
	}
	if (w.err)
		r = w.err;
	else if (!EVP_Digest(w.p, w.len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		r = VG_EINTERNAL;
	else
		vg_hex(hex, md, 32);
	vg_wr_free(&w);
	return r;
}
