/* test_store.c - vault/store.c: encrypted blob files. Round trips at every
 * segment edge, then every way of damaging a blob: flipped bits, a bad
 * header, truncation, extension, reordered segments, segments moved
 * between objects, and a reader bound to the wrong context. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "store.h"
#include "suites.h"
#include "tutil.h"
#include "vg_err.h"

#define SEG 4096u  /* small segments keep the edge cases fast */

static char *dir;
static struct vs_store *st;
static uint8_t dek[32];

static void setup(void)
{
	char *p;

	dir = tu_tmpdir_new();
	p = tu_path("%s/blobs", dir);
	ck_assert_int_eq(vs_open(p, &st), 0);
	free(p);
	tu_fill(dek, sizeof(dek), 1);
}

static void teardown(void)
{
	vs_close(st);
	st = NULL;
	tu_tmpdir_free(dir);
	dir = NULL;
}

static struct vs_ctx ctx_of(uint8_t id)
{
	struct vs_ctx c;

	memset(&c, 0, sizeof(c));
	c.vault_id = 0x1111;
	c.item_id = 0x2222;
	c.point_id = 0x3333;
	tu_fill(c.blob, sizeof(c.blob), 100 + id);
	return c;
}

static char *blob_path(const struct vs_ctx *c)
{
	char buf[4096];

	ck_assert_int_eq(vs_blob_path(st, c->blob, buf, sizeof(buf)), 0);
	return tu_path("%s", buf);
}

static uint64_t nseg_of(uint64_t size, uint32_t seg)
{
	return size == 0 ? 1 : (size + seg - 1) / seg;
}

/* Writes data in chunks of `chunk` bytes and finishes the blob. */
static void put(const struct vs_ctx *c, uint32_t seg, const uint8_t *data, size_t n, size_t chunk)
{
	struct vs_writer *w;
	uint8_t sha[32], want[32];
	uint64_t size = 0;

	ck_assert_int_eq(vs_writer_new(st, dek, c, seg, &w), 0);
	for (size_t off = 0; off < n; off += chunk)
		ck_assert_int_eq(vs_writer_write(w, data + off, n - off < chunk ? n - off : chunk), 0);
	ck_assert_uint_eq(vs_writer_size(w), n);
	ck_assert_int_eq(vs_writer_finish(w, &size, sha), 0);
	ck_assert_uint_eq(size, n);
	ck_assert_int_eq(vc_sha256(data, n, want), 0);
	ck_assert_mem_eq(sha, want, 32);
	vs_writer_free(w, 1);
}

/* Reads every segment; returns the first error, or 0 with every byte equal. */
static int get_all(const struct vs_ctx *c, uint32_t seg, const uint8_t *want, uint64_t size)
{
	struct vs_reader *r;
	uint8_t *buf = malloc(seg);
	int rc;

	if ((rc = vs_reader_open(st, dek, c, size, seg, &r))) {
		free(buf);
		return rc;
	}
	ck_assert_uint_eq(vs_reader_nseg(r), nseg_of(size, seg));
	for (uint64_t i = 0; i < vs_reader_nseg(r); i++) {
		size_t n = 0;
		if ((rc = vs_reader_seg(r, i, buf, &n)))
			break;
		ck_assert_uint_eq(n, i == nseg_of(size, seg) - 1 ? size - i * seg : seg);
		ck_assert_msg(memcmp(buf, want + i * seg, n) == 0, "segment %llu differs",
			(unsigned long long)i);
	}
	vs_reader_free(r);
	free(buf);
	return rc;
}

static int read_seg(const struct vs_ctx *c, uint32_t seg, uint64_t size, uint64_t idx)
{
	struct vs_reader *r;
	uint8_t *buf = malloc(seg);
	size_t n;
	int rc;

	if (!(rc = vs_reader_open(st, dek, c, size, seg, &r)))
		rc = vs_reader_seg(r, idx, buf, &n);
	vs_reader_free(r);
	free(buf);
	return rc;
}

static uint64_t seg_off(uint64_t idx, uint32_t seg)
{
	return VS_HDR_LEN + idx * ((uint64_t)seg + VC_TAG_LEN);
}

/* ---- round trips ---- */

