/* test_nflog.c - nflog_suite(): nfnetlink_log message parsing (untrusted
 * kernel bytes: truncated and malformed input refused) and aggregation. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <string.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <libmnl/libmnl.h>

#include "nflog.h"
#include "suites.h"
#include "vg_err.h"

static uint8_t buf[1024];

/* An NFULNL_MSG_PACKET with a packet header and the given payload. */
static struct nlmsghdr *packet_msg(const void *payload, size_t len, size_t hdrlen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	uint8_t hdr[8] = {0x08, 0x00};

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	mnl_attr_put(nlh, NFULA_PACKET_HDR, hdrlen, hdr);
	mnl_attr_put(nlh, NFULA_PAYLOAD, len, payload);
	return nlh;
}

static const uint8_t ipv4_tcp[] = {
	0x45, 0, 0, 60, 0, 0, 0x40, 0, 64, 6, 0, 0,
	10, 9, 0, 5,            /* src */
	10, 0, 0, 5,            /* dst */
	0xc3, 0x50, 0x01, 0xbb, /* sport 50000, dport 443 */
	0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0, 0, 0, 0, 0, 0,
};

START_TEST(t_parse_ipv4_tcp)
{
	struct nlmsghdr *nlh = packet_msg(ipv4_tcp, sizeof(ipv4_tcp), 4);
	struct vn_nflog_pkt p;
	char s[64];

	ck_assert_int_eq(vn_nflog_parse(nlh, nlh->nlmsg_len, &p), 1);
	vn_addr_fmt(&p.src, s, sizeof(s));
	ck_assert_str_eq(s, "10.9.0.5");
	ck_assert_int_eq(p.proto, 6);
	ck_assert(p.has_port);
	ck_assert_uint_eq(p.dport, 443);
}
END_TEST

START_TEST(t_parse_ipv6_icmp)
{
	uint8_t v6[48] = {0x60, 0, 0, 0, 0, 8, 58, 255};
	struct nlmsghdr *nlh;
	struct vn_nflog_pkt p;
	char s[64];

	inet_pton(AF_INET6, "fd00:9::5", v6 + 8);
	v6[40] = 128;
	nlh = packet_msg(v6, sizeof(v6), 4);
	ck_assert_int_eq(vn_nflog_parse(nlh, nlh->nlmsg_len, &p), 1);
	vn_addr_fmt(&p.src, s, sizeof(s));
	ck_assert_str_eq(s, "fd00:9::5");
	ck_assert(!p.has_port);
}
END_TEST

START_TEST(t_parse_refused)
{
	struct nlmsghdr *nlh;
	struct vn_nflog_pkt p;
	uint8_t bad[24];

	/* truncated IP header */
	nlh = packet_msg(ipv4_tcp, 10, 4);
	ck_assert_int_eq(vn_nflog_parse(nlh, nlh->nlmsg_len, &p), VG_EPROTO);
	/* IHL below 5 */
	memcpy(bad, ipv4_tcp, sizeof(bad));
	bad[0] = 0x44;
	nlh = packet_msg(bad, sizeof(bad), 4);
	ck_assert_int_eq(vn_nflog_parse(nlh, nlh->nlmsg_len, &p), VG_EPROTO);
	/* IHL beyond the bytes we have */
	bad[0] = 0x4f;
	nlh = packet_msg(bad, sizeof(bad), 4);
	ck_assert_int_eq(vn_nflog_parse(nlh, nlh->nlmsg_len, &p), VG_EPROTO);
	/* not IP */
	bad[0] = 0x55;
	nlh = packet_msg(bad, sizeof(bad), 4);
	ck_assert_int_eq(vn_nflog_parse(nlh, nlh->nlmsg_len, &p), VG_EPROTO);
	/* a packet header attribute shorter than its struct */
	nlh = packet_msg(ipv4_tcp, sizeof(ipv4_tcp), 2);
	ck_assert_int_eq(vn_nflog_parse(nlh, nlh->nlmsg_len, &p), VG_EPROTO);
	/* the message length disagrees with the buffer */
	nlh = packet_msg(ipv4_tcp, sizeof(ipv4_tcp), 4);
	ck_assert_int_eq(vn_nflog_parse(nlh, nlh->nlmsg_len - 1, &p), VG_EPROTO);
	ck_assert_int_eq(vn_nflog_parse(nlh, 8, &p), VG_EPROTO);
	/* an attribute running past the message */
	nlh = packet_msg(ipv4_tcp, sizeof(ipv4_tcp), 4);
	nlh->nlmsg_len -= 8;
	ck_assert_int_eq(vn_nflog_parse(nlh, nlh->nlmsg_len, &p), VG_EPROTO);
	/* TCP header cut before the port: a packet, without a port */
	nlh = packet_msg(ipv4_tcp, 21, 4);
	ck_assert_int_eq(vn_nflog_parse(nlh, nlh->nlmsg_len, &p), 1);
	ck_assert(!p.has_port);
	/* another message type is not a packet */
	nlh = packet_msg(ipv4_tcp, sizeof(ipv4_tcp), 4);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	ck_assert_int_eq(vn_nflog_parse(nlh, nlh->nlmsg_len, &p), 0);
}
END_TEST

