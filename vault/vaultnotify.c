/* vaultnotify.c - delivers vaultd's alert outbox to a webhook.
 *
 *   vaultnotify --socket PATH --webhook-url https://HOST:PORT/PATH --webhook-ca FILE
 *               [--user NAME --token-file FILE] [--backoff-max SECONDS] [--syslog] [-v]
 *               [--check]
 *
 * vaultd has no network socket and holds the keys; this small process holds
 * no key and makes the appliance's one outbound connection, to the one
 * configured internal receiver, pinned to the one configured CA. It asks
 * vaultd (as local root or a monitor principal) for the oldest queued alert
 * (VG_OP_NOTIFY_NEXT), POSTs it as JSON, and acknowledges it
 * (VG_OP_NOTIFY_ACK) only after a 2xx answer, so an alert raised while the
 * receiver is down waits in vaultd's LMDB outbox, across restarts of
 * either process. Failures back off exponentially (1 s doubling up to
 * --backoff-max, default 300 s).
 *
 * Delivery is at least once; each POST carries "Idempotency-Key:
 * INSTANCE-SEQ" (and "id" in the body) so a receiver can make it exactly
 * once. An alert POSTed but not yet acknowledged when vaultd went away is
 * acknowledged without a second POST when vaultd returns; only a crash of
 * vaultnotify itself between the 2xx and the acknowledgement repeats one.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "client.h"
#include "log.h"
#include "vg_err.h"
#include "webhook.h"

#define IDLE_POLL_MS 500

static int sigfd = -1;

/* Waits ms milliseconds; 1 if a stop signal arrived. */
static int pause_ms(int ms)
{
	struct pollfd pf = {.fd = sigfd, .events = POLLIN};
	struct signalfd_siginfo si;

	if (poll(&pf, 1, ms) <= 0)
		return 0;
	if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		log_info("signal %u: stopping", si.ssi_signo);
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vaultnotify --socket PATH --webhook-url URL --webhook-ca FILE [options]\n"
		"  --socket PATH         vaultd's socket\n"
		"  --webhook-url URL     https://HOST[:PORT]/PATH of the internal receiver\n"
		"  --webhook-ca FILE     the only CA (or certificate) the receiver may present\n"
		"  --user NAME           a monitor principal (default: local root, no credential)\n"
		"  --token-file FILE     that principal's token\n"
		"  --backoff-max SECONDS longest wait between failed deliveries (default 300)\n"
		"  --syslog              log to syslog\n"
		"  --check               validate the options, print \"configuration OK\", exit\n"
		"  -v, --verbose         debug logging\n"
		"  -h, --help            this text\n");
}

struct alert {
	uint64_t seq, time;
	char name[40], severity[20], principal[130], vault[80], target[600], detail[600];
	char instance[40];
};

static int next(struct vgc *c, struct alert *a)
{
	struct vg_msg m;
	int r;

	vgc_req(c, VG_OP_NOTIFY_NEXT);
	if ((r = vgc_call(c, &m)))
		return r;
	memset(a, 0, sizeof(*a));
	if (vg_msg_u64(&m, VG_TAG_SEQ, &a->seq) || vg_msg_u64(&m, VG_TAG_TIME, &a->time) ||
	    vg_msg_str(&m, VG_TAG_NAME, a->name, sizeof(a->name)) ||
	    vg_msg_str(&m, VG_TAG_STATE, a->severity, sizeof(a->severity)) ||
	    vg_msg_str(&m, VG_TAG_PRINCIPAL, a->principal, sizeof(a->principal)) ||
	    vg_msg_str(&m, VG_TAG_VAULT, a->vault, sizeof(a->vault)) ||
	    vg_msg_str(&m, VG_TAG_TARGET, a->target, sizeof(a->target)) ||
	    vg_msg_str(&m, VG_TAG_DETAIL, a->detail, sizeof(a->detail)) ||
	    vg_msg_str(&m, VG_TAG_ID, a->instance, sizeof(a->instance)))
		return VG_EPROTO;
	return 0;
}

static int ack(struct vgc *c, uint64_t seq)
{
	struct vg_msg m;
	struct vg_wr *w = vgc_req(c, VG_OP_NOTIFY_ACK);

	vg_msgb_u64(w, VG_TAG_SEQ, seq);
	return vgc_call(c, &m);
}

