/* test_ruleset.c - ruleset_suite(): the ruleset a config implies, its
 * libnftnl encoding (decoded again, no kernel), verify's diff and explain. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "export.h"
#include "nft.h"
#include "ruleset.h"
#include "suites.h"
#include "verify.h"
#include "vg_err.h"

static const char cfg4[] =
	"netns = vg-pe\nlink = veth\nifname = vg0\npeer = vgpe0\naddress = 10.0.0.5/24\n"
	"allow_v4 = 10.0.0.0/25, 10.0.0.128/25, 10.0.0.7, 192.168.50.0/24\nnflog_group = 7\n";
static const char cfg46[] =
	"netns = vg-pe\nlink = macvlan\nifname = mv0\nparent = eth1\naddress = 10.0.0.5/24\n"
	"address6 = fd00:1::5/64\nallow_v4 = 10.0.0.0/24\nallow_v6 = fd00:1::/64\nport = 8443\n";

static struct vn_ruleset *build(const char *text, struct vn_config **cfg)
{
	struct vn_config *c;
	struct vn_ruleset *rs;
	char err[VN_ERR_MAX];

	ck_assert_int_eq(vn_config_parse("t.conf", text, strlen(text), &c, err, sizeof(err)), 0);
	ck_assert_int_eq(vn_ruleset_build(c, &rs), 0);
	if (cfg)
		*cfg = c;
	else
		vn_config_free(c);
	return rs;
}

START_TEST(t_input_chain_order)
{
	struct vn_ruleset *rs = build(cfg4, NULL);
	static const enum vn_rule_kind want[] = {VN_R_CT_ESTABLISHED, VN_R_CT_INVALID, VN_R_IIF_LO,
						  VN_R_GATEWAY, VN_R_METER_FULL, VN_R_ECHO, VN_R_LOG_DROP};
	size_t n = 0;

	for (size_t i = 0; i < rs->nrules; i++) {
		const struct vn_rule *r = &rs->rules[i];

		ck_assert_msg(r->comment[0], "rule %zu has no comment", i);
		ck_assert_msg(strstr(r->text, "counter"), "rule %zu has no counter", i);
		ck_assert_msg(!strstr(r->text, "reject"), "rule %zu rejects", i);
		if (r->chain != VN_CH_INPUT)
			continue;
		ck_assert_uint_lt(n, sizeof(want) / sizeof(want[0]));
		ck_assert_int_eq(r->kind, want[n]);
		n++;
	}
	ck_assert_uint_eq(n, 7);
	ck_assert_uint_eq(rs->nrules, 7 + 3 + 1);
	ck_assert_str_eq(rs->rules[3].text,
			 "tcp dport 443 ip saddr @allow_v4 ct state new add @rate_v4 { ip saddr timeout 1m limit rate 20/second burst 40 packets } counter accept");
	/* a full meter degrades to no per-source limit, never to a drop */
	ck_assert_str_eq(rs->rules[4].text,
			 "tcp dport 443 ip saddr @allow_v4 ct state new ip saddr != @rate_v4 counter accept");
	ck_assert_int_eq(rs->rules[4].verdict, VN_ACCEPT);
	ck_assert_str_eq(rs->rules[6].text, "log group 7 counter drop");
	ck_assert_int_eq(rs->rules[6].verdict, VN_DROP);
	/* output: established, lo, drop; forward: drop */
	ck_assert_int_eq(rs->rules[7].chain, VN_CH_OUTPUT);
	ck_assert_int_eq(rs->rules[7].kind, VN_R_CT_ESTABLISHED);
	ck_assert_int_eq(rs->rules[8].kind, VN_R_OIF_LO);
	ck_assert_int_eq(rs->rules[9].kind, VN_R_DROP);
	ck_assert_int_eq(rs->rules[10].chain, VN_CH_FORWARD);
	vn_ruleset_free(rs);
}
END_TEST

