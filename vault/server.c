/* server.c - see server.h. */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "ops.h"
#include "server.h"
#include "vg_err.h"
#include "wire.h"

#define UP_WINDOW (4u << 20)     /* initial upload credit */
#define UP_REGRANT (1u << 20)    /* re-grant after this much is consumed */
#define MAX_BOUND_POINTS 64

struct conn {
	struct vcore *c;
	int fd;
	uint64_t session;
	uid_t uid;
	pid_t pid;
	struct vcaller who;        /* per request */
	uint8_t *buf;              /* VG_WIRE_MAX_DATA */
	struct vg_wr out;
	uint32_t reqid;
	struct {
		char vault[VG_VAULT_NAME_MAX + 1];
		char item[VG_ITEM_NAME_MAX + 1];
		uint64_t id;
	} bound[MAX_BOUND_POINTS];
	int nbound;
	int slot;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reg_cond = PTHREAD_COND_INITIALIZER;
static int reg_fds[VSRV_MAX_CONNS];
static int reg_count;
static uint64_t next_session = 1;

/* ---- responses ------------------------------------------------------------ */

static int send_status(struct conn *k, uint8_t type, int status, const char *msg)
{
	vg_msgb_begin(&k->out, type, 0, k->reqid);
	vg_msgb_u32(&k->out, VG_TAG_STATUS, (uint32_t)status);
	if (status || msg)
		vg_msgb_str(&k->out, VG_TAG_MESSAGE, msg ? msg : vg_strerror(status));
	return vg_send_frame(k->fd, &k->out);
}

static int send_err(struct conn *k, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int send_err(struct conn *k, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	} else {
		snprintf(msg, sizeof(msg), "%s", vg_strerror(status));
	}
	return send_status(k, VG_F_RESP, status, msg);
}

/* Starts an OK RESP; the handler adds fields and sends. */
static struct vg_wr *resp_ok(struct conn *k)
{
	vg_msgb_begin(&k->out, VG_F_RESP, 0, k->reqid);
	vg_msgb_u32(&k->out, VG_TAG_STATUS, 0);
	return &k->out;
}

static struct vg_wr *row(struct conn *k)
{
	vg_msgb_begin(&k->out, VG_F_ROW, 0, k->reqid);
	return &k->out;
}

/* Refusals and failures of mutating requests go to the audit chain. */
static int is_refusal(int r)
{
	return r == VG_EAUTH || r == VG_EDENIED || r == VG_EIMMUTABLE || r == VG_EPOLICY ||
	       r == VG_EMUA || r == VG_EPIN || r == VG_ENAME || r == VG_ELIMIT;
}

static void audit_fail(struct conn *k, const char *op, const char *target, int r, bool mutating)
{
	if (!mutating && !is_refusal(r))
		return;
	if (vcore_audit(k->c, &k->who, op, target, is_refusal(r) ? "denied" : "failed",
		    vg_strerror(r)))
		log_warnx("audit append failed for %s %s", op, target);
}

/* ---- request argument helpers ----------------------------------------------- */

struct args {
	char vault[VG_VAULT_NAME_MAX + 1];
	char item[VG_ITEM_NAME_MAX + 1];
	char object[VG_OBJECT_NAME_MAX + 1];
	char pointstr[65];
	char kind[65];
	uint64_t point;
	char target[700];
};

enum { A_VAULT = 1, A_ITEM = 2, A_POINT = 4, A_OBJECT = 8 };

static int get_args(const struct vg_msg *m, unsigned need, struct args *a)
{
	memset(a, 0, sizeof(*a));
	if ((need & A_VAULT) && vg_msg_str(m, VG_TAG_VAULT, a->vault, sizeof(a->vault)))
		return VG_EINVAL;
	if ((need & A_ITEM) && vg_msg_str(m, VG_TAG_ITEM, a->item, sizeof(a->item)))
		return VG_EINVAL;
	if ((need & A_OBJECT) && vg_msg_str(m, VG_TAG_OBJECT, a->object, sizeof(a->object)))
		return VG_EINVAL;
	if (need & A_POINT) {
		if (vg_msg_str(m, VG_TAG_POINT, a->pointstr, sizeof(a->pointstr)) ||
		    vcore_point_parse(a->pointstr, &a->point))
			return VG_EINVAL;
	}
	snprintf(a->target, sizeof(a->target), "%s%s%s%s%s%s%s", a->vault,
		*a->item ? "/" : "", a->item, *a->pointstr ? "/" : "", a->pointstr,
		*a->object ? "/" : "", a->object);
	return 0;
}

/* ---- handlers ---------------------------------------------------------------- */

static int h_ping(struct conn *k, const struct vg_msg *m)
{
	(void)m;
	return vg_send_frame(k->fd, resp_ok(k));
}

static int h_whoami(struct conn *k, const struct vg_msg *m)
{
	struct vg_wr *w = resp_ok(k);
	(void)m;
	vg_msgb_str(w, VG_TAG_PRINCIPAL, k->who.principal);
	return vg_send_frame(k->fd, w);
}

static int h_vault_create(struct conn *k, const struct vg_msg *m)
{
	struct args a;
	int r;

	if ((r = get_args(m, A_VAULT, &a)))
		return send_err(k, r, "vault.create needs a vault name");
	if ((r = vcore_vault_create(k->c, &k->who, a.vault))) {
		audit_fail(k, "vault.create", a.vault, r, true);
		return send_err(k, r, "vault %s: %s", a.vault, vg_strerror(r));
	}
	return vg_send_frame(k->fd, resp_ok(k));
}

static void vault_fields(struct vg_wr *w, const char *name, const struct vr_vault *v)
{
	vg_msgb_str(w, VG_TAG_VAULT, name);
	vg_msgb_u64(w, VG_TAG_TIME, v->created);
	vg_msgb_str(w, VG_TAG_STATE, v->state == VR_V_ACTIVE ? "active" : "soft-deleted");
	vg_msgb_str(w, VG_TAG_KIND, v->keyref);
	{
		char d[256];
		snprintf(d, sizeof(d), "soft-delete=%s/%ud immutability=%s guard=%s key=%s",
			vr_sd_name(v->sd_state), v->sd_days, vr_immut_name(v->immut),
			*v->guard ? v->guard : "-", v->keyref);
		vg_msgb_str(w, VG_TAG_DETAIL, d);
	}
}

static int vault_row_cb(void *arg, const char *name, const struct vr_vault *v)
{
	struct conn *k = arg;
	struct vg_wr *w = row(k);

	vault_fields(w, name, v);
	return vg_send_frame(k->fd, w);
}

static int end_stream(struct conn *k, int r)
{
	return send_status(k, VG_F_END, r, r ? vg_strerror(r) : NULL);
}

static int h_vault_list(struct conn *k, const struct vg_msg *m)
{
	int r;

	(void)m;
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vcore_vault_list(k->c, vault_row_cb, k);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

static int h_vault_get(struct conn *k, const struct vg_msg *m)
{
	struct vr_vault v;
	struct args a;
	struct vg_wr *w;
	int r;

	if ((r = get_args(m, A_VAULT, &a)))
		return send_err(k, r, "vault.get needs a vault name");
	if ((r = vcore_vault_get(k->c, a.vault, &v)))
		return send_err(k, r, "vault %s: %s", a.vault, vg_strerror(r));
	w = resp_ok(k);
	vault_fields(w, a.vault, &v);
	return vg_send_frame(k->fd, w);
}

static int h_item_create(struct conn *k, const struct vg_msg *m)
{
	struct args a;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM, &a)))
		return send_err(k, r, "item.create needs a vault and an item name");
	if (vg_msg_str(m, VG_TAG_KIND, a.kind, sizeof(a.kind)))
		strcpy(a.kind, "files");
	if ((r = vcore_item_create(k->c, &k->who, a.vault, a.item, a.kind))) {
		audit_fail(k, "item.create", a.target, r, true);
		return send_err(k, r, "item %s: %s", a.target, vg_strerror(r));
	}
	return vg_send_frame(k->fd, resp_ok(k));
}