START_TEST(roundtrip_segment_edges)
{
	static const size_t sizes[] = {0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG - 1, 3 * SEG + 5, 5 * SEG};
	static const size_t chunks[] = {1, 1000, SEG, SEG + 1, 1u << 20};
	size_t max = 5 * SEG;
	uint8_t *data = malloc(max);
	int id = 0;

	tu_fill(data, max, 7);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (size_t j = 0; j < sizeof(chunks) / sizeof(chunks[0]); j++) {
			struct vs_ctx c = ctx_of((uint8_t)id++);
			char *p;
			uint8_t hdr[VS_HDR_LEN];
			int fd;

			if (chunks[j] == 1 && sizes[i] > SEG + 1)
				continue;  /* byte-at-a-time only on small sizes */
			put(&c, SEG, data, sizes[i], chunks[j]);
			p = blob_path(&c);
			ck_assert_int_eq(tu_file_size(p),
				(off_t)(VS_HDR_LEN + sizes[i] + nseg_of(sizes[i], SEG) * VC_TAG_LEN));
			fd = open(p, O_RDONLY);
			ck_assert_int_eq(read(fd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
			close(fd);
			ck_assert_mem_eq(hdr, "VGBLOB01", 8);
			ck_assert_mem_eq(hdr + 8, c.blob, VC_BLOBID_LEN);
			ck_assert_uint_eq(vg_get_u32(hdr + 24), SEG);
			ck_assert_uint_eq(vg_get_u64(hdr + 28), sizes[i]);
			/* No plaintext run reaches the disk. */
			if (sizes[i] >= 64) {
				size_t fn;
				uint8_t *file = tu_read_file(p, &fn);
				ck_assert_ptr_null(memmem(file, fn, data + 16, 32));
				free(file);
			}
			ck_assert_int_eq(get_all(&c, SEG, data, sizes[i]), 0);
			free(p);
		}
	free(data);
}
END_TEST

START_TEST(roundtrip_default_segments)
{
	size_t n = 2 * VS_SEG_SIZE + 3;
	uint8_t *data = malloc(n);
	struct vs_ctx c = ctx_of(1);
	char *p;

	tu_fill(data, n, 8);
	put(&c, VS_SEG_SIZE, data, n, 256 * 1024);
	p = blob_path(&c);
	ck_assert_int_eq(tu_file_size(p), (off_t)(VS_HDR_LEN + n + 3 * VC_TAG_LEN));
	ck_assert_int_eq(get_all(&c, VS_SEG_SIZE, data, n), 0);
	free(p);
	free(data);
}
END_TEST

START_TEST(segment_index_out_of_range)
{
	uint8_t data[10] = {1};
	struct vs_ctx c = ctx_of(2);

	put(&c, SEG, data, 10, 10);
	ck_assert_int_eq(read_seg(&c, SEG, 10, 0), 0);
	ck_assert_int_eq(read_seg(&c, SEG, 10, 1), VG_ERANGE);
	ck_assert_int_eq(read_seg(&c, SEG, 10, UINT64_MAX), VG_ERANGE);
}
END_TEST

/* ---- damage ---- */

START_TEST(flipped_bits_in_segments)
{
	size_t n = 3 * SEG + 100;
	uint8_t *data = malloc(n);
	struct vs_ctx c = ctx_of(3);
	char *p;
	/* (segment, offset inside it incl. the tag) */
	static const struct { uint64_t seg; uint64_t off; } flips[] = {
		{0, 0}, {0, SEG / 2}, {0, SEG - 1}, {0, SEG}, {0, SEG + 15},
		{1, 0}, {2, SEG + 8}, {3, 0}, {3, 99}, {3, 100}, {3, 115},
	};

	tu_fill(data, n, 9);
	put(&c, SEG, data, n, n);
	p = blob_path(&c);
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		uint64_t at = seg_off(flips[i].seg, SEG) + flips[i].off;
		tu_flip_bit(p, at, (unsigned)(i % 8));
		for (uint64_t s = 0; s < 4; s++)
			ck_assert_msg(read_seg(&c, SEG, n, s) == (s == flips[i].seg ? VG_EINTEGRITY : 0),
				"flip at seg %llu+%llu, reading seg %llu",
				(unsigned long long)flips[i].seg, (unsigned long long)flips[i].off,
				(unsigned long long)s);
		tu_flip_bit(p, at, (unsigned)(i % 8));
	}
	ck_assert_int_eq(get_all(&c, SEG, data, n), 0);
	free(p);
	free(data);
}
END_TEST

START_TEST(damaged_header)
{
	uint8_t data[100];
	struct vs_ctx c = ctx_of(4);
	char *p;

	tu_fill(data, sizeof(data), 10);
	put(&c, SEG, data, sizeof(data), 100);
	p = blob_path(&c);
	for (uint64_t off = 0; off < VS_HDR_LEN; off++) {
		struct vs_reader *r = (void *)1;
		tu_flip_bit(p, off, (unsigned)(off % 8));
		ck_assert_msg(vs_reader_open(st, dek, &c, sizeof(data), SEG, &r) == VG_EINTEGRITY,
			"header byte %llu", (unsigned long long)off);
		ck_assert_ptr_null(r);
		tu_flip_bit(p, off, (unsigned)(off % 8));
	}
	/* The record's own size or segment size disagreeing with the file. */
	ck_assert_int_eq(get_all(&c, SEG, data, sizeof(data) - 1), VG_EINTEGRITY);
	ck_assert_int_eq(get_all(&c, SEG, data, sizeof(data) + 1), VG_EINTEGRITY);
	ck_assert_int_eq(get_all(&c, SEG * 2, data, sizeof(data)), VG_EINTEGRITY);
	ck_assert_int_eq(get_all(&c, SEG, data, sizeof(data)), 0);
	free(p);
}
END_TEST

START_TEST(truncated_and_extended_files)
{
	size_t n = 2 * SEG + 10;
	uint8_t *data = malloc(n);
	struct vs_ctx c = ctx_of(5);
	off_t full;
	char *p;
	int fd;

	tu_fill(data, n, 11);
	put(&c, SEG, data, n, n);
	p = blob_path(&c);
	full = tu_file_size(p);
	ck_assert_int_eq(truncate(p, full - 1), 0);
	ck_assert_int_eq(get_all(&c, SEG, data, n), VG_EINTEGRITY);
	ck_assert_int_eq(truncate(p, VS_HDR_LEN), 0);
	ck_assert_int_eq(get_all(&c, SEG, data, n), VG_EINTEGRITY);
	ck_assert_int_eq(truncate(p, 0), 0);
	ck_assert_int_eq(get_all(&c, SEG, data, n), VG_EINTEGRITY);
	free(p);

	c = ctx_of(6);
	put(&c, SEG, data, n, n);
	p = blob_path(&c);
	fd = open(p, O_WRONLY | O_APPEND);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
	ck_assert_int_eq(get_all(&c, SEG, data, n), VG_EINTEGRITY);
	free(p);
	free(data);
}
END_TEST

/* Drop the last segment and rewrite the header (and the record) to match:
 * the new last segment was sealed as "not last", so it is refused. */
START_TEST(truncation_consistent_with_header)
{
	size_t n = 3 * SEG;
	uint8_t *data = malloc(n), sz[8];
	struct vs_ctx c = ctx_of(7);
	char *p;
	int fd;

	tu_fill(data, n, 12);
	put(&c, SEG, data, n, n);
	p = blob_path(&c);
	ck_assert_int_eq(truncate(p, (off_t)seg_off(2, SEG)), 0);
	vg_put_u64(sz, 2 * SEG);
	fd = open(p, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, sz, 8, 28), 8);
	close(fd);
	ck_assert_int_eq(read_seg(&c, SEG, 2 * SEG, 0), 0);
	ck_assert_int_eq(read_seg(&c, SEG, 2 * SEG, 1), VG_EINTEGRITY);
	ck_assert_int_eq(get_all(&c, SEG, data, 2 * SEG), VG_EINTEGRITY);
	free(p);
	free(data);
}
END_TEST

