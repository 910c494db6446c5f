/* store_rados.c - the Ceph RADOS back end (store_be.h).
 *
 * librados is loaded with dlopen (librados.so.2) when a RADOS store is
 * opened, so vaultd does not depend on Ceph's libraries unless it is told
 * to use a cluster (the appliance image stays on the directory back end).
 *
 * Objects in the pool:
 *   <blob hex>              the blob's 48-byte header, written last
 *   <blob hex>.<idx 8 hex>  segment idx (sealed bytes, exactly as in a file)
 *   vaultgate.<name>        a metadata manifest (u32 gen, u32 parts, u64 len)
 *   vaultgate.<name>.<gen 8 hex>.<part 8 hex>  its parts (<= 4 MiB each)
 * The recovery scan passes each blob id once and ignores every other name
 * ("vaultgate.*", and whatever else the pool holds).
 *
 * Durability: a write is acknowledged (its completion "complete") only
 * once it is on the journal/WAL of every OSD in the placement group's
 * acting set, so an acknowledged write survives an OSD or host crash. The
 * writer's wsync waits for every acknowledgement and whdr writes the
 * header synchronously; store.c returns from finish() only after both,
 * and core.c commits the LMDB record only after finish(). That ordering
 * is what keeps a point from naming bytes RADOS could lose.
 *
 * Every operation is bounded: rados_osd_op_timeout, rados_mon_op_timeout
 * and client_mount_timeout are set from the configured timeout, so a
 * stopped OSD turns an upload into -ETIMEDOUT instead of a hang.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rados/librados.h>

#include "buf.h"
#include "log.h"
#include "store_be.h"
#include "vg_err.h"

#define META_PREFIX "vaultgate."
#define META_PART (4u << 20)
#define MAX_INFLIGHT 32u
#define UNLINK_PROBE 64u        /* > MAX_INFLIGHT: gaps a crashed writer can leave */

/* ---- librados, loaded once ------------------------------------------------ */

static struct {
	void *dl;
	__typeof__(rados_create2) *create2;
	__typeof__(rados_conf_read_file) *conf_read_file;
	__typeof__(rados_conf_set) *conf_set;
	__typeof__(rados_connect) *connect;
	__typeof__(rados_shutdown) *shutdown;
	__typeof__(rados_ioctx_create) *ioctx_create;
	__typeof__(rados_ioctx_destroy) *ioctx_destroy;
	__typeof__(rados_aio_create_completion2) *aio_create_completion2;
	__typeof__(rados_aio_write_full) *aio_write_full;
	__typeof__(rados_aio_read) *aio_read;
	__typeof__(rados_aio_remove) *aio_remove;
	__typeof__(rados_aio_wait_for_complete) *aio_wait_for_complete;
	__typeof__(rados_aio_get_return_value) *aio_get_return_value;
	__typeof__(rados_aio_release) *aio_release;
	__typeof__(rados_read) *read;
	__typeof__(rados_write_full) *write_full;
	__typeof__(rados_remove) *remove;
	__typeof__(rados_nobjects_list_open) *list_open;
	__typeof__(rados_nobjects_list_next) *list_next;
	__typeof__(rados_nobjects_list_close) *list_close;
	__typeof__(rados_cluster_stat) *cluster_stat;
	__typeof__(rados_ioctx_pool_stat) *pool_stat;
	__typeof__(rados_mon_command) *mon_command;
	__typeof__(rados_buffer_free) *buffer_free;
	__typeof__(rados_append) *append;
	__typeof__(rados_stat) *stat;
	__typeof__(rados_set_pool_full_try) *set_pool_full_try;
} R;

#define SYM(f, n) {#n, (void **)&R.f}
static const struct {
	const char *name;
	void **slot;
} syms[] = {
	SYM(create2, rados_create2), SYM(conf_read_file, rados_conf_read_file),
	SYM(conf_set, rados_conf_set), SYM(connect, rados_connect),
	SYM(shutdown, rados_shutdown), SYM(ioctx_create, rados_ioctx_create),
	SYM(ioctx_destroy, rados_ioctx_destroy),
	SYM(aio_create_completion2, rados_aio_create_completion2),
	SYM(aio_write_full, rados_aio_write_full), SYM(aio_read, rados_aio_read),
	SYM(aio_remove, rados_aio_remove),
	SYM(aio_wait_for_complete, rados_aio_wait_for_complete),
	SYM(aio_get_return_value, rados_aio_get_return_value),
	SYM(aio_release, rados_aio_release), SYM(read, rados_read),
	SYM(write_full, rados_write_full), SYM(remove, rados_remove),
	SYM(list_open, rados_nobjects_list_open), SYM(list_next, rados_nobjects_list_next),
	SYM(list_close, rados_nobjects_list_close), SYM(cluster_stat, rados_cluster_stat),
	SYM(pool_stat, rados_ioctx_pool_stat), SYM(mon_command, rados_mon_command),
	SYM(buffer_free, rados_buffer_free), SYM(append, rados_append), SYM(stat, rados_stat),
	SYM(set_pool_full_try, rados_set_pool_full_try),
};

