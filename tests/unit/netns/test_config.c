/* test_config.c - config_suite(): the vaultnet configuration parser.
 * Every refusal is checked by its exact message, file:line included. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "suites.h"
#include "vg_err.h"

/* Line numbers below count from this text: netns is line 2. */
static const char base[] =
	"# appliance\n"                 /* 1 */
	"netns = vg-pe\n"               /* 2 */
	"link = veth\n"                 /* 3 */
	"ifname = vg0\n"                /* 4 */
	"peer = vgpe0\n"                /* 5 */
	"address = 10.0.0.5/24\n"       /* 6 */
	"gateway = 10.0.0.1\n"          /* 7 */
	"allow_v4 = 10.0.0.0/25, 10.9.9.9\n"; /* 8 */

static char *with(const char *extra)
{
	size_t n = strlen(base) + strlen(extra) + 1;
	char *s = malloc(n);

	snprintf(s, n, "%s%s", base, extra);
	return s;
}

static char *without(const char *key_line)
{
	char *s = strdup(base), *p = strstr(s, key_line);

	ck_assert_ptr_nonnull(p);
	memmove(p, p + strlen(key_line), strlen(p + strlen(key_line)) + 1);
	return s;
}

/* base with the first occurrence of from replaced by to (malloc'd) */
static char *repl(const char *from, const char *to)
{
	const char *p = strstr(base, from);
	size_t n = strlen(base) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);

	ck_assert_ptr_nonnull(p);
	snprintf(s, n, "%.*s%s%s", (int)(p - base), base, to, p + strlen(from));
	return s;
}

static void expect_repl(const char *from, const char *to, const char *want);

static void expect_err(const char *text, const char *want)
{
	struct vn_config *c = (struct vn_config *)0x1;
	char err[VN_ERR_MAX];
	int r = vn_config_parse("t.conf", text, strlen(text), &c, err, sizeof(err));

	ck_assert_int_eq(r, VG_EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, want);
}

static void expect_err_extra(const char *extra, const char *want)
{
	char *t = with(extra);

	expect_err(t, want);
	free(t);
}

static void expect_repl(const char *from, const char *to, const char *want)
{
	char *t = repl(from, to);

	expect_err(t, want);
	free(t);
}

#define L8 "allow_v4 = 10.0.0.0/25, 10.9.9.9\n"