START_TEST(t_sets_merged)
{
	struct vn_ruleset *rs = build(cfg4, NULL);
	const struct vn_set *s = vn_ruleset_set(rs, "allow_v4");
	char t[VN_ADDR_STRLEN];

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->nranges, 2);
	vn_range_fmt(&s->ranges[0], t, sizeof(t));
	ck_assert_str_eq(t, "10.0.0.0/24");
	vn_range_fmt(&s->ranges[1], t, sizeof(t));
	ck_assert_str_eq(t, "192.168.50.0/24");
	ck_assert_ptr_nonnull(vn_ruleset_set(rs, "rate_v4"));
	ck_assert(vn_ruleset_set(rs, "rate_v4")->meter);
	/* sized to the allowlist: two /24s are 512 sources */
	ck_assert_uint_eq(vn_ruleset_set(rs, "rate_v4")->size, 512);
	ck_assert_ptr_null(vn_ruleset_set(rs, "allow_v6"));
	vn_ruleset_free(rs);
}
END_TEST

START_TEST(t_ranges)
{
	struct vn_range r[3];
	struct vn_prefix p;
	char t[VN_ADDR_STRLEN];

	ck_assert_int_eq(vn_prefix_parse("10.0.0.0/25", AF_INET, 0, &p), 0);
	vn_prefix_range(&p, &r[0]);
	ck_assert_int_eq(vn_prefix_parse("10.0.0.128/26", AF_INET, 0, &p), 0);
	vn_prefix_range(&p, &r[1]);
	ck_assert_uint_eq(vn_ranges_merge(r, 2), 1);
	vn_range_fmt(&r[0], t, sizeof(t));
	ck_assert_str_eq(t, "10.0.0.0-10.0.0.191");
	ck_assert_int_eq(vn_prefix_parse("0.0.0.0/0", AF_INET, 0, &p), 0);
	vn_prefix_range(&p, &r[1]);
	ck_assert_uint_eq(vn_ranges_merge(r, 2), 1);
	vn_range_fmt(&r[0], t, sizeof(t));
	ck_assert_str_eq(t, "0.0.0.0/0");
	ck_assert_int_eq(vn_prefix_parse("::/0", AF_INET6, 0, &p), 0);
	ck_assert_int_eq(vn_prefix_parse("fd00::1/64", AF_INET6, 0, &p), -EDOM);
	ck_assert_int_eq(vn_prefix_parse("fd00::1/64", AF_INET6, VN_PFX_HOST, &p), 0);
	ck_assert_int_eq(vn_prefix_parse("fd00::/129", AF_INET6, 0, &p), -ERANGE);
	ck_assert_int_eq(vn_prefix_parse("1.2.3.4", AF_INET6, 0, &p), -EAFNOSUPPORT);
	ck_assert_int_eq(vn_prefix_parse("1.2.3.4", AF_INET, VN_PFX_NEED_LEN, &p), -ENODATA);
	ck_assert_int_eq(vn_prefix_parse("1.2.3.4", AF_INET, 1u << 7, &p), -EINVAL);
}
END_TEST

START_TEST(t_ipv6_rules)
{
	struct vn_ruleset *rs = build(cfg46, NULL);
	size_t nd_in = 0, nd_out = 0, gw6 = 0;

	/* meters sized to the allowlist: a /24 is 256 sources; a /64 is more
	 * than a meter holds (VN_METER_SIZE), so a full meter must degrade */
	ck_assert_uint_eq(vn_ruleset_set(rs, "rate_v4")->size, 256);
	ck_assert_uint_eq(vn_ruleset_set(rs, "rate_v6")->size, VN_METER_SIZE);

	for (size_t i = 0; i < rs->nrules; i++) {
		const struct vn_rule *r = &rs->rules[i];

		if (r->kind == VN_R_ND)
			*(r->chain == VN_CH_INPUT ? &nd_in : &nd_out) += 1;
		if (r->kind == VN_R_GATEWAY && r->family == AF_INET6) {
			gw6++;
			ck_assert_str_eq(r->text,
					 "tcp dport 8443 ip6 saddr @allow_v6 ct state new add @rate_v6 { ip6 saddr timeout 1m limit rate 20/second burst 40 packets } counter accept");
		}
	}
	ck_assert_uint_eq(nd_in, 2);
	ck_assert_uint_eq(nd_out, 2);
	ck_assert_uint_eq(gw6, 1);
	ck_assert_uint_eq(rs->nsets, 4);
	vn_ruleset_free(rs);
}
END_TEST

static int explain(const struct vn_ruleset *rs, const char *src, int proto, uint16_t port)
{
	struct vn_addr a;

	ck_assert_int_eq(vn_addr_parse(src, 0, &a), 0);
	return vn_ruleset_explain(rs, &a, proto, port);
}

