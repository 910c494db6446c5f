/* test_peer.c - the one normal form of a network peer (common/peer.c). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "peer.h"
#include "suites.h"
#include "vg_err.h"

static void norm(const char *in, const char *addr, const char *source)
{
	struct vg_peer p;

	ck_assert_msg(vg_peer_parse(in, &p) == 0, "%s did not parse", in);
	ck_assert_str_eq(p.addr, addr);
	ck_assert_str_eq(p.source, source);
}

START_TEST(forms)
{
	norm("10.0.0.5:4431", "10.0.0.5", "10.0.0.5");
	norm("10.0.0.5", "10.0.0.5", "10.0.0.5");
	norm("[::ffff:10.0.0.5]:4431", "10.0.0.5", "10.0.0.5");
	norm("::ffff:10.0.0.5", "10.0.0.5", "10.0.0.5");
	norm("[::1]:55012", "::1", "::/64");
	norm("[2001:db8:1:2::7]:4431", "2001:db8:1:2::7", "2001:db8:1:2::/64");
	norm("2001:DB8:1:2:0:0:0:7", "2001:db8:1:2::7", "2001:db8:1:2::/64");
	norm("[2001:db8:1:2:ffff::1]", "2001:db8:1:2:ffff::1", "2001:db8:1:2::/64");
}
END_TEST

START_TEST(same_source)
{
	struct vg_peer a, b;

	/* Two ports, two addresses of one /64: one source, one key. */
	ck_assert_int_eq(vg_peer_parse("[2001:db8::1]:1000", &a), 0);
	ck_assert_int_eq(vg_peer_parse("[2001:db8::ffff:2]:2000", &b), 0);
	ck_assert_str_eq(a.source, b.source);
	ck_assert_mem_eq(a.key, b.key, 16);
	ck_assert_int_eq(vg_peer_parse("[2001:db8:0:1::1]:1000", &b), 0);
	ck_assert_str_ne(a.source, b.source);
	ck_assert_int_eq(vg_peer_parse("127.0.0.1:1", &a), 0);
	ck_assert_int_eq(vg_peer_parse("[::ffff:127.0.0.1]:2", &b), 0);
	ck_assert_mem_eq(a.key, b.key, 16);
}
END_TEST

START_TEST(from_sockaddr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct vg_peer p;

	memset(&ss, 0, sizeof(ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(443);
	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:192.0.2.9", &s6->sin6_addr), 1);
	ck_assert_int_eq(vg_peer_from_sockaddr(&ss, &p), 0);
	ck_assert_str_eq(p.addr, "192.0.2.9");
	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, "192.0.2.9", &s4->sin_addr), 1);
	ck_assert_int_eq(vg_peer_from_sockaddr(&ss, &p), 0);
	ck_assert_str_eq(p.source, "192.0.2.9");
	ss.ss_family = AF_UNIX;
	ck_assert_int_eq(vg_peer_from_sockaddr(&ss, &p), VG_EINVAL);
}
END_TEST

START_TEST(refused)
{
	static const char *bad[] = {"", "local", "10.0.0.5:", "10.0.0.5:65536", "10.0.0.5:1x",
		"[::1", "[::1]x", "[::1]:", "[]:1", "[10.0.0.5]:1", "::g", "1.2.3", "[::1]:99999",
		"10.0.0.256"};
	struct vg_peer p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(vg_peer_parse(bad[i], &p) == VG_EINVAL, "%s parsed", bad[i]);
}
END_TEST

Suite *peer_suite(void)
{
	Suite *s = suite_create("peer");
	TCase *t = tcase_create("core");

	tcase_add_test(t, forms);
	tcase_add_test(t, same_source);
	tcase_add_test(t, from_sockaddr);
	tcase_add_test(t, refused);
	suite_add_tcase(s, t);
	return s;
}
