/* vaultd.c - the vault core daemon: state directory in, UNIX socket out.
 *
 *   vaultd --state-dir DIR --socket PATH [--socket-group G] [--syslog] [-v] [--check]
 *          [--pkcs11-config FILE] [--alert-outbox]
 *          [--store dir|rados --ceph-conf FILE --ceph-pool POOL [--ceph-id NAME]
 *           [--ceph-keyring FILE]
 *           [--ceph-timeout S] [--checkpoint-minutes N]]
 *          [--disk-floor BYTES] [--scrub-every DURATION] [--scrub-rate MB/s]
 *
 * It locks the state directory (DIR/vaultd.lock: one vaultd per directory),
 * opens the keys, the LMDB metadata and the blob store, runs the
 * start-up recovery pass, verifies the audit chain, and serves until
 * SIGTERM or SIGINT (handled through a signalfd, never in a handler).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_guard.h"
#include "buf.h"
#include "checkpoint.h"
#include "firewall.h"
#include "core.h"
#include "itemset.h"
#include "missed.h"
#include "quota.h"
#include "scrub.h"
#include "denials.h"
#include "lifecycle.h"
#include "lockfile.h"
#include "keyimport.h"
#include "log.h"
#include "server.h"
#include "anchor.h"
#include "trusted_time.h"
#include "vg_err.h"

#define PURGE_INTERVAL_MS 60000

/* The purger runs once a minute until the stop pipe is written. */
struct purger {
	struct vcore *c;
	int stop[2];
};

static void *purger_main(void *arg)
{
	struct purger *p = arg;
	struct pollfd pf = {.fd = p->stop[0], .events = POLLIN};
	struct vlife_purge_stats st;
	int r;

	for (;;) {
		if (vaudit_broken(p->c, NULL, 0))
			log_warnx("purger: held: the audit chain is broken and not acknowledged");
		else if ((r = vlife_purge(p->c, &st)))
			log_warnx("purger: %s", vg_strerror(r));
		else if (st.sealed)
			log_warnx("purger: vault %s: key unavailable; %u sealed vault%s left unpurged",
				st.sealed_vault, st.sealed, st.sealed == 1 ? "" : "s");
		else if (st.vaults || st.items || st.points || st.objects || st.expired || st.aborted)
			log_info("purger: purged %u vaults, %u items, %u points, %u restic files; "
				"pruned %u expired points; aborted %u stale uploads", st.vaults, st.items,
				st.points, st.objects, st.expired, st.aborted);
		/* The watch pass (issue 14): missed backups, the disk floor. */
		if (!vaudit_broken(p->c, NULL, 0)) {
			struct vmissed_stats ms;
			char why[300] = "";
			if ((r = vmissed_pass(p->c, &ms)))
				log_warnx("missed-backup pass: %s", vg_strerror(r));
			else if (ms.raised || ms.cleared)
				log_info("missed backups: %u raised, %u cleared", ms.raised, ms.cleared);
			if (vquota_disk_check(p->c, UINT64_MAX, why, sizeof(why)))
				log_warnx("%s", why);
		}
		(void)vanchor_maybe(p->c, 0);  /* purge alerts are critical events */
		if (poll(&pf, 1, PURGE_INTERVAL_MS) != 0)
			return NULL;
	}
}

/* The scheduled scrub (--scrub-every): one pass per interval, the first
 * one interval after start; shutdown cancels a running pass. */
struct scrubber {
	struct vcore *c;
	int stop[2];
	uint64_t every, rate;   /* seconds; bytes/s */
};

static void *scrubber_main(void *arg)
{
	static const struct vcaller sched = {.principal = "system", .peer = "scrub-schedule"};
	struct scrubber *s = arg;
	struct pollfd pf = {.fd = s->stop[0], .events = POLLIN};
	struct vscrub_stats st;
	uint64_t waited = 0;
	int r;

	for (;;) {
		/* poll's timeout is an int of ms: wait in steps of at most a day */
		uint64_t step = s->every - waited > 86400 ? 86400 : s->every - waited;
		if (poll(&pf, 1, (int)(step * 1000)) != 0)
			return NULL;
		if ((waited += step) < s->every)
			continue;
		waited = 0;
		if (vaudit_broken(s->c, NULL, 0))
			continue;
		if ((r = vscrub_run(s->c, &sched, NULL, s->rate, NULL, NULL, &st)))
			log_warnx("scheduled scrub: %s", vg_strerror(r));
		else
			log_info("scheduled scrub: %llu objects, %llu bytes, %llu damaged in %llus",
				(unsigned long long)st.objects, (unsigned long long)st.bytes,
				(unsigned long long)st.damaged, (unsigned long long)st.seconds);
	}
}