START_TEST(t_explain)
{
	struct vn_ruleset *rs = build(cfg46, NULL);
	int i;

	i = explain(rs, "10.0.0.9", IPPROTO_TCP, 8443);
	ck_assert_int_ge(i, 0);
	ck_assert_int_eq(rs->rules[i].kind, VN_R_GATEWAY);
	ck_assert_int_eq(rs->rules[i].verdict, VN_ACCEPT);
	i = explain(rs, "10.0.1.9", IPPROTO_TCP, 8443);          /* denied source */
	ck_assert_int_eq(rs->rules[i].kind, VN_R_LOG_DROP);
	ck_assert_int_eq(rs->rules[i].verdict, VN_DROP);
	i = explain(rs, "10.0.0.9", IPPROTO_TCP, 22);            /* wrong port */
	ck_assert_int_eq(rs->rules[i].kind, VN_R_LOG_DROP);
	i = explain(rs, "fd00:1::77", IPPROTO_TCP, 8443);
	ck_assert_int_eq(rs->rules[i].kind, VN_R_GATEWAY);
	ck_assert_int_eq(rs->rules[i].family, AF_INET6);
	i = explain(rs, "fd00:2::77", IPPROTO_TCP, 8443);
	ck_assert_int_eq(rs->rules[i].kind, VN_R_LOG_DROP);
	i = explain(rs, "10.0.0.9", IPPROTO_ICMP, 0);
	ck_assert_int_eq(rs->rules[i].kind, VN_R_ECHO);
	i = explain(rs, "10.0.2.9", IPPROTO_ICMP, 0);
	ck_assert_int_eq(rs->rules[i].kind, VN_R_LOG_DROP);
	i = explain(rs, "127.0.0.1", IPPROTO_TCP, 8443);
	ck_assert_int_eq(rs->rules[i].kind, VN_R_IIF_LO);
	vn_ruleset_free(rs);
}
END_TEST

START_TEST(t_encoding_and_verify)
{
	struct vn_ruleset *rs = build(cfg46, NULL);
	struct vn_live *want, *have;
	struct vg_wr w;
	char d1[65], d2[65];

	ck_assert_int_eq(vn_nft_expected(rs, &want), 0);
	ck_assert_int_eq(vn_nft_expected(rs, &have), 0);
	ck_assert_uint_eq(want->nrules, rs->nrules);
	for (size_t i = 0; i < want->nrules; i++) {
		ck_assert(want->rules[i].has_comment);
		ck_assert_str_eq(want->rules[i].comment, rs->rules[i].comment);
		ck_assert(want->rules[i].has_counter);
		ck_assert_int_eq(vn_rule_match(want, &want->rules[i]), (int)i);
	}
	/* the gateway rule's expressions, as libnftnl prints them */
	ck_assert_ptr_nonnull(strstr(want->rules[5].canon, "[ lookup reg 1 set allow_v4"));
	ck_assert_ptr_nonnull(strstr(want->rules[5].canon, "[ dynset add reg_key 1 set rate_v4 timeout 60000ms"));
	ck_assert_ptr_nonnull(strstr(want->rules[5].canon, "[ cmp eq reg 1 0x0000fb20 ]"));   /* 8443 */

	vg_wr_init(&w, 1u << 20);
	ck_assert_uint_eq(vn_verify(rs, want, have, &w), 0);
	ck_assert_uint_eq(w.len, 0);
	ck_assert_int_eq(vn_live_digest(want, d1), 0);
	ck_assert_int_eq(vn_live_digest(have, d2), 0);
	ck_assert_str_eq(d1, d2);

	/* counters are state: they do not count as drift */
	have->rules[0].packets = 12345;
	ck_assert_uint_eq(vn_verify(rs, want, have, &w), 0);

	/* a rule added by hand, a dormant table, a changed policy, an element */
	{
		struct vn_live_rule extra = have->rules[2];

		have->rules = realloc(have->rules, (have->nrules + 1) * sizeof(*have->rules));
		memmove(&have->rules[4], &have->rules[3], (have->nrules - 3) * sizeof(*have->rules));
		have->nrules++;
		extra.has_comment = false;
		extra.comment[0] = '\0';
		extra.handle = 99;
		snprintf(extra.canon, sizeof(extra.canon), "[ immediate reg 0 accept ]");
		have->rules[3] = extra;
	}
	have->table_flags = 1;
	have->chains[1].policy = 1;     /* NF_ACCEPT */
	have->sets[0].ranges[0].hi[3] = 0x7f;
	vg_wr_reset(&w);
	ck_assert_uint_eq(vn_verify(rs, want, have, &w), 4);
	vg_wr_u8(&w, 0);
	ck_assert_ptr_nonnull(strstr((char *)w.p, "+ chain input: unexpected rule at position 4: handle 99, no comment: [ immediate reg 0 accept ]\n"));
	ck_assert_ptr_nonnull(strstr((char *)w.p, "! table inet vaultgate: flags 0x1 (dormant: it filters nothing), expected 0x0\n"));
	ck_assert_ptr_nonnull(strstr((char *)w.p, "! chain output: type filter hook output priority 0 policy accept, expected type filter hook output priority 0 policy drop\n"));
	ck_assert_ptr_nonnull(strstr((char *)w.p, "! set allow_v4: elements { 10.0.0.0/25 }, expected { 10.0.0.0/24 }\n"));

	/* a missing rule is named by its nft text and comment */
	have->table_flags = 0;
	have->chains[1].policy = 0;
	have->sets[0].ranges[0].hi[3] = 0xff;
	memmove(&have->rules[3], &have->rules[5], (have->nrules - 5) * sizeof(*have->rules));
	have->nrules -= 2;
	vg_wr_reset(&w);
	ck_assert_uint_eq(vn_verify(rs, want, have, &w), 1);
	vg_wr_u8(&w, 0);
	ck_assert_str_eq((char *)w.p, "- chain input: missing rule: icmpv6 type nd-neighbor-solicit ip6 hoplimit 255 counter accept comment \"IPv6 neighbour solicitations (on-link only)\"\n");
	vg_wr_free(&w);
	vn_live_free(want);
	vn_live_free(have);
	vn_ruleset_free(rs);
}
END_TEST