static int item_row_cb(void *arg, const char *name, const struct vr_item *it)
{
	struct conn *k = arg;
	struct vg_wr *w = row(k);

	vg_msgb_str(w, VG_TAG_ITEM, name);
	vg_msgb_str(w, VG_TAG_KIND, it->kind);
	vg_msgb_str(w, VG_TAG_STATE, vr_item_state_name(it->state));
	vg_msgb_u64(w, VG_TAG_TIME, it->created);
	vg_msgb_u64(w, VG_TAG_TIME2, it->last_success);
	return vg_send_frame(k->fd, w);
}

static int h_item_list(struct conn *k, const struct vg_msg *m)
{
	struct vr_vault v;
	struct args a;
	int r;

	if ((r = get_args(m, A_VAULT, &a)))
		return send_err(k, r, "item.list needs a vault name");
	if ((r = vcore_vault_get(k->c, a.vault, &v)))
		return send_err(k, r, "vault %s: %s", a.vault, vg_strerror(r));
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vcore_item_list(k->c, a.vault, item_row_cb, k);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

static int h_point_begin(struct conn *k, const struct vg_msg *m)
{
	struct args a;
	struct vg_wr *w;
	uint32_t flags = 0;
	uint64_t pid;
	char ps[17];
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM, &a)))
		return send_err(k, r, "point.begin needs a vault and an item");
	(void)vg_msg_u32(m, VG_TAG_FLAGS, &flags);
	if (flags & ~1u)
		return send_err(k, VG_EINVAL, "point.begin: unknown flags 0x%x", flags);
	if (!(flags & 1) && k->nbound == MAX_BOUND_POINTS)
		return send_err(k, VG_ELIMIT, "too many open points on this connection");
	if ((r = vcore_point_begin(k->c, &k->who, a.vault, a.item, flags & 1, &pid))) {
		audit_fail(k, "point.begin", a.target, r, true);
		return send_err(k, r, "item %s: %s", a.target, vg_strerror(r));
	}
	if (!(flags & 1)) {
		snprintf(k->bound[k->nbound].vault, sizeof(k->bound[0].vault), "%s", a.vault);
		snprintf(k->bound[k->nbound].item, sizeof(k->bound[0].item), "%s", a.item);
		k->bound[k->nbound++].id = pid;
	}
	vcore_point_str(pid, ps);
	w = resp_ok(k);
	vg_msgb_str(w, VG_TAG_POINT, ps);
	return vg_send_frame(k->fd, w);
}