static pthread_mutex_t load_mu = PTHREAD_MUTEX_INITIALIZER;

static int load_librados(char *why, size_t whysz)
{
	int r = 0;

	pthread_mutex_lock(&load_mu);
	if (R.dl)
		goto out;
	if (!(R.dl = dlopen("librados.so.2", RTLD_NOW | RTLD_LOCAL))) {
		snprintf(why, whysz, "cannot load librados.so.2 (install librados2): %s", dlerror());
		r = -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if (!(*syms[i].slot = dlsym(R.dl, syms[i].name))) {
			snprintf(why, whysz, "librados.so.2 has no %s", syms[i].name);
			dlclose(R.dl);
			R.dl = NULL;
			r = -ENOENT;
			goto out;
		}
	}
out:
	pthread_mutex_unlock(&load_mu);
	return r;
}

/* ---- the store ---------------------------------------------------------- */

struct rados_be {
	rados_t cl;
	rados_ioctx_t io;
	pthread_mutex_t mu;
	time_t full_at;         /* when full was last asked (monotonic s) */
	int full;               /* the pool or the cluster is flagged full */
	time_t free_at;         /* when free space was last asked */
	uint64_t free_bytes;
	unsigned inflight, readahead;
	char conf[1024], pool[256], id[128];
};

static int pool_full(struct rados_be *s);

/* A write that timed out against a pool that is now flagged full ran out
 * of space: say so. */
static int map_err_s(struct rados_be *s, int r)
{
	if (r == -ENOSPC || r == -EDQUOT || (r == -ETIMEDOUT && s && pool_full(s)))
		return VG_ENOSPACE;
	return r;
}
#define map_err(r) map_err_s(NULL, (r))

static void seg_oid(const uint8_t blob[VC_BLOBID_LEN], uint64_t idx, char *out, size_t outsz)
{
	char sub[3], name[2 * VC_BLOBID_LEN + 1];

	vs_blob_name(blob, sub, name);
	snprintf(out, outsz, "%s.%08" PRIx64, name, idx);
}

static void hdr_oid(const uint8_t blob[VC_BLOBID_LEN], char out[2 * VC_BLOBID_LEN + 1])
{
	char sub[3];

	vs_blob_name(blob, sub, out);
}

/* Does the user's cephx caps cover the pool? A read (and, unless
 * read-only, a write and a remove of "vaultgate.probe") at open, so a
 * client whose OSD caps name another pool is refused at start with a
 * message saying so, not at its first upload. A pool flagged full skips
 * the write: deletes must still be possible to free space. */
#define PROBE_OID META_PREFIX "probe"
static int caps_probe(struct rados_be *s, unsigned readonly, char *why, size_t whysz)
{
	uint64_t size;
	time_t mt;
	const char *what = "read";
	int r;

	r = R.stat(s->io, META_PREFIX "owner", &size, &mt);
	if (r == -ENOENT)
		r = 0;
	if (!r && !readonly && !pool_full(s)) {
		what = "write";
		r = R.write_full(s->io, PROBE_OID, "", 0);
		if (!r && (r = R.remove(s->io, PROBE_OID)) == -ENOENT)
			r = 0;
		if (r == -ENOSPC || r == -EDQUOT)
			r = 0;  /* filled since pool_full asked: allowed, not full */
	}
	if (r == -EPERM || r == -EACCES)
		snprintf(why, whysz, "ceph: client.%s may not %s pool %s (%s): its OSD caps do not "
			"cover the pool (e.g. ceph auth caps client.%s mon 'allow r' osd 'allow rw "
			"pool=%s')", s->id, what, s->pool, s->conf, s->id, s->pool);
	else if (r < 0)
		snprintf(why, whysz, "ceph: pool %s (%s, client.%s): probing access: %s", s->pool,
			s->conf, s->id, strerror(-r));
	return r;
}

static const char *opt_names[] = {"client_mount_timeout", "rados_mon_op_timeout",
	"rados_osd_op_timeout"};