static char *to_json(const struct alert *a, char *id, size_t idsz)
{
	char ts[32];
	time_t t = (time_t)a->time;
	struct tm tm;
	json_t *o;
	char *s;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(id, idsz, "%s-%llu", a->instance, (unsigned long long)a->seq);
	o = json_pack("{s:s,s:s,s:I,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "source", "vaultgate",
		"id", id, "seq", (json_int_t)a->seq, "time", ts, "unix", (json_int_t)a->time,
		"name", a->name, "severity", a->severity, "vault", a->vault, "target", a->target,
		"principal", a->principal, "detail", a->detail);
	s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return s;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"webhook-url", required_argument, NULL, 'u'},
		{"webhook-ca", required_argument, NULL, 'a'},
		{"user", required_argument, NULL, 'U'},
		{"token-file", required_argument, NULL, 't'},
		{"backoff-max", required_argument, NULL, 'b'},
		{"syslog", no_argument, NULL, 'l'},
		{"check", no_argument, NULL, 'c'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *sock = NULL, *url = NULL, *ca = NULL, *token_file = NULL;
	struct vgc_auth auth = {0};
	struct wh_client *wh = NULL;
	struct vgc *c = NULL;
	uint64_t backoff_max = 300, backoff = 0, posted_seq = 0;
	char token[300] = "", posted_instance[40] = "", why[512] = "";
	int ch, r, use_syslog = 0, check = 0, verbose = 0;
	sigset_t ss;

	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'u': url = optarg; break;
		case 'a': ca = optarg; break;
		case 'U': auth.user = optarg; break;
		case 't': token_file = optarg; break;
		case 'b':
			if (vg_parse_u64(optarg, 1, 86400, &backoff_max)) {
				fprintf(stderr, "vaultnotify: --backoff-max %s: expected 1 to 86400 seconds\n",
					optarg);
				return 2;
			}
			break;
		case 'l': use_syslog = 1; break;
		case 'c': check = 1; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!sock || !url || !ca || optind != argc || (!auth.user != !token_file)) {
		usage(stderr);
		return 2;
	}
	log_init("vaultnotify", use_syslog, verbose);
	if (token_file) {
		if ((r = vgc_read_secret(token_file, token, sizeof(token))))
			fatalx("%s: cannot read a token: %s", token_file, vgc_secret_strerror(r));
		auth.token = token;
	}
	if ((r = wh_client_new(url, ca, &wh, why, sizeof(why))))
		fatalx("%s", why);
	if (check) {
		printf("configuration OK\n");
		wh_client_free(wh);
		return 0;
	}
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((sigfd = signalfd(-1, &ss, SFD_CLOEXEC)) < 0)
		fatal("signalfd");
	log_info("delivering alerts from %s to %s", sock, url);

	for (;;) {
		struct alert a;
		char id[80], *body;
		int status = 0;

		if (!c) {
			if ((r = vgc_connect(sock, &c))) {
				c = NULL;
				goto retry;
			}
			vgc_set_auth(c, &auth);
		}
		if ((r = next(c, &a)) == VG_ENOTFOUND) {
			backoff = 0;
			if (pause_ms(IDLE_POLL_MS))
				break;
			continue;
		}
		if (r) {
			if (r == VG_EDENIED || r == VG_EAUTH)
				fatalx("vaultd refused: %s", *vgc_errmsg(c) ? vgc_errmsg(c) : vg_strerror(r));
			goto lost;
		}
		/* Posted before vaultd went away, never acknowledged: do not post again. */
		if (a.seq == posted_seq && strcmp(a.instance, posted_instance) == 0) {
			if ((r = ack(c, a.seq)))
				goto lost;
			continue;
		}
		if (!(body = to_json(&a, id, sizeof(id))))
			fatalx("out of memory");
		r = wh_post(wh, id, body, strlen(body), &status, why, sizeof(why));
		free(body);
		if (r) {
			log_warnx("alert %s (%s): not delivered: %s", id, a.name, why);
			goto retry;
		}
		posted_seq = a.seq;
		snprintf(posted_instance, sizeof(posted_instance), "%s", a.instance);
		log_info("alert %s (%s) delivered: HTTP %d", id, a.name, status);
		if ((r = ack(c, a.seq)))
			goto lost;
		backoff = 0;
		continue;
lost:
		log_warnx("vaultd at %s: %s", sock, c && *vgc_errmsg(c) ? vgc_errmsg(c) : vg_strerror(r));
		vgc_close(c);
		c = NULL;
retry:
		backoff = backoff ? (backoff * 2 > backoff_max ? backoff_max : backoff * 2) : 1;
		log_debug("retrying in %llu s", (unsigned long long)backoff);
		if (pause_ms((int)(backoff * 1000)))
			break;
	}
	vgc_close(c);
	wh_client_free(wh);
	OPENSSL_cleanse(token, sizeof(token));
	return 0;
}