START_TEST(t_base_ok)
{
	struct vn_config *c;
	char err[VN_ERR_MAX] = "x";

	ck_assert_int_eq(vn_config_parse("t.conf", base, strlen(base), &c, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(c->netns, "vg-pe");
	ck_assert_int_eq(c->link, VN_LINK_VETH);
	ck_assert_int_eq(c->port, 443);
	ck_assert_uint_eq(c->nallow4, 2);
	ck_assert_uint_eq(c->nallow6, 0);
	ck_assert_uint_eq(c->conn_rate.count, VN_DEFAULT_CONN_RATE);
	ck_assert_uint_eq(c->conn_rate.unit, 1);
	ck_assert_uint_eq(c->nflog_group, VN_DEFAULT_NFLOG_GROUP);
	vn_config_free(c);
	vn_config_free(NULL);
}
END_TEST

START_TEST(t_unknown_key)
{
	expect_err_extra("bogus = 1\n", "t.conf:9: unknown key \"bogus\"");
}
END_TEST

START_TEST(t_duplicate_key)
{
	expect_err_extra("port = 443\nport = 8443\n", "t.conf:10: duplicate key \"port\" (first set on line 9)");
	expect_err_extra("allow_v4 = 10.1.0.0/16\n", "t.conf:9: duplicate key \"allow_v4\" (first set on line 8)");
}
END_TEST

START_TEST(t_bad_cidr)
{
	expect_repl(L8, "allow_v4 = 10.0.0.0/25, 10.0.0.300/24\n",
		    "t.conf:8: allow_v4: \"10.0.0.300/24\": not an IPv4 CIDR");
	expect_repl(L8, "allow_v4 = 10.0.0.1/24\n",
		    "t.conf:8: allow_v4: \"10.0.0.1/24\": host bits set (did you mean 10.0.0.0/24?)");
	expect_repl(L8, "allow_v4 = 10.0.0.0/33\n",
		    "t.conf:8: allow_v4: \"10.0.0.0/33\": prefix length out of range (0-32)");
	expect_repl(L8, "allow_v4 = 10.0.0.0/024\n", "t.conf:8: allow_v4: \"10.0.0.0/024\": not an IPv4 CIDR");
	expect_repl(L8, "allow_v4 = 10.0.0.0/\n", "t.conf:8: allow_v4: \"10.0.0.0/\": not an IPv4 CIDR");
	expect_repl(L8, "allow_v4 = 010.0.0.0/8\n", "t.conf:8: allow_v4: \"010.0.0.0/8\": not an IPv4 CIDR");
	expect_repl(L8, "allow_v4 = fd00::/64\n",
		    "t.conf:8: allow_v4: \"fd00::/64\": an IPv6 address where IPv4 is expected");
	expect_repl(L8, "allow_v4 = 10.0.0.0/8 10.1.0.0/16\n",
		    "t.conf:8: allow_v4: \"10.0.0.0/8 10.1.0.0/16\": not an IPv4 CIDR");
}
END_TEST

START_TEST(t_empty_allowlist)
{
	char *t;

	expect_repl(L8, "allow_v4 =\n", "t.conf:8: allow_v4: empty allowlist");
	expect_repl(L8, "allow_v4 = 10.0.0.0/8,,10.1.0.0/16\n",
		    "t.conf:8: allow_v4: \"10.0.0.0/8,,10.1.0.0/16\": empty list element");
	expect_repl(L8, "allow_v4 = 10.0.0.0/8, \n", "t.conf:8: allow_v4: \"10.0.0.0/8,\": empty list element");
	t = without(L8);
	expect_err(t, "t.conf: no allowlist: set allow_v4 and/or allow_v6");
	free(t);
}
END_TEST

START_TEST(t_outside_prefix)
{
	expect_repl("gateway = 10.0.0.1", "gateway = 10.1.0.1",
		    "t.conf:7: gateway: \"10.1.0.1\": outside the address prefix 10.0.0.5/24");
	expect_repl("gateway = 10.0.0.1", "gateway = 10.0.0.5",
		    "t.conf:7: gateway: \"10.0.0.5\": the appliance's own address");
	expect_err_extra("routes = 10.8.0.0/16 via 10.0.0.1, 10.9.0.0/16 via 10.9.0.1\n",
			 "t.conf:9: routes: \"via 10.9.0.1\": outside the address prefix 10.0.0.5/24");
	expect_err_extra("routes = 10.8.0.0/16 by 10.0.0.1\n",
			 "t.conf:9: routes: \"10.8.0.0/16 by 10.0.0.1\": expected \"PREFIX via ADDRESS\"");
	expect_err_extra("routes = 0.0.0.0/0 via 10.0.0.2\n",
			 "t.conf:9: routes: a default route here and a gateway key: keep one");
}
END_TEST

START_TEST(t_address)
{
	expect_repl("address = 10.0.0.5/24", "address = 10.0.0.0/24",
		    "t.conf:6: address: \"10.0.0.0/24\": the network or broadcast address of its prefix");
	expect_repl("address = 10.0.0.5/24", "address = 10.0.0.5",
		    "t.conf:6: address: \"10.0.0.5\": prefix length missing (write ADDRESS/LENGTH)");
	expect_err_extra("address6 = fd00::5\n",
			 "t.conf:9: address6: \"fd00::5\": prefix length missing (write ADDRESS/LENGTH)");
	expect_err_extra("allow_v6 = fd00::/64\n", "t.conf:9: allow_v6: IPv6 allowlist given but no address6 is set");
	expect_err_extra("gateway6 = fd00::1\n", "t.conf:9: gateway6: \"fd00::1\": IPv6 but no address6 is set");
}
END_TEST

START_TEST(t_missing_and_modes)
{
	char *t = without("netns = vg-pe\n");

	expect_err(t, "t.conf: missing required key \"netns\"");
	free(t);
	t = without("peer = vgpe0\n");
	expect_err(t, "t.conf:3: link: veth needs \"peer\" (the outside end's name)");
	free(t);
	expect_err_extra("parent = eth0\n", "t.conf:9: parent: only valid with link = macvlan");
	expect_repl("link = veth", "link = vlan", "t.conf:3: link: \"vlan\": expected veth, macvlan or physical");
	expect_err_extra("peer_netns = vg-pe\n", "t.conf:9: peer_netns: \"vg-pe\": the appliance namespace itself");
}
END_TEST

START_TEST(t_values)
{
	expect_err_extra("port = 0\n", "t.conf:9: port: \"0\": not a port number (1-65535)");
	expect_err_extra("port = 65536\n", "t.conf:9: port: \"65536\": not a port number (1-65535)");
	expect_err_extra("port = 44x\n", "t.conf:9: port: \"44x\": not a port number (1-65535)");
	expect_err_extra("port = -1\n", "t.conf:9: port: \"-1\": not a port number (1-65535)");
	expect_err_extra("conn_rate = 20/sec\n",
			 "t.conf:9: conn_rate: \"20/sec\": expected N/second, N/minute, N/hour or N/day with N in 1-1000000");
	expect_err_extra("conn_rate = 0/second\n",
			 "t.conf:9: conn_rate: \"0/second\": expected N/second, N/minute, N/hour or N/day with N in 1-1000000");
	expect_err_extra("nflog_group = 65536\n", "t.conf:9: nflog_group: \"65536\": not an NFLOG group (0-65535)");
	expect_err_extra("conn_burst = 0\n", "t.conf:9: conn_burst: \"0\": not a burst size (1-1000000)");
	expect_err_extra("vaultd_socket = run/vaultd.sock\n",
			 "t.conf:9: vaultd_socket: \"run/vaultd.sock\": not an absolute path of at most 107 bytes");
	expect_err_extra("port =\n", "t.conf:9: port: empty value");
}
END_TEST

START_TEST(t_names)
{
	expect_repl("ifname = vg0", "ifname = averyveryverylongname",
		    "t.conf:4: ifname: \"averyveryverylongname\": not a valid interface name (1-15 of A-Z a-z 0-9 _ . -, starting with a letter or digit)");
	expect_repl("netns = vg-pe", "netns = ../pe",
		    "t.conf:2: netns: \"../pe\": not a valid namespace name (1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit)");
}
END_TEST

START_TEST(t_syntax)
{
	expect_err_extra("garbage\n", "t.conf:9: \"garbage\": expected key = value");
	expect_err_extra("port = 4\x01" "43\n", "t.conf:9: control byte 0x01");
	expect_err_extra("port = 443\r\n", "t.conf:9: control byte 0x0d");
	{
		const char nul[] = "netns = a\0b\n";

		expect_err(nul, "t.conf: missing required key \"link\"");   /* strlen stops at NUL */
	}
	{
		char *big = malloc(70000);

		memset(big, '#', 69999);
		big[69999] = '\0';
		expect_err(big, "t.conf: larger than 65536 bytes");
		free(big);
	}
}
END_TEST

START_TEST(t_canonical_digest)
{
	const char *a = "netns=vg-pe\nlink=veth\nifname=vg0\npeer=vgpe0\naddress=10.0.0.5/24\ngateway=10.0.0.1\n"
			"allow_v4=10.0.0.0/25,10.9.9.9\n";
	const char *b = "# same meaning\n  allow_v4 =   10.0.0.0/25 ,  10.9.9.9/32\n\nnetns = vg-pe\n"
			"link = veth\nifname = vg0\npeer = vgpe0\naddress = 10.0.0.5/24\ngateway = 10.0.0.1\n"
			"port = 443\nvaultd_socket = /run/elsewhere.sock\n";
	struct vn_config *ca, *cb, *cc;
	char err[VN_ERR_MAX], da[65], db[65], dc[65], *canon;

	ck_assert_int_eq(vn_config_parse("a", a, strlen(a), &ca, err, sizeof(err)), 0);
	ck_assert_int_eq(vn_config_parse("b", b, strlen(b), &cb, err, sizeof(err)), 0);
	ck_assert_int_eq(vn_config_parse("c", base, strlen(base), &cc, err, sizeof(err)), 0);
	ck_assert_int_eq(vn_config_digest(ca, da), 0);
	ck_assert_int_eq(vn_config_digest(cb, db), 0);
	ck_assert_int_eq(vn_config_digest(cc, dc), 0);
	ck_assert_str_eq(da, db);
	ck_assert_str_eq(da, dc);
	canon = vn_config_canonical(ca);
	ck_assert_str_eq(canon, "netns = vg-pe\nlink = veth\nifname = vg0\npeer = vgpe0\naddress = 10.0.0.5/24\n"
				"gateway = 10.0.0.1\nport = 443\nallow_v4 = 10.0.0.0/25, 10.9.9.9/32\n"
				"conn_rate = 20/second\nconn_burst = 40\nicmp_rate = 5/second\nnflog_group = 100\n");
	free(canon);
	ca->port = 8443;
	ck_assert_int_eq(vn_config_digest(ca, da), 0);
	ck_assert_str_ne(da, db);
	vn_config_free(ca);
	/* issue 16: a list of ports (443 and the S3 listener's), kept in order */
	{
		size_t lsz = strlen(a) + 64;
		char *l = malloc(lsz);
		ck_assert_ptr_nonnull(l);
		snprintf(l, lsz, "%sport = 443, 9000\n", a);
		ck_assert_int_eq(vn_config_parse("l", l, strlen(l), &ca, err, sizeof(err)), 0);
		ck_assert_uint_eq(ca->nports, 2);
		ck_assert_int_eq(ca->port, 443);
		ck_assert_int_eq(ca->ports[1], 9000);
		canon = vn_config_canonical(ca);
		ck_assert_ptr_nonnull(strstr(canon, "\nport = 443, 9000\n"));
		free(canon);
		ck_assert_int_eq(vn_config_digest(ca, dc), 0);
		ck_assert_str_ne(dc, db);
		snprintf(l, lsz, "%sport = 443, 443\n", a);
		{
			struct vn_config *cd = NULL;
			ck_assert_int_ne(vn_config_parse("l", l, strlen(l), &cd, err, sizeof(err)), 0);
			ck_assert_ptr_nonnull(strstr(err, "given twice"));
			vn_config_free(cd);
		}
		free(l);
	}
	vn_config_free(ca);
	vn_config_free(cb);
	vn_config_free(cc);
}
END_TEST

START_TEST(t_load_file_checks)
{
	char path[] = "/tmp/vn-test-XXXXXX";
	struct vn_config *c;
	char err[VN_ERR_MAX], want[VN_ERR_MAX];
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, base, strlen(base)), (int)strlen(base));
	close(fd);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(vn_config_load(path, &c, err, sizeof(err)), 0);
	vn_config_free(c);
	ck_assert_int_eq(chmod(path, 0620), 0);
	ck_assert_int_eq(vn_config_load(path, &c, err, sizeof(err)), VG_EDENIED);
	snprintf(want, sizeof(want), "%s: refusing a group- or world-writable file (mode 0620)", path);
	ck_assert_str_eq(err, want);
	unlink(path);
	ck_assert_int_eq(vn_config_load(path, &c, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	ck_assert_str_eq(err, want);
}
END_TEST

/* issue 19.4: pins are on-link, allowed, unicast, once each */
START_TEST(t_pins)
{
	char err[VN_ERR_MAX], *t, *canon;
	struct vn_config *c = NULL;
	static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x07};
	uint8_t ip[4] = {10, 0, 0, 7};

	expect_err_extra("pin = 10.0.1.7 02:00:5e:10:00:07\n",
			 "t.conf:9: pin: \"10.0.1.7\": not on-link (outside the address prefix 10.0.0.5/24): a MAC pins only a neighbour on the segment");
	expect_err_extra("pin = 10.0.0.200 02:00:5e:10:00:07\n",
			 "t.conf:9: pin: \"10.0.0.200\": not in allow_v4 (pin only allowed agents and the gateway)");
	expect_err_extra("pin = 10.0.0.7 03:00:5e:10:00:07\n",
			 "t.conf:9: pin: \"10.0.0.7 03:00:5e:10:00:07\": 03:00:5e:10:00:07 is not a unicast MAC address");
	expect_err_extra("pin = 10.0.0.7 02:00:5e:10:00\n",
			 "t.conf:9: pin: \"10.0.0.7 02:00:5e:10:00\": \"02:00:5e:10:00\" is not a MAC address (xx:xx:xx:xx:xx:xx)");
	expect_err_extra("pin = 10.0.0.7 02:00:5e:10:00:07, 10.0.0.7 02:00:5e:10:00:08\n",
			 "t.conf:9: pin: \"10.0.0.7 02:00:5e:10:00:08\": 10.0.0.7 is pinned twice");
	expect_err_extra("pin_onlink = yes\n",
			 "t.conf:9: pin_onlink: pin_onlink = yes without any pin would drop every on-link agent");
	t = with("pin = 10.0.0.1 02:00:5e:10:00:01\n");     /* the gateway: not in allow_v4, still pinnable */
	ck_assert_int_eq(vn_config_parse("t.conf", t, strlen(t), &c, err, sizeof(err)), 0);
	vn_config_free(c);
	free(t);
	t = with("pin = 10.0.0.7 02:00:5E:10:00:07\npin_onlink = yes\n");
	ck_assert_int_eq(vn_config_parse("t.conf", t, strlen(t), &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c->npins, 1);
	ck_assert(c->pin_onlink);
	ck_assert(vn_config_pinned(c, ip, AF_INET, mac));
	ip[3] = 8;
	ck_assert(!vn_config_pinned(c, ip, AF_INET, mac));
	canon = vn_config_canonical(c);
	ck_assert_ptr_nonnull(strstr(canon, "pin = 10.0.0.7 02:00:5e:10:00:07\npin_onlink = yes\n"));
	free(canon);
	vn_config_free(c);
	free(t);
}
END_TEST

START_TEST(t_ipv6_config)
{
	struct vn_config *c;
	char err[VN_ERR_MAX];
	char *t = with("address6 = fd00:1::5/64\ngateway6 = fd00:1::1\nallow_v6 = fd00:1::/64, fd00:9::9\n"
		       "routes = 10.50.0.0/16 via 10.0.0.2, fd00:50::/48 via fd00:1::2\n");

	ck_assert_int_eq(vn_config_parse("t.conf", t, strlen(t), &c, err, sizeof(err)), 0);
	ck_assert(c->has_address6);
	ck_assert_uint_eq(c->nallow6, 2);
	ck_assert_uint_eq(c->nroutes, 2);
	ck_assert_int_eq(c->routes[1].dst.a.family, AF_INET6);
	vn_config_free(c);
	free(t);
}
END_TEST

/* egress (issue 14): DEST[/LEN] PORT[-PORT], TCP, IPv4 and IPv6 */
START_TEST(t_egress)
{
	struct vn_config *c;
	struct vn_addr a;
	char err[VN_ERR_MAX], *t, *canon, buf[96], many[1024];
	size_t off;

	t = with("address6 = fd00:1::5/64\negress = 10.0.9.0/24 3300, 10.0.9.0/24 6800-7300, fd00:9::7 443\n");
	ck_assert_int_eq(vn_config_parse("t.conf", t, strlen(t), &c, err, sizeof(err)), 0);
	free(t);
	ck_assert_uint_eq(c->negress, 3);
	ck_assert_uint_eq(c->egress[1].port_lo, 6800);
	ck_assert_uint_eq(c->egress[1].port_hi, 7300);
	ck_assert_uint_eq(c->egress[2].dst.plen, 128);
	ck_assert_int_eq(vn_egress_fmt(&c->egress[1], buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "10.0.9.0/24 6800-7300");
	ck_assert_int_eq(vn_addr_parse("10.0.9.44", 0, &a), 0);
	ck_assert_ptr_eq(vn_config_egress(c, &a, 7300), &c->egress[1]);
	ck_assert_ptr_eq(vn_config_egress(c, &a, 3300), &c->egress[0]);
	ck_assert_ptr_null(vn_config_egress(c, &a, 7301));
	ck_assert_ptr_null(vn_config_egress(c, &a, 443));
	ck_assert_int_eq(vn_addr_parse("fd00:9::7", 0, &a), 0);
	ck_assert_ptr_eq(vn_config_egress(c, &a, 443), &c->egress[2]);
	ck_assert_int_eq(vn_addr_parse("10.0.10.1", 0, &a), 0);
	ck_assert_ptr_null(vn_config_egress(c, &a, 3300));
	canon = vn_config_canonical(c);
	ck_assert_ptr_nonnull(strstr(canon, "egress = 10.0.9.0/24 3300, 10.0.9.0/24 6800-7300, fd00:9::7/128 443\n"));
	free(canon);
	vn_config_free(c);

	/* no egress line: the canonical form (and digest) is what it was */
	ck_assert_int_eq(vn_config_parse("t.conf", base, strlen(base), &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c->negress, 0);
	canon = vn_config_canonical(c);
	ck_assert_ptr_null(strstr(canon, "egress"));
	free(canon);
	vn_config_free(c);

	expect_err_extra("egress = 10.0.9.300/24 3300\n", "t.conf:9: egress: \"10.0.9.300/24\": not an IPv4 CIDR");
	expect_err_extra("egress = 10.0.9.1/24 3300\n",
			 "t.conf:9: egress: \"10.0.9.1/24\": host bits set (did you mean 10.0.9.0/24?)");
	expect_err_extra("egress = 10.0.9.0/33 3300\n", "t.conf:9: egress: \"10.0.9.0/33\": prefix length out of range (0-32)");
	expect_err_extra("egress = 10.0.9.0/24 7300-6800\n",
			 "t.conf:9: egress: \"10.0.9.0/24 7300-6800\": \"7300-6800\" is not a port or range (1-65535, or LO-HI with LO <= HI)");
	expect_err_extra("egress = 10.0.9.0/24 0\n",
			 "t.conf:9: egress: \"10.0.9.0/24 0\": \"0\" is not a port or range (1-65535, or LO-HI with LO <= HI)");
	expect_err_extra("egress = 10.0.9.0/24 1-65536\n",
			 "t.conf:9: egress: \"10.0.9.0/24 1-65536\": \"1-65536\" is not a port or range (1-65535, or LO-HI with LO <= HI)");
	expect_err_extra("egress = 10.0.9.0/24 x\n",
			 "t.conf:9: egress: \"10.0.9.0/24 x\": \"x\" is not a port or range (1-65535, or LO-HI with LO <= HI)");
	expect_err_extra("egress = 10.0.9.0/24\n",
			 "t.conf:9: egress: \"10.0.9.0/24\": expected \"DEST[/LEN] PORT[-PORT]\" (e.g. 10.0.9.0/24 6800-7300)");
	expect_err_extra("egress = 10.0.9.0/24 1 2\n",
			 "t.conf:9: egress: \"10.0.9.0/24 1 2\": expected \"DEST[/LEN] PORT[-PORT]\" (e.g. 10.0.9.0/24 6800-7300)");
	expect_err_extra("egress = 0.0.0.0/0 443\n",
			 "t.conf:9: egress: \"0.0.0.0/0 443\": a destination of length 0 is every host: name the hosts or networks");
	expect_err_extra("egress = 10.0.9.0/24 1, 10.0.9.0/24 1\n", "t.conf:9: egress: \"10.0.9.0/24 1\": listed twice");
	expect_err_extra("egress = fd00:9::/64 443\n", "t.conf:9: egress: \"fd00:9::/64\": IPv6 but no address6 is set");
	expect_err_extra("egress = 10.0.9.0/24 1,\n", "t.conf:9: egress: \"10.0.9.0/24 1,\": empty list element");
	off = (size_t)snprintf(many, sizeof(many), "egress = 10.0.9.0/24 1");
	for (int i = 2; i <= VN_EGRESS_MAX + 1; i++)
		off += (size_t)snprintf(many + off, sizeof(many) - off, ", 10.0.9.0/24 %d", i);
	snprintf(many + off, sizeof(many) - off, "\n");
	expect_err_extra(many, "t.conf:9: egress: more than 16 entries");
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("netns_config");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, t_base_ok);
	tcase_add_test(tc, t_unknown_key);
	tcase_add_test(tc, t_duplicate_key);
	tcase_add_test(tc, t_bad_cidr);
	tcase_add_test(tc, t_empty_allowlist);
	tcase_add_test(tc, t_outside_prefix);
	tcase_add_test(tc, t_address);
	tcase_add_test(tc, t_missing_and_modes);
	tcase_add_test(tc, t_values);
	tcase_add_test(tc, t_names);
	tcase_add_test(tc, t_syntax);
	tcase_add_test(tc, t_canonical_digest);
	tcase_add_test(tc, t_load_file_checks);
	tcase_add_test(tc, t_ipv6_config);
	tcase_add_test(tc, t_pins);
	tcase_add_test(tc, t_egress);
	suite_add_tcase(s, tc);
	return s;
}