int vs_rados_open(const struct vs_rados_conf *cf, void **out, char *why, size_t whysz)
{
	struct rados_be *s;
	char user[160], tmo[16];
	int r;

	*out = NULL;
	if (!cf->conf || !cf->pool || !*cf->pool) {
		snprintf(why, whysz, "the rados store needs --ceph-conf FILE and --ceph-pool POOL");
		return VG_EINVAL;
	}
	if ((r = load_librados(why, whysz)))
		return r;
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	snprintf(s->conf, sizeof(s->conf), "%s", cf->conf);
	snprintf(s->pool, sizeof(s->pool), "%s", cf->pool);
	snprintf(s->id, sizeof(s->id), "%s", cf->id && *cf->id ? cf->id : "admin");
	s->inflight = cf->inflight ? cf->inflight : 8;
	if (s->inflight > MAX_INFLIGHT)
		s->inflight = MAX_INFLIGHT;
	s->readahead = cf->readahead ? cf->readahead : 8;
	if (s->readahead > MAX_INFLIGHT)
		s->readahead = MAX_INFLIGHT;
	snprintf(user, sizeof(user), "client.%s", s->id);
	snprintf(tmo, sizeof(tmo), "%u", cf->timeout_s ? cf->timeout_s : 30);
	if ((r = R.create2(&s->cl, "ceph", user, 0)) < 0) {
		snprintf(why, whysz, "ceph: cannot create a client %s: %s", user, strerror(-r));
		free(s);
		return r;
	}
	if ((r = R.conf_read_file(s->cl, s->conf)) < 0) {
		snprintf(why, whysz, "ceph: cannot read the configuration %s: %s", s->conf, strerror(-r));
		goto fail;
	}
	for (size_t i = 0; i < sizeof(opt_names) / sizeof(opt_names[0]); i++)
		if ((r = R.conf_set(s->cl, opt_names[i], tmo)) < 0) {
			snprintf(why, whysz, "ceph: %s: cannot set %s: %s", s->conf, opt_names[i],
				strerror(-r));
			goto fail;
		}
	/* The keyring is named, never read here: the secret stays in librados. */
	if (cf->keyring && *cf->keyring && (r = R.conf_set(s->cl, "keyring", cf->keyring)) < 0) {
		snprintf(why, whysz, "ceph: %s: cannot use the keyring %s: %s", s->conf, cf->keyring,
			strerror(-r));
		goto fail;
	}
	if ((r = R.connect(s->cl)) < 0) {
		if (r == -EACCES || r == -EPERM || r == -ENOENT)
			snprintf(why, whysz, "ceph: the monitors of %s refused %s (pool %s): no such "
				"user, or a wrong key in %s (cephx): %s", s->conf, user, s->pool,
				cf->keyring && *cf->keyring ? cf->keyring : "the conf's keyring",
				strerror(-r));
		else
			snprintf(why, whysz, "ceph: cannot reach the monitors of %s (pool %s, %s) "
				"within %s s: %s", s->conf, s->pool, user, tmo, strerror(-r));
		goto fail;
	}
	if ((r = R.ioctx_create(s->cl, s->pool, &s->io)) < 0) {
		snprintf(why, whysz, "ceph: pool %s in the cluster of %s: %s", s->pool, s->conf,
			r == -ENOENT ? "no such pool" : strerror(-r));
		goto fail;
	}
	/* "Full try": on a pool flagged full, an operation that would grow
	 * it is refused at once with ENOSPC (EDQUOT over a quota) instead of
	 * being held by the client until the OSD timeout, and a removal is
	 * let through, so deletes and purges can free space. */
	R.set_pool_full_try(s->io);
	if ((r = caps_probe(s, cf->readonly, why, whysz)) < 0)
		goto fail_io;
	*out = s;
	return 0;
fail_io:
	R.ioctx_destroy(s->io);
fail:
	R.shutdown(s->cl);
	free(s);
	return r;
}

static void rb_close(void *be)
{
	struct rados_be *s = be;

	R.ioctx_destroy(s->io);
	R.shutdown(s->cl);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static time_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Is the pool (or the whole cluster) flagged full in the OSD map? The
 * monitors set these flags from the OSDs' own reports (and, with a
 * ceph-mgr, from pool quotas), and librados then holds writes back until
 * they time out; asking first turns that into VG_ENOSPACE at once. The
 * answer is kept for 2 s. */