static void unbind(struct conn *k, uint64_t pid)
{
	for (int i = 0; i < k->nbound; i++)
		if (k->bound[i].id == pid) {
			k->bound[i] = k->bound[--k->nbound];
			return;
		}
}

static int h_point_commit(struct conn *k, const struct vg_msg *m)
{
	struct vr_point p;
	struct args a;
	struct vg_wr *w;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM | A_POINT, &a)))
		return send_err(k, r, "point.commit needs a vault, an item and a point id");
	if ((r = vcore_point_commit(k->c, &k->who, a.vault, a.item, a.point, &p))) {
		audit_fail(k, "point.commit", a.target, r, true);
		return send_err(k, r, "point %s: %s", a.target, vg_strerror(r));
	}
	unbind(k, a.point);
	w = resp_ok(k);
	vg_msgb_str(w, VG_TAG_POINT, a.pointstr);
	vg_msgb_u64(w, VG_TAG_SIZE, p.bytes);
	vg_msgb_u64(w, VG_TAG_COUNT, p.objects);
	vg_msgb_u64(w, VG_TAG_TIME, p.committed);
	return vg_send_frame(k->fd, w);
}

static int h_point_abort(struct conn *k, const struct vg_msg *m)
{
	struct args a;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM | A_POINT, &a)))
		return send_err(k, r, "point.abort needs a vault, an item and a point id");
	if ((r = vcore_point_abort(k->c, &k->who, a.vault, a.item, a.point))) {
		audit_fail(k, "point.abort", a.target, r, true);
		return send_err(k, r, "point %s: %s", a.target, vg_strerror(r));
	}
	unbind(k, a.point);
	return vg_send_frame(k->fd, resp_ok(k));
}

static int point_row_cb(void *arg, const struct vr_point *p)
{
	struct conn *k = arg;
	struct vg_wr *w = row(k);
	char ps[17];

	vcore_point_str(p->id, ps);
	vg_msgb_str(w, VG_TAG_POINT, ps);
	vg_msgb_str(w, VG_TAG_STATE, vr_point_state_name(p->state));
	vg_msgb_u64(w, VG_TAG_TIME, p->committed);
	vg_msgb_u64(w, VG_TAG_TIME2, p->expiry);
	vg_msgb_u64(w, VG_TAG_SIZE, p->bytes);
	vg_msgb_u64(w, VG_TAG_COUNT, p->objects);
	vg_msgb_str(w, VG_TAG_PRINCIPAL, p->principal);
	return vg_send_frame(k->fd, w);
}

