/* vaultctl_watch.c - see vaultctl_watch.h. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ops.h"
#include "ttyprog.h"
#include "vaultctl_watch.h"
#include "vg_err.h"
#include "wire.h"

static const char *plink_sock;
static const struct vgc_auth *plink_auth;

void vctl_progress_link(const char *sock, const struct vgc_auth *auth)
{
	plink_sock = sock;
	plink_auth = auth;
}

/* The scrub's progress line: vaultd streams nothing until a damaged
 * object or the end, so a second link asks for the running scrub's bytes
 * (VG_OP_JOB_RUNNING) four times a second until the first link ends. */
struct scrub_watch {
	struct vtp prog;
	atomic_int stop;
	pthread_t th;
	bool started;
};

static void *scrub_poll(void *arg)
{
	struct scrub_watch *sw = arg;
	struct vgc *c = NULL;
	struct timespec ts = {0, 250 * 1000 * 1000};

	if (vgc_connect(plink_sock, &c))
		return NULL;
	vgc_set_auth(c, plink_auth);
	while (!atomic_load(&sw->stop)) {
		struct vg_msg m;
		int r;
		(void)vgc_req(c, VG_OP_JOB_RUNNING);
		if (vgc_call(c, &m))
			break;
		while ((r = vgc_stream_next(c, &m)) == 1) {
			char kind[16] = "";
			uint64_t done = 0, total = 0;
			if (vg_msg_str(&m, VG_TAG_KIND, kind, sizeof(kind)) || strcmp(kind, "scrub"))
				continue;
			(void)vg_msg_u64(&m, VG_TAG_SIZE, &done);
			(void)vg_msg_u64(&m, VG_TAG_SIZE2, &total);
			vtp_total(&sw->prog, total);
			vtp_update(&sw->prog, done);
		}
		if (r)
			break;
		nanosleep(&ts, NULL);
	}
	vgc_close(c);
	return NULL;
}

static void watch_start(struct scrub_watch *sw, const char *vault)
{
	char label[120];

	snprintf(label, sizeof(label), "scrub %s", vault ? vault : "every vault");
	vtp_begin(&sw->prog, label, 0);
	atomic_store(&sw->stop, 0);
	sw->started = sw->prog.on && plink_sock &&
		pthread_create(&sw->th, NULL, scrub_poll, sw) == 0;
}

/* final: the bytes the summary counts (UINT64_MAX: none came). */
static void watch_stop(struct scrub_watch *sw, uint64_t final)
{
	if (!sw->started)
		return;
	atomic_store(&sw->stop, 1);
	pthread_join(sw->th, NULL);
	sw->started = false;
	if (final != UINT64_MAX) {
		vtp_total(&sw->prog, final);
		sw->prog.done = final;
	}
	vtp_end(&sw->prog);
}

int vctl_scrub(struct vgc *c, int argc, char **argv)
{
	const char *vault = NULL;
	uint64_t rate = 0, damaged = 0;
	struct scrub_watch sw = {0};
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
	watch_start(&sw, vault);
	while ((r = vgc_stream_next(c, &m)) == 1) {
		char kind[32] = "", v[80] = "", it[300] = "", p[40] = "", o[300] = "", d[300] = "";
		uint64_t n = 0, b = 0, bad = 0, secs = 0;
		if (vg_msg_str(&m, VG_TAG_KIND, kind, sizeof(kind)) == 0 &&
		    strcmp(kind, "summary") == 0) {
			vg_msg_u64(&m, VG_TAG_COUNT, &n);
			vg_msg_u64(&m, VG_TAG_SIZE, &b);
			watch_stop(&sw, b);
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
	watch_stop(&sw, UINT64_MAX);
	if (r) {
		fprintf(stderr, "vaultctl: scrub: %s\n", *vgc_errmsg(c) ? vgc_errmsg(c) : vg_strerror(r));
		return 1;
	}
	return 0;
}

int vctl_sync_exec(const char *sock, int argc, char **argv)
{
	char self[PATH_MAX], prog[PATH_MAX + 16], *slash;
	char **av;
	ssize_t n;
	int k = 0, i = 1, cmd, repair = 0, quiet = 0;

	/* the command word: after the global options that come first */
	while (i < argc && argv[i][0] == '-') {
		if (strchr(argv[i], '=') || strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "--quiet") == 0)
			i++;
		else
			i += 2;
	}
	if (i >= argc)
		return -1;
	if (strcmp(argv[i], "scrub") == 0) {
		/* scrub --repair: vaultsync fetches the good copies */
		for (int j = i + 1; j < argc; j++)
			if (strcmp(argv[j], "--repair") == 0)
				repair = j;
		if (!repair)
			return -1;
	} else if (strcmp(argv[i], "remote") != 0 && strcmp(argv[i], "sync") != 0) {
		return -1;
	}
	cmd = i;
	for (int j = 1; j < argc; j++) {
		if (strcmp(argv[j], "--socket") == 0 && j + 1 < argc)
			sock = argv[j + 1];
		else if (strncmp(argv[j], "--socket=", 9) == 0)
			sock = argv[j] + 9;
		else if (strcmp(argv[j], "--quiet") == 0)
			quiet = 1;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		fprintf(stderr, "vaultctl: cannot find vaultsync: %s\n", strerror(errno));
		return 1;
	}
	self[n] = 0;
	if ((slash = strrchr(self, '/')))
		*slash = 0;
	snprintf(prog, sizeof(prog), "%s/vaultsync", self);
	if (!(av = calloc((size_t)argc + 6, sizeof(*av))))
		return 1;
	av[k++] = prog;
	av[k++] = (char *)"--socket";
	av[k++] = (char *)sock;
	if (quiet)
		av[k++] = (char *)"--quiet";
	if (repair)
		av[k++] = (char *)"repair";
	for (int j = repair ? cmd + 1 : cmd; j < argc; j++) {
		if (j == repair)
			continue;
		if (j > cmd && strcmp(argv[j], "--socket") == 0 && j + 1 < argc) {
			j++;
			continue;
		}
		if (j > cmd && (strncmp(argv[j], "--socket=", 9) == 0 || strcmp(argv[j], "--quiet") == 0))
			continue;
		av[k++] = argv[j];
	}
	execv(prog, av);
	fprintf(stderr, "vaultctl: %s: %s\n", prog, strerror(errno));
	free(av);
	return 1;
}
