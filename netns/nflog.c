/* nflog.c - see nflog.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>

#include "buf.h"
#include "nflog.h"
#include "ns.h"
#include "vg_err.h"

#define NFLOG_COPY_RANGE 128u
#define NFLOG_RECV_BYTES 65536u

struct vn_nflog {
	struct mnl_socket *nl;
	uint16_t group;
	uint8_t *buf;
};

static int config_msg(struct vn_nflog *n, uint8_t family, uint16_t res_id, int attr, const void *val,
		      size_t len)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	uint32_t seq = (uint32_t)time(NULL);
	ssize_t r;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	mnl_attr_put(nlh, (uint16_t)attr, len, val);
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	if ((r = mnl_socket_recvfrom(n->nl, n->buf, NFLOG_RECV_BYTES)) < 0)
		return -errno;
	r = mnl_cb_run(n->buf, (size_t)r, seq, mnl_socket_get_portid(n->nl), NULL, NULL);
	return r < 0 ? -errno : 0;
}

int vn_nflog_open(const char *netns, uint16_t group, struct vn_nflog **out)
{
	struct nfulnl_msg_config_cmd cmd = {.command = NFULNL_CFG_CMD_BIND};
	struct nfulnl_msg_config_mode mode = {.copy_range = htonl(NFLOG_COPY_RANGE),
					      .copy_mode = NFULNL_COPY_PACKET};
	uint32_t timeout = htonl(10); /* flush after 0.1 s */
	struct vn_nflog *n;
	int saved, r;

	*out = NULL;
	if (!(n = calloc(1, sizeof(*n))) || !(n->buf = malloc(NFLOG_RECV_BYTES))) {
		free(n);
		return -ENOMEM;
	}
	n->group = group;
	if ((r = vn_netns_switch(netns, &saved)))
		goto fail;
	n->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	r = n->nl ? 0 : -errno;
	if (vn_netns_return(saved) < 0 && !r)
		r = VG_EINTERNAL;
	if (r)
		goto fail;
	if (mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = config_msg(n, AF_UNSPEC, group, NFULA_CFG_CMD, &cmd, sizeof(cmd))) ||
	    (r = config_msg(n, AF_UNSPEC, group, NFULA_CFG_MODE, &mode, sizeof(mode))) ||
	    (r = config_msg(n, AF_UNSPEC, group, NFULA_CFG_TIMEOUT, &timeout, sizeof(timeout))))
		goto fail;
	*out = n;
	return 0;
fail:
	vn_nflog_close(n);
	return r;
}

int vn_nflog_fd(const struct vn_nflog *n)
{
	return mnl_socket_get_fd(n->nl);
}

void vn_nflog_close(struct vn_nflog *n)
{
	if (!n)
		return;
	if (n->nl)
		mnl_socket_close(n->nl);
	free(n->buf);
	free(n);
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, NFULA_MAX) < 0)
		return MNL_CB_OK;       /* newer kernel attribute: skip */
	switch (type) {
	case NFULA_PACKET_HDR:
		if (mnl_attr_validate2(a, MNL_TYPE_UNSPEC, sizeof(struct nfulnl_msg_packet_hdr)) < 0)
			return MNL_CB_ERROR;
		break;
	case NFULA_PAYLOAD:
		if (mnl_attr_validate(a, MNL_TYPE_BINARY) < 0)
			return MNL_CB_ERROR;
		break;
	case NFULA_PREFIX:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		break;
	case NFULA_MARK:
	case NFULA_IFINDEX_INDEV:
	case NFULA_IFINDEX_OUTDEV:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		return MNL_CB_OK;       /* not used */
	}
	tb[type] = a;
	return MNL_CB_OK;
}

/* Positions rd at off from the start, bounds-checked. */
static int seek(struct vg_rd *rd, const uint8_t *p, size_t len, size_t off)
{
	const uint8_t *skip;

	vg_rd_init(rd, p, len);
	return vg_rd_bytes(rd, off, &skip);
}

/* The IP and transport headers at the start of the payload. */
static int parse_payload(const uint8_t *p, size_t len, struct vn_nflog_pkt *pkt)
{
	struct vg_rd rd;
	uint8_t vihl, proto;
	size_t l4;

	vg_rd_init(&rd, p, len);
	if (vg_rd_u8(&rd, &vihl))
		return VG_EPROTO;
	if (vihl >> 4 == 4) {
		size_t ihl = (size_t)(vihl & 0x0f) * 4;

		if (ihl < 20 || ihl > len)
			return VG_EPROTO;
		if (seek(&rd, p, len, 9) || vg_rd_u8(&rd, &proto))
			return VG_EPROTO;
		pkt->src.family = AF_INET;
		if (seek(&rd, p, len, 12) || vg_rd_copy(&rd, pkt->src.b, 4))
			return VG_EPROTO;
		l4 = ihl;
	} else if (vihl >> 4 == 6) {
		if (seek(&rd, p, len, 6) || vg_rd_u8(&rd, &proto))
			return VG_EPROTO;
		pkt->src.family = AF_INET6;
		if (seek(&rd, p, len, 8) || vg_rd_copy(&rd, pkt->src.b, 16))
			return VG_EPROTO;
		l4 = 40;                /* extension headers are reported as "no port" */
	} else {
		return VG_EPROTO;
	}
	pkt->proto = proto;
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP) {
		uint16_t dport;

		if (seek(&rd, p, len, l4 + 2) == 0 && vg_rd_u16(&rd, &dport) == 0) {
			pkt->has_port = true;
			pkt->dport = dport;
		}
	}
	return 0;
}