static int h_point_list(struct conn *k, const struct vg_msg *m)
{
	struct vr_item it;
	struct args a;
	uint32_t flags = 0;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM, &a)))
		return send_err(k, r, "point.list needs a vault and an item");
	(void)vg_msg_u32(m, VG_TAG_FLAGS, &flags);
	if ((r = vcore_item_get(k->c, a.vault, a.item, &it)))
		return send_err(k, r, "item %s: %s", a.target, vg_strerror(r));
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vcore_point_list(k->c, a.vault, a.item, flags & 1, point_row_cb, k);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

static int object_row_cb(void *arg, const char *name, const struct vr_object *o)
{
	struct conn *k = arg;
	struct vg_wr *w = row(k);

	vg_msgb_str(w, VG_TAG_OBJECT, name);
	vg_msgb_u64(w, VG_TAG_SIZE, o->size);
	vg_msgb_bytes(w, VG_TAG_SHA256, o->sha256, VC_HASH_LEN);
	vg_msgb_u64(w, VG_TAG_TIME, o->created);
	return vg_send_frame(k->fd, w);
}

static int object_none_cb(void *arg, const char *name, const struct vr_object *o)
{
	(void)arg;
	(void)name;
	(void)o;
	return 1;  /* one record is enough to know the point is listable */
}

static int h_object_list(struct conn *k, const struct vg_msg *m)
{
	struct args a;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM | A_POINT, &a)))
		return send_err(k, r, "object.list needs a vault, an item and a point id");
	/* Validate before the stream starts so errors come as a RESP. */
	if ((r = vcore_object_list(k->c, a.vault, a.item, a.point, object_none_cb, NULL)) && r != 1)
		return send_err(k, r, "point %s: %s", a.target, vg_strerror(r));
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vcore_object_list(k->c, a.vault, a.item, a.point, object_row_cb, k);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

/* Upload: see wire.h for the credit flow. */
static int h_object_put(struct conn *k, const struct vg_msg *m)
{
	struct vcore_upload *u = NULL;
	struct args a;
	struct vg_msg in;
	const uint8_t *want = NULL;
	uint32_t wantlen = 0;
	uint64_t size = UINT64_MAX, got;
	uint64_t credit = UP_WINDOW, consumed = 0;
	uint8_t sha[VC_HASH_LEN];
	int r, failed = 0;

	if ((r = get_args(m, A_VAULT | A_ITEM | A_POINT | A_OBJECT, &a)))
		return send_err(k, r == VG_EINVAL ? VG_EINVAL : r,
			"object.put needs a vault, an item, a point id and an object name");
	(void)vg_msg_u64(m, VG_TAG_SIZE, &size);
	if (vg_msg_bytes(m, VG_TAG_SHA256, &want, &wantlen) == 0 && wantlen != VC_HASH_LEN)
		return send_err(k, VG_EPROTO, "bad sha256 field");
	if ((r = vcore_upload_begin(k->c, &k->who, a.vault, a.item, a.point, a.object, want,
		     size, &u))) {
		audit_fail(k, "object.put", a.target, r, true);
		return send_err(k, r, "object %s: %s", a.target, vg_strerror(r));
	}
	vg_msgb_begin(&k->out, VG_F_WINDOW, 0, k->reqid);
	vg_msgb_u32(&k->out, VG_TAG_CREDIT, UP_WINDOW);
	if ((r = vg_send_frame(k->fd, &k->out)))
		goto out;
	for (;;) {
		if ((r = vg_recv_msg(k->fd, k->buf, &in)))
			goto out;  /* the client vanished: the upload is dropped */
		if (in.reqid != k->reqid) {
			r = VG_EPROTO;
			goto out;
		}
		if (in.type == VG_F_END)
			break;
		if (in.type != VG_F_DATA || in.datalen > credit) {
			r = VG_EPROTO;  /* a peer that breaks flow control is cut off */
			goto out;
		}
		credit -= in.datalen;
		if (failed)
			goto regrant;
		if ((r = vcore_upload_write(u, in.data, in.datalen))) {
			failed = 1;
			audit_fail(k, "object.put", a.target, r, true);
			if ((r = send_err(k, r, "object %s: %s", a.target, vg_strerror(r))))
				goto out;
		}
regrant:
		consumed += in.datalen;
		if (consumed >= UP_REGRANT) {
			vg_msgb_begin(&k->out, VG_F_WINDOW, 0, k->reqid);
			vg_msgb_u32(&k->out, VG_TAG_CREDIT, (uint32_t)consumed);
			credit += consumed;
			consumed = 0;
			if ((r = vg_send_frame(k->fd, &k->out)))
				goto out;
		}
	}
	if (failed) {
		r = 0;
		goto out;
	}
	if (in.flags & VG_FL_ABORT) {
		audit_fail(k, "object.put", a.target, VG_ECLOSED, true);
		r = send_err(k, VG_ECLOSED, "object %s: upload aborted by the client", a.target);
		goto out;
	}
	if ((r = vcore_upload_finish(u, &got, sha))) {
		const char *why = r == VG_EINVAL ?
			"the body does not match its declared size or SHA-256" : vg_strerror(r);
		audit_fail(k, "object.put", a.target, r, true);
		r = send_err(k, r, "object %s: %s", a.target, why);
		goto out;
	}
	{
		struct vg_wr *w = resp_ok(k);
		vg_msgb_u64(w, VG_TAG_SIZE, got);
		vg_msgb_bytes(w, VG_TAG_SHA256, sha, VC_HASH_LEN);
		r = vg_send_frame(k->fd, w);
	}
out:
	vcore_upload_free(u);
	return r;
}