static int pool_full(struct rados_be *s)
{
	char cmd[] = "{\"prefix\": \"osd dump\", \"format\": \"json\"}";
	const char *cmds[1] = {cmd};
	char *obuf = NULL, *outs = NULL, key[300];
	size_t olen = 0, slen = 0;
	time_t now = mono_s();
	int full;

	pthread_mutex_lock(&s->mu);
	if (s->full_at && now - s->full_at < 2) {
		full = s->full;
		pthread_mutex_unlock(&s->mu);
		return full;
	}
	pthread_mutex_unlock(&s->mu);
	full = 0;
	if (R.mon_command(s->cl, cmds, 1, "", 0, &obuf, &olen, &outs, &slen) == 0 && obuf) {
		char *js = malloc(olen + 1), *p, *q;
		if (js) {
			memcpy(js, obuf, olen);
			js[olen] = 0;
			/* "flags":"...full..." at the top, and the pool's flags_names. */
			if ((p = strstr(js, "\"flags\":\"")) && (q = strchr(p + 9, '"'))) {
				*q = 0;
				full = strstr(p, ",full") || strstr(p, "\"full");
				*q = '"';
			}
			snprintf(key, sizeof(key), "\"pool_name\":\"%s\"", s->pool);
			if ((p = strstr(js, key)) && (p = strstr(p, "\"flags_names\":\"")) &&
			    (q = strchr(p + 15, '"'))) {
				*q = 0;
				p += 15;
				char *sv = NULL;
				for (char *t = strtok_r(p, ",", &sv); t; t = strtok_r(NULL, ",", &sv))
					if (strcmp(t, "full") == 0 || strcmp(t, "full_quota") == 0)
						full = 1;
			}
			free(js);
		}
	}
	if (obuf)
		R.buffer_free(obuf);
	if (outs)
		R.buffer_free(outs);
	pthread_mutex_lock(&s->mu);
	s->full = full;
	s->full_at = now ? now : 1;
	pthread_mutex_unlock(&s->mu);
	return full;
}

static int rb_describe(void *be, char *out, size_t outsz)
{
	struct rados_be *s = be;

	return snprintf(out, outsz, "RADOS pool %s (%s, client.%s)", s->pool, s->conf, s->id) >=
			(int)outsz ? -ENAMETOOLONG : 0;
}

/* ---- writers: a ring of buffers, one aio write each ------------------------ */

struct slot {
	rados_completion_t c;   /* NULL: idle */
	uint8_t *buf;
	size_t cap;
	uint64_t idx;
	size_t want;            /* reads: the bytes expected */
};

struct rados_w {
	struct rados_be *s;
	uint8_t blob[VC_BLOBID_LEN];
	struct slot *sl;
	unsigned n;
	uint64_t nseg;          /* segments issued */
	int err;                /* the first failed acknowledgement */
};

static int slot_wait(struct slot *x)
{
	int r;

	if (!x->c)
		return 0;
	R.aio_wait_for_complete(x->c);
	r = R.aio_get_return_value(x->c);
	R.aio_release(x->c);
	x->c = NULL;
	return r;
}

static void slots_free(struct slot *sl, unsigned n)
{
	if (!sl)
		return;
	for (unsigned i = 0; i < n; i++) {
		(void)slot_wait(&sl[i]);
		free(sl[i].buf);
	}
	free(sl);
}

static int rb_wopen(void *be, const uint8_t blob[VC_BLOBID_LEN], void **out)
{
	struct rados_be *s = be;
	struct rados_w *w;

	*out = NULL;
	if (pool_full(s))
		return VG_ENOSPACE;  /* before a byte is sent, and before any record */
	w = calloc(1, sizeof(*w));
	if (!w || !(w->sl = calloc(s->inflight, sizeof(*w->sl)))) {
		free(w);
		return -ENOMEM;
	}
	w->s = s;
	w->n = s->inflight;
	memcpy(w->blob, blob, VC_BLOBID_LEN);
	*out = w;
	return 0;
}

static int wfail(struct rados_w *w, uint64_t idx, int r);

static int rb_wseg(void *wp, uint64_t idx, uint64_t off, const uint8_t *p, size_t n)
{
	struct rados_w *w = wp;
	struct slot *x = &w->sl[idx % w->n];
	char oid[64];
	int r;

	if (w->err)
		return w->err;
	/* At most n writes in flight: reuse the oldest slot once it is acked. */
	if ((r = slot_wait(x)) < 0)
		return wfail(w, x->idx, map_err_s(w->s, r));
	if (x->cap < n) {
		uint8_t *nb = realloc(x->buf, n ? n : 1);
		if (!nb)
			return w->err = -ENOMEM;
		x->buf = nb;
		x->cap = n;
	}
	memcpy(x->buf, p, n);
	seg_oid(w->blob, idx, oid, sizeof(oid));
	if ((r = R.aio_create_completion2(NULL, NULL, &x->c)) < 0) {
		x->c = NULL;
		return w->err = r;
	}
	x->idx = idx;
	if ((r = R.aio_write_full(w->s->io, oid, x->c, (const char *)x->buf, n)) < 0) {
		R.aio_release(x->c);
		x->c = NULL;
		return wfail(w, idx, map_err_s(w->s, r));
	}
	if (idx + 1 > w->nseg)
		w->nseg = idx + 1;
	return 0;
}