/* Once a second: the audit high-water mark follows the head (audit_hwm.h),
 * and aggregated refusals are written when due (denials.h). */
#define HWM_INTERVAL_MS 1000

/* The metadata checkpoint to the RADOS pool, every interval (checkpoint.h). */
struct ckpter {
	struct vcore *c;
	int stop[2];
	int ms;
};

static void write_checkpoint(struct vcore *c, const char *when)
{
	char why[512] = "";
	uint64_t n;
	int r;

	if ((r = vcore_checkpoint(c, &n, why, sizeof(why))))
		log_warnx("checkpoint (%s): %s", when, *why ? why : vg_strerror(r));
	else
		log_info("checkpoint (%s): %llu bytes written to the pool", when, (unsigned long long)n);
}

static void *ckpt_main(void *arg)
{
	struct ckpter *k = arg;
	struct pollfd pf = {.fd = k->stop[0], .events = POLLIN};

	while (poll(&pf, 1, k->ms) == 0)
		write_checkpoint(k->c, "periodic");
	return NULL;
}

static void *hwm_main(void *arg)
{
	struct purger *p = arg;
	struct pollfd pf = {.fd = p->stop[0], .events = POLLIN};
	int r, warned = 0;

	for (;;) {
		if ((r = vdeny_flush(p->c, false)))
			log_warnx("aggregated refusals: %s", vg_strerror(r));
		if ((r = vaudit_sync(p->c)) && !warned++)
			log_warnx("audit high-water mark %s: %s", p->c->ast.hwm_path, vg_strerror(r));
		else if (!r)
			warned = 0;
		if (poll(&pf, 1, HWM_INTERVAL_MS) != 0)
			return NULL;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vaultd --state-dir DIR --socket PATH [options]\n"
		"  --state-dir DIR     keys, metadata (LMDB) and encrypted blobs\n"
		"  --socket PATH       the UNIX socket to serve (mode 0660)\n"
		"  --socket-group G    group owner of the socket (for vaultgw)\n"
		"  --pkcs11-config FILE  the PKCS#11 token holding customer-managed keys\n"
		"                      (module, token, pin_file; see vault/README.md)\n"
		"  --alert-outbox      queue every alert for the webhook sender (vaultnotify)\n"
		"  --store KIND        where blobs go: dir (DIR/blobs, the default) or rados\n"
		"  --ceph-conf FILE    rados: the cluster's ceph.conf (monitors, keyring)\n"
		"  --ceph-pool POOL    rados: the pool (one vaultgate state directory per pool)\n"
		"  --ceph-id NAME      rados: the cephx user, without \"client.\" (default admin)\n"
		"  --ceph-keyring FILE rados: that user's keyring (default: the conf's keyring)\n"
		"  --ceph-timeout S    rados: monitor, OSD and mount timeout in seconds (default 30)\n"
		"  --checkpoint-minutes N  rados: write the metadata checkpoint to the pool every\n"
		"                      N minutes (default 15; 0: only at start and shutdown)\n"
		"  --recover-from-pool rados, no --socket: rebuild a fresh DIR holding only\n"
		"                      keys/platform.key from the pool's last checkpoint, name\n"
		"                      the points committed after it as lost, and exit\n"
		"  --disk-floor BYTES  refuse new uploads (and raise disk-low) below this much free\n"
		"                      space on the state directory's disk (default 64M)\n"
		"  --scrub-every DURATION  re-read every blob and check every tag this often\n"
		"                      (e.g. 7d; default: no scheduled scrub)\n"
		"  --scrub-rate MB/s   the scheduled scrub's read rate limit (default: none)\n"
		"  --vaultnet-config FILE  vaultnet's configuration: the console's firewall page\n"
		"                      runs `vaultnet show|verify|explain` with it (VG_OP_FIREWALL)\n"
		"  --vaultnet PATH     that helper (default: vaultnet beside vaultd, else\n"
		"                      /usr/sbin/vaultnet)\n"
		"  --vaultnet-socket PATH  ask a socket-activated `vaultnet serve` there instead\n"
		"                      (the appliance: vaultd itself cannot read the table)\n"
		"  --syslog            log to syslog instead of stderr\n"
		"  --check             look at the state read-only (safe beside a running vaultd):\n"
		"                      keys, metadata, uploads in flight, audit chain; print\n"
		"                      \"configuration OK\" and exit 0, or exit 1\n"
		"  --import-keys FILE  (no --socket) before the first start on a replacement\n"
		"                      appliance: the keys from `vaultctl keys export`, passphrase\n"
		"                      from --passphrase-file FILE or stdin; checks them against\n"
		"                      the state's audit chain and vaults, audits, exits\n"
		"  -v, --verbose       debug logging\n"
		"  -h, --help          this text\n");
}