struct dl_sink {
	struct conn *k;
	uint8_t *pre;      /* the first segment's bytes, held until RESP is sent */
	size_t prelen, precap;
	int priming;
};

static int dl_sink_cb(void *arg, const uint8_t *p, size_t n)
{
	struct dl_sink *s = arg;
	int r;

	if (s->priming) {
		if (n > s->precap - s->prelen)
			return VG_EINTERNAL;
		memcpy(s->pre + s->prelen, p, n);
		s->prelen += n;
		return 0;
	}
	while (n > 0) {
		uint32_t chunk = n > VG_WIRE_MAX_DATA ? VG_WIRE_MAX_DATA : (uint32_t)n;
		if ((r = vg_send_data(s->k->fd, s->k->reqid, p, chunk)))
			return r;
		p += chunk;
		n -= chunk;
	}
	return 0;
}

static int h_object_get(struct conn *k, const struct vg_msg *m)
{
	struct vcore_download *d = NULL;
	struct vr_object o;
	struct dl_sink s = {.k = k};
	struct args a;
	uint64_t off = 0, len = UINT64_MAX, first;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM | A_POINT | A_OBJECT, &a)))
		return send_err(k, r, "object.get needs a vault, an item, a point id and an object name");
	(void)vg_msg_u64(m, VG_TAG_OFFSET, &off);
	(void)vg_msg_u64(m, VG_TAG_LENGTH, &len);
	if ((r = vcore_download_open(k->c, a.vault, a.item, a.point, a.object, &d, &o))) {
		audit_fail(k, "object.get", a.target, r, false);
		return send_err(k, r, "object %s: %s", a.target, vg_strerror(r));
	}
	if (len == UINT64_MAX && off <= o.size)
		len = o.size - off;
	if (off > o.size || len > o.size - off) {
		r = send_err(k, VG_ERANGE, "object %s: range %llu+%llu is outside its %llu bytes",
			a.target, (unsigned long long)off, (unsigned long long)len,
			(unsigned long long)o.size);
		goto out;
	}
	/* Authenticate the first segment before answering, so the common
	 * failure (a damaged blob) is a clean error, not a cut stream. */
	first = o.seg_size - off % o.seg_size;
	if (first > len)
		first = len;
	s.precap = (size_t)first;
	s.pre = malloc(s.precap ? s.precap : 1);
	s.priming = 1;
	if (!s.pre) {
		r = send_err(k, -ENOMEM, NULL);
		goto out;
	}
	if ((r = vcore_download_read(d, off, first, dl_sink_cb, &s))) {
		audit_fail(k, "object.get", a.target, r, false);
		if (r == VG_EINTEGRITY)
			log_warnx("integrity failure reading %s", a.target);
		r = send_err(k, r, "object %s: %s", a.target, vg_strerror(r));
		goto out;
	}
	{
		struct vg_wr *w = resp_ok(k);
		vg_msgb_u64(w, VG_TAG_SIZE, o.size);
		vg_msgb_u64(w, VG_TAG_OFFSET, off);
		vg_msgb_u64(w, VG_TAG_LENGTH, len);
		vg_msgb_bytes(w, VG_TAG_SHA256, o.sha256, VC_HASH_LEN);
		if ((r = vg_send_frame(k->fd, w)))
			goto out;
	}
	s.priming = 0;
	if (s.prelen && (r = dl_sink_cb(&s, s.pre, s.prelen)))
		goto out;
	r = vcore_download_read(d, off + first, len - first, dl_sink_cb, &s);
	if (r == VG_EINTEGRITY)
		log_warnx("integrity failure reading %s", a.target);
	if (r != VG_ECLOSED)
		r = end_stream(k, r);
