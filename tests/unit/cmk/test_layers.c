/* test_layers.c - infrastructure (double) encryption in store.c: the blob
 * records two layers, each layer is a separate AES-256-GCM seal under its
 * own key, and a reader needs both keys (and the right layer count). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cmk_suites.h"
#include "crypto.h"
#include "store.h"
#include "vg_err.h"

#define SEG 4096u
#define SIZE (2 * SEG + 100)   /* three segments, the last one short */

static char *dir;
static struct vs_store *st;
static uint8_t dek[32], infra[32], data[SIZE];
static struct vs_ctx ctx;

static void setup(void)
{
	char path[512];

	dir = cmk_tmpdir();
	snprintf(path, sizeof(path), "%s/blobs", dir);
	ck_assert_int_eq(vs_open(path, &st), 0);
	ck_assert_int_eq(vc_random(dek, sizeof(dek)), 0);
	ck_assert_int_eq(vc_random(infra, sizeof(infra)), 0);
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (uint8_t)("PLAINTEXT-"[i % 10]);
	memset(&ctx, 0, sizeof(ctx));
	ctx.vault_id = 11;
	ctx.item_id = 22;
	ctx.point_id = 33;
	ck_assert_int_eq(vc_random(ctx.blob, sizeof(ctx.blob)), 0);
}

static void teardown(void)
{
	vs_close(st);
	cmk_rmrf(dir);
	free(dir);
}

static void write_blob(const uint8_t *k_infra)
{
	struct vs_keys k = {.dek = dek, .infra = k_infra};
	struct vs_writer *w;
	uint8_t sha[32];
	uint64_t n;

	ck_assert_int_eq(vs_writer_new_keys(st, &k, &ctx, SEG, &w), 0);
	ck_assert_int_eq(vs_writer_write(w, data, SIZE), 0);
	ck_assert_int_eq(vs_writer_finish(w, &n, sha), 0);
	ck_assert_uint_eq(n, SIZE);
	vs_writer_free(w, 1);
}

/* Reads the whole blob with the given keys: 0 and the bytes match, or the error. */
static int read_blob(const uint8_t *k_dek, const uint8_t *k_infra)
{
	struct vs_keys k = {.dek = k_dek, .infra = k_infra};
	struct vs_reader *r;
	uint8_t seg[SEG];
	size_t n, off = 0;
	int rc;

	if ((rc = vs_reader_open_keys(st, &k, &ctx, SIZE, SEG, &r)))
		return rc;
	for (uint64_t i = 0; i < vs_reader_nseg(r); i++) {
		if ((rc = vs_reader_seg(r, i, seg, &n)))
			break;
		ck_assert_mem_eq(seg, data + off, n);
		off += n;
	}
	vs_reader_free(r);
	if (!rc)
		ck_assert_uint_eq(off, SIZE);
	return rc;
}