/* The first failure of a writer is logged with the pool and the object. */
static int wfail(struct rados_w *w, uint64_t idx, int r)
{
	char oid[64];

	if (!w->err) {
		seg_oid(w->blob, idx, oid, sizeof(oid));
		log_warnx("rados: pool %s: writing %s: %s", w->s->pool, oid,
			r == VG_ENOSPACE ? "the pool is full" : vg_strerror(r));
	}
	return w->err = r;
}

static int rb_wsync(void *wp)
{
	struct rados_w *w = wp;
	int r;

	/* Wait for every acknowledgement: each is durable (see the top). */
	for (unsigned i = 0; i < w->n; i++)
		if ((r = slot_wait(&w->sl[i])) < 0 && !w->err)
			(void)wfail(w, w->sl[i].idx, map_err_s(w->s, r));
	return w->err;
}

static int rb_whdr(void *wp, const uint8_t *hdr, size_t n)
{
	struct rados_w *w = wp;
	char oid[2 * VC_BLOBID_LEN + 1];
	int r;

	if (w->err)
		return w->err;
	hdr_oid(w->blob, oid);
	if ((r = R.write_full(w->s->io, oid, (const char *)hdr, n)) < 0)
		return w->err = map_err_s(w->s, r);
	return 0;
}

static int remove_segments(struct rados_be *s, const uint8_t blob[VC_BLOBID_LEN], uint64_t known,
	unsigned probe);

static void rb_wclose(void *wp, int keep)
{
	struct rados_w *w = wp;
	char oid[2 * VC_BLOBID_LEN + 1];

	slots_free(w->sl, w->n);
	if (!keep) {
		/* Best effort: what stays behind is unreferenced, and the next
		 * start-up recovery pass removes it. */
		(void)remove_segments(w->s, w->blob, w->nseg, 1);
		hdr_oid(w->blob, oid);
		(void)R.remove(w->s->io, oid);
	}
	free(w);
}

/* ---- readers: read ahead --------------------------------------------------- */

struct rados_r {
	struct rados_be *s;
	uint8_t blob[VC_BLOBID_LEN];
	struct vs_geom g;
	struct slot *sl;
	unsigned n;
};

static int rb_ropen(void *be, const uint8_t blob[VC_BLOBID_LEN], const struct vs_geom *g, void **out)
{
	struct rados_be *s = be;
	struct rados_r *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->s = s;
	memcpy(r->blob, blob, VC_BLOBID_LEN);
	r->g = *g;
	r->n = s->readahead + 1;
	if (!(r->sl = calloc(r->n, sizeof(*r->sl)))) {
		free(r);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < r->n; i++) {
		/* One spare byte: a segment object longer than expected is caught. */
		r->sl[i].cap = g->full + 1;
		r->sl[i].idx = UINT64_MAX;
		if (!(r->sl[i].buf = malloc(r->sl[i].cap))) {
			slots_free(r->sl, r->n);
			free(r);
			return -ENOMEM;
		}
	}
	*out = r;
	return 0;
}

static int rb_rhdr(void *rp, uint8_t *hdr, size_t n)
{
	struct rados_r *r = rp;
	char oid[2 * VC_BLOBID_LEN + 1];
	uint8_t tmp[VS_HDR_LEN + 1];
	int k;

	if (n != VS_HDR_LEN)
		return VG_EINVAL;
	hdr_oid(r->blob, oid);
	k = R.read(r->s->io, oid, (char *)tmp, sizeof(tmp), 0);
	if (k == -ENOENT || (k >= 0 && (size_t)k != n))
		return VG_EINTEGRITY;  /* gone, or of another length: damaged */
	if (k < 0)
		return k;
	memcpy(hdr, tmp, n);
	return 0;
}

static int issue_read(struct rados_r *r, uint64_t idx)
{
	struct slot *x = &r->sl[idx % r->n];
	char oid[64];
	int k;

	(void)slot_wait(x);  /* a stale read ahead: dropped */
	x->idx = UINT64_MAX;
	x->want = idx == r->g.nseg - 1 ? r->g.last : r->g.full;
	seg_oid(r->blob, idx, oid, sizeof(oid));
	if ((k = R.aio_create_completion2(NULL, NULL, &x->c)) < 0) {
		x->c = NULL;
		return k;
	}
	if ((k = R.aio_read(r->s->io, oid, x->c, (char *)x->buf, x->want + 1, 0)) < 0) {
		R.aio_release(x->c);
		x->c = NULL;
		return k;
	}
	x->idx = idx;
	return 0;
}