START_TEST(t_text)
{
	struct vn_ruleset *rs = build(cfg4, NULL);
	char *t = vn_ruleset_text(rs);

	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(strstr(t, "table inet vaultgate {\n"));
	ck_assert_ptr_nonnull(strstr(t, "\t\telements = { 10.0.0.0/24, 192.168.50.0/24 }\n"));
	ck_assert_ptr_nonnull(strstr(t, "\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n"));
	ck_assert_ptr_nonnull(strstr(t, "\t\tlog group 7 counter drop comment \"everything else: log to NFLOG group 7, then drop (never reject)\"\n"));
	free(t);
	vn_ruleset_free(rs);
}
END_TEST

/* One table of hook and policy names for verify and show/export. */
START_TEST(t_hook_policy_names)
{
	ck_assert_str_eq(vn_hook_name(NF_INET_PRE_ROUTING), "prerouting");
	ck_assert_str_eq(vn_hook_name(NF_INET_LOCAL_IN), "input");
	ck_assert_str_eq(vn_hook_name(NF_INET_FORWARD), "forward");
	ck_assert_str_eq(vn_hook_name(NF_INET_LOCAL_OUT), "output");
	ck_assert_str_eq(vn_hook_name(NF_INET_POST_ROUTING), "postrouting");
	ck_assert_str_eq(vn_hook_name(NF_INET_NUMHOOKS), "?");
	ck_assert_str_eq(vn_policy_name(NF_DROP), "drop");
	ck_assert_str_eq(vn_policy_name(NF_ACCEPT), "accept");
	ck_assert_str_eq(vn_policy_name(NF_QUEUE), "?");
}
END_TEST

/* egress rules (issue 14): in the output chain before its drop, encoded,
 * decoded and verified like the rest; explain --to picks them. */