/* vaultd --check: look, change nothing. The state is opened read-only
 * (safe beside a running vaultd, which keeps its lock), recovery only
 * counts, and every line says what was checked. Exit 1 if anything is
 * wrong, 0 with "configuration OK". */
static int check_state(const char *dir, const char *p11conf, const struct vs_rados_conf *rados)
{
	struct vcore *c = NULL;
	struct vcore_recovery rec;
	uint64_t count, bad;
	char why[512] = "", path[2300], holder[256];
	int r, held;

	if (snprintf(path, sizeof(path), "%s/vaultd.lock", dir) >= (int)sizeof(path))
		fatalx("%s: path too long", dir);
	held = vg_lock_holder(path, holder, sizeof(holder));
	if (held > 0)
		printf("state directory %s: in use by vaultd %s; checked read-only beside it\n", dir,
			*holder ? holder : "(pid not yet recorded)");
	else
		printf("state directory %s: not in use; checked read-only\n", dir);
	if ((r = vcore_open_store(dir, VCORE_OPEN_READONLY, NULL, rados, &c, why, sizeof(why)))) {
		fprintf(stderr, "vaultd: %s\n", *why ? why : vg_strerror(r));
		return 1;
	}
	printf("format: %u%s\n", c->format_found, c->format_found < VCORE_FORMAT ?
		" (an older release's: the next start upgrades it in place)" : "");
	printf("keys: platform key and audit key readable (0600, owner uid %u)%s\n",
		(unsigned)geteuid(), c->infra ? ", infrastructure key readable" : "");
	if (p11conf) {
		struct vk_p11_config cfg;
		if ((r = vk_p11_config_load(p11conf, &cfg, why, sizeof(why))) ||
		    (r = vcore_set_pkcs11(c, &cfg, why, sizeof(why)))) {
			fprintf(stderr, "vaultd: %s\n", *why ? why : vg_strerror(r));
			vcore_close(c);
			return 1;
		}
		printf("pkcs11: %s: module %s, token \"%s\"\n", p11conf, cfg.module, cfg.token);
	}
	if ((r = vcore_survey(c, &rec))) {
		fprintf(stderr, "vaultd: reading the metadata: %s\n", vg_strerror(r));
		vcore_close(c);
		return 1;
	}
	printf("metadata: readable; %llu uncommitted point%s (uploads in flight, or left by a crash: "
		"a start removes them only if no vaultd is running); %llu detached upload%s "
		"(kept by a start for a day)\n",
		(unsigned long long)rec.pending_points, rec.pending_points == 1 ? "" : "s",
		(unsigned long long)rec.kept_detached, rec.kept_detached == 1 ? "" : "s");
	{
		char desc[1400];
		if (vs_describe(c->store, desc, sizeof(desc)) == 0)
			printf("store: %s\n", desc);
	}
	printf("blobs: %llu not referenced by a committed record, %llu stray file%s (left alone)\n",
		(unsigned long long)rec.orphan_blobs, (unsigned long long)rec.stray_files,
		rec.stray_files == 1 ? "" : "s");
	r = va_verify(c->audit, c->db, &count, &bad, why, sizeof(why));
	if (!r) {
		struct va_hwm h;
		uint64_t brk;
		r = va_hwm_check(c->audit, c->db, c->ast.hwm_path, &h, &brk, why, sizeof(why));
	}
	vcore_close(c);
	if (r) {
		printf("audit chain: BROKEN: %s\n", *why ? why : vg_strerror(r));
		return 1;
	}
	printf("audit chain: %llu entries, intact\n", (unsigned long long)count);
	printf("configuration OK\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"state-dir", required_argument, NULL, 'd'},
		{"socket", required_argument, NULL, 's'},
		{"socket-group", required_argument, NULL, 'g'},
		{"syslog", no_argument, NULL, 'l'},
		{"check", no_argument, NULL, 'c'},
		{"pkcs11-config", required_argument, NULL, 'p'},
		{"alert-outbox", no_argument, NULL, 'o'},
		{"store", required_argument, NULL, 'S'},
		{"ceph-conf", required_argument, NULL, 'C'},
		{"ceph-pool", required_argument, NULL, 'P'},
		{"ceph-id", required_argument, NULL, 'I'},
		{"ceph-keyring", required_argument, NULL, 'k'},
		{"ceph-timeout", required_argument, NULL, 'T'},
		{"checkpoint-minutes", required_argument, NULL, 'K'},
		{"recover-from-pool", no_argument, NULL, 'Q'},
		{"disk-floor", required_argument, NULL, 'F'},
		{"scrub-every", required_argument, NULL, 'E'},
		{"scrub-rate", required_argument, NULL, 'R'},
		{"vaultnet-config", required_argument, NULL, 'N'},
		{"vaultnet", required_argument, NULL, 'B'},
		{"vaultnet-socket", required_argument, NULL, 'U'},
		{"verbose", no_argument, NULL, 'v'},
		{"import-keys", required_argument, NULL, 'X'},
		{"passphrase-file", required_argument, NULL, 'Y'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct vsrv_opts so = {0};
	const char *dir = NULL, *p11conf = NULL, *store = "dir", *import = NULL, *passfile = NULL;
	const char *vnconf = NULL, *vnbin = NULL, *vnsock = NULL;
	struct vs_rados_conf rc = {0};
	const struct vs_rados_conf *rados = NULL;
	long ckpt_min = 15;
	int recover_pool = 0;
	uint64_t ckpt_created = 0;
	struct scrubber scrub = {0};
	uint64_t floor_bytes;
	int use_syslog = 0, check = 0, verbose = 0, outbox = 0, ch, r, lfd, sfd;
	struct vcore *c = NULL;
	struct vcore_recovery rec;
	struct rlimit rl = {0, 0};
	uint64_t count;
	char why[512] = "", info[2200];
	sigset_t ss;

	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 's': so.socket_path = optarg; break;
		case 'g': so.socket_group = optarg; break;
		case 'l': use_syslog = 1; break;
		case 'c': check = 1; break;
		case 'p': p11conf = optarg; break;
		case 'o': outbox = 1; break;
		case 'S': store = optarg; break;
		case 'C': rc.conf = optarg; break;
		case 'P': rc.pool = optarg; break;
		case 'I': rc.id = optarg; break;
		case 'k': rc.keyring = optarg; break;
		case 'T': rc.timeout_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'K': ckpt_min = strtol(optarg, NULL, 10); break;
		case 'Q': recover_pool = 1; break;
		case 'F':
			if (vquota_parse_bytes(optarg, &floor_bytes)) {
				fprintf(stderr, "vaultd: --disk-floor %s: expected bytes (e.g. 64M, 1G)\n",
					optarg);
				return 2;
			}
			vquota_set_floor(floor_bytes);
			break;
		case 'E':
			if (vitemset_parse_duration(optarg, &scrub.every) || scrub.every < 1) {
				fprintf(stderr, "vaultd: --scrub-every %s: expected a duration of at "
					"least 1s (e.g. 12h, 7d)\n", optarg);
				return 2;
			}
			break;
		case 'R':
			if (vg_parse_u64(optarg, 1, 1000000, &scrub.rate)) {
				fprintf(stderr, "vaultd: --scrub-rate %s: expected MB/s, 1..1000000\n",
					optarg);
				return 2;
			}
			scrub.rate <<= 20;
			break;
		case 'N': vnconf = optarg; break;
		case 'B': vnbin = optarg; break;
		case 'U': vnsock = optarg; break;
		case 'v': verbose++; break;
		case 'X': import = optarg; break;
		case 'Y': passfile = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!dir || (!so.socket_path && !check && !import && !recover_pool) || (import && (so.socket_path || check)) ||
	    (passfile && !import) || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (strcmp(store, "rados") == 0) {
		if (!rc.conf || !rc.pool) {
			fprintf(stderr, "vaultd: --store rados needs --ceph-conf FILE and --ceph-pool POOL\n");
			return 2;
		}
		if (rc.timeout_s == 0 || rc.timeout_s > 3600)
			rc.timeout_s = 30;
		rados = &rc;
	} else if (strcmp(store, "dir") != 0 || rc.conf || rc.pool || rc.id || rc.keyring) {
		fprintf(stderr, "vaultd: --store is dir (the default) or rados; --ceph-* need --store rados\n");
		return 2;
	}
	if (recover_pool && (!rados || check)) {
		fprintf(stderr, "vaultd: --recover-from-pool needs --store rados (and not --check)\n");
		return 2;
	}
	if (ckpt_min < 0 || ckpt_min > 30000) {
		fprintf(stderr, "vaultd: --checkpoint-minutes: 0..30000\n");
		return 2;
	}
	vfw_configure(vnconf, vnbin, vnsock);
	log_init("vaultd", use_syslog, verbose);
	umask(077);
	/* Keys live in this process: no core dumps, no ptrace by peers. */
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((sfd = signalfd(-1, &ss, SFD_CLOEXEC)) < 0)
		fatal("signalfd");

	if (check)
		return check_state(dir, p11conf, rados);
	if (import) {
		char msg[800];
		if ((r = vkx_import(dir, import, passfile, msg, sizeof(msg)))) {
			log_warnx("import-keys: %s", msg);
			return 1;
		}
		printf("keys imported: %s\n", msg);
		return 0;
	}
	if (recover_pool) {
		/* Keys and metadata from the pool's checkpoint into a fresh
		 * directory holding only keys/platform.key; then the usual open. */
		if ((r = vcore_pool_restore(dir, rados, &ckpt_created, why, sizeof(why))))
			fatalx("recovery from the pool: %s", *why ? why : vg_strerror(r));
		log_info("recovery: checkpoint of %llu restored into %s",
			(unsigned long long)ckpt_created, dir);
	}
	snprintf(info, sizeof(info), "pid %ld socket %s", (long)getpid(),
		so.socket_path ? so.socket_path : "(recovery)");
	if ((r = vcore_open_store(dir, 0, info, rados, &c, why, sizeof(why))))
		fatalx("%s", *why ? why : vg_strerror(r));
	{
		char desc[1400];
		if (vs_describe(c->store, desc, sizeof(desc)) == 0)
			log_info("blobs: %s", desc);
	}
	if (p11conf) {
		struct vk_p11_config cfg;
		if ((r = vk_p11_config_load(p11conf, &cfg, why, sizeof(why))) ||
		    (r = vcore_set_pkcs11(c, &cfg, why, sizeof(why))))
			fatalx("%s", *why ? why : vg_strerror(r));
		log_info("customer-managed keys: token \"%s\" via %s", cfg.token, cfg.module);
	}
	if (c->format_found < VCORE_FORMAT)
		log_info("state directory %s: format %u upgraded to %u", dir, c->format_found, VCORE_FORMAT);
	c->outbox = outbox;
	if ((r = vtime_load(c)))
		fatalx("the trusted-time mark: %s", vg_strerror(r));
	if (recover_pool) {
		char lostlist[4096];
		unsigned lost = 0, snaps = 0;
		if ((r = vcore_pool_recovered(c, ckpt_created, &lost, &snaps, lostlist, sizeof(lostlist))))
			fatalx("recovery from the pool: naming lost points: %s", vg_strerror(r));
		printf("recovered from the checkpoint of %llu (vault time); %u point%s committed after "
			"it %s lost", (unsigned long long)ckpt_created, lost, lost == 1 ? "" : "s",
			lost == 1 ? "is" : "are");
		if (snaps)
			printf("; %u restic snapshot%s committed after it %s lost", snaps,
				snaps == 1 ? "" : "s", snaps == 1 ? "is" : "are");
		printf("%s\n%s", lost || snaps ? ":" : "", lostlist);
	}
	if (!check && (r = vanchor_maybe(c, 1)))  /* where the chain stands at start-up */
		log_warnx("audit anchor: %s", vg_strerror(r));
	if ((r = vcore_recover(c, &rec)))
		fatalx("recovery failed: %s", vg_strerror(r));
	if (rec.pending_points || rec.orphan_blobs || rec.stray_files)
		log_info("recovery: removed %llu uncommitted points, %llu orphan blobs, %llu stray files",
			(unsigned long long)rec.pending_points, (unsigned long long)rec.orphan_blobs,
			(unsigned long long)rec.stray_files);
	if (rec.kept_detached)
		log_info("recovery: kept %llu detached uploads (resumable for a day from their start)",
			(unsigned long long)rec.kept_detached);
	why[0] = 0;
	r = vaudit_start(c, &count, why, sizeof(why));
	if (r == 1)
		log_warnx("AUDIT CHAIN BROKEN: %s; audit-broken raised; changes are refused until "
			"local root or an Owner runs: vaultctl audit acknowledge --reason TEXT", why);
	else if (r)
		fatalx("audit chain: %s", *why ? why : vg_strerror(r));
	if (recover_pool) {
		printf("state directory %s rebuilt (%llu audit entries, the last one the recovery); "
			"start vaultd on it as usual\n", dir, (unsigned long long)count);
		vcore_close(c);
		return 0;
	}
	if (rados)
		write_checkpoint(c, "start");  /* so a pool always has one */
	if ((r = vsrv_listen(&so, &lfd, why, sizeof(why))))
		fatalx("%s", why);
	log_info("serving %s (state %s, %llu audit entries)", so.socket_path, dir,
		(unsigned long long)count);
	{
		struct purger pg = {.c = c}, hw = {.c = c};
		struct ckpter ck = {.c = c, .ms = (int)(ckpt_min * 60000)};
		pthread_t th, hth, cth, sth;
		if (pipe2(pg.stop, O_CLOEXEC) < 0 || pthread_create(&th, NULL, purger_main, &pg))
			fatal("cannot start the purger");
		if (pipe2(hw.stop, O_CLOEXEC) < 0 || pthread_create(&hth, NULL, hwm_main, &hw))
			fatal("cannot start the audit high-water thread");
		if (rados && ckpt_min > 0 &&
		    (pipe2(ck.stop, O_CLOEXEC) < 0 || pthread_create(&cth, NULL, ckpt_main, &ck)))
			fatal("cannot start the checkpoint thread");
		scrub.c = c;
		if (scrub.every && (pipe2(scrub.stop, O_CLOEXEC) < 0 ||
				    pthread_create(&sth, NULL, scrubber_main, &scrub)))
			fatal("cannot start the scheduled scrub");
		vsrv_run(c, lfd, sfd);
		if (rados && ckpt_min > 0) {
			if (write(ck.stop[1], "x", 1) != 1)
				log_warn("stopping the checkpoint thread");
			pthread_join(cth, NULL);
		}
		if (scrub.every) {
			vscrub_cancel();
			if (write(scrub.stop[1], "x", 1) != 1)
				log_warn("stopping the scheduled scrub");
			pthread_join(sth, NULL);
		}
		if (write(pg.stop[1], "x", 1) != 1)
			log_warn("stopping the purger");
		pthread_join(th, NULL);
		if (write(hw.stop[1], "x", 1) != 1)
			log_warn("stopping the audit high-water thread");
		pthread_join(hth, NULL);
		if ((r = vdeny_flush(c, true)))
			log_warnx("aggregated refusals: %s", vg_strerror(r));
		if ((r = vaudit_sync(c)))
			log_warnx("audit high-water mark %s: %s", c->ast.hwm_path, vg_strerror(r));
	}
	unlink(so.socket_path);
	if (rados)
		write_checkpoint(c, "shutdown");  /* after the last commit */
	vcore_close(c);
	log_info("stopped");
	return 0;
}
