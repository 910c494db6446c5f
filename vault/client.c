/* client.c - see client.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "vg_err.h"

struct vgc {
	int fd;
	uint32_t reqid;
	uint8_t *buf;
	size_t buf_used;        /* high-water of buf since the last vgc_forget */
	struct vg_wr wr;
	struct vgc_auth auth;
	uint64_t credit;
	int up_failed;          /* a RESP error arrived mid-upload */
	int up_status;
	uint64_t up_offset;     /* OBJECT_PUT resumed: bytes the server already has */
	char err[1100];
};

int vgc_read_secret(const char *path, char *out, size_t outsz)
{
	bool in = strcmp(path, "-") == 0;
	int fd = in ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	int r = 0;

	if (fd < 0)
		return -errno;
	/* A byte at a time: from stdin, nothing after the line is consumed. */
	for (;;) {
		char ch;
		ssize_t k = read(fd, &ch, 1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			break;
		}
		if (k == 0 || ch == '\n')
			break;
		if (n + 1 >= outsz) {
			r = VG_ETOOBIG;
			break;
		}
		out[n++] = ch;
	}
	if (!in)
		close(fd);
	if (!r && n && out[n - 1] == '\r')
		n--;
	if (!r && n == 0)
		r = VG_EINVAL;
	for (size_t i = 0; !r && i < n; i++)
		if ((unsigned char)out[i] <= ' ' || out[i] == 0x7f)
			r = VG_EINVAL;
	if (r) {
		explicit_bzero(out, outsz);
		return r;
	}
	out[n] = 0;
	return 0;
}

const char *vgc_secret_strerror(int r)
{
	if (r == VG_EINVAL)
		return "expected one line holding the secret alone (no spaces, tabs or control bytes)";
	if (r == VG_ETOOBIG)
		return "the line is too long for a secret";
	return vg_strerror(r);
}

int vgc_fd(const struct vgc *c)
{
	return c->fd;
}

const char *vgc_errmsg(const struct vgc *c)
{
	return c->err;
}

void vgc_set_auth(struct vgc *c, const struct vgc_auth *a)
{
	c->auth = *a;
}

static void set_err(struct vgc *c, const struct vg_msg *m, int st)
{
	if (vg_msg_str(m, VG_TAG_MESSAGE, c->err, sizeof(c->err)))
		snprintf(c->err, sizeof(c->err), "%s", vg_strerror(st));
}

int vgc_connect(const char *path, struct vgc **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vgc *c;
	struct vg_msg m;
	uint32_t ver;
	int r;

	*out = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	if (!(c = calloc(1, sizeof(*c))) || !(c->buf = malloc(VG_WIRE_MAX_DATA))) {
		free(c);
		return -ENOMEM;
	}
	vg_wr_init(&c->wr, VG_WIRE_HDR + VG_WIRE_MAX_CTRL);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto fail;
	}
	vg_msgb_begin(&c->wr, VG_F_HELLO, 0, ++c->reqid);
	vg_msgb_u32(&c->wr, VG_TAG_VERSION, VG_WIRE_VERSION);
	if ((r = vg_send_frame(c->fd, &c->wr)) || (r = vg_recv_msg(c->fd, c->buf, &m)))
		goto fail;
	if (m.type != VG_F_WELCOME) {
		r = vg_msg_status(&m);
		if (!r)
			r = VG_EPROTO;
		goto fail;
	}
	if (vg_msg_u32(&m, VG_TAG_VERSION, &ver) || ver != VG_WIRE_VERSION) {
		r = VG_EVERSION;
		goto fail;
	}
	*out = c;
	return 0;
fail:
	vgc_close(c);
	return r;
}

void vgc_forget(struct vgc *c)
{
	if (!c)
		return;
	memset(&c->auth, 0, sizeof(c->auth));
	vg_wr_reset(&c->wr);
	if (c->buf_used)
		explicit_bzero(c->buf, c->buf_used);
	c->buf_used = 0;
	c->err[0] = 0;
}

