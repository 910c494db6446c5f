/* vaultctl_s3.c - see vaultctl_s3.h.
 *
 *   s3 key create PRINCIPAL    prints, once, exactly two lines:
 *                                AWS_ACCESS_KEY_ID=...
 *                                AWS_SECRET_ACCESS_KEY=...
 *   s3 key list [PRINCIPAL]    one key a line: id, principal, created
 *   s3 key delete ID
 * Local root or an Owner of some vault (as for tokens).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "ops.h"
#include "vaultctl_s3.h"
#include "vg_err.h"

static int fail(const char *what, struct vgc *c, int r)
{
	const char *msg = c && *vgc_errmsg(c) ? vgc_errmsg(c) : vg_strerror(r);

	fprintf(stderr, "vaultctl: %s: %s\n", what, msg);
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: vaultctl s3 key create PRINCIPAL\n"
			"       vaultctl s3 key list [PRINCIPAL]\n"
			"       vaultctl s3 key delete ID\n");
	return 2;
}

static int key_create(struct vgc *c, const char *principal)
{
	struct vg_msg m;
	char id[64], secret[128];
	struct vg_wr *w = vgc_req(c, VG_OP_S3_KEY_CREATE);
	int r;

	vg_msgb_str(w, VG_TAG_PRINCIPAL, principal);
	if ((r = vgc_call(c, &m)))
		return fail("s3 key create", c, r);
	if (vg_msg_str(&m, VG_TAG_ID, id, sizeof(id)) ||
	    vg_msg_str(&m, VG_TAG_TOKEN, secret, sizeof(secret)))
		return fail("s3 key create", NULL, VG_EPROTO);
	printf("AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n", id, secret);
	fflush(stdout);
	OPENSSL_cleanse(secret, sizeof(secret));
	return 0;
}

static int key_list(struct vgc *c, const char *principal)
{
	struct vg_msg m;
	struct vg_wr *w = vgc_req(c, VG_OP_S3_KEY_LIST);
	int r;

	if (principal)
		vg_msgb_str(w, VG_TAG_PRINCIPAL, principal);
	if ((r = vgc_call(c, &m)))
		return fail("s3 key list", c, r);
	while ((r = vgc_stream_next(c, &m)) == 1) {
		char id[64] = "", p[130] = "", ts[32] = "-";
		uint64_t t = 0;
		(void)vg_msg_str(&m, VG_TAG_ID, id, sizeof(id));
		(void)vg_msg_str(&m, VG_TAG_PRINCIPAL, p, sizeof(p));
		if (vg_msg_u64(&m, VG_TAG_TIME, &t) == 0 && t) {
			time_t tt = (time_t)t;
			struct tm tm;
			gmtime_r(&tt, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		}
		printf("%s\t%s\t%s\n", id, p, ts);
	}
	return r ? fail("s3 key list", c, r) : 0;
}

static int key_delete(struct vgc *c, const char *id)
{
	struct vg_msg m;
	struct vg_wr *w = vgc_req(c, VG_OP_S3_KEY_DELETE);
	int r;

	vg_msgb_str(w, VG_TAG_ID, id);
	if ((r = vgc_call(c, &m)))
		return fail("s3 key delete", c, r);
	printf("s3 key %s deleted\n", id);
	return 0;
}

int vctl_s3(struct vgc *c, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[0], "key") != 0)
		return usage();
	if (strcmp(argv[1], "create") == 0 && argc == 3)
		return key_create(c, argv[2]);
	if (strcmp(argv[1], "list") == 0 && argc <= 3)
		return key_list(c, argc == 3 ? argv[2] : NULL);
	if (strcmp(argv[1], "delete") == 0 && argc == 3)
		return key_delete(c, argv[2]);
	return usage();
}
