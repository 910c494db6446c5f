/* store.c - the blob format (see store.h); the bytes go to a back end
 * (store_be.h: store_dir.c, store_rados.c). */
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "store.h"
#include "store_be.h"
#include "vg_err.h"

static const char blob_magic[8] = {'V', 'G', 'B', 'L', 'O', 'B', '0', '1'};
static const char obj_info[] = "vaultgate/object/v1";
static const char infra_info[] = "vaultgate/infra/v1";
#define HDR_LAYERS 36

struct vs_store {
	const struct vs_be_ops *ops;
	void *be;
};

int vs_store_wrap(const struct vs_be_ops *ops, void *be, struct vs_store **out)
{
	struct vs_store *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s) {
		ops->close(be);
		return -ENOMEM;
	}
	s->ops = ops;
	s->be = be;
	*out = s;
	return 0;
}

int vs_open(const char *dir, struct vs_store **out)
{
	void *be;
	int r;

	*out = NULL;
	if ((r = vs_dir_open(dir, &be)))
		return r;
	return vs_store_wrap(&vs_dir_ops, be, out);
}

int vs_open_rados(const struct vs_rados_conf *cf, struct vs_store **out, char *why, size_t whysz)
{
	void *be;
	int r;

	*out = NULL;
	if ((r = vs_rados_open(cf, &be, why, whysz)))
		return r;
	return vs_store_wrap(&vs_rados_ops, be, out);
}

void vs_close(struct vs_store *s)
{
	if (!s)
		return;
	s->ops->close(s->be);
	free(s);
}

const char *vs_kind(const struct vs_store *s)
{
	return s->ops->name;
}

int vs_describe(struct vs_store *s, char *out, size_t outsz)
{
	return s->ops->describe(s->be, out, outsz);
}

int vs_meta_put(struct vs_store *s, const char *name, const uint8_t *p, size_t n)
{
	return s->ops->meta_put ? s->ops->meta_put(s->be, name, p, n) : -ENOTSUP;
}

int vs_meta_get(struct vs_store *s, const char *name, uint8_t **p, size_t *n)
{
	*p = NULL;
	*n = 0;
	return s->ops->meta_get ? s->ops->meta_get(s->be, name, p, n) : -ENOTSUP;
}

int vs_log_append(struct vs_store *s, const char *name, const uint8_t *p, size_t n)
{
	return s->ops->log_append ? s->ops->log_append(s->be, name, p, n) : -ENOTSUP;
}

int vs_log_read(struct vs_store *s, const char *name, uint8_t **p, size_t *n)
{
	*p = NULL;
	*n = 0;
	return s->ops->log_read ? s->ops->log_read(s->be, name, p, n) : -ENOTSUP;
}

void vs_blob_name(const uint8_t blob[VC_BLOBID_LEN], char sub[3], char name[2 * VC_BLOBID_LEN + 1])
{
	vg_hex(name, blob, VC_BLOBID_LEN);
	sub[0] = name[0];
	sub[1] = name[1];
	sub[2] = 0;
}

int vs_blob_path(struct vs_store *s, const uint8_t blob[VC_BLOBID_LEN], char *out, size_t outsz)
{
	return s->ops->blob_path ? s->ops->blob_path(s->be, blob, out, outsz) : -ENOTSUP;
}

static void seg_nonce(uint64_t idx, uint8_t nonce[VC_NONCE_LEN])
{
	memset(nonce, 0, 4);
	vg_put_u64(nonce + 4, idx);
}

#define AAD_LEN (4 + 8 + 8 + 8 + VC_BLOBID_LEN + 8 + 1)
static void seg_aad(const struct vs_ctx *c, uint64_t idx, int last, uint8_t aad[AAD_LEN])
{
	memcpy(aad, "VGS1", 4);
	vg_put_u64(aad + 4, c->vault_id);
	vg_put_u64(aad + 12, c->item_id);
	vg_put_u64(aad + 20, c->point_id);
	memcpy(aad + 28, c->blob, VC_BLOBID_LEN);
	vg_put_u64(aad + 28 + VC_BLOBID_LEN, idx);
	aad[AAD_LEN - 1] = (uint8_t)(last ? 1 : 0);
}

static void outer_aad(const struct vs_ctx *c, uint64_t idx, int last, uint8_t aad[AAD_LEN])
{
	seg_aad(c, idx, last, aad);
	memcpy(aad, "VGI1", 4);
}

static int layer_aead(const uint8_t dek[32], const struct vs_ctx *c, const char *info,
	struct vc_aead **out)
{
	uint8_t key[VC_KEY_LEN];
	int r = vc_hkdf(dek, c->blob, VC_BLOBID_LEN, info, key);

