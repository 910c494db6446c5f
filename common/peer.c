/* peer.c - see peer.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "peer.h"
#include "vg_err.h"

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* From the 16 bytes of an IPv6 address (IPv4 as IPv4-mapped). */
static int from_bytes(const uint8_t b[16], struct vg_peer *out)
{
	struct in6_addr net;

	memset(out, 0, sizeof(*out));
	if (memcmp(b, v4mapped, 12) == 0) {
		if (!inet_ntop(AF_INET, b + 12, out->addr, sizeof(out->addr)))
			return VG_EINVAL;
		memcpy(out->source, out->addr, sizeof(out->addr));
		memcpy(out->key, b, 16);
		return 0;
	}
	if (!inet_ntop(AF_INET6, b, out->addr, sizeof(out->addr)))
		return VG_EINVAL;
	memcpy(out->key, b, 8);
	memcpy(net.s6_addr, out->key, 16);
	if (!inet_ntop(AF_INET6, &net, out->source, VG_PEER_ADDR_MAX))
		return VG_EINVAL;
	strcat(out->source, "/64");
	return 0;
}

int vg_peer_from_sockaddr(const struct sockaddr_storage *sa, struct vg_peer *out)
{
	uint8_t b[16];

	if (sa->ss_family == AF_INET) {
		memcpy(b, v4mapped, 12);
		memcpy(b + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->ss_family == AF_INET6) {
		memcpy(b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else {
		memset(out, 0, sizeof(*out));
		return VG_EINVAL;
	}
	return from_bytes(b, out);
}

static int port_ok(const char *p)
{
	unsigned v = 0;

	if (!*p)
		return 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || (v = v * 10 + (unsigned)(*p - '0')) > 65535)
			return 0;
	}
	return 1;
}

int vg_peer_parse(const char *text, struct vg_peer *out)
{
	char host[VG_PEER_ADDR_MAX];
	const char *end, *colon;
	uint8_t b[16];
	size_t n;

	memset(out, 0, sizeof(*out));
	if (text[0] == '[') {
		if (!(end = strchr(text, ']')) || (end[1] && (end[1] != ':' || !port_ok(end + 2))))
			return VG_EINVAL;
		n = (size_t)(end - text - 1);
		if (n == 0 || n >= sizeof(host))
			return VG_EINVAL;
		memcpy(host, text + 1, n);
		host[n] = 0;
		return inet_pton(AF_INET6, host, b) == 1 ? from_bytes(b, out) : VG_EINVAL;
	}
	colon = strchr(text, ':');
	if (colon && strchr(colon + 1, ':')) {
		/* Two colons or more: a bare IPv6 address. */
		return inet_pton(AF_INET6, text, b) == 1 ? from_bytes(b, out) : VG_EINVAL;
	}
	n = colon ? (size_t)(colon - text) : strlen(text);
	if (n == 0 || n >= sizeof(host) || (colon && !port_ok(colon + 1)))
		return VG_EINVAL;
	memcpy(host, text, n);
	host[n] = 0;
	memcpy(b, v4mapped, 12);
	return inet_pton(AF_INET, host, b + 12) == 1 ? from_bytes(b, out) : VG_EINVAL;
}