static uint8_t *slurp(size_t *len)
{
	char path[600];
	struct stat sb;
	uint8_t *p;
	int fd;

	ck_assert_int_eq(vs_blob_path(st, ctx.blob, path, sizeof(path)), 0);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	p = malloc((size_t)sb.st_size);
	ck_assert_int_eq(vg_read_full(fd, p, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return p;
}

static void flip(size_t off)
{
	char path[600];
	uint8_t b;
	int fd;

	ck_assert_int_eq(vs_blob_path(st, ctx.blob, path, sizeof(path)), 0);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, (off_t)off), 1);
	b ^= 0x01;
	ck_assert_int_eq(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
}

START_TEST(two_layers_roundtrip_and_format)
{
	uint8_t *f;
	size_t len;

	write_blob(infra);
	ck_assert_int_eq(read_blob(dek, infra), 0);
	f = slurp(&len);
	/* Three segments, two 16-byte tags each; header byte 36 says 2. */
	ck_assert_uint_eq(len, VS_HDR_LEN + SIZE + 3 * 2 * VC_TAG_LEN);
	ck_assert_mem_eq(f, "VGBLOB01", 8);
	ck_assert_uint_eq(f[36], 2);
	ck_assert_ptr_null(memmem(f, len, "PLAINTEXT-", 10));
	free(f);
}
END_TEST

START_TEST(one_layer_is_the_original_format)
{
	uint8_t *f;
	size_t len;

	write_blob(NULL);
	ck_assert_int_eq(read_blob(dek, NULL), 0);
	f = slurp(&len);
	ck_assert_uint_eq(len, VS_HDR_LEN + SIZE + 3 * VC_TAG_LEN);
	ck_assert_uint_eq(f[36], 0);
	free(f);
	/* Its reader is vs_reader_open, unchanged. */
	{
		struct vs_reader *r;
		uint8_t seg[SEG];
		size_t n;
		ck_assert_int_eq(vs_reader_open(st, dek, &ctx, SIZE, SEG, &r), 0);
		ck_assert_int_eq(vs_reader_seg(r, 0, seg, &n), 0);
		ck_assert_mem_eq(seg, data, n);
		vs_reader_free(r);
	}
}
END_TEST

START_TEST(either_key_wrong_fails)
{
	uint8_t other[32];

	ck_assert_int_eq(vc_random(other, sizeof(other)), 0);
	write_blob(infra);
	ck_assert_int_eq(read_blob(dek, other), VG_EINTEGRITY);   /* wrong infrastructure key */
	ck_assert_int_eq(read_blob(other, infra), VG_EINTEGRITY); /* wrong DEK */
	ck_assert_int_eq(read_blob(dek, infra), 0);
}
END_TEST

START_TEST(layer_count_must_match)
{
	write_blob(infra);
	ck_assert_int_eq(read_blob(dek, NULL), VG_EINTEGRITY);   /* two layers read as one */
	teardown();
	setup();
	write_blob(NULL);
	ck_assert_int_eq(read_blob(dek, infra), VG_EINTEGRITY);  /* one layer read as two */
}
END_TEST

/* Peels the outer layer of segment 0 by hand, as the format in store.h
 * describes it: what is left is still ciphertext, and it opens under the
 * DEK-derived key only. Two independent layers, not one. */
START_TEST(peeling_the_outer_layer_leaves_ciphertext)
{
	uint8_t okey[32], ikey[32], nonce[12] = {0}, aad[4 + 8 + 8 + 8 + 16 + 8 + 1];
	uint8_t inner[SEG + VC_TAG_LEN], plain[SEG];
	struct vc_aead *a;
	uint8_t *f;
	size_t len;

	write_blob(infra);
	f = slurp(&len);
	/* aad = label | vault | item | point | blob | u64 index | u8 last */
	vg_put_u64(aad + 4, ctx.vault_id);
	vg_put_u64(aad + 12, ctx.item_id);
	vg_put_u64(aad + 20, ctx.point_id);
	memcpy(aad + 28, ctx.blob, 16);
	vg_put_u64(aad + 44, 0);
	aad[52] = 0;
	memcpy(aad, "VGI1", 4);
	ck_assert_int_eq(vc_hkdf(infra, ctx.blob, 16, "vaultgate/infra/v1", okey), 0);
	ck_assert_int_eq(vc_aead_new(okey, &a), 0);
	ck_assert_int_eq(vc_aead_open(a, nonce, aad, sizeof(aad), f + VS_HDR_LEN, SEG + VC_TAG_LEN,
				 inner), 0);
	vc_aead_free(a);
	/* The outer layer removed: still no plaintext. */
	ck_assert_ptr_null(memmem(inner, sizeof(inner), "PLAINTEXT-", 10));
	ck_assert_int_ne(memcmp(inner, data, 64), 0);
	/* The inner layer opens under the DEK-derived object key. */
	memcpy(aad, "VGS1", 4);
	ck_assert_int_eq(vc_hkdf(dek, ctx.blob, 16, "vaultgate/object/v1", ikey), 0);
	ck_assert_int_eq(vc_aead_new(ikey, &a), 0);
	ck_assert_int_eq(vc_aead_open(a, nonce, aad, sizeof(aad), inner, SEG, plain), 0);
	vc_aead_free(a);
	ck_assert_mem_eq(plain, data, SEG);
	/* And the inner key alone cannot open the stored bytes. */
	ck_assert_int_eq(vc_aead_new(ikey, &a), 0);
	ck_assert_int_eq(vc_aead_open(a, nonce, aad, sizeof(aad), f + VS_HDR_LEN, SEG + VC_TAG_LEN,
				 inner), VG_EINTEGRITY);
	vc_aead_free(a);
	free(f);
}
END_TEST

START_TEST(tamper_in_either_layer_is_detected)
{
	write_blob(infra);
	flip(VS_HDR_LEN + 10);                      /* ciphertext of segment 0 */
	ck_assert_int_eq(read_blob(dek, infra), VG_EINTEGRITY);
	teardown();
	setup();
	write_blob(infra);
	flip(VS_HDR_LEN + SEG + 2 * VC_TAG_LEN - 1); /* segment 0's outer tag */
	ck_assert_int_eq(read_blob(dek, infra), VG_EINTEGRITY);
	teardown();
	setup();
	write_blob(infra);
	flip(36);                                   /* the layer count */
	ck_assert_int_eq(read_blob(dek, infra), VG_EINTEGRITY);
}
END_TEST

Suite *layers_suite(void)
{
	Suite *s = suite_create("layers");
	TCase *tc = tcase_create("layers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, two_layers_roundtrip_and_format);
	tcase_add_test(tc, one_layer_is_the_original_format);
	tcase_add_test(tc, either_key_wrong_fails);
	tcase_add_test(tc, layer_count_must_match);
	tcase_add_test(tc, peeling_the_outer_layer_leaves_ciphertext);
	tcase_add_test(tc, tamper_in_either_layer_is_detected);
	suite_add_tcase(s, tc);
	return s;
}