static int rb_rseg(void *rp, uint64_t idx, uint64_t off, uint8_t *p, size_t n)
{
	struct rados_r *r = rp;
	struct slot *x = &r->sl[idx % r->n];
	int k;

	if (idx >= r->g.nseg)
		return VG_ERANGE;
	if (x->idx != idx && (k = issue_read(r, idx)))
		return k;
	k = slot_wait(x);
	x->idx = UINT64_MAX;
	if (k == -ENOENT || (k >= 0 && ((size_t)k != x->want || x->want != n)))
		return VG_EINTEGRITY;
	if (k < 0)
		return k;
	memcpy(p, x->buf, n);
	/* Keep the next segments coming while the caller decrypts this one. */
	for (uint64_t j = idx + 1; j < idx + r->n && j < r->g.nseg; j++)
		if (r->sl[j % r->n].idx != j && issue_read(r, j))
			break;
	return 0;
}

static void rb_rclose(void *rp)
{
	struct rados_r *r = rp;

	slots_free(r->sl, r->n);
	free(r);
}

/* ---- removal, listing, space ---------------------------------------------- */

/* Removes segments 0..known-1 and then on until probe consecutive ones
 * are missing (a writer's in-flight window may leave gaps). */
static int remove_segments(struct rados_be *s, const uint8_t blob[VC_BLOBID_LEN], uint64_t known,
	unsigned probe)
{
	char oid[64];
	unsigned miss = 0;
	int r;

	for (uint64_t i = 0; i < known || miss < probe; i++) {
		seg_oid(blob, i, oid, sizeof(oid));
		r = R.remove(s->io, oid);
		if (r == -ENOENT) {
			if (i >= known)
				miss++;
			continue;
		}
		if (r < 0)
			return r;
		if (i >= known)
			miss = 0;
	}
	return 0;
}

static int rb_unlink(void *be, const uint8_t blob[VC_BLOBID_LEN])
{
	struct rados_be *s = be;
	char oid[2 * VC_BLOBID_LEN + 1];
	uint8_t hdr[VS_HDR_LEN + 1];
	uint64_t known = 0;
	unsigned probe = UNLINK_PROBE;
	int k;

	hdr_oid(blob, oid);
	k = R.read(s->io, oid, (char *)hdr, sizeof(hdr), 0);
	if (k == VS_HDR_LEN) {
		/* A whole blob: exactly nseg segments, so one probe suffices. */
		uint32_t seg = vg_get_u32(hdr + 24);
		uint64_t size = vg_get_u64(hdr + 28);
		if (seg)
			known = size == 0 ? 1 : (size + seg - 1) / seg;
		probe = 1;
	} else if (k < 0 && k != -ENOENT) {
		return k;
	}
	if ((k = remove_segments(s, blob, known, probe)))
		return k;
	k = R.remove(s->io, oid);
	return k == -ENOENT ? 0 : k;
}

static int rb_unlink_name(void *be, const char *sub, const char *name)
{
	struct rados_be *s = be;
	int r;

	if (strncmp(name, META_PREFIX, strlen(META_PREFIX)) == 0)
		return VG_EINVAL;  /* never a metadata object */
	r = R.remove(s->io, name);
	return r == -ENOENT ? 0 : r;
}

static int blob_cmp(const void *a, const void *b)
{
	return memcmp(a, b, VC_BLOBID_LEN);
}

/* A blob object's id: "<32 hex>" or "<32 hex>.<8 hex>". */
static int parse_oid(const char *oid, uint8_t blob[VC_BLOBID_LEN])
{
	size_t n = strlen(oid);
	char hex[2 * VC_BLOBID_LEN + 1], chk[3], back[2 * VC_BLOBID_LEN + 1];

	if (n != 2 * VC_BLOBID_LEN && n != 2 * VC_BLOBID_LEN + 9)
		return -1;
	memcpy(hex, oid, 2 * VC_BLOBID_LEN);
	hex[2 * VC_BLOBID_LEN] = 0;
	if (vg_unhex(blob, VC_BLOBID_LEN, hex) != 0)
		return -1;
	vs_blob_name(blob, chk, back);
	if (strcmp(back, hex) != 0)
		return -1;  /* upper-case hex: not ours */
	if (n == 2 * VC_BLOBID_LEN)
		return 0;
	if (oid[2 * VC_BLOBID_LEN] != '.')
		return -1;
	for (size_t i = 2 * VC_BLOBID_LEN + 1; i < n; i++)
		if (!strchr("0123456789abcdef", oid[i]))
			return -1;
	return 0;
}