out:
	free(s.pre);
	vcore_download_free(d);
	return r;
}

static int h_object_stat(struct conn *k, const struct vg_msg *m)
{
	struct vcore_download *d = NULL;
	struct vr_object o;
	struct args a;
	struct vg_wr *w;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM | A_POINT | A_OBJECT, &a)))
		return send_err(k, r, "object.stat needs a vault, an item, a point id and an object name");
	if ((r = vcore_download_open(k->c, a.vault, a.item, a.point, a.object, &d, &o)))
		return send_err(k, r, "object %s: %s", a.target, vg_strerror(r));
	vcore_download_free(d);
	w = resp_ok(k);
	vg_msgb_u64(w, VG_TAG_SIZE, o.size);
	vg_msgb_bytes(w, VG_TAG_SHA256, o.sha256, VC_HASH_LEN);
	vg_msgb_u64(w, VG_TAG_TIME, o.created);
	return vg_send_frame(k->fd, w);
}

static int h_audit_verify(struct conn *k, const struct vg_msg *m)
{
	uint64_t count, bad;
	char why[256] = "";
	struct vg_wr *w;
	int r;

	(void)m;
	r = va_verify(k->c->audit, k->c->db, &count, &bad, why, sizeof(why));
	if (r) {
		vg_msgb_begin(&k->out, VG_F_RESP, 0, k->reqid);
		vg_msgb_u32(&k->out, VG_TAG_STATUS, (uint32_t)r);
		vg_msgb_str(&k->out, VG_TAG_MESSAGE, *why ? why : vg_strerror(r));
		vg_msgb_u64(&k->out, VG_TAG_COUNT, count);
		vg_msgb_u64(&k->out, VG_TAG_SEQ, bad);
		return vg_send_frame(k->fd, &k->out);
	}
	w = resp_ok(k);
	vg_msgb_u64(w, VG_TAG_COUNT, count);
	return vg_send_frame(k->fd, w);
}

static int audit_row_cb(void *arg, const struct vr_audit *e)
{
	struct conn *k = arg;
	struct vg_wr *w = row(k);

	vg_msgb_u64(w, VG_TAG_SEQ, e->seq);
	vg_msgb_u64(w, VG_TAG_TIME, e->time);
	vg_msgb_str(w, VG_TAG_PRINCIPAL, e->principal);
	vg_msgb_str(w, VG_TAG_OPNAME, e->op);
	vg_msgb_str(w, VG_TAG_TARGET, e->target);
	vg_msgb_str(w, VG_TAG_RESULT, e->result);
	vg_msgb_str(w, VG_TAG_REASON, e->reason);
	vg_msgb_str(w, VG_TAG_PEER, e->peer);
	vg_msgb_bytes(w, VG_TAG_HASH, e->hash, VC_HASH_LEN);
	return vg_send_frame(k->fd, w);
}