int vn_nflog_parse(const void *msg, size_t len, struct vn_nflog_pkt *pkt)
{
	const struct nlmsghdr *nlh = msg;
	const struct nlattr *tb[NFULA_MAX + 1] = {0};
	int mlen = (int)len;

	memset(pkt, 0, sizeof(*pkt));
	if (len > INT32_MAX || !mnl_nlmsg_ok(nlh, mlen) || nlh->nlmsg_len != len)
		return VG_EPROTO;
	if (nlh->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET))
		return 0;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg))
		return VG_EPROTO;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) != MNL_CB_OK)
		return VG_EPROTO;
	if (!tb[NFULA_PAYLOAD])
		return VG_EPROTO;
	if (parse_payload(mnl_attr_get_payload(tb[NFULA_PAYLOAD]), mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]),
			  pkt))
		return VG_EPROTO;
	return 1;
}

int vn_nflog_read(struct vn_nflog *n, void (*cb)(const struct vn_nflog_pkt *, void *), void *arg,
		  uint64_t *lost)
{
	ssize_t r = mnl_socket_recvfrom(n->nl, n->buf, NFLOG_RECV_BYTES);
	const struct nlmsghdr *nlh;
	int len;

	if (r < 0) {
		if (errno == ENOBUFS) {
			if (lost)
				(*lost)++;
			return -ENOBUFS;
		}
		return -errno;
	}
	len = (int)r;
	for (nlh = (const struct nlmsghdr *)n->buf; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		struct vn_nflog_pkt pkt;

		if (vn_nflog_parse(nlh, nlh->nlmsg_len, &pkt) == 1)
			cb(&pkt, arg);
	}
	return 0;
}

static uint32_t src_hash(const struct vn_addr *a)
{
	uint32_t h = 2166136261u ^ a->family;   /* FNV-1a */

	for (size_t i = 0; i < 16; i++)
		h = (h ^ a->b[i]) * 16777619u;
	return h;
}

void vn_drops_reset(struct vn_drops *d)
{
	d->n = 0;
	d->total = 0;
	d->overflow = 0;
	memset(d->slot, 0, sizeof(d->slot));
}

void vn_drops_add(struct vn_drops *d, const struct vn_nflog_pkt *p)
{
	struct vn_drop_src *s = NULL;
	uint32_t h = src_hash(&p->src) & (VN_DROPS_HASH - 1);

	d->total++;
	for (size_t probe = 0; probe < VN_DROPS_HASH; probe++, h = (h + 1) & (VN_DROPS_HASH - 1)) {
		size_t i = d->slot[h];

		if (i == 0 || i > d->n) {
			/* empty (or stale after a reset of n alone): a new source */
			if (d->n == VN_DROPS_MAX_SOURCES) {
				d->overflow++;
				return;
			}
			s = &d->src[d->n++];
			memset(s, 0, sizeof(*s));
			s->src = p->src;
			d->slot[h] = (uint16_t)d->n;
			break;
		}
		if (d->src[i - 1].src.family == p->src.family && memcmp(d->src[i - 1].src.b, p->src.b, 16) == 0) {
			s = &d->src[i - 1];
			break;
		}
	}
	if (!s) {
		d->overflow++;
		return;
	}
	s->packets++;
	if (!p->has_port) {
		s->other_proto = true;
		return;
	}
	for (size_t i = 0; i < s->nports; i++) {
		if (s->ports[i] == p->dport)
			return;
	}
	if (s->nports == VN_DROPS_MAX_PORTS)
		s->more_ports = true;
	else
		s->ports[s->nports++] = p->dport;
}

size_t vn_drops_top(const struct vn_drops *d, size_t *idx, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < d->n; i++) {
		size_t j;

		/* insertion into a short sorted list */
		if (k == n && d->src[i].packets <= d->src[idx[k - 1]].packets)
			continue;
		j = k < n ? k++ : k - 1;
		while (j > 0 && d->src[idx[j - 1]].packets < d->src[i].packets) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	return k;
}

int vn_drop_reason(const struct vn_drop_src *s, char *buf, size_t len)
{
	struct vg_wr w;
	int r = 0;

	vg_wr_init(&w, 4096);
	vg_wr_printf(&w, "%llu packet%s", (unsigned long long)s->packets, s->packets == 1 ? "" : "s");
	if (s->nports) {
		vg_wr_printf(&w, " to port%s ", s->nports > 1 ? "s" : "");
		for (size_t i = 0; i < s->nports; i++)
			vg_wr_printf(&w, "%s%u", i ? ", " : "", s->ports[i]);
		if (s->more_ports)
			vg_wr_printf(&w, ", ...");
		if (s->other_proto)
			vg_wr_printf(&w, " and without a port (icmp, ...)");
	} else {
		vg_wr_printf(&w, " without a port (icmp, ...)");
	}
	vg_wr_u8(&w, 0);
	if (w.err || w.len > len)
		r = -ENOSPC;
	else
		memcpy(buf, w.p, w.len);
	vg_wr_free(&w);
	return r;
}