static int rb_scan(void *be, int (*cb)(void *arg, const uint8_t *blob, const char *sub,
	const char *name), void *arg)
{
	struct rados_be *s = be;
	rados_list_ctx_t lc;
	uint8_t (*ids)[VC_BLOBID_LEN] = NULL;
	size_t nids = 0, capids = 0, i;
	const char *entry;
	int r;

	/* List first, act after: nothing is removed under the listing. */
	if ((r = R.list_open(s->io, &lc)) < 0)
		return r;
	while ((r = R.list_next(lc, &entry, NULL, NULL)) == 0) {
		uint8_t b[VC_BLOBID_LEN];
		if (strncmp(entry, META_PREFIX, strlen(META_PREFIX)) == 0)
			continue;
		if (parse_oid(entry, b) == 0) {
			if (nids == capids) {
				void *np = realloc(ids, (capids = capids ? capids * 2 : 256) * VC_BLOBID_LEN);
				if (!np) {
					r = -ENOMEM;
					break;
				}
				ids = np;
			}
			memcpy(ids[nids++], b, VC_BLOBID_LEN);
		}
		/* Other names are never touched: the pool may hold other data. */
	}
	R.list_close(lc);
	if (r == -ENOENT)
		r = 0;
	if (!r && nids)
		qsort(ids, nids, VC_BLOBID_LEN, blob_cmp);
	for (i = 0; !r && i < nids; i++) {
		char sub[3], name[2 * VC_BLOBID_LEN + 1];
		if (i && memcmp(ids[i], ids[i - 1], VC_BLOBID_LEN) == 0)
			continue;
		vs_blob_name(ids[i], sub, name);
		r = cb(arg, ids[i], "", name);
	}
	free(ids);
	return r;
}

/* The smaller of the cluster's free space and the pool quota's headroom. */
static int rb_free_bytes(void *be, uint64_t *out)
{
	struct rados_be *s = be;
	struct rados_cluster_stat_t cs;
	struct rados_pool_stat_t ps;
	char cmd[400], *obuf = NULL, *outs = NULL;
	const char *cmds[1] = {cmd};
	size_t olen = 0, slen = 0;
	uint64_t avail;
	time_t now = mono_s();
	int r;

	/* Asked at every new segment of an upload: kept for a second. */
	pthread_mutex_lock(&s->mu);
	if (s->free_at && now - s->free_at < 1) {
		*out = s->free_bytes;
		pthread_mutex_unlock(&s->mu);
		return 0;
	}
	pthread_mutex_unlock(&s->mu);
	if ((r = R.cluster_stat(s->cl, &cs)) < 0)
		return r;
	/* No statistics (a cluster without a ceph-mgr reports zero): the
	 * cluster's space is unknown, not zero; the quota check still holds. */
	avail = cs.kb ? cs.kb_avail * 1024 : UINT64_MAX;
	snprintf(cmd, sizeof(cmd), "{\"prefix\": \"osd pool get-quota\", \"pool\": \"%s\", "
		"\"format\": \"json\"}", s->pool);
	if (R.mon_command(s->cl, cmds, 1, "", 0, &obuf, &olen, &outs, &slen) == 0 && obuf) {
		char tmp[512];
		const char *q;
		snprintf(tmp, sizeof(tmp), "%.*s", (int)(olen < sizeof(tmp) - 1 ? olen : sizeof(tmp) - 1), obuf);
		if ((q = strstr(tmp, "\"quota_max_bytes\":"))) {
			uint64_t quota = strtoull(q + 18, NULL, 10);
			if (quota && R.pool_stat(s->io, &ps) == 0)
				avail = ps.num_bytes >= quota ? 0 :
					(quota - ps.num_bytes < avail ? quota - ps.num_bytes : avail);
		}
	}
	if (obuf)
		R.buffer_free(obuf);
	if (outs)
		R.buffer_free(outs);
	*out = pool_full(s) ? 0 : avail;
	pthread_mutex_lock(&s->mu);
	s->free_bytes = *out;
	s->free_at = now ? now : 1;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* ---- metadata objects: a manifest over parts, replaced atomically -------- */

#define MANIFEST_LEN 16

static int meta_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-_", name[i]))
			return 0;
	return 1;
}

static int rb_meta_put(void *be, const char *name, const uint8_t *p, size_t n)
{
	struct rados_be *s = be;
	char oid[160], part[200];
	uint8_t man[MANIFEST_LEN + 1];
	uint32_t gen = 0, oldgen = 0, oldparts = 0, parts;
	int r, k;

	if (!meta_name_ok(name))
		return VG_EINVAL;
	snprintf(oid, sizeof(oid), META_PREFIX "%s", name);
	k = R.read(s->io, oid, (char *)man, sizeof(man), 0);
	if (k == MANIFEST_LEN) {
		oldgen = vg_get_u32(man);
		oldparts = vg_get_u32(man + 4);
		gen = oldgen + 1;
	} else if (k < 0 && k != -ENOENT) {
		return map_err(k);
	}
	parts = (uint32_t)((n + META_PART - 1) / META_PART);
	for (uint32_t i = 0; i < parts; i++) {
		size_t len = n - (size_t)i * META_PART < META_PART ? n - (size_t)i * META_PART : META_PART;
		snprintf(part, sizeof(part), "%s.%08" PRIx32 ".%08" PRIx32, oid, gen, i);
		if ((r = R.write_full(s->io, part, (const char *)p + (size_t)i * META_PART, len)) < 0)
			return map_err(r);
	}
	/* One write_full of one object: the switch to the new parts is atomic. */
	vg_put_u32(man, gen);
	vg_put_u32(man + 4, parts);
	vg_put_u64(man + 8, n);
	if ((r = R.write_full(s->io, oid, (const char *)man, MANIFEST_LEN)) < 0)
		return map_err(r);
	if (k == MANIFEST_LEN)
		for (uint32_t i = 0; i < oldparts; i++) {
			snprintf(part, sizeof(part), "%s.%08" PRIx32 ".%08" PRIx32, oid, oldgen, i);
			(void)R.remove(s->io, part);
		}
	return 0;
}