/* Append a copy of the last segment and claim the longer size. */
START_TEST(extension_consistent_with_header)
{
	size_t n = 2 * SEG;
	uint8_t *data = malloc(n), *segbuf = malloc(SEG + VC_TAG_LEN), sz[8];
	struct vs_ctx c = ctx_of(8);
	char *p;
	int fd;

	tu_fill(data, n, 13);
	put(&c, SEG, data, n, n);
	p = blob_path(&c);
	fd = open(p, O_RDWR);
	ck_assert_int_eq(pread(fd, segbuf, SEG + VC_TAG_LEN, (off_t)seg_off(1, SEG)),
		(ssize_t)(SEG + VC_TAG_LEN));
	ck_assert_int_eq(pwrite(fd, segbuf, SEG + VC_TAG_LEN, (off_t)seg_off(2, SEG)),
		(ssize_t)(SEG + VC_TAG_LEN));
	vg_put_u64(sz, 3 * SEG);
	ck_assert_int_eq(pwrite(fd, sz, 8, 28), 8);
	close(fd);
	ck_assert_int_eq(read_seg(&c, SEG, 3 * SEG, 0), 0);
	ck_assert_int_eq(read_seg(&c, SEG, 3 * SEG, 1), VG_EINTEGRITY);  /* no longer last */
	ck_assert_int_eq(read_seg(&c, SEG, 3 * SEG, 2), VG_EINTEGRITY);  /* wrong index */
	free(p);
	free(segbuf);
	free(data);
}
END_TEST