int vgc_holds(const struct vgc *c, const char *s)
{
	size_t n = strlen(s);
	const struct vgc_auth *a = &c->auth;
	const char *cred[] = {a->user, a->token, a->peer, a->grant, a->pin};

	for (size_t i = 0; i < sizeof(cred) / sizeof(cred[0]); i++)
		if (cred[i] && strstr(cred[i], s))
			return 1;
	if (a->cert && memmem(a->cert, 32, s, n))
		return 1;
	return (c->wr.p && memmem(c->wr.p, c->wr.cap, s, n)) ||
	       memmem(c->buf, VG_WIRE_MAX_DATA, s, n) || memmem(c->err, sizeof(c->err), s, n);
}

void vgc_close(struct vgc *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	vgc_forget(c);
	vg_wr_free(&c->wr);
	free(c->buf);
	free(c);
}

struct vg_wr *vgc_req(struct vgc *c, uint32_t op)
{
	c->err[0] = 0;
	vg_msgb_begin(&c->wr, VG_F_REQ, 0, ++c->reqid);
	vg_msgb_u32(&c->wr, VG_TAG_OP, op);
	if (c->auth.user)
		vg_msgb_str(&c->wr, VG_TAG_AUTH_USER, c->auth.user);
	if (c->auth.token)
		vg_msgb_str(&c->wr, VG_TAG_AUTH_TOKEN, c->auth.token);
	if (c->auth.cert)
		vg_msgb_bytes(&c->wr, VG_TAG_AUTH_CERT, c->auth.cert, 32);
	if (c->auth.peer)
		vg_msgb_str(&c->wr, VG_TAG_PEER, c->auth.peer);
	if (c->auth.grant)
		vg_msgb_str(&c->wr, VG_TAG_GRANT, c->auth.grant);
	if (c->auth.pin)
		vg_msgb_str(&c->wr, VG_TAG_PIN, c->auth.pin);
	if (c->auth.s3_cred) {
		vg_msgb_str(&c->wr, VG_TAG_S3_CRED, c->auth.s3_cred);
		vg_msgb_str(&c->wr, VG_TAG_S3_DATE, c->auth.s3_date);
		vg_msgb_str(&c->wr, VG_TAG_S3_SIG, c->auth.s3_sig);
		vg_msgb_bytes(&c->wr, VG_TAG_S3_CANON, c->auth.s3_canon, (uint32_t)c->auth.s3_canon_len);
	}
	return &c->wr;
}

/* How far into buf the frame just decoded reaches. */
static size_t msg_extent(const struct vgc *c, const struct vg_msg *m)
{
	size_t end = 0;

	if (m->data)
		end = (size_t)(m->data - c->buf) + m->datalen;
	for (uint32_t i = 0; i < m->nfields; i++)
		if (m->f[i].val && (size_t)(m->f[i].val - c->buf) + m->f[i].len > end)
			end = (size_t)(m->f[i].val - c->buf) + m->f[i].len;
	return end;
}

/* Reads the next frame of the current request. */
static int recv_cur(struct vgc *c, struct vg_msg *m)
{
	int r = vg_recv_msg(c->fd, c->buf, m);
	size_t end;

	if (r) {
		c->buf_used = VG_WIRE_MAX_DATA;  /* how much arrived is unknown */
		return r;
	}
	if ((end = msg_extent(c, m)) > c->buf_used)
		c->buf_used = end;
	if (m->reqid != c->reqid)
		return VG_EPROTO;
	return 0;
}

/* Sends the request built in c->wr. A field the encoder refused (a name
 * over its names.h limit) is named in the error; nothing is sent. */
static int send_req(struct vgc *c)
{
	int r = vg_send_frame(c->fd, &c->wr);

	if (r && c->wr.refused)
		snprintf(c->err, sizeof(c->err), "invalid %s: longer than %u bytes",
			vg_tag_name(c->wr.refused), vg_tag_max(c->wr.refused));
	return r;
}