static int rb_meta_get(void *be, const char *name, uint8_t **out, size_t *outn)
{
	struct rados_be *s = be;
	char oid[160], part[200];
	uint8_t man[MANIFEST_LEN + 1], *buf;
	uint32_t gen, parts;
	uint64_t n;
	int k;

	if (!meta_name_ok(name))
		return VG_EINVAL;
	snprintf(oid, sizeof(oid), META_PREFIX "%s", name);
	k = R.read(s->io, oid, (char *)man, sizeof(man), 0);
	if (k == -ENOENT)
		return VG_ENOTFOUND;
	if (k < 0)
		return k;
	if (k != MANIFEST_LEN)
		return VG_EINTEGRITY;
	gen = vg_get_u32(man);
	parts = vg_get_u32(man + 4);
	n = vg_get_u64(man + 8);
	if (n > (1ull << 34) || parts != (n + META_PART - 1) / META_PART)
		return VG_EINTEGRITY;
	if (!(buf = malloc(n ? n : 1)))
		return -ENOMEM;
	for (uint32_t i = 0; i < parts; i++) {
		size_t len = n - (size_t)i * META_PART < META_PART ? n - (size_t)i * META_PART : META_PART;
		snprintf(part, sizeof(part), "%s.%08" PRIx32 ".%08" PRIx32, oid, gen, i);
		k = R.read(s->io, part, (char *)buf + (size_t)i * META_PART, len, 0);
		if (k < 0 || (size_t)k != len) {
			free(buf);
			return k == -ENOENT || k >= 0 ? VG_EINTEGRITY : k;
		}
	}
	*out = buf;
	*outn = n;
	return 0;
}

static int rb_log_append(void *be, const char *name, const uint8_t *p, size_t n)
{
	struct rados_be *s = be;
	char oid[160];
	int r;

	if (!meta_name_ok(name))
		return VG_EINVAL;
	snprintf(oid, sizeof(oid), META_PREFIX "%s", name);
	r = R.append(s->io, oid, (const char *)p, n);
	return r < 0 ? map_err_s(s, r) : 0;
}

static int rb_log_read(void *be, const char *name, uint8_t **out, size_t *outn)
{
	struct rados_be *s = be;
	char oid[160];
	uint64_t size;
	time_t mt;
	uint8_t *buf;
	size_t got = 0;
	int k;

	if (!meta_name_ok(name))
		return VG_EINVAL;
	snprintf(oid, sizeof(oid), META_PREFIX "%s", name);
	if ((k = R.stat(s->io, oid, &size, &mt)) < 0)
		return k == -ENOENT ? VG_ENOTFOUND : k;
	if (size > (1ull << 31) || !(buf = malloc(size ? size : 1)))
		return -ENOMEM;
	while (got < size) {
		size_t want = size - got < META_PART ? size - got : META_PART;
		k = R.read(s->io, oid, (char *)buf + got, want, got);
		if (k <= 0) {
			free(buf);
			return k < 0 ? k : VG_EINTEGRITY;
		}
		got += (size_t)k;
	}
	*out = buf;
	*outn = size;
	return 0;
}

const struct vs_be_ops vs_rados_ops = {
	.name = "rados",
	.close = rb_close,
	.wopen = rb_wopen,
	.wseg = rb_wseg,
	.wsync = rb_wsync,
	.whdr = rb_whdr,
	.wclose = rb_wclose,
	.ropen = rb_ropen,
	.rhdr = rb_rhdr,
	.rseg = rb_rseg,
	.rclose = rb_rclose,
	.unlink = rb_unlink,
	.unlink_name = rb_unlink_name,
	.scan = rb_scan,
	.free_bytes = rb_free_bytes,
	.blob_path = NULL,
	.meta_put = rb_meta_put,
	.meta_get = rb_meta_get,
	.log_append = rb_log_append,
	.log_read = rb_log_read,
	.describe = rb_describe,
};