START_TEST(reordered_segments)
{
	size_t n = 3 * SEG + 1;
	uint8_t *data = malloc(n), *a = malloc(SEG + VC_TAG_LEN), *b = malloc(SEG + VC_TAG_LEN);
	struct vs_ctx c = ctx_of(9);
	char *p;
	int fd;

	tu_fill(data, n, 14);
	put(&c, SEG, data, n, n);
	p = blob_path(&c);
	fd = open(p, O_RDWR);
	ck_assert_int_eq(pread(fd, a, SEG + VC_TAG_LEN, (off_t)seg_off(0, SEG)), (ssize_t)(SEG + VC_TAG_LEN));
	ck_assert_int_eq(pread(fd, b, SEG + VC_TAG_LEN, (off_t)seg_off(1, SEG)), (ssize_t)(SEG + VC_TAG_LEN));
	ck_assert_int_eq(pwrite(fd, b, SEG + VC_TAG_LEN, (off_t)seg_off(0, SEG)), (ssize_t)(SEG + VC_TAG_LEN));
	ck_assert_int_eq(pwrite(fd, a, SEG + VC_TAG_LEN, (off_t)seg_off(1, SEG)), (ssize_t)(SEG + VC_TAG_LEN));
	close(fd);
	ck_assert_int_eq(read_seg(&c, SEG, n, 0), VG_EINTEGRITY);
	ck_assert_int_eq(read_seg(&c, SEG, n, 1), VG_EINTEGRITY);
	ck_assert_int_eq(read_seg(&c, SEG, n, 2), 0);
	ck_assert_int_eq(read_seg(&c, SEG, n, 3), 0);
	free(p);
	free(a);
	free(b);
	free(data);
}
END_TEST

/* Segment 0 of object A pasted over segment 0 of object B (same vault,
 * same DEK, same point): B's reader refuses it. */
START_TEST(segment_moved_between_objects)
{
	size_t n = 2 * SEG;
	uint8_t *da = malloc(n), *db = malloc(n), *segbuf = malloc(SEG + VC_TAG_LEN);
	struct vs_ctx a = ctx_of(10), b = ctx_of(11);
	char *pa, *pb;
	int fd;

	tu_fill(da, n, 15);
	tu_fill(db, n, 16);
	put(&a, SEG, da, n, n);
	put(&b, SEG, db, n, n);
	pa = blob_path(&a);
	pb = blob_path(&b);
	fd = open(pa, O_RDONLY);
	ck_assert_int_eq(pread(fd, segbuf, SEG + VC_TAG_LEN, (off_t)seg_off(0, SEG)), (ssize_t)(SEG + VC_TAG_LEN));
	close(fd);
	fd = open(pb, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, segbuf, SEG + VC_TAG_LEN, (off_t)seg_off(0, SEG)), (ssize_t)(SEG + VC_TAG_LEN));
	close(fd);
	ck_assert_int_eq(read_seg(&b, SEG, n, 0), VG_EINTEGRITY);
	ck_assert_int_eq(read_seg(&b, SEG, n, 1), 0);
	ck_assert_int_eq(get_all(&a, SEG, da, n), 0);
	free(pa);
	free(pb);
	free(segbuf);
	free(da);
	free(db);
}
END_TEST

