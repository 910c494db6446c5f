/* store_be.h - the blob store's back ends behind one table (store.c holds
 * the format: header, segments, AES-GCM, AAD; a back end only moves the
 * bytes). Two back ends: store_dir.c (files under the state directory,
 * the default) and store_rados.c (objects in a Ceph RADOS pool).
 *
 * The byte stream of a blob is the same in both: header (VS_HDR_LEN) then
 * the sealed segments in order. A back end is told each segment's index
 * and its offset in that stream; the directory writes one file at the
 * offsets, RADOS writes one object per segment plus one for the header.
 */
#ifndef VAULT_STORE_BE_H
#define VAULT_STORE_BE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "store.h"

/* The shape of one blob: nseg segments of full bytes on the store (the
 * last one last bytes), after the header. */
struct vs_geom {
	uint64_t nseg;
	size_t full, last;
};

struct vs_be_ops {
	const char *name;
	void (*close)(void *be);
	/* Writers: segments arrive in order, each once; the back end owns
	 * no caller buffer after wseg returns. wsync makes every segment
	 * durable; whdr writes the header and makes it durable. wclose
	 * removes what was written unless keep. */
	int (*wopen)(void *be, const uint8_t blob[VC_BLOBID_LEN], void **w);
	int (*wseg)(void *w, uint64_t idx, uint64_t off, const uint8_t *p, size_t n);
	int (*wsync)(void *w);
	int (*whdr)(void *w, const uint8_t *hdr, size_t n);
	void (*wclose)(void *w, int keep);
	/* Readers: ropen fails with VG_EINTEGRITY if the blob is missing or
	 * its stored length does not match g; rhdr reads the header; rseg
	 * reads exactly segment idx (n bytes at stream offset off) or fails
	 * with VG_EINTEGRITY. */
	int (*ropen)(void *be, const uint8_t blob[VC_BLOBID_LEN], const struct vs_geom *g, void **r);
	int (*rhdr)(void *r, uint8_t *hdr, size_t n);
	int (*rseg)(void *r, uint64_t idx, uint64_t off, uint8_t *p, size_t n);
	void (*rclose)(void *r);
	int (*unlink)(void *be, const uint8_t blob[VC_BLOBID_LEN]);
	int (*unlink_name)(void *be, const char *sub, const char *name);
	int (*scan)(void *be, int (*cb)(void *arg, const uint8_t *blob, const char *sub,
		const char *name), void *arg);
	int (*free_bytes)(void *be, uint64_t *out);
	int (*blob_path)(void *be, const uint8_t blob[VC_BLOBID_LEN], char *out, size_t outsz);
	/* Named metadata objects (checkpoints); NULL where unsupported. */
	int (*meta_put)(void *be, const char *name, const uint8_t *p, size_t n);
	int (*meta_get)(void *be, const char *name, uint8_t **p, size_t *n);
	/* One growing metadata object (the point journal); NULL where unsupported. */
	int (*log_append)(void *be, const char *name, const uint8_t *p, size_t n);
	int (*log_read)(void *be, const char *name, uint8_t **p, size_t *n);
	int (*describe)(void *be, char *out, size_t outsz);
};

extern const struct vs_be_ops vs_dir_ops;
extern const struct vs_be_ops vs_rados_ops;

int vs_dir_open(const char *dir, void **be);
int vs_rados_open(const struct vs_rados_conf *cf, void **be, char *why, size_t whysz);
/* Wraps an opened back end (store.c). */
int vs_store_wrap(const struct vs_be_ops *ops, void *be, struct vs_store **out);

/* The blob's name in hex, and its sub-directory (its first byte). */
void vs_blob_name(const uint8_t blob[VC_BLOBID_LEN], char sub[3], char name[2 * VC_BLOBID_LEN + 1]);

#endif