static int h_audit_export(struct conn *k, const struct vg_msg *m)
{
	MDB_txn *txn;
	uint64_t from = 1;
	int r;

	(void)vg_msg_u64(m, VG_TAG_SEQ, &from);
	if ((r = vdb_begin(k->c->db, false, &txn)))
		return send_err(k, r, NULL);
	if ((r = vg_send_frame(k->fd, resp_ok(k)))) {
		vdb_abort(txn);
		return r;
	}
	r = va_iter(k->c->db, txn, from, audit_row_cb, k);
	vdb_abort(txn);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

struct handler {
	const char *name;
	int (*fn)(struct conn *k, const struct vg_msg *m);
};

static const struct handler handlers[VG_OP_MAX_CORE + 1] = {
	[VG_OP_PING] = {"ping", h_ping},
	[VG_OP_VAULT_CREATE] = {"vault.create", h_vault_create},
	[VG_OP_VAULT_LIST] = {"vault.list", h_vault_list},
	[VG_OP_VAULT_GET] = {"vault.get", h_vault_get},
	[VG_OP_ITEM_CREATE] = {"item.create", h_item_create},
	[VG_OP_ITEM_LIST] = {"item.list", h_item_list},
	[VG_OP_POINT_BEGIN] = {"point.begin", h_point_begin},
	[VG_OP_OBJECT_PUT] = {"object.put", h_object_put},
	[VG_OP_POINT_COMMIT] = {"point.commit", h_point_commit},
	[VG_OP_POINT_ABORT] = {"point.abort", h_point_abort},
	[VG_OP_POINT_LIST] = {"point.list", h_point_list},
	[VG_OP_OBJECT_LIST] = {"object.list", h_object_list},
	[VG_OP_OBJECT_GET] = {"object.get", h_object_get},
	[VG_OP_OBJECT_STAT] = {"object.stat", h_object_stat},
	[VG_OP_AUDIT_VERIFY] = {"audit.verify", h_audit_verify},
	[VG_OP_AUDIT_EXPORT] = {"audit.export", h_audit_export},
	[VG_OP_WHOAMI] = {"whoami", h_whoami},
};

/* ---- authentication -------------------------------------------------------- */

/* Who is asking. Today: the peer's uid from SO_PEERCRED; the local root
 * console is "root@local". Token principals come with the security-policy
 * module. */
static int authenticate(struct conn *k, const struct vg_msg *m)
{
	char peer[129] = "local";

	(void)vg_msg_str(m, VG_TAG_PEER, peer, sizeof(peer));
	snprintf(k->who.peer, sizeof(k->who.peer), "%s", peer);
	k->who.session = k->session;
	if (k->uid == 0)
		snprintf(k->who.principal, sizeof(k->who.principal), "root@local");
	else
		snprintf(k->who.principal, sizeof(k->who.principal), "uid%u@local", (unsigned)k->uid);
	return 0;
}

/* ---- connection loop --------------------------------------------------------- */

static int handshake(struct conn *k)
{
	struct vg_msg m;
	uint32_t ver;
	int r;

	if ((r = vg_recv_msg(k->fd, k->buf, &m)))
		return r;
	k->reqid = m.reqid;
	if (m.type != VG_F_HELLO || vg_msg_u32(&m, VG_TAG_VERSION, &ver)) {
		send_err(k, VG_EPROTO, "expected HELLO with a version");
		return VG_EPROTO;
	}
	if (ver != VG_WIRE_VERSION) {
		send_err(k, VG_EVERSION, "protocol version %u is not supported (vaultd speaks %u)",
			ver, VG_WIRE_VERSION);
		return VG_EVERSION;
	}
	vg_msgb_begin(&k->out, VG_F_WELCOME, 0, k->reqid);
	vg_msgb_u32(&k->out, VG_TAG_VERSION, VG_WIRE_VERSION);
	return vg_send_frame(k->fd, &k->out);
}

static void serve(struct conn *k)
{
	struct vg_msg m;
	uint32_t op;
	int r;

	if (handshake(k))
		return;
	for (;;) {
		r = vg_recv_msg(k->fd, k->buf, &m);
		if (r) {
			if (r != VG_ECLOSED)
				log_debug("session %llu: %s", (unsigned long long)k->session, vg_strerror(r));
			if (r == VG_EPROTO || r == VG_ETOOBIG)
				(void)send_err(k, VG_EPROTO, "malformed frame");
			return;
		}
		k->reqid = m.reqid;
		if (m.type != VG_F_REQ || vg_msg_u32(&m, VG_TAG_OP, &op)) {
			(void)send_err(k, VG_EPROTO, "expected a request, got %s",
				vg_frame_type_name(m.type));
			return;  /* out of sync: drop the connection */
		}
		if (op == 0 || op > VG_OP_MAX_CORE || !handlers[op].fn) {
			if (send_err(k, VG_EPROTO, "unknown operation %u", op))
				return;
			continue;
		}
		if ((r = authenticate(k, &m))) {
			audit_fail(k, handlers[op].name, "-", r, true);
			if (send_err(k, r, NULL))
				return;
			continue;
		}
		r = handlers[op].fn(k, &m);
		if (r)
			return;  /* I/O or protocol failure: the connection is done */
	}
}

static void *conn_main(void *arg)
{
	struct conn *k = arg;

	serve(k);
	/* Points this connection began and never committed are aborted. */
	for (int i = 0; i < k->nbound; i++)
		(void)vcore_point_abort(k->c, &k->who, k->bound[i].vault, k->bound[i].item,
			k->bound[i].id);
	pthread_mutex_lock(&reg_lock);
	reg_fds[k->slot] = -1;
	reg_count--;
	pthread_cond_broadcast(&reg_cond);
	pthread_mutex_unlock(&reg_lock);
	close(k->fd);
	vg_wr_free(&k->out);
	free(k->buf);
	free(k);
	return NULL;
}

int vsrv_listen(const struct vsrv_opts *o, int *lfd, char *why, size_t whysz)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;
	int fd;

	if (strlen(o->socket_path) >= sizeof(sa.sun_path)) {
		snprintf(why, whysz, "%s: socket path too long", o->socket_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, o->socket_path);
	if (lstat(o->socket_path, &st) == 0) {
		int probe;
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(why, whysz, "%s exists and is not a socket", o->socket_path);
			return -EEXIST;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			snprintf(why, whysz, "%s: another vaultd is listening", o->socket_path);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(o->socket_path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old);
		goto fail;
	}
	umask(old);
	if (chmod(o->socket_path, 0660) < 0)
		goto fail;
	if (o->socket_group) {
		struct group *g = getgrnam(o->socket_group);
		if (!g) {
			snprintf(why, whysz, "socket group %s does not exist", o->socket_group);
			close(fd);
			return -ENOENT;
		}
		if (chown(o->socket_path, (uid_t)-1, g->gr_gid) < 0)
			goto fail;
	}
	if (listen(fd, 128) < 0)
		goto fail;
	*lfd = fd;
	return 0;
fail:
	snprintf(why, whysz, "%s: %s", o->socket_path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -errno;
}

int vsrv_run(struct vcore *c, int lfd, int sigfd)
{
	struct pollfd pf[2] = {{.fd = lfd, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};
	pthread_attr_t attr;

	for (int i = 0; i < VSRV_MAX_CONNS; i++)
		reg_fds[i] = -1;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		struct conn *k;
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		pthread_t th;
		int fd, slot = -1;

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			break;
		}
		if (pf[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
			    si.ssi_signo != SIGHUP) {
				log_info("signal %u: shutting down", si.ssi_signo);
				break;
			}
			continue;
		}
		if (!(pf[0].revents & POLLIN))
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
			close(fd);
			continue;
		}
		pthread_mutex_lock(&reg_lock);
		for (int i = 0; i < VSRV_MAX_CONNS; i++)
			if (reg_fds[i] < 0) {
				slot = i;
				break;
			}
		if (slot >= 0) {
			reg_fds[slot] = fd;
			reg_count++;
		}
		pthread_mutex_unlock(&reg_lock);
		if (slot < 0) {
			log_warnx("connection refused: %d connections open", VSRV_MAX_CONNS);
			close(fd);
			continue;
		}
		k = calloc(1, sizeof(*k));
		if (k)
			k->buf = malloc(VG_WIRE_MAX_DATA);
		if (!k || !k->buf) {
			if (k)
				free(k);
			goto drop;
		}
		k->c = c;
		k->fd = fd;
		k->slot = slot;
		k->uid = cred.uid;
		k->pid = cred.pid;
		k->session = __atomic_fetch_add(&next_session, 1, __ATOMIC_RELAXED);
		vg_wr_init(&k->out, VG_WIRE_HDR + VG_WIRE_MAX_CTRL);
		if (pthread_create(&th, &attr, conn_main, k) != 0) {
			free(k->buf);
			free(k);
			goto drop;
		}
		continue;
drop:
		pthread_mutex_lock(&reg_lock);
		reg_fds[slot] = -1;
		reg_count--;
		pthread_mutex_unlock(&reg_lock);
		close(fd);
	}
	close(lfd);
	/* Wake every connection thread and wait for them to clean up. */
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < VSRV_MAX_CONNS; i++)
		if (reg_fds[i] >= 0)
			shutdown(reg_fds[i], SHUT_RDWR);
	while (reg_count > 0)
		pthread_cond_wait(&reg_cond, &reg_lock);
	pthread_mutex_unlock(&reg_lock);
	pthread_attr_destroy(&attr);
	return 0;
}