/* A whole blob file copied under another blob id, header patched: the
 * object key and AAD both depend on the id. */
START_TEST(blob_moved_to_another_id)
{
	size_t n = SEG + 7;
	uint8_t *data = malloc(n);
	struct vs_ctx a = ctx_of(12), b = ctx_of(13);
	char *pa, *pb, *pbdir;
	uint8_t *file;
	size_t fn;

	tu_fill(data, n, 17);
	put(&a, SEG, data, n, n);
	pa = blob_path(&a);
	pb = blob_path(&b);
	file = tu_read_file(pa, &fn);
	memcpy(file + 8, b.blob, VC_BLOBID_LEN);
	pbdir = tu_path("%s", pb);
	*strrchr(pbdir, '/') = 0;
	mkdir(pbdir, 0700);
	tu_write_file(pb, file, fn, 0600);
	ck_assert_int_eq(get_all(&b, SEG, data, n), VG_EINTEGRITY);
	free(file);
	free(pa);
	free(pb);
	free(pbdir);
	free(data);
}
END_TEST

/* The same blob read as if it belonged to another vault, item or point,
 * or under another DEK. */
START_TEST(wrong_context_or_key)
{
	size_t n = 100;
	uint8_t data[100];
	struct vs_ctx c = ctx_of(14), w;

	tu_fill(data, n, 18);
	put(&c, SEG, data, n, n);
	w = c;
	w.point_id++;
	ck_assert_int_eq(get_all(&w, SEG, data, n), VG_EINTEGRITY);
	w = c;
	w.item_id++;
	ck_assert_int_eq(get_all(&w, SEG, data, n), VG_EINTEGRITY);
	w = c;
	w.vault_id++;
	ck_assert_int_eq(get_all(&w, SEG, data, n), VG_EINTEGRITY);
	dek[0] ^= 1;
	ck_assert_int_eq(get_all(&c, SEG, data, n), VG_EINTEGRITY);
	dek[0] ^= 1;
	ck_assert_int_eq(get_all(&c, SEG, data, n), 0);
}
END_TEST

START_TEST(missing_blob)
{
	struct vs_ctx c = ctx_of(15);
	struct vs_reader *r = (void *)1;

	ck_assert_int_eq(vs_reader_open(st, dek, &c, 10, SEG, &r), VG_EINTEGRITY);
	ck_assert_ptr_null(r);
}
END_TEST

/* ---- writer lifecycle ---- */

START_TEST(writer_lifecycle)
{
	struct vs_ctx c = ctx_of(16);
	struct vs_writer *w, *w2;
	uint8_t sha[32];
	uint64_t size;
	char *p = blob_path(&c);

	/* Freed before finish: the partial file is removed. */
	ck_assert_int_eq(vs_writer_new(st, dek, &c, SEG, &w), 0);
	ck_assert_int_eq(access(p, F_OK), 0);
	ck_assert_int_eq(vs_writer_write(w, "abc", 3), 0);
	vs_writer_free(w, 1);
	ck_assert_int_eq(access(p, F_OK), -1);

	/* Finished but not kept (the LMDB commit failed): removed. */
	ck_assert_int_eq(vs_writer_new(st, dek, &c, SEG, &w), 0);
	ck_assert_int_eq(vs_writer_finish(w, &size, sha), 0);
	vs_writer_free(w, 0);
	ck_assert_int_eq(access(p, F_OK), -1);

	/* An id collision never overwrites. */
	ck_assert_int_eq(vs_writer_new(st, dek, &c, SEG, &w), 0);
	ck_assert_int_eq(vs_writer_new(st, dek, &c, SEG, &w2), -EEXIST);
	ck_assert_int_eq(vs_writer_write(w, "abc", 3), 0);
	ck_assert_int_eq(vs_writer_finish(w, &size, sha), 0);
	ck_assert_uint_eq(size, 3);
	ck_assert_int_eq(vs_writer_write(w, "d", 1), VG_EBADSTATE);
	ck_assert_int_eq(vs_writer_finish(w, &size, sha), VG_EBADSTATE);
	vs_writer_free(w, 1);
	ck_assert_int_eq(access(p, F_OK), 0);
	ck_assert_int_eq(get_all(&c, SEG, (const uint8_t *)"abc", 3), 0);
	vs_writer_free(NULL, 0);
	free(p);
}
END_TEST

