/* vaultgw.c - the gateway's process edge: arguments, configuration, the
 * network namespace, binding, TLS set-up, dropping privileges, the loop.
 *
 *   vaultgw [--config FILE] [--netns NAME] [--check] [--syslog] [-v]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "share.h"
#include "config.h"
#include "gw.h"
#include "log.h"
#include "loop.h"
#include "netns.h"
#include "privs.h"
#include "proxy.h"
#include "tls.h"
#include "vg_err.h"

#define DEFAULT_CONFIG "/etc/vaultgate/vaultgw.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vaultgw [options]\n"
		"  --config FILE   configuration (default " DEFAULT_CONFIG " if it exists)\n"
		"  --netns NAME    join /run/netns/NAME before binding\n"
		"  --check         validate the configuration and exit\n"
		"  --syslog        log to syslog instead of stderr\n"
		"  -v              debug logging (never shows credentials)\n"
		"  -h, --help      this text\n"
		"See gateway/README.md for the configuration keys.\n");
}

/* One descriptor per connection and vaultd link, plus a few: raise the
 * soft limit (and, as root, the hard one) before privileges go. */
static void raise_nofile(const struct gw_config *cfg)
{
	rlim_t want = (rlim_t)(cfg->max_connections + cfg->vaultd_connections + 64);
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want && geteuid() == 0)
		rl.rlim_max = want;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		log_warnx("open files limited to %llu; max_connections %llu may not be reached",
			(unsigned long long)rl.rlim_cur, (unsigned long long)cfg->max_connections);
}

static int bind_one(const struct gw_listen *l, int *out, char *why, size_t whysz)
{
	int fd, one = 1, e;

	fd = socket(l->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->sa.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&l->sa, l->salen) < 0 || listen(fd, 1024) < 0)
		goto fail;
	*out = fd;
	return 0;
fail:
	e = errno;
	snprintf(why, whysz, "listen %s: %s", l->text, strerror(e));
	if (fd >= 0)
		close(fd);
	return -e;
}

