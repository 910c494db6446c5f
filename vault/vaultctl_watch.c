/* vaultctl_watch.c - see vaultctl_watch.h. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ops.h"
#include "vaultctl_watch.h"
#include "vg_err.h"
#include "wire.h"

int vctl_scrub(struct vgc *c, int argc, char **argv)
{
	const char *vault = NULL;
	uint64_t rate = 0, damaged = 0;
	struct vg_msg m;
	struct vg_wr *w;
	int r;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc) {
			if (vg_parse_u64(argv[++i], 1, 1000000, &rate)) {
				fprintf(stderr, "vaultctl: scrub: --rate %s: expected MB/s, 1..1000000\n",
					argv[i]);
				return 2;
			}
			rate <<= 20;
		} else if (argv[i][0] != '-' && !vault) {
			vault = argv[i];
		} else {
			fprintf(stderr, "usage: vaultctl scrub [VAULT] [--rate MB/s]\n");
			return 2;
		}
	}
	w = vgc_req(c, VG_OP_SCRUB);
	if (vault)
		vg_msgb_str(w, VG_TAG_VAULT, vault);
	if (rate)
		vg_msgb_u64(w, VG_TAG_SIZE, rate);
	if ((r = vgc_call(c, &m))) {
		fprintf(stderr, "vaultctl: scrub: %s\n", *vgc_errmsg(c) ? vgc_errmsg(c) : vg_strerror(r));
		return 1;
	}
	while ((r = vgc_stream_next(c, &m)) == 1) {
		char kind[32] = "", v[80] = "", it[300] = "", p[40] = "", o[300] = "", d[300] = "";
		uint64_t n = 0, b = 0, bad = 0, secs = 0;
		if (vg_msg_str(&m, VG_TAG_KIND, kind, sizeof(kind)) == 0 &&
		    strcmp(kind, "summary") == 0) {
			vg_msg_u64(&m, VG_TAG_COUNT, &n);
			vg_msg_u64(&m, VG_TAG_SIZE, &b);
			vg_msg_u64(&m, VG_TAG_SIZE2, &bad);
			vg_msg_u64(&m, VG_TAG_TIME, &secs);
			printf("scrubbed %llu objects, %llu bytes in %llus: %llu damaged\n",
				(unsigned long long)n, (unsigned long long)b, (unsigned long long)secs,
				(unsigned long long)bad);
			if (vg_msg_str(&m, VG_TAG_DETAIL, d, sizeof(d)) == 0)
				printf("%s\n", d);
			continue;
		}
		vg_msg_str(&m, VG_TAG_VAULT, v, sizeof(v));
		vg_msg_str(&m, VG_TAG_ITEM, it, sizeof(it));
		vg_msg_str(&m, VG_TAG_POINT, p, sizeof(p));
		vg_msg_str(&m, VG_TAG_OBJECT, o, sizeof(o));
		vg_msg_str(&m, VG_TAG_DETAIL, d, sizeof(d));
		printf("DAMAGED: vault %s item %s point %s object %s: %s\n", v, it, p, o, d);
		damaged++;
	}
	if (r) {
		fprintf(stderr, "vaultctl: scrub: %s\n", *vgc_errmsg(c) ? vgc_errmsg(c) : vg_strerror(r));
		return 1;
	}
	return 0;
}