struct scan_count {
	int blobs, strays;
};

static int scan_cb(void *arg, const uint8_t *blob, const char *sub, const char *name)
{
	struct scan_count *sc = arg;

	(void)sub;
	(void)name;
	if (blob)
		sc->blobs++;
	else
		sc->strays++;
	return 0;
}

START_TEST(scan_and_unlink)
{
	struct vs_ctx a = ctx_of(17), b = ctx_of(18);
	struct scan_count sc = {0, 0};
	char *p, hexa[33], hexb[33], suba[3];
	uint64_t freeb = 0;

	put(&a, SEG, (const uint8_t *)"a", 1, 1);
	put(&b, SEG, (const uint8_t *)"b", 1, 1);
	vg_hex(hexa, a.blob, VC_BLOBID_LEN);
	vg_hex(hexb, b.blob, VC_BLOBID_LEN);
	memcpy(suba, hexa, 2);
	suba[2] = 0;
	ck_assert_msg(strncmp(hexa, hexb, 2) != 0, "test ids share a prefix");
	/* Strays: a non-hex name, and a valid id in the wrong sub-directory. */
	p = tu_path("%s/blobs/%s/junk.tmp", dir, suba);
	tu_write_file(p, "x", 1, 0600);
	free(p);
	p = tu_path("%s/blobs/%s/%s", dir, suba, hexb);
	tu_write_file(p, "x", 1, 0600);
	free(p);
	ck_assert_int_eq(vs_scan(st, scan_cb, &sc), 0);
	ck_assert_int_eq(sc.blobs, 2);
	ck_assert_int_eq(sc.strays, 2);

	ck_assert_int_eq(vs_unlink(st, a.blob), 0);
	ck_assert_int_eq(vs_unlink(st, a.blob), 0);  /* already gone: fine */
	ck_assert_int_eq(vs_unlink_name(st, "zz", "nothing"), 0);
	ck_assert_int_eq(vs_unlink_name(st, suba, "junk.tmp"), 0);
	sc.blobs = sc.strays = 0;
	ck_assert_int_eq(vs_scan(st, scan_cb, &sc), 0);
	ck_assert_int_eq(sc.blobs, 1);
	ck_assert_int_eq(sc.strays, 1);
	ck_assert_int_eq(vs_free_bytes(st, &freeb), 0);
	ck_assert_uint_gt(freeb, 0);
}
END_TEST

Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *rt = tcase_create("roundtrip"), *tamper = tcase_create("tamper"),
	      *life = tcase_create("lifecycle");

	tcase_add_checked_fixture(rt, setup, teardown);
	tcase_add_checked_fixture(tamper, setup, teardown);
	tcase_add_checked_fixture(life, setup, teardown);
	tcase_set_timeout(rt, 120);
	tcase_add_test(rt, roundtrip_segment_edges);
	tcase_add_test(rt, roundtrip_default_segments);
	tcase_add_test(rt, segment_index_out_of_range);
	tcase_add_test(tamper, flipped_bits_in_segments);
	tcase_add_test(tamper, damaged_header);
	tcase_add_test(tamper, truncated_and_extended_files);
	tcase_add_test(tamper, truncation_consistent_with_header);
	tcase_add_test(tamper, extension_consistent_with_header);
	tcase_add_test(tamper, reordered_segments);
	tcase_add_test(tamper, segment_moved_between_objects);
	tcase_add_test(tamper, blob_moved_to_another_id);
	tcase_add_test(tamper, wrong_context_or_key);
	tcase_add_test(tamper, missing_blob);
	tcase_add_test(life, writer_lifecycle);
	tcase_add_test(life, scan_and_unlink);
	suite_add_tcase(s, rt);
	suite_add_tcase(s, tamper);
	suite_add_tcase(s, life);
	return s;
}