START_TEST(t_egress)
{
	static const char cfg[] =
		"netns = vg-pe\nlink = veth\nifname = vg0\npeer = vgpe0\naddress = 10.0.0.5/24\n"
		"address6 = fd00:1::5/64\nallow_v4 = 10.0.0.0/24\n"
		"egress = 10.0.9.0/24 3300, 10.0.9.0/24 6800-7300, fd00:9::/64 443\n";
	struct vn_ruleset *rs = build(cfg, NULL), *plain = build(cfg4, NULL);
	struct vn_live *want, *have;
	struct vn_addr a;
	struct vg_wr w;
	size_t first = SIZE_MAX, n = 0;
	int i;

	for (size_t k = 0; k < rs->nrules; k++) {
		if (rs->rules[k].kind != VN_R_EGRESS)
			continue;
		ck_assert_int_eq(rs->rules[k].chain, VN_CH_OUTPUT);
		ck_assert_int_eq(rs->rules[k].verdict, VN_ACCEPT);
		if (first == SIZE_MAX)
			first = k;
		n++;
	}
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(rs->rules[first].text, "ip daddr 10.0.9.0/24 tcp dport 3300 ct state new counter accept");
	ck_assert_str_eq(rs->rules[first].comment, "egress: new connections to 10.0.9.0/24 tcp/3300");
	ck_assert_str_eq(rs->rules[first + 1].text, "ip daddr 10.0.9.0/24 tcp dport 6800-7300 ct state new counter accept");
	ck_assert_str_eq(rs->rules[first + 2].text, "ip6 daddr fd00:9::/64 tcp dport 443 ct state new counter accept");
	ck_assert_int_eq(rs->rules[first + 3].kind, VN_R_DROP);
	ck_assert_int_eq(rs->rules[first + 3].chain, VN_CH_OUTPUT);

	/* encoded and decoded: prefix mask, port range, new only */
	ck_assert_int_eq(vn_nft_expected(rs, &want), 0);
	ck_assert_int_eq(vn_nft_expected(rs, &have), 0);
	ck_assert_ptr_nonnull(strstr(want->rules[first].canon, "[ payload load 4b @ network header + 16 => reg 1 ]"));
	ck_assert_ptr_nonnull(strstr(want->rules[first].canon, "[ bitwise reg 1 = ( reg 1 & 0x00ffffff ) ^ 0x00000000 ]"));
	ck_assert_ptr_nonnull(strstr(want->rules[first].canon, "[ cmp eq reg 1 0x0009000a ]"));
	ck_assert_ptr_nonnull(strstr(want->rules[first + 1].canon, "[ range eq reg 1 0x0000901a 0x0000841c ]"));
	vg_wr_init(&w, 1u << 20);
	ck_assert_uint_eq(vn_verify(rs, want, have, &w), 0);
	/* a rule with another range is drift */
	snprintf(have->rules[first + 1].canon, sizeof(have->rules[first + 1].canon), "[ immediate reg 0 accept ]");
	ck_assert_uint_ge(vn_verify(rs, want, have, &w), 1);
	vg_wr_free(&w);
	vn_live_free(want);
	vn_live_free(have);

	ck_assert_int_eq(vn_addr_parse("10.0.9.200", 0, &a), 0);
	ck_assert_int_eq(vn_ruleset_explain_out(rs, &a, 7000), (int)first + 1);
	ck_assert_int_eq(vn_ruleset_explain_out(rs, &a, 3300), (int)first);
	i = vn_ruleset_explain_out(rs, &a, 22);
	ck_assert_int_eq(rs->rules[i].kind, VN_R_DROP);
	ck_assert_int_eq(vn_addr_parse("fd00:9::1", 0, &a), 0);
	ck_assert_int_eq(vn_ruleset_explain_out(rs, &a, 443), (int)first + 2);
	ck_assert_int_eq(vn_addr_parse("127.0.0.1", 0, &a), 0);
	ck_assert_int_eq(rs->rules[vn_ruleset_explain_out(rs, &a, 22)].kind, VN_R_OIF_LO);
	/* without egress the namespace opens nothing */
	ck_assert_int_eq(vn_addr_parse("10.0.9.200", 0, &a), 0);
	i = vn_ruleset_explain_out(plain, &a, 3300);
	ck_assert_int_eq(plain->rules[i].kind, VN_R_DROP);
	ck_assert_str_eq(plain->rules[i - 2].comment, "replies only: the appliance opens no connection");
	vn_ruleset_free(plain);
	vn_ruleset_free(rs);
}
END_TEST

Suite *ruleset_suite(void)
{
	Suite *s = suite_create("netns_ruleset");
	TCase *tc = tcase_create("build");

	tcase_add_test(tc, t_input_chain_order);
	tcase_add_test(tc, t_sets_merged);
	tcase_add_test(tc, t_ranges);
	tcase_add_test(tc, t_ipv6_rules);
	tcase_add_test(tc, t_explain);
	tcase_add_test(tc, t_encoding_and_verify);
	tcase_add_test(tc, t_text);
	tcase_add_test(tc, t_hook_policy_names);
	tcase_add_test(tc, t_egress);
	suite_add_tcase(s, tc);
	return s;
}