START_TEST(t_aggregate)
{
	static struct vn_drops d;
	struct vn_nflog_pkt p = {.proto = 6, .has_port = true, .dport = 443};
	char r[256];

	vn_addr_parse("10.9.0.5", 0, &p.src);
	vn_drops_add(&d, &p);
	vn_drops_add(&d, &p);
	p.dport = 22;
	vn_drops_add(&d, &p);
	vn_addr_parse("10.9.0.6", 0, &p.src);
	p.has_port = false;
	vn_drops_add(&d, &p);
	ck_assert_uint_eq(d.n, 2);
	ck_assert_int_eq(vn_drop_reason(&d.src[0], r, sizeof(r)), 0);
	ck_assert_str_eq(r, "3 packets to ports 443, 22");
	ck_assert_int_eq(vn_drop_reason(&d.src[1], r, sizeof(r)), 0);
	ck_assert_str_eq(r, "1 packet without a port (icmp, ...)");
	d.src[0].nports = 1;
	d.src[0].packets = 5;
	ck_assert_int_eq(vn_drop_reason(&d.src[0], r, sizeof(r)), 0);
	ck_assert_str_eq(r, "5 packets to port 443");
	ck_assert_int_eq(vn_drop_reason(&d.src[0], r, 8), -ENOSPC);
}
END_TEST

/* issue 19.3: a flood from more sources than the table holds is counted,
 * the top sources come out in order, and a reset empties the index */
START_TEST(t_aggregate_flood)
{
	static struct vn_drops d;
	struct vn_nflog_pkt p = {.proto = 6, .has_port = true, .dport = 443};
	size_t top[3];

	vn_drops_reset(&d);
	for (unsigned i = 0; i < VN_DROPS_MAX_SOURCES + 1000; i++) {
		p.src.family = AF_INET;
		memset(p.src.b, 0, 16);
		p.src.b[0] = 10;
		p.src.b[1] = (uint8_t)(i >> 16);
		p.src.b[2] = (uint8_t)(i >> 8);
		p.src.b[3] = (uint8_t)i;
		vn_drops_add(&d, &p);
		if (i == 7 || i == 9) {
			vn_drops_add(&d, &p);
			vn_drops_add(&d, &p);
		}
		if (i == 9)
			vn_drops_add(&d, &p);
	}
	ck_assert_uint_eq(d.n, VN_DROPS_MAX_SOURCES);
	ck_assert_uint_eq(d.overflow, 1000);
	ck_assert_uint_eq(d.total, VN_DROPS_MAX_SOURCES + 1000 + 5);
	ck_assert_uint_eq(vn_drops_top(&d, top, 3), 3);
	ck_assert_uint_eq(d.src[top[0]].packets, 4);
	ck_assert_uint_eq(d.src[top[0]].src.b[3], 9);
	ck_assert_uint_eq(d.src[top[1]].packets, 3);
	ck_assert_uint_eq(d.src[top[1]].src.b[3], 7);
	ck_assert_uint_eq(d.src[top[2]].packets, 1);
	vn_drops_reset(&d);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(d.total, 0);
	vn_drops_add(&d, &p);
	vn_drops_add(&d, &p);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_uint_eq(d.src[0].packets, 2);
}
END_TEST

Suite *nflog_suite(void)
{
	Suite *s = suite_create("netns_nflog");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, t_parse_ipv4_tcp);
	tcase_add_test(tc, t_parse_ipv6_icmp);
	tcase_add_test(tc, t_parse_refused);
	tcase_add_test(tc, t_aggregate);
	tcase_add_test(tc, t_aggregate_flood);
	suite_add_tcase(s, tc);
	return s;
}