int vgc_call(struct vgc *c, struct vg_msg *m)
{
	int r, st;

	if ((r = send_req(c)) || (r = recv_cur(c, m)))
		return r;
	if (m->type != VG_F_RESP)
		return VG_EPROTO;
	if ((st = vg_msg_status(m)))
		set_err(c, m, st);
	return st;
}

int vgc_stream_next(struct vgc *c, struct vg_msg *m)
{
	int r, st;

	if ((r = recv_cur(c, m)))
		return r;
	if (m->type == VG_F_ROW || m->type == VG_F_DATA)
		return 1;
	if (m->type != VG_F_END)
		return VG_EPROTO;
	if ((st = vg_msg_status(m)))
		set_err(c, m, st);
	return st;
}

int vgc_upload_begin(struct vgc *c)
{
	struct vg_msg m;
	uint32_t credit;
	int r, st;

	c->credit = 0;
	c->up_failed = 0;
	c->up_status = 0;
	c->up_offset = 0;
	if ((r = send_req(c)) || (r = recv_cur(c, &m)))
		return r;
	if (m.type == VG_F_RESP) {
		st = vg_msg_status(&m);
		set_err(c, &m, st);
		return st ? st : VG_EPROTO;
	}
	if (m.type != VG_F_WINDOW || vg_msg_u32(&m, VG_TAG_CREDIT, &credit))
		return VG_EPROTO;
	c->credit = credit;
	(void)vg_msg_u64(&m, VG_TAG_OFFSET, &c->up_offset);
	return 0;
}

uint64_t vgc_upload_offset(const struct vgc *c)
{
	return c->up_offset;
}

/* Waits for more credit; a RESP here is the server's error. */
static int wait_credit(struct vgc *c)
{
	struct vg_msg m;
	uint32_t credit;
	int r;

	if ((r = recv_cur(c, &m)))
		return r;
	if (m.type == VG_F_WINDOW && vg_msg_u32(&m, VG_TAG_CREDIT, &credit) == 0) {
		c->credit += credit;
		return 0;
	}
	if (m.type == VG_F_RESP) {
		c->up_failed = 1;
		c->up_status = vg_msg_status(&m);
		set_err(c, &m, c->up_status);
		return c->up_status ? c->up_status : VG_EPROTO;
	}
	return VG_EPROTO;
}

int vgc_upload_write(struct vgc *c, const void *p, size_t n)
{
	const uint8_t *src = p;
	int r;

	if (c->up_failed)
		return c->up_status;
	while (n > 0) {
		uint32_t chunk = n > VG_WIRE_MAX_DATA ? VG_WIRE_MAX_DATA : (uint32_t)n;
		while (c->credit < chunk) {
			if (c->credit > 0 && c->credit < chunk) {
				chunk = (uint32_t)c->credit;
				break;
			}
			if ((r = wait_credit(c)))
				return r;
		}
		if ((r = vg_send_data(c->fd, c->reqid, src, chunk)))
			return r;
		c->credit -= chunk;
		src += chunk;
		n -= chunk;
	}
	return 0;
}

int vgc_upload_end(struct vgc *c, int abort, struct vg_msg *m)
{
	int r, st;

	vg_msgb_begin(&c->wr, VG_F_END, abort ? VG_FL_ABORT : 0, c->reqid);
	if ((r = vg_send_frame(c->fd, &c->wr)))
		return r;
	if (c->up_failed)
		return c->up_status;  /* its RESP was already read */
	for (;;) {
		if ((r = recv_cur(c, m)))
			return r;
		if (m->type == VG_F_WINDOW)
			continue;
		if (m->type != VG_F_RESP)
			return VG_EPROTO;
		if ((st = vg_msg_status(m)))
			set_err(c, m, st);
		return st;
	}
}