/* --check: everything that can be checked without changing anything. */
static int check_only(const struct gw_config *cfg)
{
	char why[512], cert[1100], key[1100], fpr[GW_FPR_LEN];
	struct gw_tls *t = NULL;
	int r;

	if (!cfg->tls_cert) {
		snprintf(cert, sizeof(cert), "%s/server.crt", cfg->tls_dir);
		snprintf(key, sizeof(key), "%s/server.key", cfg->tls_dir);
		if (access(cert, F_OK) != 0 || access(key, F_OK) != 0) {
			printf("no certificate in %s yet: one will be generated on first start\n",
				cfg->tls_dir);
			goto tls_done;
		}
	} else {
		snprintf(cert, sizeof(cert), "%s", cfg->tls_cert);
		snprintf(key, sizeof(key), "%s", cfg->tls_key);
	}
	if ((r = gw_tls_new(cfg, cert, key, &t, why, sizeof(why)))) {
		fprintf(stderr, "vaultgw: %s\n", why);
		return 1;
	}
	if (gw_tls_file_fingerprint(cert, fpr) == 0)
		printf("certificate %s\nSHA-256 fingerprint %s\n", cert, fpr);
	gw_tls_free(t);
tls_done:
	{
		struct passwd *pw = getpwnam(cfg->user);
		if (!pw || pw->pw_uid == 0) {
			fprintf(stderr, "vaultgw: user %s %s\n", cfg->user,
				pw ? "is root: vaultgw refuses to run as root" : "does not exist");
			return 1;
		}
	}
	printf("configuration OK\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"netns", required_argument, NULL, 'n'},
		{"check", no_argument, NULL, 'k'},
		{"syslog", no_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL, *netns = NULL;
	struct gw_server srv;
	struct gw_config cfg;
	char why[1024], cert[1100], key[1100];
	bool check = false, use_syslog = false, created = false;
	int verbose = 0, ch, r;

	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'n': netns = optarg; break;
		case 'k': check = true; break;
		case 's': use_syslog = true; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("vaultgw", use_syslog, verbose);
	if (!config && access(DEFAULT_CONFIG, F_OK) == 0)
		config = DEFAULT_CONFIG;
	if (config)
		r = gw_config_load(config, &cfg, why, sizeof(why));
	else if (!(r = gw_config_defaults(&cfg)))
		r = gw_config_parse("(defaults)", "", 0, &cfg, why, sizeof(why));
	if (r)
		fatalx("%s", why);
	if (check) {
		r = check_only(&cfg);
		gw_config_free(&cfg);
		return r;
	}

	OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL);
	raise_nofile(&cfg);
	memset(&srv, 0, sizeof(srv));
	srv.cfg = &cfg;
	srv.epfd = srv.sigfd = srv.timerfd = srv.evfd = -1;
	if (netns && (r = gw_netns_enter(netns, why, sizeof(why))))
		fatalx("%s", why);
	for (int i = 0; i < cfg.nlisten; i++) {
		if ((r = bind_one(&cfg.listen[i], &srv.lfd[i], why, sizeof(why))))
			fatalx("%s", why);
		srv.nlfd++;
	}
	srv.s3_lfd = -1;
	if (cfg.has_s3) {
		if ((r = bind_one(&cfg.s3_listen, &srv.lfd[srv.nlfd], why, sizeof(why))))
			fatalx("%s", why);
		srv.s3_lfd = srv.nlfd++;
	}
	if ((r = gw_tls_cert_ensure(&cfg, cert, sizeof(cert), key, sizeof(key), &created, why,
		     sizeof(why))))
		fatalx("%s", why);
	if ((r = gw_tls_new(&cfg, cert, key, &srv.tls, why, sizeof(why))))
		fatalx("%s", why);
	srv.ctx = gw_tls_ctx(srv.tls);
	srv.cert_path = cert;
	srv.key_path = key;
	if (created) {
		/* For agents to pin: printed once, on stdout, at generation. */
		printf("vaultgw: generated %s\nvaultgw: SHA-256 fingerprint %s\n", cert,
			gw_tls_fingerprint(srv.tls));
		fflush(stdout);
	}
	if (gw_rl_new(cfg.auth_fail_burst, cfg.auth_fail_per_minute, 8192, &srv.rl) ||
	    gw_pcount_new((unsigned)(cfg.max_connections * 2 > 64 ? cfg.max_connections * 2 : 64),
		    &srv.pc) ||
	    gw_pool_new(cfg.vaultd_socket, (unsigned)cfg.vaultd_connections,
		    (unsigned)cfg.vaultd_timeout, &srv.pool) ||
	    gw_share_new(&(struct gw_share_limits){.max = (unsigned)cfg.vaultd_connections,
		    .per_principal = (unsigned)cfg.vaultd_links_per_principal,
		    .reserved = (unsigned)cfg.vaultd_links_reserved}, &srv.share))
		fatalx("out of memory");
	if ((r = gw_privs_drop(cfg.user, why, sizeof(why))))
		fatalx("%s", why);
	if ((r = gw_loop_init(&srv, why, sizeof(why))))
		fatalx("%s", why);
	{
		struct vgc *probe;
		if ((r = gw_pool_get(srv.pool, &probe)))
			log_warnx("vaultd at %s is not reachable yet (%s); requests get 503 until it is",
				cfg.vaultd_socket, vg_strerror(r));
		else
			gw_pool_put(srv.pool, probe, true);
	}
	for (int i = 0; i < cfg.nlisten; i++)
		log_info("listening on %s", cfg.listen[i].text);
	if (cfg.has_s3)
		log_info("S3 listening on %s (vault %s, region %s)", cfg.s3_listen.text, cfg.s3_vault,
			cfg.s3_region);
	log_info("certificate %s, SHA-256 fingerprint %s%s", cert, gw_tls_fingerprint(srv.tls),
		cfg.tls_client_ca ? "; client certificates verified against tls_client_ca" : "");
	r = gw_loop_run(&srv);
	gw_loop_fini(&srv);
	gw_pool_free(srv.pool);
	gw_share_free(srv.share);
	gw_pcount_free(srv.pc);
	gw_rl_free(srv.rl);
	gw_tls_free(srv.tls);
	for (unsigned i = 0; i < srv.nold_tls; i++)
		gw_tls_free(srv.old_tls[i]);
	gw_config_free(&cfg);
	log_info("stopped");
	return r ? 1 : 0;
}