	if (r)
		return r;
	r = vc_aead_new(key, out);
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

/* The writer is a two-stage pipeline: the caller's thread hashes and
 * fills segment buffers; a worker thread (started once an object spans a
 * second segment) seals and writes them, in order. VS_PIPE buffers bound
 * the memory of an upload. */
#define VS_PIPE 3
enum { SLOT_FREE, SLOT_QUEUED };

struct vs_writer {
	struct vs_store *s;
	struct vs_ctx ctx;
	struct vc_aead *aead;
	struct vc_aead *outer;      /* infrastructure layer, or NULL */
	EVP_MD_CTX *sha;
	void *bw;                   /* the back end's writer */
	uint32_t seg_size;
	uint8_t *bufs[VS_PIPE];     /* seg_size + 2 tags each: plaintext, sealed in place */
	size_t fills[VS_PIPE];
	int lasts[VS_PIPE];
	int states[VS_PIPE];
	int cur;                    /* the slot the caller fills */
	uint64_t size;
	/* worker side: only the worker (or the caller, before it starts) */
	uint64_t idx;               /* segments written */
	uint64_t off;               /* stream offset of the next segment */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started, stop, werr;
	int finished;
	int err;
};

int vs_writer_new(struct vs_store *s, const uint8_t dek[32], const struct vs_ctx *ctx,
	uint32_t seg_size, struct vs_writer **out)
{
	struct vs_keys k = {.dek = dek, .infra = NULL};

	return vs_writer_new_keys(s, &k, ctx, seg_size, out);
}

#define SEGBUF(w) ((size_t)(w)->seg_size + 2 * VC_TAG_LEN)

int vs_writer_new_keys(struct vs_store *s, const struct vs_keys *keys, const struct vs_ctx *ctx,
	uint32_t seg_size, struct vs_writer **out)
{
	struct vs_writer *w = calloc(1, sizeof(*w));
	int r;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->s = s;
	w->ctx = *ctx;
	w->seg_size = seg_size;
	w->off = VS_HDR_LEN;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	/* Later buffers are allocated when an object grows past one segment. */
	w->bufs[0] = malloc(SEGBUF(w));
	w->sha = EVP_MD_CTX_new();
	if (!w->bufs[0] || !w->sha || EVP_DigestInit_ex(w->sha, EVP_sha256(), NULL) != 1) {
		r = -ENOMEM;
		goto fail;
	}
	if ((r = layer_aead(keys->dek, ctx, obj_info, &w->aead)) ||
	    (keys->infra && (r = layer_aead(keys->infra, ctx, infra_info, &w->outer))))
		goto fail;
	if ((r = s->ops->wopen(s->be, ctx->blob, &w->bw)))
		goto fail;
	*out = w;
	return 0;
fail:
	vs_writer_free(w, 0);
	return r;
}

static int seal_segment(struct vs_writer *w, uint8_t *buf, size_t fill, int last)
{
	uint8_t nonce[VC_NONCE_LEN], aad[AAD_LEN];
	size_t n = fill + VC_TAG_LEN;
	int r;

	seg_nonce(w->idx, nonce);
	seg_aad(&w->ctx, w->idx, last, aad);
	if ((r = vc_aead_seal(w->aead, nonce, aad, sizeof(aad), buf, fill, buf)))
		return r;
	if (w->outer) {
		/* The independent infrastructure layer seals the inner ciphertext + tag. */
		outer_aad(&w->ctx, w->idx, last, aad);
		if ((r = vc_aead_seal(w->outer, nonce, aad, sizeof(aad), buf, n, buf)))
			return r;
		n += VC_TAG_LEN;
	}
	if ((r = w->s->ops->wseg(w->bw, w->idx, w->off, buf, n)))
		return r;
	w->off += n;
	w->idx++;
	return 0;
}

static void *writer_main(void *arg)
{
	struct vs_writer *w = arg;
	int slot = 0, last = 0, r;

	while (!last) {
		pthread_mutex_lock(&w->mu);
		while (w->states[slot] != SLOT_QUEUED && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->states[slot] != SLOT_QUEUED) {
			pthread_mutex_unlock(&w->mu);
			break;  /* stopped: the upload was abandoned */
		}
		last = w->lasts[slot];
		pthread_mutex_unlock(&w->mu);
		r = seal_segment(w, w->bufs[slot], w->fills[slot], last);
		pthread_mutex_lock(&w->mu);
		w->states[slot] = SLOT_FREE;
		if (r)
			w->werr = r;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		if (r)
			break;
		slot = (slot + 1) % VS_PIPE;
	}
	return NULL;
}

/* Queues the current buffer and moves to the next free one. */
static int hand_off(struct vs_writer *w, int last)
{
	int next = (w->cur + 1) % VS_PIPE, r;

	if (!w->started) {
		for (int i = 1; i < VS_PIPE; i++)
			if (!(w->bufs[i] = malloc(SEGBUF(w))))
				return -ENOMEM;
		if (pthread_create(&w->th, NULL, writer_main, w) != 0)
			return VG_EINTERNAL;
		w->started = 1;
	}
	pthread_mutex_lock(&w->mu);
	w->lasts[w->cur] = last;
	w->states[w->cur] = SLOT_QUEUED;
	pthread_cond_broadcast(&w->cv);
	if (!last)
		while (w->states[next] != SLOT_FREE && !w->werr)
			pthread_cond_wait(&w->cv, &w->mu);
	r = w->werr;
	pthread_mutex_unlock(&w->mu);
	if (!last) {
		w->cur = next;
		w->fills[next] = 0;
	}
	return r;
}

int vs_writer_write(struct vs_writer *w, const void *p, size_t n)
{
	const uint8_t *src = p;

	if (w->err || w->finished)
		return w->err ? w->err : VG_EBADSTATE;
	if (EVP_DigestUpdate(w->sha, p, n) != 1)
		return w->err = VG_EINTERNAL;
	while (n > 0) {
		size_t k;
		if (w->fills[w->cur] == w->seg_size) {
			/* More data follows, so the full buffer is not the last segment. */
			int r = hand_off(w, 0);
			if (r)
				return w->err = r;
		}
		k = w->seg_size - w->fills[w->cur];
		if (k > n)
			k = n;
		memcpy(w->bufs[w->cur] + w->fills[w->cur], src, k);
		w->fills[w->cur] += k;
		w->size += k;
		src += k;
		n -= k;
	}
	return 0;
}

uint64_t vs_writer_size(const struct vs_writer *w)
{
	return w->size;
}

/* Stops and joins the worker; after it returns the caller owns every field. */
static int join_worker(struct vs_writer *w, int abandon)
{
	int r;

	if (!w->started)
		return 0;
	if (abandon) {
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	pthread_join(w->th, NULL);
	w->started = 0;
	r = w->werr;
	return r;
}

int vs_writer_finish(struct vs_writer *w, uint64_t *size, uint8_t sha256[VC_HASH_LEN])
{
	uint8_t hdr[VS_HDR_LEN] = {0};
	unsigned int dl = 0;
	int r;

	if (w->err || w->finished)
		return w->err ? w->err : VG_EBADSTATE;
	if (w->started) {
		if ((r = hand_off(w, 1)) || (r = join_worker(w, 0)))
			return w->err = r;
	} else if ((r = seal_segment(w, w->bufs[w->cur], w->fills[w->cur], 1))) {
		return w->err = r;
	}
	memcpy(hdr, blob_magic, 8);
	memcpy(hdr + 8, w->ctx.blob, VC_BLOBID_LEN);
	vg_put_u32(hdr + 24, w->seg_size);
	vg_put_u64(hdr + 28, w->size);
	hdr[HDR_LAYERS] = w->outer ? 2 : 0;
	/* Every segment durable, then the header: the blob is whole before
	 * finish() returns, and only then may the caller commit a record. */
	if ((r = w->s->ops->wsync(w->bw)) || (r = w->s->ops->whdr(w->bw, hdr, sizeof(hdr))))
		return w->err = r;
	if (EVP_DigestFinal_ex(w->sha, sha256, &dl) != 1)
		return w->err = VG_EINTERNAL;
	*size = w->size;
	w->finished = 1;
	return 0;
}

void vs_writer_free(struct vs_writer *w, int keep)
{
	if (!w)
		return;
	(void)join_worker(w, 1);
	if (w->bw)
		w->s->ops->wclose(w->bw, keep && w->finished);
	vc_aead_free(w->aead);
	vc_aead_free(w->outer);
	EVP_MD_CTX_free(w->sha);
	for (int i = 0; i < VS_PIPE; i++) {
		if (w->bufs[i])
			OPENSSL_cleanse(w->bufs[i], SEGBUF(w));
		free(w->bufs[i]);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

struct vs_reader {
	struct vs_store *s;
	void *br;               /* the back end's reader */
	struct vs_ctx ctx;
	struct vc_aead *aead;
	struct vc_aead *outer;  /* infrastructure layer, or NULL */
	unsigned layers;
	uint64_t size;
	uint32_t seg_size;
	uint64_t nseg;
	uint8_t *ct;
};

int vs_reader_open(struct vs_store *s, const uint8_t dek[32], const struct vs_ctx *ctx,
	uint64_t size, uint32_t seg_size, struct vs_reader **out)
{
	struct vs_keys k = {.dek = dek, .infra = NULL};

	return vs_reader_open_keys(s, &k, ctx, size, seg_size, out);
}

int vs_reader_open_keys(struct vs_store *s, const struct vs_keys *keys, const struct vs_ctx *ctx,
	uint64_t size, uint32_t seg_size, struct vs_reader **out)
{
	struct vs_reader *r = calloc(1, sizeof(*r));
	uint8_t hdr[VS_HDR_LEN], want[VS_HDR_LEN] = {0};
	struct vs_geom g;
	int rc;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->s = s;
	r->ctx = *ctx;
	r->size = size;
	r->seg_size = seg_size;
	r->nseg = size == 0 ? 1 : (size + seg_size - 1) / seg_size;
	r->layers = keys->infra ? 2 : 1;
	g.nseg = r->nseg;
	g.full = (size_t)seg_size + (size_t)VC_TAG_LEN * r->layers;
	g.last = (size_t)(size - (r->nseg - 1) * seg_size) + (size_t)VC_TAG_LEN * r->layers;
	/* A committed record whose blob is gone or of another length: the
	 * store was damaged (VG_EINTEGRITY from the back end). */
	if ((rc = s->ops->ropen(s->be, ctx->blob, &g, &r->br)))
		goto fail;
	memcpy(want, blob_magic, 8);
	memcpy(want + 8, ctx->blob, VC_BLOBID_LEN);
	vg_put_u32(want + 24, seg_size);
	vg_put_u64(want + 28, size);
	want[HDR_LAYERS] = keys->infra ? 2 : 0;
	if ((rc = s->ops->rhdr(r->br, hdr, sizeof(hdr))))
		goto fail;
	if (CRYPTO_memcmp(hdr, want, sizeof(hdr)) != 0) {
		rc = VG_EINTEGRITY;
		goto fail;
	}
	r->ct = malloc((size_t)seg_size + 2 * VC_TAG_LEN);
	if (!r->ct) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = layer_aead(keys->dek, ctx, obj_info, &r->aead)) ||
	    (keys->infra && (rc = layer_aead(keys->infra, ctx, infra_info, &r->outer))))
		goto fail;
	/* An empty object is never read segment by segment, so authenticate
	 * its one (empty) segment here: a damaged tag is an error, not a
	 * successful empty restore. */
	if (size == 0) {
		size_t n;
		if ((rc = vs_reader_seg(r, 0, r->ct, &n)))
			goto fail;
	}
	*out = r;
	return 0;
fail:
	vs_reader_free(r);
	return rc;
}

uint64_t vs_reader_nseg(const struct vs_reader *r)
{
	return r->nseg;
}

int vs_reader_seg(struct vs_reader *r, uint64_t idx, uint8_t *out, size_t *n)
{
	uint8_t nonce[VC_NONCE_LEN], aad[AAD_LEN];
	uint64_t off, len, tags = (uint64_t)VC_TAG_LEN * r->layers;
	int last, rc;

	if (idx >= r->nseg)
		return VG_ERANGE;
	last = idx == r->nseg - 1;
	len = last ? r->size - idx * r->seg_size : r->seg_size;
	off = VS_HDR_LEN + idx * ((uint64_t)r->seg_size + tags);
	if ((rc = r->s->ops->rseg(r->br, idx, off, r->ct, (size_t)(len + tags))))
		return rc;
	seg_nonce(idx, nonce);
	if (r->outer) {
		outer_aad(&r->ctx, idx, last, aad);
		if ((rc = vc_aead_open(r->outer, nonce, aad, sizeof(aad), r->ct,
			     (size_t)len + VC_TAG_LEN, r->ct)))
			return rc;
	}
	seg_aad(&r->ctx, idx, last, aad);
	*n = (size_t)len;
	return vc_aead_open(r->aead, nonce, aad, sizeof(aad), r->ct, (size_t)len, out);
}

void vs_reader_free(struct vs_reader *r)
{
	if (!r)
		return;
	if (r->br)
		r->s->ops->rclose(r->br);
	vc_aead_free(r->aead);
	vc_aead_free(r->outer);
	free(r->ct);
	free(r);
}

int vs_unlink(struct vs_store *s, const uint8_t blob[VC_BLOBID_LEN])
{
	return s->ops->unlink(s->be, blob);
}

int vs_unlink_name(struct vs_store *s, const char *sub, const char *name)
{
	return s->ops->unlink_name(s->be, sub, name);
}

int vs_scan(struct vs_store *s, int (*cb)(void *arg, const uint8_t *blob, const char *sub,
	const char *name), void *arg)
{
	return s->ops->scan(s->be, cb, arg);
}

int vs_free_bytes(struct vs_store *s, uint64_t *out)
{
	return s->ops->free_bytes(s->be, out);
}
